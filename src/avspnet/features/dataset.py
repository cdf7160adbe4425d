"""Segments of a whole manifest as one lazily read store, each row tied back to its utterance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..configio import config_hash
from ..content import content_hash, default_cache_dir
from ..errors import CorpusError
from ..log import SkipLog, get_logger
from .cache import extract_features
from .config import FeatureConfig
from .segments import count_segments, cut_segments
from .store import SegmentStore, cached_store, write_store


@dataclass
class SegmentSet:
    """`segments[i]` belongs to utterance `utterances.iloc[utt_index[i]]`.

    `utterances` holds only the manifest rows that yielded at least one
    segment, in manifest order. `segments` is read from disk on demand (an
    in-memory array works too); `key` names its content (the audio bytes and
    the feature config), empty for a set built by hand.
    """

    segments: SegmentStore | np.ndarray
    utt_index: np.ndarray
    utterances: pd.DataFrame
    skips: SkipLog
    key: str = ""

    def __len__(self) -> int:
        return len(self.segments)

    def labels(self, column: str) -> np.ndarray:
        """Per-segment copy of an utterance column (e.g. 'arousal')."""
        return self.utterances[column].to_numpy()[self.utt_index]

    def head(self, n_utterances: int) -> SegmentSet:
        """The segments of the first `n_utterances` utterances, as a set of their own (no key: other content)."""
        rows = np.flatnonzero(self.utt_index < n_utterances)
        return SegmentSet(segments=self.segments[rows], utt_index=self.utt_index[rows],
                          utterances=self.utterances.iloc[:n_utterances], skips=self.skips)


def load_segments(
    manifest: pd.DataFrame,
    config: FeatureConfig = FeatureConfig(),
    cache_dir: Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    cut: bool = True,
) -> SegmentSet:
    """Features from the cache (computed on a miss), cut into segments and stored once per content and config.

    Segment counts come from the cached spectrograms' headers, so a warm
    run reads no spectrogram; a cold one streams them into the store one
    utterance at a time. `cut=False` gives the same utterances and rows
    without cutting or storing the spectrograms, for a pass over the audio
    alone (`avspnet embed` on a shard would otherwise write a segment store
    of the shard that no run reads): its `segments` is an (n, 0)
    placeholder, and it has no key.
    """
    sources, counts, kept, skips = _counted(manifest, config, cache_dir, workers, progress)
    if not cut:
        return _segment_set(np.zeros((sum(counts), 0), dtype=np.float32), counts, kept, manifest, skips, "")
    key = content_hash({"features": config_hash(config), "audio": [p.stem for p in sources]})
    target = Path(cache_dir or default_cache_dir()) / "segments" / f"{key}.npy"
    store = cached_store(target, (sum(counts), config.n_bins, config.segment_frames))
    if store is None:
        blocks = (cut_segments(np.load(p), config) for p in sources)
        store = SegmentStore.open(write_store(target, blocks, sum(counts), (config.n_bins, config.segment_frames)))
    get_logger("features").info("%d segments from %d utterances; %s", len(store), len(kept), skips.summary())
    return _segment_set(store, counts, kept, manifest, skips, key)


def _counted(manifest: pd.DataFrame, config: FeatureConfig, cache_dir: Path | None, workers: int | None,
             progress: bool) -> tuple[list[Path], list[int], list[int], SkipLog]:
    """(cached spectrogram, segment count, manifest row) of every utterance with a segment, and the skips."""
    index = extract_features(manifest, config, cache_dir, workers, progress)
    skips = index.skips
    sources, counts, kept = [], [], []
    for row, utt_id in enumerate(manifest["utt_id"]):
        path = index.paths.get(utt_id)
        if path is None:
            continue
        count = count_segments(np.load(path, mmap_mode="r").shape[1], config)
        if count == 0:
            skips.skip(utt_id, f"shorter than one segment ({config.segment_frames} frames), dropped")
            continue
        sources.append(path)
        counts.append(count)
        kept.append(row)
    if not sources:
        raise CorpusError(f"no segments: every utterance was skipped ({skips.summary()})")
    return sources, counts, kept, skips


def _segment_set(segments: SegmentStore | np.ndarray, counts: list[int], kept: list[int], manifest: pd.DataFrame,
                 skips: SkipLog, key: str) -> SegmentSet:
    return SegmentSet(
        segments=segments,
        utt_index=np.repeat(np.arange(len(kept)), counts),
        utterances=manifest.iloc[kept].reset_index(drop=True),
        skips=skips,
        key=key,
    )
