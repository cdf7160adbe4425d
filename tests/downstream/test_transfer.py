"""Transfer: frozen encoder, cached embeddings equal to in-forward encoding, heads that learn."""

import numpy as np
import pandas as pd
import pytest
import torch

from avspnet.configio import to_dict
from avspnet.downstream.fit import fit_head, predict_outputs, transfer_preset
from avspnet.downstream.head import Head, RecognitionModel, load_recognizer, save_recognizer
from avspnet.downstream.predict import predict_file
from avspnet.evaluation.tasks import get_task
from avspnet.evaluation.vote import majority_vote
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import SegmentSet
from avspnet.features.segments import cut_segments
from avspnet.features.spectrogram import file_spectrogram
from avspnet.frontends import EmbedContext, cached_embeddings
from avspnet.frontends.encoder import EncoderFrontEnd
from avspnet.frontends.inference import embed, module_digest
from avspnet.log import SkipLog
from avspnet.models.avspnet import Encoder
from avspnet.models.config import ModelConfig
from avspnet.training import device
from avspnet.training.device import Runtime, autocast
from avspnet.training.pretrain_config import PretrainConfig

TINY = ModelConfig(channels=4, embed_dim=32, latent_dim=8, head_dims=(16, 8))
FAST = transfer_preset("tuned", hidden=(32, 16), epochs=15, patience=0, batch_size=32)
AROUSAL = get_task("arousal")


def _segments(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 200, 80)).astype(np.float32)


def _separable(n=240, dim=12, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, dim)).astype(np.float32) + 2.0 * y[:, None]
    return x, y


def test_head_learns_separable_data():
    x, y = _separable()
    fit = fit_head(x[:160], y[:160], x[160:200], y[160:200], AROUSAL, FAST, seed=0)
    accuracy = (predict_outputs(fit.head, x[200:], AROUSAL).argmax(1) == y[200:]).mean()
    assert accuracy > 0.9
    # patience 0 runs every epoch; the kept epoch is the first with the best validation UAR
    uars = [row["val_uar"] for row in fit.history]
    assert len(uars) == 15 and fit.best_epoch == 1 + int(np.argmax(uars))


def test_fit_is_deterministic_for_a_seed():
    x, y = _separable()
    a = fit_head(x[:160], y[:160], x[160:], y[160:], AROUSAL, FAST, seed=3)
    b = fit_head(x[:160], y[:160], x[160:], y[160:], AROUSAL, FAST, seed=3)
    assert all(torch.equal(a.head.state_dict()[k], b.head.state_dict()[k]) for k in a.head.state_dict())
    other = fit_head(x[:160], y[:160], x[160:], y[160:], AROUSAL, FAST, seed=4)
    assert not all(torch.equal(a.head.state_dict()[k], other.head.state_dict()[k]) for k in a.head.state_dict())


def test_fit_leaves_the_callers_rng_alone():
    x, y = _separable()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fit_head(x[:160], y[:160], x[160:], y[160:], AROUSAL, FAST, seed=3)
    assert torch.equal(torch.rand(3), expected)


def _cpu(precision: str) -> Runtime:
    return Runtime.resolve("cpu", precision)


# How far the plain module's forward pass under autocast may be from the cached (fused, oneDNN) path.
IN_FORWARD_ATOL = {"fp32": 1e-5, "bf16": 2e-2}


def _in_forward(encoder, head, segments, precision: str) -> np.ndarray:
    """Probabilities with the plain encoder run inside the head's forward pass, not through the cached path."""
    with torch.no_grad():
        with autocast("cpu", precision):
            vectors = encoder.eval()(torch.from_numpy(segments))
        return torch.softmax(head.eval()(vectors.float()), dim=1).numpy()


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_frozen_encoder_unchanged_and_cached_path_matches_in_forward(tmp_path, precision):
    torch.manual_seed(0)
    encoder = Encoder(TINY).eval()
    before = module_digest(encoder)
    segments = _segments(48)
    labels = np.repeat([0, 1], 24)
    segment_set = SegmentSet(segments, np.arange(48) // 4, pd.DataFrame({"utt_id": range(12)}), SkipLog("test"))
    frontend = EncoderFrontEnd("toy", encoder, to_dict(TINY))
    context = EmbedContext(FeatureConfig(), tmp_path, _cpu(precision), progress=False)
    first = cached_embeddings(frontend, segment_set, "toy", context)
    path = first.path
    embeddings = np.load(path)
    assert first.precision == precision
    # a hit reads the cache: a marked file comes back as it is, not recomputed
    np.save(path, np.full_like(embeddings, 7.0))
    again = cached_embeddings(frontend, segment_set, "toy", context)
    assert not first.cached and again.cached and again.path == path and (np.load(path) == 7.0).all()
    np.save(path, embeddings)
    other = EncoderFrontEnd("other", Encoder(TINY).eval(), to_dict(TINY))
    assert cached_embeddings(other, segment_set, "toy", context).path != path
    fit = fit_head(embeddings[:32], labels[:32], embeddings[32:], labels[32:], AROUSAL, FAST, seed=1)
    assert module_digest(encoder) == before
    model = RecognitionModel(frontend, fit.head, precision, FeatureConfig())
    cached = predict_outputs(fit.head, embeddings, AROUSAL)
    # what `predict` serves is what the head was trained on: the same precision, the same path
    np.testing.assert_allclose(model.segment_probabilities(segment_set), cached, atol=1e-6)
    in_forward = _in_forward(encoder, fit.head, segments, precision)
    np.testing.assert_allclose(cached, in_forward, atol=IN_FORWARD_ATOL[precision])
    np.testing.assert_allclose(embed(encoder, segments, _cpu(precision)), embeddings, atol=1e-6)


def test_precision_is_part_of_the_cached_vectors(tmp_path):
    """bf16 and fp32 vectors differ, so each is cached under its own key and says which it is."""
    torch.manual_seed(0)
    frontend = EncoderFrontEnd("toy", Encoder(TINY).eval(), to_dict(TINY))
    segment_set = SegmentSet(_segments(8), np.arange(8), pd.DataFrame({"utt_id": range(8)}), SkipLog("test"))
    done = {precision: cached_embeddings(frontend, segment_set, "toy",
                                         EmbedContext(FeatureConfig(), tmp_path, _cpu(precision), progress=False))
            for precision in ("fp32", "bf16")}
    assert done["fp32"].path != done["bf16"].path and not done["bf16"].cached
    assert {p: d.precision for p, d in done.items()} == {"fp32": "fp32", "bf16": "bf16"}
    fp32, bf16 = np.load(done["fp32"].path), np.load(done["bf16"].path)
    assert not np.array_equal(fp32, bf16)
    np.testing.assert_allclose(bf16, fp32, rtol=0.05, atol=0.05 * np.abs(fp32).max())


@pytest.mark.parametrize("native_bf16", [False, True], ids=["avx2-host", "bf16-host"])
def test_the_configured_precision_reaches_embedding_on_either_host(tmp_path, monkeypatch, native_bf16):
    """`precision: fp32` gives fp32 vectors on a bf16 host and `bf16` gives bf16 on any; `auto` follows the host."""
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda *args: native_bf16)
    torch.manual_seed(0)
    frontend = EncoderFrontEnd("toy", Encoder(TINY).eval(), to_dict(TINY))
    segment_set = SegmentSet(_segments(4), np.arange(4), pd.DataFrame({"utt_id": range(4)}), SkipLog("test"))
    vectors = {p: embed(frontend.encoder, segment_set.segments, _cpu(p)) for p in ("fp32", "bf16")}
    for asked, expected in (("fp32", "fp32"), ("bf16", "bf16"), ("auto", "bf16" if native_bf16 else "fp32")):
        config = PretrainConfig(device="cpu", precision=asked)
        assert config.runtime().precision == expected
        context = EmbedContext(FeatureConfig(), tmp_path / asked, config.runtime(), progress=False)
        done = cached_embeddings(frontend, segment_set, "toy", context)
        assert done.precision == expected
        np.testing.assert_allclose(np.load(done.path), vectors[expected], atol=1e-6)


def _saved(tmp_path, precision: str | None):
    torch.manual_seed(0)
    encoder = Encoder(TINY).eval()
    head = Head(TINY.embed_dim, 4, (16,), 0.5).eval()
    path = save_recognizer(tmp_path / "m.pt", EncoderFrontEnd("R", encoder, to_dict(TINY)), head,
                           {"in_dim": TINY.embed_dim, "n_classes": 4, "hidden": [16], "dropout": 0.5},
                           {"task": "emotion4", "class_names": ["neutral", "happy", "angry", "sad"],
                            "features": to_dict(FeatureConfig())}, precision or "fp32")
    if precision is None:  # a file from before models recorded their precision
        saved = torch.load(path, weights_only=True)
        del saved["metadata"]["precision"]
        torch.save(saved, path)
    return path, encoder, head


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_saved_model_predicts_a_file_at_its_recorded_precision(tmp_path, voice, precision):
    path, encoder, head = _saved(tmp_path, precision)
    model, metadata = load_recognizer(path)
    assert model.precision == metadata["precision"] == precision
    for saved, loaded in ((encoder, model.frontend.encoder), (head, model.head)):
        state = saved.state_dict()
        assert state.keys() == loaded.state_dict().keys()
        assert all(torch.equal(state[k], v) for k, v in loaded.state_dict().items())
    audio = voice(tmp_path / "a.wav", seconds=2.0)
    prediction = predict_file(model, metadata, audio)
    # the numbers of the head on the file's own segments embedded at the recorded precision, not the other one
    features = FeatureConfig()
    segments = cut_segments(file_spectrogram(audio, features), features)
    served = {p: predict_outputs(head, embed(encoder, segments, _cpu(p)), get_task("emotion4")) for p in ("fp32", "bf16")}
    np.testing.assert_allclose(prediction.segment_probabilities, served[precision], atol=1e-6)
    assert not np.array_equal(served["fp32"], served["bf16"])
    assert len(prediction.segment_labels) == 2
    expected, mean = majority_vote(served[precision], np.zeros(2, dtype=np.int64), 1)
    assert metadata["class_names"][expected[0]] == prediction.label
    np.testing.assert_allclose(list(prediction.probabilities.values()), mean[0], atol=1e-5)
    direct = _in_forward(encoder, head, segments, precision)
    np.testing.assert_allclose(prediction.segment_probabilities, direct, atol=IN_FORWARD_ATOL[precision])


def test_a_model_without_a_recorded_precision_is_served_fp32_and_says_so(tmp_path, caplog):
    path, _, _ = _saved(tmp_path, None)
    model, _ = load_recognizer(path)
    assert model.precision == "fp32" and "does not record the precision" in caplog.text
