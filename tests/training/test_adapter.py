"""The adapter on frozen vectors: the paper's recipes learn what they should, from arrays only, reproducibly."""

import inspect

import numpy as np
import pandas as pd
import pytest
import torch

from avspnet.errors import ConfigError, CorpusError, ModelFileError
from avspnet.training import checkpoint
from avspnet.training.adapter import AdapterConfig, adapter_vectors, load_adapter, save_adapter, train_adapter
from avspnet.training.pretrain_config import PretrainConfig
from avspnet.training.pretrain_data import speaker_split

N_SPEAKERS, PER_SPEAKER, DIM = 20, 20, 12


def _background(seed: int = 0):
    """Vectors where dimension 3 carries the proxy arousal label; a fifth of the rows unlabelled."""
    rng = np.random.default_rng(seed)
    n = N_SPEAKERS * PER_SPEAKER
    speakers = np.repeat([f"s{i}" for i in range(N_SPEAKERS)], PER_SPEAKER)
    labels = rng.integers(0, 2, n)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32) * 3 + 5
    vectors[:, 3] += 6.0 * (2 * labels - 1)
    arousal = np.where(rng.random(n) < 0.2, -1, labels)
    return vectors, speakers, arousal, np.full(n, -1)


def _config(recipe: str, **overrides) -> AdapterConfig:
    """Small and quick: lr 1e-2 so a few epochs of a few steps learn; fp32 on the CPU, forced."""
    settings = {"epochs": 3, "batch_size": 16, "lr": 1e-2, "hidden": 16, "val_speaker_fraction": 0.25}
    return AdapterConfig(frontend=recipe, precision="fp32", device="cpu", **(settings | overrides))


def test_w_a_learns_the_direction_that_carries_the_proxy_label():
    result = train_adapter(*_background(), _config("W_a"))
    assert [row["phase"] for row in result.history] == ["proxy"] * 3
    assert result.history[-1]["val_acc"] > 0.85  # chance is 0.5
    assert result.n_val == 5 * PER_SPEAKER


def test_ae_reconstruction_loss_drops_and_joint_reports_both():
    ae = train_adapter(*_background(), _config("AE", epochs=4))
    val_mse = [row["val_mse"] for row in ae.history]
    assert val_mse[-1] < 0.8 * val_mse[0]
    assert all(row["val_acc"] is None for row in ae.history)
    joint = train_adapter(*_background(), _config("AVSpNET_a", alpha=0.5))
    last = joint.history[-1]
    assert last["val_loss"] == pytest.approx(0.5 * last["val_mse"] + 0.5 * last["val_ce"], rel=1e-5)
    assert last["val_acc"] > 0.8


def test_seeded_runs_are_identical_and_the_seed_matters():
    def run(seed):
        result = train_adapter(*_background(), _config("AVSpNET_a", seed=seed))
        return result.adapter.state_dict(), [{k: v for k, v in row.items() if k != "seconds"} for row in result.history]

    (first, history), (again, history_again), (other, _) = run(0), run(0), run(1)
    assert history == history_again
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_takes_arrays_only_so_no_gold_label_column_can_reach_it():
    assert list(inspect.signature(train_adapter).parameters) == [
        "vectors", "speakers", "proxy_arousal", "proxy_valence", "config", "progress"]
    vectors, speakers, arousal, valence = _background()
    table = pd.DataFrame(vectors).assign(emotion="angry", arousal=1)
    with pytest.raises(ConfigError, match="got a table"):
        train_adapter(table, speakers, arousal, valence, _config("W_a"))
    with pytest.raises(ConfigError, match="got a table"):
        train_adapter(vectors, pd.DataFrame({"speaker": speakers, "emotion": "sad"}), arousal, valence,
                      _config("W_a"))


def test_inputs_are_standardised_with_the_background_training_speakers_only():
    vectors, speakers, arousal, valence = _background()
    config = _config("R")
    result = train_adapter(vectors, speakers, arousal, valence, config)
    assert result.history == []
    train, val = speaker_split(speakers.astype(str), config.val_speaker_fraction, config.seed)
    assert len(val) and not set(speakers[train]) & set(speakers[val])
    np.testing.assert_allclose(result.adapter.encoder.mean.numpy(), vectors[train].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(result.adapter.encoder.std.numpy(), vectors[train].std(axis=0), rtol=1e-4)
    target = np.random.default_rng(1).normal(size=(7, DIM)).astype(np.float32)
    adapter_vectors(result.adapter, target)
    np.testing.assert_allclose(result.adapter.encoder.mean.numpy(), vectors[train].mean(axis=0), rtol=1e-5)


def test_adapter_vectors_hidden_alone_or_beside_the_frozen_vector():
    vectors, *_ = _background()
    adapter = train_adapter(*_background(), _config("R")).adapter
    hidden = adapter_vectors(adapter, vectors[:9], "hidden")
    assert hidden.shape == (9, 16) and hidden.dtype == np.float32 and (hidden >= 0).all()
    both = adapter_vectors(adapter, vectors[:9], "concat")
    np.testing.assert_array_equal(both, np.concatenate([vectors[:9], hidden], axis=1))
    with pytest.raises(ConfigError, match="mode"):
        adapter_vectors(adapter, vectors, "sum")
    with pytest.raises(ConfigError, match="12-dimensional"):
        adapter_vectors(adapter, vectors[:, :5])


@pytest.mark.parametrize("change, error, match", [
    (lambda v, s, a: (np.where(np.arange(v.size).reshape(v.shape) == 7, np.nan, v), s, a), CorpusError, "NaN"),
    (lambda v, s, a: (v[:, :, None], s, a), CorpusError, r"\(N, D\)"),
    (lambda v, s, a: (v, s[:-1], a), ConfigError, "speakers"),
    (lambda v, s, a: (v, s, np.where(a == 1, 2, a)), ConfigError, "proxy_arousal"),
])
def test_bad_input_is_one_clear_error(change, error, match):
    vectors, speakers, arousal, valence = _background()
    with pytest.raises(error, match=match):
        train_adapter(*change(vectors, speakers, arousal), valence, _config("W_a"))


def test_config_errors_name_the_adapter():
    with pytest.raises(ConfigError, match="adapter lr"):
        AdapterConfig(lr=0)
    with pytest.raises(ConfigError, match="pretrain lr"):
        PretrainConfig(lr=0)
    with pytest.raises(ConfigError, match="hidden"):
        AdapterConfig(hidden=0)
    with pytest.raises(ConfigError, match="frontend"):
        AdapterConfig(frontend="W_x")


def test_saved_adapter_loads_as_data_and_gives_the_same_vectors(tmp_path):
    result = train_adapter(*_background(), _config("W_a", epochs=1))
    path = save_adapter(result, tmp_path / "adapter.pt", {"background": "synthetic"})
    loaded, saved = load_adapter(path)
    vectors, *_ = _background()
    np.testing.assert_array_equal(adapter_vectors(loaded, vectors), adapter_vectors(result.adapter, vectors))
    assert saved["history"] == result.history and saved["metadata"] == {"background": "synthetic"}
    checkpoint.save({"config": {"frontend": "W_a"}, "model_state": {}}, tmp_path / "pretrained.pt")
    with pytest.raises(ModelFileError, match="lacks dim"):
        load_adapter(tmp_path / "pretrained.pt")
    checkpoint.save({"config": {"hidden": 0}, "dim": 12, "model_state": {}}, tmp_path / "bad.pt")
    with pytest.raises(ModelFileError, match="not an avspnet model"):
        load_adapter(tmp_path / "bad.pt")
