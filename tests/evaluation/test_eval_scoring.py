import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import balanced_accuracy_score

from avspnet.errors import AvspnetError
from avspnet.evaluation import chance_level, confusion, encode_task, uar


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


def test_emotion_task_takes_every_category_of_the_corpus():
    from avspnet.evaluation import task_classes

    frame = pd.DataFrame({"emotion": ["sad", "calm", "neutral", "xxx", "surprised", "", "calm"]})
    classes = task_classes("emotion", frame)
    assert classes == ("neutral", "calm", "sad", "surprised")  # the label table's order; unknown ones left out
    assert encode_task(frame, "emotion").tolist() == [2, 1, 0, -1, 3, -1, 1]
    assert chance_level("emotion", len(classes)) == 0.25
    with pytest.raises(AvspnetError, match="pass its utterances"):
        task_classes("emotion")
