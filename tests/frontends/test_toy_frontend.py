"""Adding a front-end is one file and one registration: this file's toy runs through an experiment, the
estimate, export and `predict` (which rebuilds it by name from the registry), and no other module names it."""

import json

import pandas as pd
import pytest
import torch

from avspnet.cli import main
from avspnet.corpora.manifest import make_manifest, write_manifest
from avspnet.downstream.fit import transfer_preset
from avspnet.downstream.head import load_recognizer
from avspnet.errors import AvspnetError
from avspnet.experiment.config import CorpusSpec, ExperimentConfig
from avspnet.experiment.runner import run_experiment
from avspnet.frontends import Entry, FrontEnd, build_by_name, entry, register, registry
from avspnet.frontends.inference import embed, module_digest
from avspnet.frontends.registry import REGISTRY, WEIGHTS
from avspnet.models.avspnet import Encoder
from avspnet.models.config import ModelConfig
from avspnet.training.pretrain_config import PretrainConfig

TINY = ModelConfig(channels=2, embed_dim=16, latent_dim=4, head_dims=(8, 4))
# What the toy's training would cost, as its entry declares it: the estimate must report exactly this.
TOY_TRAINING_S = 123.0


class Toy(FrontEnd):
    """A fixed random tiny spectrogram encoder: what a new kind of front-end needs to provide."""

    name = "toy"
    dim = TINY.embed_dim

    def __init__(self):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(7)
            self.encoder = Encoder(TINY).eval()

    def content_hash(self) -> str:
        return "toy-" + module_digest(self.encoder)

    def embed(self, segments, context):
        return embed(self.encoder, segments.segments, context.runtime)


TOY = Entry("toy", "toy encoder", "a fixed random tiny CNN", "a tiny CNN pass per segment",
            build=lambda context: Toy(), dim=lambda settings: TINY.embed_dim, saved_as=REGISTRY,
            training_seconds=lambda context: TOY_TRAINING_S)


@pytest.fixture
def toy_registered(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register(TOY)
    yield


def test_a_toy_front_end_runs_through_experiment_estimate_and_export(toy_registered, tmp_path, voice):
    rows = [{"utt_id": f"u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=1.0, f0=110 + 60 * (i % 2), seed=i)),
             "speaker": f"s{i // 2}", "arousal": i % 2} for i in range(8)]
    manifest = write_manifest(make_manifest(rows), tmp_path / "m.csv")
    config = ExperimentConfig(name="toy", seed=3, target=CorpusSpec(manifest=str(manifest)), background=(),
                              pretrain=PretrainConfig(model=TINY, precision="fp32"),
                              frontends=("toy", "logmel-stats"), tasks=("arousal",), fractions=(1.0,), n_folds=2,
                              transfer=transfer_preset("tuned", hidden=(8,), epochs=2, patience=0), workers=1)
    table = run_experiment(config, tmp_path / "run", tmp_path / "cache", progress=False)
    assert "toy (16-d)" in table.read_text()
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["estimate_s"]["pretrain"] == TOY_TRAINING_S and info["estimate_s"]["embed"] >= 0
    assert info["embedding_s"]["toy"]["dim"] == 16 and info["network"] == "-"
    assert info["exported_models"]["arousal"]["frontend"] == "toy"  # the one exportable front-end of the run
    model, metadata = load_recognizer(tmp_path / "run" / "models" / "arousal.pt", tmp_path / "cache")
    assert metadata["frontend"] == "toy" and isinstance(model.frontend, Toy)
    assert main(["predict", str(tmp_path / "run" / "models" / "arousal.pt"), str(manifest), "--csv",
                 str(tmp_path / "pred.csv"), "--quiet", "--cache-dir", str(tmp_path / "cache")]) == 0
    assert len(pd.read_csv(tmp_path / "pred.csv")) == 8


def test_registration_is_checked(toy_registered):
    with pytest.raises(ValueError, match="registered twice"):
        register(TOY)
    assert entry("toy").dim(None) == 16 and not entry("toy").uses_background
    with pytest.raises(ValueError, match="background must be one of"):
        Entry("x", "k", "s", "c", build=lambda context: None, dim=lambda settings: 1, background="labels")
    with pytest.raises(AvspnetError, match="cannot be saved for `predict`"):
        build_by_name("logmel-stats").deployable()  # it is saved by name, not by weights
    assert entry("logmel-stats").saved_as == REGISTRY and entry("R").saved_as == WEIGHTS
    with pytest.raises(ValueError, match="only a front-end built from its name alone is saved by name"):
        Entry("y", "k", "s", "c", build=lambda context: None, dim=lambda settings: 1, settings="pretrain",
              saved_as=REGISTRY)


def test_recipe_dimensions_follow_the_configured_network(tmp_path, capsys):
    config = tmp_path / "narrow.yaml"
    config.write_text("target: {manifest: m.csv}\nbackground: [{manifest: b.csv}]\npretrain: {network: narrow}\n")
    assert main(["frontends", "--json", "--config", str(config)]) == 0
    rows = {row["name"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["AVSpNET_a"]["dim"] == "256" and rows["egemaps"]["dim"] == "88"
    assert rows["checkpoint:PATH"]["dim"] == "encoder's" and rows["R"]["kind"] == "AV-SpNET recipe"
    assert main(["frontends", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["dim"] == "1024"
