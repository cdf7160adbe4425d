"""Pre-training data: the speaker-disjoint validation split, per-bin normalisation and each phase's segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..errors import ConfigError, CorpusError
from ..features.store import SegmentStore
from .distributed import DistContext, sum_across
from .pretrain_config import Phase

_STATS_CHUNK = 512


def as_proxy_labels(values, n: int, n_classes: int, name: str) -> np.ndarray:
    """Proxy labels as int64 with -1 for 'no label' (accepts -1, NaN or pandas <NA>)."""
    labels = pd.Series(values).astype("Float64").fillna(-1).to_numpy(dtype=np.float64)
    if labels.shape != (n,):
        raise ConfigError(f"proxy_{name}: expected {n} labels (one per segment), got shape {labels.shape}")
    bad = (labels != np.round(labels)) | (labels < -1) | (labels >= n_classes)
    if bad.any():
        raise ConfigError(f"proxy_{name}: labels must be -1 (none) or 0..{n_classes - 1}; got {labels[bad][0]!r}")
    return labels.astype(np.int64)


def speaker_split(speakers: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation segment indices with no speaker in both (no validation with one speaker)."""
    names = np.unique(speakers)
    n_val = 0 if fraction == 0 or len(names) < 2 else min(len(names) - 1, max(1, round(fraction * len(names))))
    held_out = np.random.default_rng(seed).choice(names, n_val, replace=False)
    is_val = np.isin(speakers, held_out)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def bin_statistics(segments, index: np.ndarray, ctx: DistContext = DistContext()) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std per frequency bin over the chosen segments, in chunks to bound memory.

    Under DDP each rank reads only its share of `index` and the sums are
    added across ranks. Non-finite input shows up in the sums and is an error.
    """
    sums = np.zeros((2, segments.shape[1]))
    mine = index[ctx.rank::ctx.world_size]
    for start in range(0, len(mine), _STATS_CHUNK):
        block = segments[mine[start:start + _STATS_CHUNK]].astype(np.float64)
        sums += [block.sum(axis=(0, 2)), np.square(block).sum(axis=(0, 2))]
    total, square = sum_across(torch.from_numpy(sums), ctx).numpy()
    if not (np.isfinite(total).all() and np.isfinite(square).all()):
        raise CorpusError("segments contain NaN or infinite values")
    count = len(index) * segments.shape[2]
    mean = total / count
    return mean.astype(np.float32), np.sqrt(np.maximum(square / count - mean**2, 0)).astype(np.float32)


@dataclass
class PretrainData:
    # An ndarray or a SegmentStore: rows are read as batches need them.
    segments: np.ndarray | SegmentStore
    labels: dict[str, np.ndarray]
    train: np.ndarray
    val: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def build(cls, segments, speakers, proxy_arousal, proxy_valence, n_bins: int, n_frames: int,
              n_classes: int, val_fraction: float, seed: int, ctx: DistContext = DistContext()) -> PretrainData:
        if not isinstance(segments, SegmentStore):
            segments = np.ascontiguousarray(segments, dtype=np.float32)
        if segments.ndim != 3 or segments.shape[1:] != (n_bins, n_frames) or len(segments) == 0:
            raise CorpusError(f"segments: expected a non-empty (N, {n_bins}, {n_frames}) array, got {segments.shape}")
        speakers = np.asarray(speakers).astype(str)
        if speakers.shape != (len(segments),):
            raise ConfigError(f"speakers: expected {len(segments)} entries, got shape {speakers.shape}")
        labels = {name: as_proxy_labels(values, len(segments), n_classes, name)
                  for name, values in (("arousal", proxy_arousal), ("valence", proxy_valence))}
        train, val = speaker_split(speakers, val_fraction, seed)
        return cls(segments, labels, train, val, *bin_statistics(segments, train, ctx))

    def indices(self, phase: Phase, split: str) -> np.ndarray:
        """A phase's segments: all for autoencoder/joint phases, proxy-labelled only for a proxy-only phase."""
        index = self.train if split == "train" else self.val
        if phase.label is not None and not phase.mse:
            index = index[self.labels[phase.label][index] >= 0]
        return index

    def require_labels(self, frontend: str, phases: tuple[Phase, ...]) -> None:
        """Refuse, before any training, a front-end with a proxy head but no proxy label of its kind to learn from.

        A joint phase would otherwise train its proxy head on nothing (the
        cross-entropy of zero labelled segments is 0) and look like the paper's.
        """
        for phase in phases:
            if phase.ce and not (self.labels[phase.label][self.train] >= 0).any():
                raise CorpusError(f"{frontend} learns from proxy {phase.label} labels, but none of its "
                                  f"{len(self.train)} training segments has one (run `avspnet proxy` on the "
                                  "background; AE and R need no proxy labels)")

    def labelled(self, phase: Phase) -> int:
        """Training segments with the phase's proxy label (0 for a phase without one)."""
        return int((self.labels[phase.label][self.train] >= 0).sum()) if phase.label else 0

    def targets(self, phase: Phase) -> np.ndarray:
        return self.labels[phase.label] if phase.label else np.full(len(self.segments), -1, dtype=np.int64)
