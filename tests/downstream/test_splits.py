"""The protocol's splits: speaker-independent folds, nested fractions, validation from training speakers."""

import numpy as np
import pandas as pd
import pytest

from avspnet.corpora.manifest import make_manifest
from avspnet.downstream.splits import available_tasks, plan_splits

EMOTIONS = {"neutral": (0, None), "happy": (1, 1), "angry": (1, 0), "sad": (0, 0)}


def _utterances(n_speakers=8, per_speaker=12):
    rows = []
    for s in range(n_speakers):
        for u in range(per_speaker):
            emotion = list(EMOTIONS)[u % 4]
            arousal, valence = EMOTIONS[emotion]
            rows.append({"utt_id": f"s{s}_{u}", "path": "x.wav", "speaker": f"spk{s}", "group": f"spk{s}",
                         "emotion": emotion, "emotion4": emotion, "arousal": arousal, "valence": valence})
    return make_manifest(rows)


@pytest.fixture
def plans():
    utterances = _utterances()
    return utterances, plan_splits(utterances, ("arousal", "valence", "emotion4"), (0.25, 0.5, 0.75, 1.0),
                                   n_folds=5, val_speaker_fraction=0.2, seed=0)


def test_no_speaker_in_train_and_test(plans):
    utterances, splits = plans
    speakers = utterances["speaker"].to_numpy()
    assert {s.task for s in splits} == {"arousal", "valence", "emotion4"}
    for split in splits:
        test_speakers = set(speakers[split.test])
        for part in split.fractions.values():
            assert not test_speakers & set(speakers[part.fit])
            assert not test_speakers & set(speakers[part.val])
            assert not set(speakers[part.fit]) & set(speakers[part.val])
    for task in ("arousal", "emotion4"):
        tested = np.concatenate([s.test for s in splits if s.task == task])
        assert len(tested) == len(np.unique(tested)) == len(utterances)


def test_fractions_are_nested_and_labelled(plans):
    utterances, splits = plans
    for split in splits:
        used = {f: set(p.fit) | set(p.val) for f, p in split.fractions.items()}
        assert used[0.25] <= used[0.5] <= used[0.75] <= used[1.0]
        if split.task == "valence":
            assert utterances["valence"].iloc[sorted(used[1.0])].notna().all()


def test_splits_are_reproducible(plans):
    utterances, splits = plans
    again = plan_splits(utterances, ("arousal", "valence", "emotion4"), (0.25, 0.5, 0.75, 1.0), 5, 0.2, 0)
    for a, b in zip(splits, again):
        assert np.array_equal(a.test, b.test)
        assert all(np.array_equal(a.fractions[f].fit, b.fractions[f].fit) for f in a.fractions)


def test_tasks_without_all_classes_are_left_out():
    utterances = _utterances()
    utterances["valence"] = pd.array([pd.NA] * len(utterances), dtype="Int64")
    assert available_tasks(utterances, ("arousal", "valence", "emotion4")) == ("arousal", "emotion4")
