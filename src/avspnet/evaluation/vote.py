"""From segment outputs to one output per utterance: a vote for classes, the mean for ratings."""

from __future__ import annotations

import numpy as np

from ..errors import AvspnetError


def _segments_per_utterance(name: str, n_rows: int, utt_index: np.ndarray, n_utts: int) -> np.ndarray:
    """Segments of each utterance, or an error where the index does not fit or an utterance has none."""
    owners = np.asarray(utt_index, dtype=np.int64)
    if owners.shape != (n_rows,):
        raise AvspnetError(f"{name}: {n_rows} segment outputs do not match utterance index {owners.shape}")
    if len(owners) and (owners.min() < 0 or owners.max() >= n_utts):
        raise AvspnetError(f"{name}: utterance index outside 0..{n_utts - 1}")
    n_segments = np.bincount(owners, minlength=n_utts)
    if (n_segments == 0).any():
        raise AvspnetError(f"{name}: {int((n_segments == 0).sum())} utterance(s) have no segments")
    return n_segments


def majority_vote(segment_probs: np.ndarray, utt_index: np.ndarray, n_utts: int) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class per utterance, mean segment probabilities per utterance).

    Each segment votes for its most probable class; the utterance takes the
    most voted class, and a tie goes to the tied class with the highest mean
    probability over the utterance's segments (the paper's rule).
    """
    probs = np.asarray(segment_probs, dtype=np.float64)
    if probs.ndim != 2:
        raise AvspnetError(f"majority_vote: probabilities must be (segments, classes), got {probs.shape}")
    n_segments = _segments_per_utterance("majority_vote", len(probs), utt_index, n_utts)
    owners = np.asarray(utt_index, dtype=np.int64)
    votes = np.zeros((n_utts, probs.shape[1]), dtype=np.int64)
    np.add.at(votes, (owners, probs.argmax(axis=1)), 1)
    mean_probs = np.zeros((n_utts, probs.shape[1]))
    np.add.at(mean_probs, owners, probs)
    mean_probs /= n_segments[:, None]
    tied = votes == votes.max(axis=1, keepdims=True)
    preds = np.where(tied, mean_probs, -np.inf).argmax(axis=1)
    return preds, mean_probs


def segment_mean(segment_values: np.ndarray, utt_index: np.ndarray, n_utts: int) -> np.ndarray:
    """Mean of each utterance's segment values (a rating per segment in, one per utterance out)."""
    values = np.asarray(segment_values, dtype=np.float64)
    if values.ndim != 1:
        raise AvspnetError(f"segment_mean: values must be one per segment, got shape {values.shape}")
    n_segments = _segments_per_utterance("segment_mean", len(values), utt_index, n_utts)
    return np.bincount(np.asarray(utt_index, dtype=np.int64), weights=values, minlength=n_utts) / n_segments
