"""Each front-end's training behaviour, determinism, resume and the bf16 path, with a tiny network."""

import numpy as np
import pytest
import torch

from avspnet.errors import ConfigError, CorpusError
from avspnet.models import AVSpNet, ModelConfig
from avspnet.training import checkpoint
from avspnet.training.checkpoint import load_encoder
from avspnet.training.pretrain import pretrain
from avspnet.training.pretrain_config import FRONTENDS, PretrainConfig
from avspnet.training.pretrain_data import speaker_split

TINY = ModelConfig(n_bins=20, n_frames=16, channels=4, embed_dim=32, latent_dim=8, head_dims=(16, 8))


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def toy(n=96, seed=0):
    """Segments from two spectral patterns (learnable); proxy arousal = which pattern dominates."""
    rng = np.random.default_rng(seed)
    patterns = rng.standard_normal((2, 20, 16))
    weights = rng.uniform(0, 1, (n, 2))
    segments = np.einsum("nk,kbf->nbf", weights, patterns) + 0.05 * rng.standard_normal((n, 20, 16)) + 3.0
    arousal = (weights[:, 0] > weights[:, 1]).astype(np.int64)
    arousal[::5] = -1
    valence = rng.integers(-1, 2, n)
    speakers = np.array([f"spk{i % 4}" for i in range(n)])
    return segments.astype(np.float32), speakers, arousal, valence


def run(frontend, out_dir=None, **overrides):
    # fp32 unless a test asks for bf16: what `auto` picks depends on the host.
    options = dict(frontend=frontend, epochs=2, batch_size=16, val_speaker_fraction=0.25, model=TINY,
                   precision="fp32") | overrides
    return pretrain(*toy(), PretrainConfig(**options), out_dir=out_dir, progress=False, metadata={"proxy": "toy"})


def initial_model():
    torch.manual_seed(0)
    return AVSpNet(TINY)


def changed(before: torch.nn.Module, after: torch.nn.Module) -> bool:
    return any(not torch.equal(p, q) for p, q in zip(before.parameters(), after.parameters()))


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_front_end_trains_only_its_parts(frontend):
    result = run(frontend)
    init = initial_model()
    uses_ae, uses_proxy = frontend != "R" and "W_" not in frontend or "AE" in frontend, frontend != "R" and frontend != "AE"
    assert changed(init.encoder, result.encoder) == (frontend != "R")
    assert changed(init.decoder, result.model.decoder) == uses_ae
    assert changed(init.proxy, result.model.proxy) == uses_proxy
    assert not result.encoder.training
    mean = toy()[0][speaker_split(toy()[1], 0.25, 0)[0]].mean(axis=(0, 2))
    np.testing.assert_allclose(result.encoder.mean.numpy(), mean, rtol=1e-4)
    assert [row["phase"] for row in result.history] == {
        "R": [], "AE": ["ae"] * 2, "W_AE_a": ["ae"] * 2 + ["proxy"] * 2, "W_AE_v": ["ae"] * 2 + ["proxy"] * 2,
    }.get(frontend, ["joint" if "AVSpNET" in frontend else "proxy"] * 2)


def test_autoencoder_learns_a_learnable_toy():
    history = run("AE", epochs=8, patience=8, lr=3e-3).history
    assert history[-1]["train_loss"] < 0.7 * history[0]["train_loss"]
    assert history[-1]["val_mse"] < history[0]["val_mse"]


def test_same_seed_same_weights_and_other_seed_differs():
    first, second, other = run("AVSpNET_a"), run("AVSpNET_a"), run("AVSpNET_a", seed=1)
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key
    assert changed(first.model, other.model)


def test_interrupted_run_resumes_to_the_same_weights(tmp_path, monkeypatch):
    uninterrupted = run("W_AE_a", tmp_path / "a")
    real_save, calls = checkpoint.save, []

    def save_then_interrupt(payload, path):
        real_save(payload, path)
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run("W_AE_a", tmp_path / "b")
    assert (tmp_path / "b" / checkpoint.RUN_STATE).is_file() and not (tmp_path / "b" / checkpoint.FINAL).exists()
    monkeypatch.setattr(checkpoint, "save", real_save)
    resumed = run("W_AE_a", tmp_path / "b")
    for key, value in uninterrupted.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    assert [r["train_loss"] for r in resumed.history] == [r["train_loss"] for r in uninterrupted.history]
    assert not (tmp_path / "b" / checkpoint.RUN_STATE).exists()

    encoder, meta = load_encoder(resumed.checkpoint)
    assert meta["metadata"] == {"proxy": "toy"} and meta["config"]["frontend"] == "W_AE_a"
    assert len(meta["history"]) == 4
    x = torch.from_numpy(toy()[0][:3])
    torch.testing.assert_close(encoder(x), resumed.encoder(x))
    assert run("W_AE_a", tmp_path / "b").history == resumed.history  # finished: reused
    with pytest.raises(ConfigError, match="different config"):
        run("W_AE_a", tmp_path / "b", seed=3)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_each_precision_runs_and_is_recorded(tmp_path, precision):
    result = run("AVSpNET_v", tmp_path, precision=precision, max_steps=2)
    assert result.history[0]["steps"] == 2 and np.isfinite(result.history[0]["train_loss"])
    assert result.runtime["precision"] == precision
    assert load_encoder(result.checkpoint)[1]["runtime"]["precision"] == precision
    assert run("AVSpNET_v", tmp_path, precision=precision, max_steps=2).runtime == result.runtime  # reused


@pytest.mark.parametrize("frontend", [name for name in FRONTENDS if name not in ("R", "AE")])
def test_every_proxy_head_refuses_to_train_without_its_labels(frontend, tmp_path):
    """Joint and two-phase recipes too: their proxy head would learn nothing and still look like the paper's."""
    segments, speakers, arousal, valence = toy()
    missing = np.full(len(segments), -1)
    labels = (missing, valence) if frontend.endswith("_a") else (arousal, missing)
    kind = "arousal" if frontend.endswith("_a") else "valence"
    with pytest.raises(CorpusError, match=f"{frontend} learns from proxy {kind} labels, but none of its"):
        pretrain(segments, speakers, *labels, PretrainConfig(frontend=frontend, epochs=1, model=TINY),
                 out_dir=tmp_path, progress=False)
    assert not any(tmp_path.iterdir())  # refused before any training


def test_speakers_split_cleanly():
    segments, speakers, arousal, valence = toy()
    train, val = speaker_split(speakers, 0.25, 0)
    assert len(val) and not set(speakers[train]) & set(speakers[val])
    assert len(speaker_split(np.array(["one"] * 5), 0.5, 0)[1]) == 0


@pytest.mark.parametrize("bad, message", [
    (dict(frontend="X"), "frontend must be one of"), (dict(alpha=2.0), "alpha"),
    (dict(precision="fp16"), "precision"), (dict(max_steps=0), "max_steps"),
])
def test_bad_config_is_a_clear_error(bad, message):
    with pytest.raises(ConfigError, match=message):
        PretrainConfig(**bad)


def test_the_estimate_times_the_real_training_step(monkeypatch):
    """step_seconds runs pre-training's own `train_step` (not a copy), and leaves the caller's random state alone."""
    from avspnet.training import pretrain as module

    calls = []
    real = module.train_step
    monkeypatch.setattr(module, "train_step", lambda *args: calls.append(args[3].name) or real(*args))
    module._step_seconds.cache_clear()
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    seconds = module.step_seconds(PretrainConfig(model=TINY, batch_size=4, precision="fp32", device="cpu"))
    assert seconds > 0 and calls == ["joint"] * 3
    assert torch.equal(torch.rand(3), expected)
