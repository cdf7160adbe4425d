"""The exported model is the best row of any kind, and `predict` on it gives the grid's head's predictions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from avspnet.cli import main
from avspnet.corpora.manifest import make_manifest, write_manifest
from avspnet.downstream.fit import predict_outputs, transfer_preset
from avspnet.downstream.head import load_recognizer
from avspnet.downstream.pooling import segment_speakers, speaker_normalise
from avspnet.downstream.predict import SPEAKER_NORMALISATION
from avspnet.evaluation.tasks import get_task
from avspnet.evaluation.vote import majority_vote
from avspnet.experiment import export
from avspnet.experiment.config import CorpusSpec, ExperimentConfig
from avspnet.experiment.data import load_target
from avspnet.experiment.runner import run_experiment
from avspnet.features.store import SegmentStore
from avspnet.frontends import EmbedContext, cached_embeddings, whisper
from avspnet.models.config import ModelConfig
from avspnet.training.pretrain_config import PretrainConfig
from conftest import write_voice

NO_ASR = pytest.mark.skipif(whisper.unavailable() is not None, reason="the asr extra is not installed")


@pytest.fixture(scope="module")
def made_target(tmp_path_factory) -> Path:
    """6 speakers x 6 clips of 1-1.4 s; high arousal louder and higher."""
    root = tmp_path_factory.mktemp("made")
    rows = []
    for speaker in range(6):
        for i in range(6):
            high = i % 2
            path = write_voice(root / f"s{speaker}_{i}.wav", seconds=1.0 + 0.2 * (i % 3), f0=110 + 70 * high + 9 * speaker,
                               level=0.1 + 0.3 * high, seed=10 * speaker + i)
            rows.append({"utt_id": f"s{speaker}_{i}", "path": str(path), "speaker": f"s{speaker}", "arousal": high})
    return write_manifest(make_manifest(rows), root / "target.csv")


def _config(manifest: Path, frontends: tuple[str, ...]) -> ExperimentConfig:
    return ExperimentConfig(
        name="export", seed=2, target=CorpusSpec(name="made", manifest=str(manifest)), background=(),
        pretrain=PretrainConfig(model=ModelConfig(channels=2, embed_dim=16, latent_dim=4, head_dims=(8, 4)),
                                epochs=1, max_steps=2, precision="fp32"),
        frontends=frontends, tasks=("arousal",), fractions=(0.5, 1.0), n_folds=2,
        transfer=transfer_preset("tuned", hidden=(16, 8), epochs=3, patience=0, batch_size=16), workers=1)


def _run(config: ExperimentConfig, run: Path, cache: Path) -> tuple[str, dict]:
    """The best row's front-end at 100 % and what run.json says was exported."""
    run_experiment(config, run, cache, progress=False)
    per_fold = pd.read_csv(run / "per_fold.csv")
    best = per_fold[per_fold["fraction"] == 1.0].groupby("frontend")["uar"].mean().idxmax()
    return best, json.loads((run / "run.json").read_text())["exported_models"]["arousal"]


@pytest.mark.parametrize("frontends", [("logmel-stats",), pytest.param(("whisper-base",), marks=NO_ASR),
                                       ("logmel-stats", "R")], ids=["logmel", "whisper", "logmel-or-R"])
def test_predict_on_the_exported_best_row_gives_the_heads_predictions_on_the_cached_vectors(
        made_target, tmp_path, frontends):
    config = _config(made_target, frontends)
    cache, run = tmp_path / "cache", tmp_path / "run"
    best, exported = _run(config, run, cache)
    assert exported["frontend"] == exported["best_frontend"] == best
    path = run / exported["path"]

    # the file is data; a fixed front-end is its registry name and content hash, an encoder its weights
    record = torch.load(path, weights_only=True)["frontend"]
    assert record["name"] == best and record["content_hash"] == exported["frontend_hash"]
    assert ("weights" in record) == (best == "R")

    # the head from the file on the vectors the grid cached (a hit: the rebuilt front-end has the run's content)
    model, metadata = load_recognizer(path, cache)
    target = load_target(config.target, config.features, cache, config.seed, 1, False)
    done = cached_embeddings(model.frontend, target.segments, target.key,
                             EmbedContext(config.features, cache, config.runtime(), progress=False))
    assert done.cached and model.precision == done.precision
    vectors = np.asarray(SegmentStore.open(done.path)[:])
    probs = predict_outputs(model.head, vectors, get_task("arousal"))
    utterances = target.segments.utterances
    labels, mean = majority_vote(probs, target.segments.utt_index, len(utterances))

    # `avspnet predict` on the target's own files, given as its manifest
    out = tmp_path / "pred.csv"
    assert main(["predict", str(path), str(made_target), "--csv", str(out), "--quiet", "--cache-dir", str(cache)]) == 0
    predicted = pd.read_csv(out).set_index("path").loc[utterances["path"]]
    names = metadata["class_names"]
    np.testing.assert_allclose(predicted[[f"p_{name}" for name in names]].to_numpy(), mean, atol=1e-5)
    assert predicted["label"].tolist() == [names[i] for i in labels]
    assert predicted["n_segments"].tolist() == np.bincount(target.segments.utt_index).tolist()


def test_a_best_front_end_that_cannot_be_saved_gives_way_to_the_best_that_can(made_target, tmp_path, monkeypatch):
    unsaved = []
    real = export.not_exportable
    monkeypatch.setattr(export, "not_exportable",
                        lambda frontend: "refused here" if frontend.name in unsaved else real(frontend))
    config = _config(made_target, ("logmel-stats", "R"))
    best, _ = _run(config, tmp_path / "first", tmp_path / "cache")
    unsaved.append(best)
    again, exported = _run(config, tmp_path / "run", tmp_path / "cache")
    assert again == exported["best_frontend"] == best
    assert exported["frontend"] == ({"logmel-stats", "R"} - {best}).pop()
    assert torch.load(tmp_path / "run" / exported["path"], weights_only=True)["frontend"]["name"] == exported["frontend"]


def test_a_speaker_normalised_self_trained_run_says_so_and_predict_normalises_as_the_head_was_trained(
        made_target, tmp_path):
    config = replace(_config(made_target, ("logmel-stats",)),
                     transfer=transfer_preset("tuned", hidden=(16, 8), epochs=3, patience=0, batch_size=16,
                                              speaker_norm="meanvar", self_training=1, pseudo_threshold=0.5))
    cache, run = tmp_path / "cache", tmp_path / "run"
    _, exported = _run(config, run, cache)
    notes = (run / "table3.md").read_text()
    assert "Speaker normalisation: meanvar" in notes and "test speakers included" in notes
    assert "Self-training: 1 round(s)" in notes
    record = json.loads((run / "run.json").read_text())
    assert record["config"]["transfer"]["speaker_norm"] == "meanvar"
    assert any("each speaker's own unlabeled segments" in line for line in record["transfer_notes"])
    per_fold = pd.read_csv(run / "per_fold.csv")
    assert (per_fold.loc[per_fold["fraction"] == 1.0, "n_pseudo"] == 0).all()
    assert record["pseudo_labels"]["logmel-stats/arousal/0.5"] == \
        per_fold[per_fold["fraction"] == 0.5].sort_values("fold")["n_pseudo"].tolist()

    # predict on the target's manifest normalises per manifest speaker, as the exported head was trained
    path = run / exported["path"]
    model, metadata = load_recognizer(path, cache)
    assert metadata[SPEAKER_NORMALISATION] == "meanvar"
    target = load_target(config.target, config.features, cache, config.seed, 1, False)
    done = cached_embeddings(model.frontend, target.segments, target.key,
                             EmbedContext(config.features, cache, config.runtime(), progress=False))
    utterances, utt_index = target.segments.utterances, target.segments.utt_index
    vectors = speaker_normalise(np.asarray(SegmentStore.open(done.path)[:]),
                                segment_speakers(utterances["speaker"], utt_index), "meanvar")
    _, mean = majority_vote(predict_outputs(model.head, vectors, get_task("arousal")), utt_index, len(utterances))
    out = tmp_path / "pred.csv"
    assert main(["predict", str(path), str(made_target), "--csv", str(out), "--quiet", "--cache-dir", str(cache)]) == 0
    predicted = pd.read_csv(out).set_index("path").loc[utterances["path"]]
    np.testing.assert_allclose(predicted[[f"p_{name}" for name in metadata["class_names"]]].to_numpy(), mean,
                               atol=1e-4)
