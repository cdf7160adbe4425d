"""Adapter front-ends on a frozen encoder: registered per encoder and recipe, sized by their settings, trained on
the background's proxy labels only, cached, exported and reloaded; an in-domain one through an experiment and
`predict`. A toy encoder stands in for Whisper."""

import json

import numpy as np
import pandas as pd
import pytest

from avspnet.cli import main
from avspnet.corpora.manifest import make_manifest, write_manifest
from avspnet.downstream.fit import transfer_preset
from avspnet.downstream.head import load_recognizer
from avspnet.errors import ConfigError
from avspnet.experiment.config import CorpusSpec, ExperimentConfig, experiment_from_dict
from avspnet.experiment.runner import run_experiment
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import load_segments
from avspnet.frontends import BuildContext, EmbedContext, Entry, FrontEnd, build, entry, register, registry
from avspnet.frontends import adapter as adapter_frontends
from avspnet.frontends.base import embeddings_path
from avspnet.frontends.registry import REGISTRY
from avspnet.frontends.saved import frontend_from_record, frontend_record
from avspnet.training.adapter import AdapterConfig
from avspnet.training.background import build_background
from avspnet.training.device import Runtime

FP32 = Runtime.resolve("cpu", "fp32")
TOY_DIM = 6
SETTINGS = AdapterConfig(epochs=2, batch_size=4, hidden=4, device="cpu", precision="fp32", val_speaker_fraction=0.3)


class ToyEncoder(FrontEnd):
    """A fixed projection of each segment's mean spectrum, plus what a leaky encoder would read: the gold emotion
    of the segment's utterance, were its manifest to carry one. Counts the segments it embeds."""

    name = "toy-encoder"
    dim = TOY_DIM
    embedded = 0

    def content_hash(self) -> str:
        return "toy-encoder-1"

    def embed(self, segments, context):
        ToyEncoder.embedded += len(segments)
        spectra = np.asarray(segments.segments, dtype=np.float32).mean(axis=2)
        projection = np.random.default_rng(0).standard_normal((spectra.shape[1], TOY_DIM)).astype(np.float32)
        gold = segments.labels("emotion").astype(str) if "emotion" in segments.utterances else np.array([""])
        leak = np.array([len(text) for text in gold], dtype=np.float32)[:, None] if len(gold) > 1 else 0
        return spectra @ projection / spectra.shape[1] + leak


def register_toy_encoder(monkeypatch):
    """The toy encoder registered (saved by name) with its adapters, in a copy of the registry."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    encoder = register(Entry("toy-encoder", "frozen foundation encoder", "toy", "toy",
                             build=lambda context: ToyEncoder(), dim=lambda settings: TOY_DIM, saved_as=REGISTRY))
    adapter_frontends.register_adapters(encoder)
    ToyEncoder.embedded = 0
    return encoder


@pytest.fixture
def toy(monkeypatch):
    return register_toy_encoder(monkeypatch)


def _manifest(tmp_path, voice, emotions):
    rows = [{"utt_id": f"u{i}", "path": str(voice(tmp_path / "audio" / f"u{i}.wav", seconds=1.0, f0=110 + 20 * i, seed=i)),
             "speaker": f"s{i % 4}", "emotion": emotion, "arousal": int(emotion == "angry")}
            for i, emotion in enumerate(emotions)]
    return make_manifest(rows)


def _labeller(name, hidden):
    """Proxy labels that would copy the gold arousal, were the manifest to carry it (hidden: utterance parity)."""
    parity = pd.Series(np.arange(len(hidden)) % 2)
    arousal = hidden["arousal"].astype("Float64").fillna(parity).astype("Int64")
    return pd.DataFrame({"utt_id": hidden["utt_id"], "proxy_arousal": arousal,
                         "proxy_valence": pd.array((1 - parity).tolist(), dtype="Int64")})


def _background(tmp_path, voice, emotions, cache_dir):
    return build_background([("bg", _manifest(tmp_path, voice, emotions))], _labeller, FeatureConfig(), cache_dir,
                            1, False)


def _context(background, cache_dir, settings=SETTINGS):
    return BuildContext({"adapter": settings}, lambda: background, cache_dir, FP32, progress=False)


EMOTIONS = ["angry", "sad", "happy", "neutral"] * 3


def test_entries_are_listed_with_dims_from_their_settings(toy, capsys):
    assert main(["frontends", "--json"]) == 0
    rows = {row["name"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    for recipe in ("R", "W_a", "W_v", "AE", "W_AE_a", "W_AE_v", "AVSpNET_a", "AVSpNET_v"):
        assert rows[f"whisper-base/{recipe}"]["kind"] == "adapter on a frozen encoder"
        assert rows[f"whisper-base/{recipe}"]["dim"] == str(512 + AdapterConfig().hidden)
        assert rows[f"toy-encoder/{recipe}"]["dim"] == str(TOY_DIM + AdapterConfig().hidden)
    found = entry("toy-encoder/AVSpNET_a")
    assert found.settings == "adapter" and found.needs_background and entry("toy-encoder/R").statistics_only
    assert found.dim(AdapterConfig(hidden=3, mode="hidden")) == 3
    assert found.dim(AdapterConfig(hidden=3, mode="concat")) == TOY_DIM + 3


def test_bad_mode_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="adapter mode must be one of hidden, concat"):
        AdapterConfig(mode="both")
    with pytest.raises(ConfigError, match="mode"):
        experiment_from_dict({"target": {"manifest": "t.csv"}, "background": [], "frontends": ["logmel-stats"],
                              "adapter": {"mode": "both"}}, tmp_path)
    config = experiment_from_dict({"target": {"manifest": "t.csv"}, "background": [], "frontends": ["logmel-stats"],
                                   "seed": 4, "adapter": {"mode": "hidden", "hidden": 8}}, tmp_path)
    assert config.sections()["adapter"] == AdapterConfig(mode="hidden", hidden=8, seed=4)


@pytest.mark.parametrize("mode", ["hidden", "concat"])
def test_trained_on_the_background_cached_and_shared_with_the_encoder_row(toy, tmp_path, voice, mode, monkeypatch):
    cache_dir = tmp_path / "cache"
    background = _background(tmp_path, voice, EMOTIONS, cache_dir)
    settings = AdapterConfig(**{**SETTINGS.__dict__, "mode": mode})
    frontend = build("toy-encoder/AVSpNET_a", _context(background, cache_dir, settings))
    assert frontend.dim == settings.output_dim(TOY_DIM) and frontend.history
    assert {row["phase"] for row in frontend.history} == {"joint"} and "val_acc" in frontend.history[0]
    assert ToyEncoder.embedded == len(background.segments)
    # The target is the background's corpus: its segment key, hence its encoder vectors, are the background's.
    target = load_segments(_manifest(tmp_path, voice, EMOTIONS), FeatureConfig(), cache_dir, 1, False)
    assert target.key == background.parts[0].segments.key
    context = EmbedContext(FeatureConfig(), cache_dir, FP32, progress=False)
    vectors = frontend.embed(target, context)
    assert vectors.shape == (len(target), frontend.dim) and ToyEncoder.embedded == len(background.segments)
    assert embeddings_path(ToyEncoder(), target.key, context).is_file()
    if mode == "concat":
        np.testing.assert_array_equal(vectors[:, :TOY_DIM], np.load(embeddings_path(ToyEncoder(), target.key, context)))
    # A second build reuses the trained adapter: no training, no encoder pass, the same weights and history.
    monkeypatch.setattr(adapter_frontends, "train_adapter", lambda *a, **k: pytest.fail("trained again"))
    again = build("toy-encoder/AVSpNET_a", _context(background, cache_dir, settings))
    assert again.content_hash() == frontend.content_hash() and again.history == frontend.history
    assert ToyEncoder.embedded == len(background.segments)


def test_both_modes_share_one_adapter_and_differ_in_content(toy, tmp_path, voice):
    cache_dir = tmp_path / "cache"
    background = _background(tmp_path, voice, EMOTIONS, cache_dir)
    hidden = build("toy-encoder/W_a", _context(background, cache_dir, AdapterConfig(**{**SETTINGS.__dict__, "mode": "hidden"})))
    concat = build("toy-encoder/W_a", _context(background, cache_dir))
    assert len(list((cache_dir / "frontends").rglob("adapter.pt"))) == 1
    assert hidden.content_hash() != concat.content_hash()


def test_no_gold_label_of_the_background_reaches_the_adapter(toy, tmp_path, voice, monkeypatch):
    """Two backgrounds alike but for their gold labels give byte-identical adapters; the labeller and the toy
    encoder would both carry a gold label into training, were one there."""
    seen = []
    real = adapter_frontends.train_adapter

    def spy(vectors, speakers, arousal, valence, config, progress):
        seen.append((np.asarray(vectors).copy(), np.asarray(arousal).copy()))
        return real(vectors, speakers, arousal, valence, config, progress)

    monkeypatch.setattr(adapter_frontends, "train_adapter", spy)
    built = []
    for run, emotions in enumerate((EMOTIONS, ["neutral", "angry", "sad", "angry"] * 3)):
        cache_dir = tmp_path / f"cache{run}"
        built.append(build("toy-encoder/AVSpNET_a", _context(_background(tmp_path / str(run), voice, emotions,
                                                                          cache_dir), cache_dir)))
    (first_vectors, first_arousal), (second_vectors, second_arousal) = seen
    np.testing.assert_array_equal(first_vectors, second_vectors)
    np.testing.assert_array_equal(first_arousal, second_arousal)
    assert built[0].content_hash() == built[1].content_hash()
    first, second = (frontend.adapter.state_dict() for frontend in built)
    assert all(np.array_equal(first[key].numpy(), second[key].numpy()) for key in first)


def test_exported_and_reloaded_by_its_encoder_name(toy, tmp_path, voice):
    cache_dir = tmp_path / "cache"
    background = _background(tmp_path, voice, EMOTIONS, cache_dir)
    frontend = build("toy-encoder/AVSpNET_v", _context(background, cache_dir))
    record = frontend_record(frontend)
    loaded = frontend_from_record(record, FeatureConfig(), tmp_path / "model.pt", cache_dir)
    assert loaded.name == frontend.name and loaded.content_hash() == frontend.content_hash()
    context = EmbedContext(FeatureConfig(), cache_dir, FP32, progress=False)
    target = background.parts[0].segments
    np.testing.assert_array_equal(loaded.embed(target, context), frontend.embed(target, context))
    record["settings"]["encoder_hash"] = "toy-encoder-0"
    with pytest.raises(Exception, match="its encoder toy-encoder would compute other vectors here"):
        frontend_from_record(record, FeatureConfig(), tmp_path / "model.pt", cache_dir)


def test_a_background_without_its_corpora_is_refused(toy, tmp_path, voice):
    cache_dir = tmp_path / "cache"
    background = _background(tmp_path, voice, EMOTIONS, cache_dir)
    background.parts = ()
    with pytest.raises(ConfigError, match="needs a background built from its corpora"):
        build("toy-encoder/W_v", _context(background, cache_dir))


def test_an_in_domain_adapter_runs_through_an_experiment_export_and_predict(toy, tmp_path, voice):
    """No background: trained per fold and once whole (the exported model's), its history in run.json."""
    rows = [{"utt_id": f"u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=1.0, f0=110 + 60 * (i % 2), seed=i)),
             "speaker": f"s{i // 2}", "arousal": i % 2} for i in range(8)]
    manifest = write_manifest(make_manifest(rows), tmp_path / "m.csv")
    name = "toy-encoder/W_a/in-domain"
    config = ExperimentConfig(name="toy", seed=3, target=CorpusSpec(manifest=str(manifest)), background=(),
                              adapter=AdapterConfig(epochs=1, batch_size=4, hidden=4, device="cpu", precision="fp32"),
                              frontends=(name,), tasks=("arousal",), fractions=(1.0,), n_folds=2,
                              transfer=transfer_preset("tuned", hidden=(8,), epochs=2, patience=0), workers=1)
    run_experiment(config, tmp_path / "run", tmp_path / "cache", progress=False)
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["embedding_s"][name]["folds"] == 2 and info["embedding_s"][name]["dim"] == TOY_DIM + 4
    assert "val_acc" in info["pretrain"][name]["proxy"]
    assert info["exported_models"]["arousal"]["frontend"] == name
    model, metadata = load_recognizer(tmp_path / "run" / "models" / "arousal.pt", tmp_path / "cache")
    assert isinstance(model.frontend, adapter_frontends.AdapterFrontEnd) and model.frontend.name == name
    assert main(["predict", str(tmp_path / "run" / "models" / "arousal.pt"), str(manifest), "--csv",
                 str(tmp_path / "pred.csv"), "--quiet", "--cache-dir", str(tmp_path / "cache")]) == 0
    assert len(pd.read_csv(tmp_path / "pred.csv")) == 8
