import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avspnet.configio import from_dict, to_dict
from avspnet.corpora.manifest import make_manifest
from avspnet.errors import ConfigError
from avspnet.proxy import ProxyConfig
from avspnet.proxy.config import AROUSAL_PRESETS, DEFAULT_PRESET
from avspnet.proxy.labels import baseline_keys
from avspnet.proxy.rank import binary_labels, mean_score, rank_scores


def test_distinct_values_are_symmetric_mid_ranks():
    # n = 4: P(B < x) + 0.5 P(B = x) = 1/8, 3/8, 5/8, 7/8 -> scores -3/4 .. 3/4
    np.testing.assert_allclose(rank_scores([10, 30, 20, 40], ["s"] * 4), [-0.75, 0.25, -0.25, 0.75])


def test_ties_share_one_score():
    # 1, 2, 2, 3: the tied pair has P(B<x)=1/4, P(B=x)=1/2 -> 2*(1/4+1/4)-1 = 0
    np.testing.assert_allclose(rank_scores([1, 2, 2, 3], ["s"] * 4), [-0.75, 0.0, 0.0, 0.75])
    np.testing.assert_allclose(rank_scores([5, 5, 5], ["s"] * 3), [0.0, 0.0, 0.0])


def test_single_utterance_speaker_is_neutral_and_speakers_are_separate():
    scores = rank_scores([100, 1, 2], ["a", "b", "b"])
    np.testing.assert_allclose(scores, [0.0, -0.5, 0.5])


def test_nan_is_left_out_of_the_baseline():
    scores = rank_scores([1.0, math.nan, 3.0], ["s"] * 3)
    assert math.isnan(scores[1])
    np.testing.assert_allclose(scores[[0, 2]], [-0.5, 0.5])


def test_mean_uses_available_features_and_labels_threshold():
    mean, available = mean_score([np.array([0.5, math.nan, math.nan]), np.array([0.1, -0.5, math.nan])])
    np.testing.assert_allclose(mean[:2], [0.3, -0.5])
    assert math.isnan(mean[2]) and list(available) == [2, 1, 0]
    labels = binary_labels(np.array([0.3, -0.5, math.nan, 0.0]), 0.0)
    assert labels.dtype == "Int64"
    assert labels.tolist() == [1, 0, pd.NA, pd.NA]


def test_speaker_group_baseline():
    manifest = make_manifest([
        {"utt_id": f"u{i}", "path": "x.wav", "speaker": "s", "group": f"ep{i % 2}"} for i in range(4)
    ])
    assert baseline_keys(manifest, "speaker").nunique() == 1
    keys = baseline_keys(manifest, "speaker_group")
    assert keys.nunique() == 2
    # within each episode the two utterances rank against each other only
    np.testing.assert_allclose(rank_scores([1, 10, 2, 20], keys), [-0.5, -0.5, 0.5, 0.5])


def test_config_is_checked():
    with pytest.raises(ConfigError, match="group_by"):
        ProxyConfig(group_by="episode")
    with pytest.raises(ConfigError, match="arousal_features"):
        ProxyConfig(arousal_features=("loudness",))
    assert ProxyConfig(arousal_features=["pitch"]).arousal_features == ("pitch",)


def test_arousal_presets():
    assert ProxyConfig(arousal_features="paper").arousal_features == ("pitch", "intensity")
    assert ProxyConfig().arousal_features == AROUSAL_PRESETS[DEFAULT_PRESET]
    with pytest.raises(ConfigError, match="unknown preset 'loud'.*paper"):
        ProxyConfig(arousal_features="loud")
    assert from_dict(ProxyConfig, {"arousal_features": "paper"}) == from_dict(
        ProxyConfig, to_dict(ProxyConfig(arousal_features=("pitch", "intensity"))))


# Integers keep strictly increasing maps strictly increasing in floating point too.
values = st.lists(st.integers(-1000, 1000).map(float) | st.just(math.nan), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(values, st.lists(st.sampled_from("abc"), min_size=30, max_size=30),
       st.sampled_from([lambda x: np.exp(x / 100), lambda x: x ** 3 + 7, lambda x: np.arctan(x / 100) * 2]))
def test_scores_bounded_and_invariant_to_monotone_rescaling(xs, speakers, rescale):
    x = np.array(xs, dtype="float64")
    keys = speakers[: len(x)]
    scores = rank_scores(x, keys)
    finite = scores[~np.isnan(scores)]
    assert np.all((finite >= -1) & (finite <= 1))
    assert np.array_equal(np.isnan(scores), np.isnan(x))
    np.testing.assert_array_equal(rank_scores(rescale(x), keys), scores)
