"""Cutting a spectrogram into fixed 80-frame segments that inherit their utterance's labels."""

from __future__ import annotations

import numpy as np

from .config import FeatureConfig


def cut_segments(spectrogram: np.ndarray, config: FeatureConfig = FeatureConfig()) -> np.ndarray:
    """(n_segments, n_bins, segment_frames); zero segments when too short and policy is drop."""
    n_bins, total = spectrogram.shape
    size, hop = config.segment_frames, config.segment_hop
    if total < size:
        if config.short_policy == "drop" or total == 0:
            return np.zeros((0, n_bins, size), dtype=np.float32)
        pad = np.full((n_bins, size - total), np.log(config.log_floor), dtype=np.float32)
        return np.concatenate([spectrogram, pad], axis=1)[None]
    starts = np.arange(0, total - size + 1, hop)
    return np.stack([spectrogram[:, s : s + size] for s in starts]).astype(np.float32, copy=False)


def segment_sample_spans(utt_index: np.ndarray, config: FeatureConfig = FeatureConfig()) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) sample of every segment in its utterance's audio, as `cut_segments` cut it.

    Segment j of an utterance starts at frame j * segment_hop and spans
    segment_frames analysis windows (810 ms at the defaults); a padded short
    utterance's span runs past its end, which callers clip.
    """
    owners = np.asarray(utt_index, dtype=np.int64)
    order = np.argsort(owners, kind="stable")
    ranked = owners[order]
    position = np.empty(len(owners), dtype=np.int64)
    position[order] = np.arange(len(owners)) - np.searchsorted(ranked, ranked, side="left")
    starts = position * config.segment_hop * config.hop_length
    ends = starts + (config.segment_frames - 1) * config.hop_length + config.win_length
    return starts, ends
