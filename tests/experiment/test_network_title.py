"""A run's title and run.json name the AV-SpNET network only where the run has an AV-SpNET encoder."""

import json

from avspnet.configio import to_dict
from avspnet.corpora.manifest import make_manifest, write_manifest
from avspnet.downstream.fit import transfer_preset
from avspnet.experiment import runner, stages
from avspnet.experiment.config import CorpusSpec, ExperimentConfig
from avspnet.experiment.stages import run_network
from avspnet.frontends.encoder import EncoderFrontEnd
from avspnet.frontends.logmel import LogMelStats
from avspnet.models.avspnet import Encoder
from avspnet.models.config import NETWORKS


def test_a_run_of_baselines_names_no_network(tmp_path, voice, monkeypatch):
    monkeypatch.setattr(stages, "estimate_seconds", lambda *args, **kwargs: {})  # it times a paper-size step
    rows = [{"utt_id": f"u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=1.0, f0=110 + 60 * (i % 2), seed=i)),
             "speaker": f"s{i // 2}", "arousal": i % 2} for i in range(8)]
    config = ExperimentConfig(name="baselines", target=CorpusSpec(manifest=str(write_manifest(make_manifest(rows),
                                                                                              tmp_path / "m.csv"))),
                              background=(), frontends=("logmel-stats",), tasks=("arousal",), fractions=(1.0,),
                              n_folds=2, transfer=transfer_preset("tuned", hidden=(8,), epochs=2, patience=0),
                              workers=1, export_models=False)
    table = runner.run_experiment(config, tmp_path / "run", tmp_path / "cache", progress=False)
    assert table.read_text().splitlines()[0] == "# Table 3: baselines"
    assert json.loads((tmp_path / "run" / "run.json").read_text())["network"] == "-"


def test_the_network_is_that_of_the_encoders():
    narrow = NETWORKS["narrow"]
    encoder = EncoderFrontEnd("checkpoint:x", Encoder(narrow), to_dict(narrow))
    assert run_network({"logmel-stats": LogMelStats(), "checkpoint:x": encoder}) == "narrow"
    assert run_network({"logmel-stats": LogMelStats()}) == "-"
