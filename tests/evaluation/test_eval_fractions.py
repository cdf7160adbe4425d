import numpy as np
import pytest

from avspnet.errors import AvspnetError
from avspnet.evaluation import nested_fractions


def test_subsets_are_nested_stratified_and_repeatable():
    rng = np.random.default_rng(0)
    labels = rng.choice(["neutral", "happy", "angry", "sad"], size=203, p=[0.4, 0.3, 0.2, 0.1])
    subsets = nested_fractions(labels, seed=5)
    assert list(subsets) == [0.25, 0.5, 0.75, 1.0]
    fractions = list(subsets)
    for small, large in zip(fractions, fractions[1:]):
        assert set(subsets[small]) <= set(subsets[large])
    assert np.array_equal(subsets[1.0], np.arange(203))
    for fraction, index in subsets.items():
        assert len(np.unique(index)) == len(index)
        for name in np.unique(labels):
            expected = fraction * (labels == name).sum()
            assert abs((labels[index] == name).sum() - expected) <= 1
    again = nested_fractions(labels, seed=5)
    assert all(np.array_equal(subsets[f], again[f]) for f in fractions)
    other = nested_fractions(labels, seed=6)
    assert not np.array_equal(subsets[0.25], other[0.25])


def test_every_class_keeps_one_example():
    labels = np.array([0] * 40 + [1])
    subsets = nested_fractions(labels, fractions=(0.1, 1.0))
    assert set(labels[subsets[0.1]]) == {0, 1}
    assert len(subsets[0.1]) == 5


def test_subset_does_not_depend_on_other_fractions_requested():
    labels = np.arange(60) % 3
    alone = nested_fractions(labels, fractions=(0.5,), seed=2)[0.5]
    assert np.array_equal(alone, nested_fractions(labels, seed=2)[0.5])


@pytest.mark.parametrize("fractions", [(0.0, 1.0), (1.5,), ()])
def test_bad_fractions_are_rejected(fractions):
    with pytest.raises(AvspnetError, match="fractions"):
        nested_fractions(np.array([0, 1]), fractions=fractions)
