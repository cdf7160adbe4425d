import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import balanced_accuracy_score

from avspnet.errors import AvspnetError
from avspnet.evaluation import chance_level, confusion, encode_task, majority_vote, uar


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5).flatmap(lambda k: st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k)),
                                                     min_size=1, max_size=60)))
def test_uar_equals_sklearn_balanced_accuracy(pairs):
    y_true, y_pred = map(np.array, zip(*pairs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about predicted classes absent from y_true
        expected = balanced_accuracy_score(y_true, y_pred)
    assert uar(y_true, y_pred) == pytest.approx(expected)


def test_uar_by_hand_and_with_string_labels():
    y_true = np.array(["a", "a", "a", "b"])
    y_pred = np.array(["a", "a", "b", "b"])
    assert uar(y_true, y_pred) == pytest.approx((2 / 3 + 1) / 2)
    assert uar(y_true, y_pred, labels=["a"]) == pytest.approx(2 / 3)
    with pytest.raises(AvspnetError):
        uar(np.array([0, 1]), np.array([0]))


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


def test_confusion_counts_and_task_encoding():
    assert confusion([0, 0, 1, 1], [0, 1, 1, 1], 2).tolist() == [[1, 1], [0, 2]]
    frame = pd.DataFrame({
        "arousal": pd.array([1, 0, None], dtype="Int64"),
        "emotion4": ["sad", "", "neutral"],
    })
    assert encode_task(frame, "arousal").tolist() == [1, 0, -1]
    assert encode_task(frame, "emotion4").tolist() == [3, -1, 0]
    assert chance_level("emotion4") == 0.25
    with pytest.raises(AvspnetError, match="unknown task"):
        chance_level("dominance")
