"""Segments of a whole manifest as one array, each row tied back to its utterance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CorpusError
from ..log import SkipLog, get_logger
from .cache import extract_features
from .config import FeatureConfig
from .segments import cut_segments


@dataclass
class SegmentSet:
    """`segments[i]` belongs to utterance `utterances.iloc[utt_index[i]]`.

    `utterances` holds only the manifest rows that yielded at least one
    segment, in manifest order.
    """

    segments: np.ndarray
    utt_index: np.ndarray
    utterances: pd.DataFrame
    skips: SkipLog

    def __len__(self) -> int:
        return len(self.segments)

    def labels(self, column: str) -> np.ndarray:
        """Per-segment copy of an utterance column (e.g. 'arousal')."""
        return self.utterances[column].to_numpy()[self.utt_index]


def load_segments(
    manifest: pd.DataFrame,
    config: FeatureConfig = FeatureConfig(),
    cache_dir: Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> SegmentSet:
    """Features from the cache (computed on a miss), cut into segments."""
    index = extract_features(manifest, config, cache_dir, workers, progress)
    skips = index.skips
    blocks, owners, kept = [], [], []
    for row, utt_id in enumerate(manifest["utt_id"]):
        path = index.paths.get(utt_id)
        if path is None:
            continue
        segments = cut_segments(np.load(path), config)
        if len(segments) == 0:
            skips.skip(utt_id, f"shorter than one segment ({config.segment_frames} frames), dropped")
            continue
        owners.append(np.full(len(segments), len(kept), dtype=np.int64))
        blocks.append(segments)
        kept.append(row)
    if not blocks:
        raise CorpusError(f"no segments: every utterance was skipped ({skips.summary()})")
    get_logger("features").info("%d segments from %d utterances; %s", sum(map(len, blocks)), len(kept), skips.summary())
    return SegmentSet(
        segments=np.concatenate(blocks),
        utt_index=np.concatenate(owners),
        utterances=manifest.iloc[kept].reset_index(drop=True),
        skips=skips,
    )
