"""The protocol's splits: speaker-independent folds, nested fractions, validation from training speakers."""

import numpy as np
import pandas as pd
import pytest

from avspnet.corpora.manifest import make_manifest
from avspnet.downstream.splits import available_tasks, plan_splits
from avspnet.errors import AvspnetError, ConfigError

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


def _ased_like(n_speakers=15, seed=0):
    """Every speaker reads 3 emotion-specific sentences per emotion (always in that emotion) and 2 common ones
    in every emotion, with a few utterances missing, as judges rejected some in ASED."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_speakers):
        for emotion, (arousal, valence) in EMOTIONS.items():
            sentences = [f"{emotion}{n}" for n in range(3)] + ["common0", "common1"]
            for sentence in sentences:
                if rng.random() < 0.1:
                    continue
                rows.append({"utt_id": f"s{s}_{emotion}_{sentence}", "path": "x.wav", "speaker": f"spk{s}",
                             "group": f"spk{s}", "emotion": emotion, "emotion4": emotion, "arousal": arousal,
                             "valence": valence, "raw_sentence": sentence})
    return make_manifest(rows)


def test_speaker_sentence_folds_are_disjoint_in_speakers_and_sentences(caplog):
    utterances = _ased_like()
    caplog.set_level("INFO", logger="avspnet")
    splits = plan_splits(utterances, ("arousal", "emotion4"), (0.5, 1.0), 5, 0.2, 0, folds="speaker_sentence")
    speakers, sentences = utterances["speaker"].to_numpy(), utterances["raw_sentence"].to_numpy()
    assert len({s.fold for s in splits}) == 5
    for split in splits:
        used = np.concatenate([split.fractions[1.0].fit, split.fractions[1.0].val])
        assert len(split.test) and len(used)
        assert not set(speakers[split.test]) & set(speakers[used])
        assert not set(sentences[split.test]) & set(sentences[used])
        assert set(split.fractions[0.5].fit) <= set(split.fractions[1.0].fit) | set(split.fractions[1.0].val)
    # each utterance is tested at most once; every emotion appears among test sentences
    tested = np.concatenate([s.test for s in splits if s.task == "emotion4"])
    assert len(tested) == len(np.unique(tested))
    assert set(utterances["emotion4"].iloc[tested]) == set(EMOTIONS)
    assert caplog.text.count("left out:") == 5 and "training-speaker utterances of test sentences" in caplog.text


def test_speaker_folds_leak_sentences_which_the_switch_prevents():
    utterances = _ased_like()
    sentences = utterances["raw_sentence"].to_numpy()
    leaky = plan_splits(utterances, ("emotion4",), (1.0,), 5, 0.2, 0)
    assert any(set(sentences[s.test]) & set(sentences[s.fractions[1.0].fit]) for s in leaky)


def test_speaker_sentence_folds_need_sentence_ids():
    utterances = _utterances()
    with pytest.raises(ConfigError, match="needs a sentence id per utterance .*raw_sentence"):
        plan_splits(utterances, ("arousal",), (1.0,), 5, 0.2, 0, folds="speaker_sentence")
    utterances["raw_sentence"] = ["a", ""] * (len(utterances) // 2)
    with pytest.raises(ConfigError, match="48 of 96 target utterances have an empty raw_sentence"):
        plan_splits(utterances, ("arousal",), (1.0,), 5, 0.2, 0, folds="speaker_sentence")
    utterances["raw_sentence"] = "same"
    with pytest.raises(AvspnetError, match="at least 2 distinct sentences"):
        plan_splits(utterances, ("arousal",), (1.0,), 5, 0.2, 0, folds="speaker_sentence")


def test_two_sentences_make_two_sentence_folds():
    utterances = _utterances()
    utterances["raw_sentence"] = [f"st{i % 2}" for i in range(len(utterances))]
    splits = plan_splits(utterances, ("emotion4",), (1.0,), 5, 0.2, 0, folds="speaker_sentence")
    sentences = utterances["raw_sentence"].to_numpy()
    for split in splits:
        assert len(set(sentences[split.test])) == 1
        assert not set(sentences[split.test]) & set(sentences[split.fractions[1.0].fit])
