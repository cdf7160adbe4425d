"""From segment posteriors to one decision per utterance."""

from __future__ import annotations

import numpy as np

from ..errors import AvspnetError


def majority_vote(segment_probs: np.ndarray, utt_index: np.ndarray, n_utts: int) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class per utterance, mean segment probabilities per utterance).

    Each segment votes for its most probable class; the utterance takes the
    most voted class, and a tie goes to the tied class with the highest mean
    probability over the utterance's segments (the paper's rule).
    """
    probs = np.asarray(segment_probs, dtype=np.float64)
    owners = np.asarray(utt_index, dtype=np.int64)
    if probs.ndim != 2 or owners.shape != (len(probs),):
        raise AvspnetError(f"majority_vote: probabilities {probs.shape} do not match utterance index {owners.shape}")
    if len(owners) and (owners.min() < 0 or owners.max() >= n_utts):
        raise AvspnetError(f"majority_vote: utterance index outside 0..{n_utts - 1}")
    n_segments = np.bincount(owners, minlength=n_utts)
    if (n_segments == 0).any():
        raise AvspnetError(f"majority_vote: {int((n_segments == 0).sum())} utterance(s) have no segments")
    votes = np.zeros((n_utts, probs.shape[1]), dtype=np.int64)
    np.add.at(votes, (owners, probs.argmax(axis=1)), 1)
    mean_probs = np.zeros((n_utts, probs.shape[1]))
    np.add.at(mean_probs, owners, probs)
    mean_probs /= n_segments[:, None]
    tied = votes == votes.max(axis=1, keepdims=True)
    preds = np.where(tied, mean_probs, -np.inf).argmax(axis=1)
    return preds, mean_probs
