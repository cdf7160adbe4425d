import logging

import numpy as np
import pytest

from avspnet.errors import AvspnetError
from avspnet.evaluation import cv_folds, speaker_folds, validation_speakers


def corpus(n_speakers, per_speaker=12, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    speakers = np.repeat([f"spk{i:02d}" for i in range(n_speakers)], per_speaker)
    return speakers, rng.integers(0, n_classes, len(speakers))


@pytest.mark.parametrize("n_speakers", [5, 7, 12, 24])
def test_every_speaker_in_exactly_one_fold_and_counts_balanced(n_speakers):
    speakers, labels = corpus(n_speakers)
    folds = speaker_folds(speakers, labels, n_folds=5, seed=3)
    assert set(folds) == set(range(5))
    for speaker in np.unique(speakers):
        assert len(set(folds[speakers == speaker])) == 1
    per_fold = [len(np.unique(speakers[folds == k])) for k in range(5)]
    assert max(per_fold) - min(per_fold) <= 1
    assert sum(per_fold) == n_speakers


def test_label_mix_is_balanced_across_folds():
    rng = np.random.default_rng(1)
    speakers = rng.integers(0, 24, 1440).astype(str)
    labels = rng.integers(0, 4, 1440)
    folds = speaker_folds(speakers, labels, n_folds=5)
    shares = np.array([np.bincount(labels[folds == k], minlength=4) / (folds == k).sum() for k in range(5)])
    overall = np.bincount(labels) / len(labels)
    assert np.abs(shares - overall).max() < 0.05


def test_fewer_speakers_than_folds_is_leave_one_speaker_out():
    speakers, labels = corpus(3)
    folds = speaker_folds(speakers, labels, n_folds=5)
    assert sorted(set(folds)) == [0, 1, 2]
    for k in range(3):
        assert len(np.unique(speakers[folds == k])) == 1


def test_deterministic_for_a_seed_and_labels_optional():
    speakers, labels = corpus(17)
    first = speaker_folds(speakers, labels, seed=7)
    assert np.array_equal(first, speaker_folds(speakers, labels, seed=7))
    unlabelled = speaker_folds(speakers, None, seed=7)
    assert max(np.bincount(unlabelled)) - min(np.bincount(unlabelled)) <= 12


def test_missing_labels_are_their_own_class():
    speakers, _ = corpus(6, per_speaker=4)
    labels = np.array([1, 0, None, 1] * 6, dtype=object)
    assert len(speaker_folds(speakers, labels)) == 24


def test_one_speaker_is_an_error():
    with pytest.raises(AvspnetError, match="at least 2 speakers"):
        speaker_folds(np.array(["a", "a"]), None)


def test_validation_holds_out_whole_speakers_and_keeps_some():
    speakers, labels = corpus(10)
    mask = validation_speakers(speakers, labels, fraction=0.2, seed=0)
    held = set(speakers[mask])
    assert len(held) == 2
    assert held.isdisjoint(speakers[~mask])
    assert set(labels[mask]) == set(labels)
    assert np.array_equal(mask, validation_speakers(speakers, labels, fraction=0.2, seed=0))


def test_validation_with_two_speakers_keeps_one_for_training():
    speakers, labels = corpus(2)
    mask = validation_speakers(speakers, labels, fraction=0.9, seed=0)
    assert len(set(speakers[mask])) == 1 and len(set(speakers[~mask])) == 1


def test_validation_with_one_speaker_falls_back_to_stratified_utterances(caplog):
    labels = np.array([0] * 10 + [1] * 6)
    speakers = np.array(["only"] * 16)
    with caplog.at_level(logging.WARNING, logger="avspnet"):
        mask = validation_speakers(speakers, labels, fraction=0.25, seed=0)
    assert "only one training speaker" in caplog.text
    assert mask[labels == 0].sum() == 2 or mask[labels == 0].sum() == 3
    assert mask[labels == 1].sum() in (1, 2)
    assert (~mask).any()


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_validation_fraction_must_be_proper(fraction):
    speakers, labels = corpus(4)
    with pytest.raises(AvspnetError, match="validation fraction"):
        validation_speakers(speakers, labels, fraction=fraction)


@pytest.mark.parametrize("n_speakers, n_sentences", [(3, 7), (12, 27), (24, 4)])
def test_cv_folds_with_sentences_are_disjoint(n_speakers, n_sentences):
    rng = np.random.default_rng(n_speakers)
    speakers = rng.integers(0, n_speakers, 600).astype(str)
    sentences = rng.integers(0, n_sentences, 600).astype(str)
    labels = rng.integers(0, 3, 600)
    folds = cv_folds(speakers, labels, n_folds=5, seed=1, sentences=sentences)
    tested = np.zeros(600, dtype=int)
    for test, train in folds:
        assert test.any() and train.any() and not (test & train).any()
        assert not set(speakers[test]) & set(speakers[train])
        assert not set(sentences[test]) & set(sentences[train])
        tested += test
    assert tested.max() == 1 and set(sentences[tested > 0]) == set(sentences)


def test_cv_folds_without_sentences_are_speaker_folds():
    speakers, labels = corpus(10)
    folds = cv_folds(speakers, labels, n_folds=5, seed=0)
    assert len(folds) == 5 and all((test ^ train).all() for test, train in folds)
    assert np.array_equal(np.argmax([test for test, _ in folds], axis=0), speaker_folds(speakers, labels, 5, 0))
