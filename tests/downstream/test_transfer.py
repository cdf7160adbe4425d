"""Transfer: frozen encoder, cached embeddings equal to in-forward encoding, heads that learn."""

import numpy as np
import pandas as pd
import torch

from avspnet.configio import to_dict
from avspnet.downstream.fit import fit_head, predict_proba, transfer_preset
from avspnet.downstream.head import (
    Head,
    RecognitionModel,
    load_recognizer,
    save_recognizer,
)
from avspnet.downstream.predict import predict_file
from avspnet.downstream.vote import majority_vote
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import SegmentSet
from avspnet.frontends import EmbedContext, EncoderFrontEnd, cached_embeddings
from avspnet.log import SkipLog
from avspnet.models.avspnet import Encoder
from avspnet.models.config import ModelConfig
from avspnet.training.transfer import embed, module_digest

TINY = ModelConfig(channels=4, embed_dim=32, latent_dim=8, head_dims=(16, 8))
FAST = transfer_preset("tuned", hidden=(32, 16), epochs=15, patience=0, batch_size=32)


def _segments(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 200, 80)).astype(np.float32)


def _separable(n=240, dim=12, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, dim)).astype(np.float32) + 2.0 * y[:, None]
    return x, y


def test_head_learns_separable_data():
    x, y = _separable()
    fit = fit_head(x[:160], y[:160], x[160:200], y[160:200], 2, FAST, seed=0)
    accuracy = (predict_proba(fit.head, x[200:]).argmax(1) == y[200:]).mean()
    assert accuracy > 0.9
    assert 1 <= fit.best_epoch <= 15


def test_fit_is_deterministic_for_a_seed():
    x, y = _separable()
    a = fit_head(x[:160], y[:160], x[160:], y[160:], 2, FAST, seed=3)
    b = fit_head(x[:160], y[:160], x[160:], y[160:], 2, FAST, seed=3)
    assert all(torch.equal(a.head.state_dict()[k], b.head.state_dict()[k]) for k in a.head.state_dict())


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
    again = cached_embeddings(frontend, segment_set, "toy", context)
    assert not first.cached and again.cached and again.path == first.path
    embeddings = np.load(first.path)
    fit = fit_head(embeddings[:32], labels[:32], embeddings[32:], labels[32:], 2, FAST, seed=1)
    assert module_digest(encoder) == before
    model = RecognitionModel(encoder, fit.head).eval()
    with torch.no_grad():
        in_forward = torch.softmax(model(torch.from_numpy(segments)), dim=1).numpy()
    np.testing.assert_allclose(predict_proba(fit.head, embeddings), in_forward, atol=1e-5)
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
    audio = voice(tmp_path / "a.wav", seconds=2.0)
    prediction = predict_file(model, metadata, audio)
    assert prediction.label in metadata["class_names"]
    assert abs(sum(prediction.probabilities.values()) - 1) < 1e-5
    assert len(prediction.segment_labels) == 2
    expected, _ = majority_vote(prediction.segment_probabilities, np.zeros(2, dtype=np.int64), 1)
    assert metadata["class_names"][expected[0]] == prediction.label
