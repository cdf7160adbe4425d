"""Target and background data for an experiment; the background is built (gold labels hidden) by training.background."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..content import content_hash
from ..corpora import load_corpus
from ..corpora.manifest import manifest_hash, read_manifest
from ..errors import ConfigError
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet, load_segments
from ..proxy import ProxyConfig, compute_proxy_labels
from ..proxy.store import aligned_proxy
from ..training.background import Background, BackgroundPart, build_background, hide_gold_labels, segment_proxy_labels
from .config import CorpusSpec


def hours_subset(manifest: pd.DataFrame, hours: float, seed: int) -> pd.DataFrame:
    """About `hours` of audio: whole speakers in a seeded order, the last one cut at the mark.

    Utterances are ordered by (seeded speaker rank, seeded position within the
    speaker) and the shortest prefix reaching `hours` is kept, so with one seed
    a smaller subset is always inside a larger one (nested rungs). Whole
    speakers, not scattered utterances, because proxy labels are ranks within
    a speaker's utterances: a speaker kept whole gets the same proxy labels at
    every size, and each speaker keeps enough utterances to rank.
    """
    rng = np.random.default_rng(seed)
    speakers = np.unique(manifest["speaker"].astype(str))
    rank = dict(zip(speakers, rng.permutation(len(speakers))))
    within = rng.permutation(len(manifest))
    order = np.lexsort((within, manifest["speaker"].astype(str).map(rank).to_numpy()))
    seconds = manifest["duration_s"].to_numpy(dtype=float)[order]
    reached = np.flatnonzero(np.cumsum(seconds) >= hours * 3600)
    n_keep = reached[0] + 1 if len(reached) else len(order)
    return manifest.iloc[np.sort(order[:n_keep])].reset_index(drop=True)


def corpus_manifest(spec: CorpusSpec, seed: int) -> pd.DataFrame:
    manifest = read_manifest(spec.manifest) if spec.manifest else load_corpus(spec.name, spec.root)
    if spec.max_hours:
        manifest = hours_subset(manifest, spec.max_hours, seed)
    if spec.max_utterances and len(manifest) > spec.max_utterances:
        keep = np.sort(np.random.default_rng(seed).choice(len(manifest), spec.max_utterances, replace=False))
        manifest = manifest.iloc[keep].reset_index(drop=True)
    return manifest


@dataclass
class TargetData:
    segments: SegmentSet
    manifest_hash: str
    # Identifies the segment store: audio content and feature config.
    key: str
    # The feature settings that cut the segments.
    features: FeatureConfig | None = None
    # Proxy labels of its utterances, gold labels hidden (computed on the first call); None: not to be computed.
    proxy_labels: Callable[[], pd.DataFrame] | None = None


def load_target(spec: CorpusSpec, features: FeatureConfig, cache_dir: Path | None, seed: int,
                workers: int | None, progress: bool, proxy: ProxyConfig | None = None) -> TargetData:
    """The target's segments; with `proxy`, its proxy labels on demand (for in-domain front-ends)."""
    manifest = corpus_manifest(spec, seed)
    segments = load_segments(manifest, features, cache_dir, workers, progress)
    labels = None if proxy is None else functools.cache(
        lambda: compute_proxy_labels(hide_gold_labels(segments.utterances), proxy, cache_dir, workers, progress))
    return TargetData(segments=segments, manifest_hash=manifest_hash(manifest, cache_dir), key=segments.key,
                      features=features, proxy_labels=labels)


def load_background(specs: tuple[CorpusSpec, ...], features: FeatureConfig, proxy: ProxyConfig,
                    cache_dir: Path | None, seed: int, workers: int | None, progress: bool) -> Background | None:
    """Segments of every background corpus with per-segment proxy labels (-1 = none)."""
    if not specs:
        return None
    corpora = [(spec.name or Path(spec.manifest).stem, corpus_manifest(spec, seed)) for spec in specs]
    return build_background(corpora, lambda _, hidden: compute_proxy_labels(hidden, proxy, cache_dir, workers, progress),
                            features, cache_dir, workers, progress)


def unlabeled_target(target: TargetData, utterances: np.ndarray | None = None) -> Background:
    """Stand-in background for the untrained R front-end, which needs input statistics and no labels:
    the target's segments of `utterances` (indices into its utterances; all of them by default)."""
    return _target_background(target, utterances, None)


def in_domain_target(target: TargetData, utterances: np.ndarray | None = None) -> Background:
    """The target as its own background, for in-domain front-ends: its segments of `utterances` (a fold's
    training utterances; all of them by default), gold labels hidden, with proxy labels. These are computed once
    on the whole hidden target: they rank utterances within a speaker, so a training speaker's labels are those
    its own utterances give, whoever else is in the corpus."""
    if target.proxy_labels is None:
        raise ConfigError("in-domain front-ends need the target's proxy labels (load_target with proxy settings)")
    return _target_background(target, utterances, target.proxy_labels())


def _target_background(target: TargetData, utterances: np.ndarray | None, proxy: pd.DataFrame | None) -> Background:
    segments = target.segments
    rows = np.arange(len(segments)) if utterances is None else np.flatnonzero(np.isin(segments.utt_index, utterances))
    store = segments.segments if utterances is None else segments.segments.subset(rows)
    key = f"target-{target.key}" + ("" if utterances is None else f"-{content_hash(rows.tolist())}")
    hidden = SegmentSet(segments.segments, segments.utt_index, hide_gold_labels(segments.utterances), segments.skips,
                        segments.key)
    arousal = valence = np.full(len(rows), -1, dtype=np.int64)
    if proxy is not None:
        labels = aligned_proxy(hidden.utterances, proxy, "target")
        arousal, valence = (column[rows] for column in segment_proxy_labels(hidden, labels))
        table = labels[["utt_id", "proxy_arousal", "proxy_valence"]].astype(str).to_csv(index=False)
        key += f"-proxy-{content_hash(table)}"
    return Background(segments=store, speakers=segments.labels("speaker")[rows].astype(str),
                      proxy_arousal=arousal, proxy_valence=valence, manifest_hashes={}, proxy_counts={}, key=key,
                      parts=(BackgroundPart("target", hidden, None if utterances is None else rows),),
                      features=target.features)
