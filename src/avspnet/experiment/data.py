"""Target and background data for an experiment, with the background's gold labels removed.

The background corpus stands in for unlabeled media: its manifest's gold
label columns are blanked before anything else sees it, so pre-training can
only ever use proxy labels, whatever corpus is put there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..configio import config_hash
from ..corpora import load_corpus
from ..corpora.manifest import LABEL_COLUMNS, RAW_PREFIX, manifest_hash, read_manifest
from ..errors import CorpusError
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet, load_segments
from ..log import get_logger
from ..proxy import ProxyConfig, compute_proxy_labels
from ..training.background import segment_proxy_labels
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


def hide_gold_labels(manifest: pd.DataFrame) -> pd.DataFrame:
    """The manifest as unlabeled media: no emotion, no gold arousal/valence, no raw label fields."""
    hidden = manifest.drop(columns=[c for c in manifest.columns if c.startswith(RAW_PREFIX)]).copy()
    hidden["emotion"] = ""
    hidden["emotion4"] = ""
    for column in set(LABEL_COLUMNS) - {"emotion4"}:
        hidden[column] = pd.array([pd.NA] * len(hidden), dtype="Int64")
    return hidden


@dataclass
class TargetData:
    segments: SegmentSet
    manifest_hash: str
    # Identifies the segment array: manifest content and feature config.
    key: str


@dataclass
class BackgroundData:
    segments: np.ndarray
    speakers: np.ndarray
    proxy_arousal: np.ndarray
    proxy_valence: np.ndarray
    manifest_hashes: dict[str, str]
    proxy_counts: dict[str, dict[str, int]]
    key: str
    # Hours of audio in the background manifests (before segmenting) and their speakers.
    hours: float = 0.0
    n_speakers: int = 0


def load_target(spec: CorpusSpec, features: FeatureConfig, cache_dir: Path | None, seed: int,
                workers: int | None, progress: bool) -> TargetData:
    manifest = corpus_manifest(spec, seed)
    digest = manifest_hash(manifest)
    segments = load_segments(manifest, features, cache_dir, workers, progress)
    return TargetData(segments=segments, manifest_hash=digest, key=f"{digest[:16]}_{config_hash(features)}")


def load_background(specs: tuple[CorpusSpec, ...], features: FeatureConfig, proxy: ProxyConfig,
                    cache_dir: Path | None, seed: int, workers: int | None, progress: bool) -> BackgroundData | None:
    """Segments of every background corpus with per-segment proxy labels (-1 = none)."""
    if not specs:
        return None
    blocks, speakers, arousal, valence, hashes, counts = [], [], [], [], {}, {}
    seconds, n_speakers = 0.0, 0
    for spec in specs:
        manifest = hide_gold_labels(corpus_manifest(spec, seed))
        name = spec.name or Path(spec.manifest).stem
        hashes[name] = manifest_hash(manifest)
        seconds += float(manifest["duration_s"].sum())
        n_speakers += manifest["speaker"].nunique()
        labels = compute_proxy_labels(manifest, proxy, cache_dir, workers, progress)
        segment_set = load_segments(manifest, features, cache_dir, workers, progress)
        segment_arousal, segment_valence = segment_proxy_labels(segment_set, labels)
        arousal.append(segment_arousal)
        valence.append(segment_valence)
        blocks.append(segment_set.segments)
        speakers.append(segment_set.labels("speaker").astype(str))
        counts[name] = {f"{column}={value}": int(n)
                        for column in ("proxy_arousal", "proxy_valence")
                        for value, n in labels[column].value_counts(dropna=False).items()}
        get_logger("experiment").info("background %s: %.2f h, %d speakers, %d segments, proxy labels %s", name,
                                      manifest["duration_s"].sum() / 3600, manifest["speaker"].nunique(),
                                      len(segment_set), counts[name])
    if not any(len(b) for b in blocks):
        raise CorpusError("the background corpora gave no segments")
    key = config_hash({"manifests": hashes, "features": config_hash(features), "proxy": config_hash(proxy)})
    return BackgroundData(
        segments=np.concatenate(blocks), speakers=np.concatenate(speakers),
        proxy_arousal=np.concatenate(arousal), proxy_valence=np.concatenate(valence),
        manifest_hashes=hashes, proxy_counts=counts, key=key, hours=seconds / 3600, n_speakers=n_speakers,
    )


def unlabeled_target(target: TargetData) -> BackgroundData:
    """Stand-in background when only the untrained R front-end runs: it needs input statistics, no labels."""
    segments = target.segments
    missing = np.full(len(segments), -1, dtype=np.int64)
    return BackgroundData(segments=segments.segments, speakers=segments.labels("speaker").astype(str),
                          proxy_arousal=missing, proxy_valence=missing, manifest_hashes={}, proxy_counts={},
                          key=f"target-{target.key}")
