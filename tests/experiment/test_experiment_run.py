"""`avspnet experiment` end to end on a tiny synthetic corpus: report, model, reproducibility."""

import json
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf

from avspnet.cli import main
from avspnet.corpora.manifest import read_manifest, write_manifest
from avspnet.corpora.synthetic import SyntheticConfig, make_synthetic_corpus
from avspnet.downstream.fit import transfer_preset
from avspnet.downstream.head import load_recognizer
from avspnet.experiment.config import CorpusSpec, ExperimentConfig
from avspnet.experiment.runner import run_experiment
from avspnet.models.config import ModelConfig
from avspnet.training import device
from avspnet.training.pretrain_config import PretrainConfig

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    corpus = make_synthetic_corpus(root / "corpus", SyntheticConfig(n_speakers=6, utterances_per_speaker=8), workers=1)
    speakers = sorted(corpus["speaker"].unique())
    target = write_manifest(corpus[corpus["speaker"].isin(speakers[:4])], root / "target.csv")
    background = write_manifest(corpus[~corpus["speaker"].isin(speakers[:4])], root / "background.csv")
    return ExperimentConfig(
        name="tiny", seed=1,
        target=CorpusSpec(name="target", manifest=str(target)),
        background=(CorpusSpec(name="background", manifest=str(background)),),
        pretrain=PretrainConfig(model=ModelConfig(channels=2, embed_dim=16, latent_dim=4, head_dims=(8, 4)),
                                epochs=1, max_steps=2, precision="fp32"),
        frontends=("R", "AVSpNET_a"), tasks=("arousal", "emotion4"), fractions=(0.5, 1.0), n_folds=2,
        transfer=transfer_preset("tuned", hidden=(16, 8), epochs=3, patience=0, batch_size=16), workers=1,
        notes=("tiny test run",),
    )


def test_report_is_complete_and_reproducible(tiny_config, tmp_path, monkeypatch):
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda *args: True)  # `precision: fp32` on a bf16 host
    cache = tmp_path / "cache"
    table = run_experiment(tiny_config, tmp_path / "a", cache, progress=False)
    assert "tiny test run" in table.read_text()
    cells = pd.read_csv(tmp_path / "a" / "table3.csv")
    assert len(cells) == 2 * 2 * 2 and cells["uar_mean"].notna().all() and cells["uar_std"].notna().all()
    for name in ("per_fold.csv", "uar_vs_fraction.png", "confusions.png", "config.yaml", "models/arousal.pt",
                 "report.html"):
        assert (tmp_path / "a" / name).stat().st_size > 0
    info = json.loads((tmp_path / "a" / "run.json").read_text())
    assert info["avspnet_version"] and info["data_hashes"]["target"] and info["timings_s"]["transfer grid"] >= 0
    assert info["runtime"]["precision"] == "fp32" and info["runtime"]["device"].startswith(("cpu", "cuda"))
    assert info["runtime"]["embedding_precision"] == info["runtime"]["pretrain_precision"] == {"R": "fp32",
                                                                                                "AVSpNET_a": "fp32"}
    assert {m["precision"] for m in info["exported_models"].values()} == {"fp32"}
    assert info["runtime"]["torch_threads"] >= 1 and info["runtime"]["grid_workers"] == 1
    assert isinstance(info["cpu_flags"], list) and info["torch_cpu_capability"]
    assert info["folds"] == {"mode": "speaker", "requested": 2, "used": 2, "speakers": 4, "leave_one_speaker_out": False}
    # patience 0: every head runs all 3 epochs, in each of the 2 folds
    assert info["head_epochs"] == {f"{f}/{t}/{p:g}": [3, 3] for f in ("R", "AVSpNET_a") for t in ("arousal", "emotion4")
                                   for p in (0.5, 1.0)}
    assert {m["epochs"] for m in info["exported_models"].values()} == {3}
    assert info["network"] == "custom" and "(network: custom)" in table.read_text()
    assert info["background"]["hours"] > 0 and info["background"]["speakers"] == 2
    joint = info["pretrain"]["AVSpNET_a"]["joint"]
    assert joint["steps"] >= 1 and joint["epochs"] == 1 and 0 <= joint["val_acc"] <= 1 and joint["val_loss"] > 0
    assert info["pretrain"]["R"] == {} and info["r_input_statistics"] == "from the background"

    again = run_experiment(tiny_config, tmp_path / "b", tmp_path / "fresh-cache", progress=False)
    assert again.exists()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "b" / "per_fold.csv"),
                                  pd.read_csv(tmp_path / "a" / "per_fold.csv"))


def test_parallel_grid_gives_the_same_numbers(tiny_config, tmp_path):
    serial = run_experiment(replace(tiny_config, export_models=False), tmp_path / "s", tmp_path / "c", progress=False)
    parallel = run_experiment(replace(tiny_config, export_models=False, workers=2), tmp_path / "p", tmp_path / "c",
                              progress=False)
    pd.testing.assert_frame_equal(pd.read_csv(serial.parent / "per_fold.csv"), pd.read_csv(parallel.parent / "per_fold.csv"))


def test_predict_command_on_the_exported_model(tiny_config, tmp_path, capsys, monkeypatch):
    """`precision: bf16` asked on a host without native bf16: the run embeds in bf16, pre-trains in bf16,
    says so, and its models record bf16, the precision `predict` then embeds at."""
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda *args: False)
    config = replace(tiny_config, pretrain=replace(tiny_config.pretrain, precision="bf16"))
    run_experiment(config, tmp_path / "run", tmp_path / "cache", progress=False)
    runtime = json.loads((tmp_path / "run" / "run.json").read_text())["runtime"]
    assert runtime["precision"] == "bf16"
    assert runtime["embedding_precision"] == runtime["pretrain_precision"] == {"R": "bf16", "AVSpNET_a": "bf16"}
    assert load_recognizer(tmp_path / "run" / "models" / "emotion4.pt")[0].precision == "bf16"
    audio = pd.read_csv(tiny_config.target.manifest)["path"].iloc[0]
    assert main(["predict", str(tmp_path / "run" / "models" / "emotion4.pt"), audio, "--segments"]) == 0
    out = capsys.readouterr().out
    assert "emotion4=" in out and "segment 0" in out
    assert main(["predict", str(tmp_path / "run" / "models" / "emotion4.pt"), str(tmp_path / "missing.wav")]) == 1


def _cache_files(cache) -> dict[str, int]:
    """Every cached result (not the digest index) with its modification time."""
    return {str(p.relative_to(cache)): p.stat().st_mtime_ns for p in cache.rglob("*")
            if p.is_file() and p.parent != cache}


def test_editing_one_target_file_recomputes_exactly_what_depends_on_it(tiny_config, tmp_path):
    target = read_manifest(tiny_config.target.manifest)
    copies = []
    for path in target["path"]:
        copies.append(tmp_path / "audio" / Path(path).name)
        copies[-1].parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copies[-1])
    manifest = write_manifest(target.assign(path=[str(p) for p in copies]), tmp_path / "target.csv")
    config = replace(tiny_config, target=CorpusSpec(name="target", manifest=str(manifest)), export_models=False)
    cache = tmp_path / "cache"
    run_experiment(config, tmp_path / "a", cache, progress=False)
    before = _cache_files(cache)
    samples, rate = sf.read(copies[0])
    sf.write(copies[0], samples * 0.5, rate)  # edited in place: same name, same duration
    run_experiment(config, tmp_path / "b", cache, progress=False)
    after = _cache_files(cache)
    assert all(after[name] == mtime for name, mtime in before.items()), "a cached result was rewritten"
    added = Counter(Path(name).parts[0] for name in set(after) - set(before))
    assert added == {"features": 1, "segments": 1, "embeddings": len(config.frontends)}
    infos = [json.loads((tmp_path / run / "run.json").read_text()) for run in ("a", "b")]
    runs = [info["data_hashes"] for info in infos]
    assert runs[0]["target"] != runs[1]["target"] and runs[0]["background/background"] == runs[1]["background/background"]
    # the background is unchanged, so its pre-training is cached and the second estimate says it costs nothing
    assert infos[0]["estimate_s"]["pretrain"] > 0 and infos[1]["estimate_s"]["pretrain"] == 0


def test_baseline_frontends_and_emotion_task_in_one_table(tiny_config, tmp_path):
    config = replace(tiny_config, frontends=("logmel-stats", "egemaps", "R"), tasks=("arousal", "emotion"),
                     export_models=True)
    run_experiment(config, tmp_path / "run", tmp_path / "cache", progress=False)
    cells = pd.read_csv(tmp_path / "run" / "table3.csv")
    assert set(cells["frontend"]) == {"logmel-stats", "egemaps", "R"} and set(cells["task"]) == {"arousal", "emotion"}
    assert cells["uar_mean"].notna().all()
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert set(info["embedding_s"]) == {"logmel-stats", "egemaps", "R"}
    assert info["embedding_s"]["egemaps"]["dim"] == 88 and not info["embedding_s"]["egemaps"]["cached"]
    assert len(info["classes"]["emotion"]) >= 2
    assert "emotion" in (tmp_path / "run" / "table3.md").read_text()
    full = pd.read_csv(tmp_path / "run" / "per_fold.csv").query("fraction == 1.0 and task == 'arousal'")
    assert info["exported_models"]["arousal"]["frontend"] == full.groupby("frontend")["uar"].mean().idxmax()


def test_missing_extra_fails_before_any_work(tiny_config, tmp_path, monkeypatch):
    import importlib.util

    from avspnet.frontends import FrontEndUnavailable

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "faster_whisper" else real(name, *a))
    with pytest.raises(FrontEndUnavailable, match="make install-asr"):
        run_experiment(replace(tiny_config, frontends=("AVSpNET_a", "whisper-base")), tmp_path / "run",
                       tmp_path / "cache", progress=False)
    assert not (tmp_path / "run").exists() and not (tmp_path / "cache").exists()


def test_r_without_background_is_normalised_per_fold_and_says_so(tiny_config, tmp_path):
    from avspnet.experiment.fold_embeddings import PER_FOLD

    config = replace(tiny_config, background=(), frontends=("R",), tasks=("arousal",))
    run_experiment(config, tmp_path / "run", tmp_path / "cache", progress=False)
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["r_input_statistics"] == PER_FOLD and info["embedding_s"]["R"]["folds"] == 2
    assert f"R's input normalisation: {PER_FOLD}." in (tmp_path / "run" / "table3.md").read_text()
    assert info["exported_models"]["arousal"]["frontend"] == "R" and info["background"]["segments"] == 0
    assert len(list((tmp_path / "cache" / "embeddings").glob("*"))) == 2 + 1  # R per fold, R whole (exported)
    assert pd.read_csv(tmp_path / "run" / "per_fold.csv")["uar"].notna().all()


def test_rating_tasks_run_end_to_end_and_report_ccc_per_fold(tiny_config, tmp_path):
    config = replace(tiny_config, frontends=("logmel-stats", "R"),
                     tasks=("arousal", "arousal_rating", "valence_rating"), export_models=True)
    table = run_experiment(config, tmp_path / "run", tmp_path / "cache", progress=False)
    per_fold = pd.read_csv(tmp_path / "run" / "per_fold.csv")
    ratings = per_fold[per_fold["task"].isin(["arousal_rating", "valence_rating"])]
    assert len(ratings) == 2 * 2 * 2 * 2  # front-ends x tasks x fractions x folds
    assert ratings["ccc"].between(-1, 1).all() and ratings["uar"].isna().all()
    arousal = per_fold[per_fold["task"] == "arousal"]
    assert arousal["uar"].between(0, 1).all() and arousal["ccc"].isna().all()
    cells = pd.read_csv(tmp_path / "run" / "table3.csv")
    assert {"uar_mean", "uar_std", "ccc_mean", "ccc_std"} <= set(cells.columns)
    text = table.read_text()
    assert "CCC (concordance correlation coefficient) on utterances (arousal_rating, valence_rating)" in text
    assert "arousal_rating 100% (CCC)" in text and "arousal 100% (UAR)" in text and "arousal_rating 0.000" in text
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["classes"]["arousal_rating"] == [] and set(info["exported_models"]) == {"arousal"}
    assert (tmp_path / "run" / "confusions.png").exists()

    only = run_experiment(replace(config, tasks=("valence_rating",)), tmp_path / "only", tmp_path / "cache",
                          progress=False)
    assert "UAR" not in only.read_text() and (tmp_path / "only" / "uar_vs_fraction.png").stat().st_size > 0
    assert not (tmp_path / "only" / "confusions.png").exists()
    assert json.loads((tmp_path / "only" / "run.json").read_text())["exported_models"] == {}
