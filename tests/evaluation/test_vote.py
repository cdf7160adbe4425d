"""Majority vote over an utterance's segments, ties broken by mean probability (the paper's rule)."""

import numpy as np
import pytest

from avspnet.errors import AvspnetError
from avspnet.evaluation.vote import majority_vote


def test_majority_vote_with_tie_broken_by_mean_probability():
    probs = np.array([
        [0.9, 0.1], [0.8, 0.2], [0.4, 0.6],  # utterance 0: two votes for class 0
        [0.51, 0.49], [0.1, 0.9],            # utterance 1: tie, class 1 has higher mean
        [0.2, 0.8],                          # utterance 2: single segment
    ])
    owners = np.array([0, 0, 0, 1, 1, 2])
    preds, mean_probs = majority_vote(probs, owners, 3)
    assert preds.tolist() == [0, 1, 1]
    assert mean_probs[1] == pytest.approx([0.305, 0.695])
    assert mean_probs.sum(axis=1) == pytest.approx(np.ones(3))


def test_majority_vote_ignores_probability_when_votes_differ():
    probs = np.array([[0.55, 0.45], [0.55, 0.45], [0.0, 1.0]])
    preds, _ = majority_vote(probs, np.array([0, 0, 0]), 1)
    assert preds.tolist() == [0]


def test_majority_vote_rejects_utterances_without_segments():
    with pytest.raises(AvspnetError, match="no segments"):
        majority_vote(np.array([[0.5, 0.5]]), np.array([0]), 2)
