"""Transfer: frozen encoder, cached embeddings equal to in-forward encoding, heads that learn."""

import numpy as np
import pandas as pd
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
from avspnet.frontends import EmbedContext, EncoderFrontEnd, cached_embeddings
from avspnet.log import SkipLog
from avspnet.models.avspnet import Encoder
from avspnet.models.config import ModelConfig
from avspnet.training.transfer import embed, module_digest

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


def test_frozen_encoder_unchanged_and_cached_path_matches_in_forward(tmp_path):
    torch.manual_seed(0)
    encoder = Encoder(TINY).eval()
    before = module_digest(encoder)
    segments = _segments(48)
    labels = np.repeat([0, 1], 24)
    segment_set = SegmentSet(segments, np.arange(48) // 4, pd.DataFrame({"utt_id": range(12)}), SkipLog("test"))
    frontend = EncoderFrontEnd("toy", encoder, to_dict(TINY))
    context = EmbedContext(FeatureConfig(), tmp_path, progress=False)
    first = cached_embeddings(frontend, segment_set, "toy", context)
    path = first.path
    embeddings = np.load(path)
    # a hit reads the cache: a marked file comes back as it is, not recomputed
    np.save(path, np.full_like(embeddings, 7.0))
    again = cached_embeddings(frontend, segment_set, "toy", context)
    assert not first.cached and again.cached and again.path == path and (np.load(path) == 7.0).all()
    np.save(path, embeddings)
    other = EncoderFrontEnd("other", Encoder(TINY).eval(), to_dict(TINY))
    assert cached_embeddings(other, segment_set, "toy", context).path != path
    fit = fit_head(embeddings[:32], labels[:32], embeddings[32:], labels[32:], AROUSAL, FAST, seed=1)
    assert module_digest(encoder) == before
    model = RecognitionModel(encoder, fit.head).eval()
    with torch.no_grad():
        in_forward = torch.softmax(model(torch.from_numpy(segments)), dim=1).numpy()
    np.testing.assert_allclose(predict_outputs(fit.head, embeddings, AROUSAL), in_forward, atol=1e-5)
    np.testing.assert_allclose(embed(encoder, segments), embeddings, atol=1e-6)


def test_saved_model_predicts_a_file(tmp_path, voice):
    torch.manual_seed(0)
    encoder = Encoder(TINY).eval()
    head = Head(TINY.embed_dim, 4, (16,), 0.5).eval()
    path = save_recognizer(tmp_path / "m.pt", encoder, to_dict(TINY), head,
                           {"in_dim": TINY.embed_dim, "n_classes": 4, "hidden": [16], "dropout": 0.5},
                           {"task": "emotion4", "class_names": ["neutral", "happy", "angry", "sad"],
                            "features": to_dict(FeatureConfig())})
    model, metadata = load_recognizer(path)
    saved = {**{f"encoder.{k}": v for k, v in encoder.state_dict().items()},
             **{f"head.{k}": v for k, v in head.state_dict().items()}}
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items()) and len(saved) == len(model.state_dict())
    audio = voice(tmp_path / "a.wav", seconds=2.0)
    prediction = predict_file(model, metadata, audio)
    # the same numbers as the in-memory model on the file's own segments
    features = FeatureConfig()
    segments = cut_segments(file_spectrogram(audio, features), features)
    with torch.no_grad():
        direct = torch.softmax(RecognitionModel(encoder, head).eval()(torch.from_numpy(segments)), dim=1).numpy()
    np.testing.assert_allclose(prediction.segment_probabilities, direct, atol=1e-5)
    assert len(prediction.segment_labels) == 2
    expected, mean = majority_vote(direct, np.zeros(2, dtype=np.int64), 1)
    assert metadata["class_names"][expected[0]] == prediction.label
    np.testing.assert_allclose(list(prediction.probabilities.values()), mean[0], atol=1e-5)
