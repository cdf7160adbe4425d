"""`avspnet predict` on files, folders, globs, manifests and long recordings, with a tiny saved model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

import avspnet.ingest.vad as vad
from avspnet.cli import main
from avspnet.downstream.head import RecognitionModel, load_recognizer
from avspnet.downstream.predict import SPEAKER_NORMALISATION, Item, Predictor, predict_file
from avspnet.ingest import ingest_media
from test_hardening import _saved_model

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_ingest import build_episode  # noqa: E402

COLUMNS = ["path", "start_s", "end_s", "speaker", "label", "p_low", "p_high", "n_segments"]


@pytest.fixture
def model(tmp_path) -> Path:
    return _saved_model(tmp_path / "model.pt")


def _summary(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("predict: ") and "file(s)" in line)


def _failures(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "ERROR" and r.name == "avspnet.predict"]


def test_folder_nested_audio_skips_other_files_and_a_corrupt_file_fails_alone(model, tmp_path, voice, capsys,
                                                                             caplog):
    folder = tmp_path / "in"
    voice(folder / "a.wav", seconds=2.0)
    voice(folder / "sub" / "deeper" / "b.flac", seconds=1.5, seed=1)
    (folder / "sub" / "notes.txt").write_text("not audio")
    (folder / "sub" / "bad.wav").write_bytes(b"RIFF" + bytes(range(256)) * 4)
    out = tmp_path / "out" / "pred.csv"
    assert main(["predict", str(model), str(folder), "--csv", str(out), "--quiet"]) == 1
    rows = pd.read_csv(out, keep_default_na=False)
    assert list(rows.columns) == COLUMNS
    assert [Path(p).name for p in rows["path"]] == ["a.wav", "b.flac"]
    # a short file is one utterance from 0 to its duration, speaker unknown
    assert rows["start_s"].tolist() == [0.0, 0.0] and rows["end_s"].tolist() == [2.0, 1.5]
    assert rows["speaker"].tolist() == ["", ""] and rows["n_segments"].tolist() == [2, 1]
    np.testing.assert_allclose(rows["p_low"] + rows["p_high"], 1.0, atol=1e-5)
    assert set(rows["label"]) <= {"low", "high"}
    err = capsys.readouterr().err
    assert "3 file(s), 2 utterance(s), 1 failed, 1 skipped" in _summary(err)
    failures = _failures(caplog)
    assert len(failures) == 1 and "bad.wav" in failures[0], failures
    assert any("notes.txt" in r.getMessage() and "not a media file" in r.getMessage() for r in caplog.records)
    assert "Traceback" not in err


def test_every_input_predicted_exits_0_and_text_goes_to_stdout(model, tmp_path, voice, capsys):
    audio = voice(tmp_path / "a.wav", seconds=2.0)
    assert main(["predict", str(model), str(audio), "--segments"]) == 0
    out, err = capsys.readouterr()
    assert f"{audio.resolve()}\tarousal=" in out and "segment 1" in out
    assert "1 file(s), 1 utterance(s), 0 failed, 0 skipped" in _summary(err)


def test_quoted_glob_is_expanded_and_one_that_matches_nothing_fails(model, tmp_path, voice, capsys, caplog):
    voice(tmp_path / "clips" / "x" / "a.wav")
    voice(tmp_path / "clips" / "b.wav", seed=1)
    voice(tmp_path / "clips" / "c.flac", seed=2)
    (tmp_path / "clips" / "list.txt").write_text("x")
    code = main(["predict", str(model), str(tmp_path / "clips" / "**" / "*.wav"), str(tmp_path / "clips" / "*"),
                 str(tmp_path / "none" / "*.wav"), "--json", "--quiet"])
    assert code == 1
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    # each file once, though two patterns match it; the folder the second one matches is searched
    assert sorted(Path(r["path"]).name for r in records) == ["a.wav", "b.wav", "c.flac"]
    assert {"path", "start_s", "end_s", "speaker", "task", "label", "probabilities", "n_segments"} <= set(records[0])
    assert "3 file(s), 3 utterance(s), 1 failed, 1 skipped" in _summary(err)
    assert _failures(caplog) == [f"failed: {tmp_path / 'none' / '*.wav'}: no file matches this pattern"]


def test_manifest_rows_keep_their_windows_speakers_and_order(model, tmp_path, voice, capsys):
    voice(tmp_path / "audio" / "long.wav", seconds=6.0)
    voice(tmp_path / "audio" / "short.flac", seconds=1.5, seed=1)
    table = tmp_path / "list.csv"
    table.write_text("path,start_s,end_s,speaker,notes\n"
                     "audio/long.wav,3.0,5.5,ann,x\n"
                     "audio/short.flac,,,,\n"
                     f"{tmp_path / 'audio' / 'long.wav'},1,,bob,\n"
                     "audio/missing.wav,,,,\n")
    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), str(table), "--csv", str(out), "--quiet"]) == 1
    rows = pd.read_csv(out, keep_default_na=False)
    assert [Path(p).name for p in rows["path"]] == ["long.wav", "short.flac", "long.wav"]
    assert rows[["start_s", "end_s", "speaker"]].values.tolist() == [[3.0, 5.5, "ann"], [0.0, 1.5, ""],
                                                                    [1.0, 6.0, "bob"]]
    assert rows["n_segments"].tolist() == [3, 1, 6]
    assert "3 file(s), 3 utterance(s), 1 failed, 0 skipped" in _summary(capsys.readouterr().err)


@pytest.mark.parametrize("text, fragment", [
    ("path,start_s,end_s\na.wav,2,1\n", "does not end after it starts"),
    ("path,start_s\na.wav,soon\n", "start_s is not a number of seconds >= 0: 'soon' (row line 2)"),
    ("audio,speaker\na.wav,s\n", "lacks required column(s) path"),
])
def test_bad_manifest_is_one_line(model, tmp_path, text, fragment, capsys):
    table = tmp_path / "list.csv"
    table.write_text(text)
    assert main(["predict", str(model), str(table)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("avspnet predict: error: ") and fragment in err, err


def test_nothing_to_predict_and_bad_options_are_one_line(model, tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("x")
    for argv, fragment in [([str(tmp_path / "docs")], "no audio or video files in"),
                           ([str(tmp_path / "docs"), "--long-s", "0"], "--long-s must be a positive")]:
        assert main(["predict", str(model), *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err.startswith("avspnet predict: error: ") and fragment in err, err


def _normalising(model: Path, norm: str) -> Path:
    saved = torch.load(model, weights_only=True)
    saved["metadata"][SPEAKER_NORMALISATION] = norm
    torch.save(saved, model)
    return model


def test_a_model_with_an_unknown_speaker_normalisation_is_refused(model, tmp_path, voice, capsys):
    """A normalisation predict cannot apply is an error, never a prediction without it."""
    assert main(["predict", str(_normalising(model, "per-speaker z-score")), str(voice(tmp_path / "a.wav"))]) == 2
    assert "speaker normalisation 'per-speaker z-score' is not one" in capsys.readouterr().err


@pytest.mark.parametrize("norm", ["mean", "meanvar"])
def test_predict_normalises_per_file_as_the_head_was_trained(model, tmp_path, voice, monkeypatch, capsys, norm):
    """With a speaker-normalising model, a constant offset on every vector of one speaker (here: one file, no
    manifest speaker) cannot change a prediction; without normalisation it does."""
    files = [voice(tmp_path / f"{name}.wav", seconds=2.0, seed=seed) for seed, name in enumerate("ab")]
    offsets = {}
    real = RecognitionModel.segment_vectors

    def shifted(self, segments):
        paths = segments.utterances["path"].to_numpy()[segments.utt_index]
        return real(self, segments) + np.stack([offsets.get(Path(p).stem, np.zeros(8)) for p in paths]).astype(np.float32)

    monkeypatch.setattr(RecognitionModel, "segment_vectors", shifted)

    def probabilities(model_path):
        loaded, metadata = load_recognizer(model_path)
        predictor = Predictor(loaded, metadata)
        return np.concatenate([p.segment_probabilities for o in predictor.outcomes([Item(str(f)) for f in files])
                               for p in o.predictions])

    plain = probabilities(model)
    normalising = _normalising(Path(shutil.copy(model, tmp_path / "norm.pt")), norm)
    before = probabilities(normalising)
    offsets.update(a=np.full(8, 3.0), b=np.linspace(-5, 5, 8))
    np.testing.assert_allclose(probabilities(normalising), before, atol=1e-5)
    assert not np.allclose(probabilities(model), plain, atol=1e-3)
    assert main(["predict", str(_normalising(model, norm)), *map(str, files), "--quiet"]) == 0
    assert f"speaker normalisation {norm}: statistics per manifest speaker for 0 input(s), per input file for 2" \
        in _summary(capsys.readouterr().err)


def _loud_is_speech(samples: np.ndarray, model=None) -> np.ndarray:
    """A stand-in for silero: speech where a 32 ms chunk is loud (made voices are not speech to silero)."""
    count = -(-len(samples) // vad.CHUNK)
    chunks = np.zeros(count * vad.CHUNK, np.float32)
    chunks[: len(samples)] = samples
    return np.where(np.abs(chunks.reshape(count, -1)).max(axis=1) > 0.05, 0.95, 0.02).astype(np.float32)


def _made_recording(path: Path, voice, pieces: int = 6) -> Path:
    """Two alternating made voices of 2.5 s with 1.5 s pauses: 24 s."""
    parts = []
    for i in range(pieces):
        samples, _ = sf.read(voice(path.with_suffix(f".{i}.wav"), seconds=2.5, f0=110 if i % 2 else 240, seed=i),
                             dtype="float32")
        parts += [samples, np.zeros(int(1.5 * 16000), np.float32)]
        path.with_suffix(f".{i}.wav").unlink()
    sf.write(path, np.concatenate(parts), 16000)
    return path


def test_long_files_are_cut_into_utterances_with_times_speakers_and_timelines(model, tmp_path, voice, monkeypatch,
                                                                            capsys):
    monkeypatch.setattr(vad, "speech_probabilities", _loud_is_speech)
    first = _made_recording(tmp_path / "show" / "ep1.wav", voice)
    second = _made_recording(tmp_path / "other" / "ep2.flac", voice, pieces=4)
    short = voice(tmp_path / "short.wav", seconds=2.0)
    out = tmp_path / "pred.csv"
    argv = ["predict", str(model), str(first), str(second), str(short), "--csv", str(out), "--long-s", "10",
            "--speakers", "2", "--cache-dir", str(tmp_path / "cache"), "--quiet"]
    assert main(argv) == 0
    rows = pd.read_csv(out, keep_default_na=False)
    episode = rows[rows["path"] == str(first.resolve())]
    assert len(episode) == 6 and len(rows[rows["path"] == str(second.resolve())]) == 4
    truth = np.arange(6) * 4.0
    np.testing.assert_allclose(episode["start_s"], truth, atol=0.15)
    np.testing.assert_allclose(episode["end_s"], truth + 2.5, atol=0.15)
    assert episode["speaker"].tolist() == ["ep1_spk1", "ep1_spk2"] * 3  # the two voices, alternating
    assert rows[rows["path"] == str(short.resolve())][["start_s", "end_s", "speaker"]].values.tolist() == [[0, 2, ""]]
    assert (tmp_path / "pred.ep1.timeline.png").stat().st_size > 10_000
    assert (tmp_path / "pred.ep2.timeline.png").is_file() and not (tmp_path / "pred.timeline.png").exists()
    err = capsys.readouterr().err
    assert "3 file(s), 11 utterance(s), 0 failed, 0 skipped" in _summary(err)
    # one long file and --timeline: exactly that file
    assert main([*argv[:3], "--long-s", "10", "--timeline", str(tmp_path / "t.png"), "--quiet",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    assert (tmp_path / "t.png").is_file()
    assert f"{first.resolve()} [0.0" in capsys.readouterr().out


@pytest.mark.parametrize("batch_segments", [1, 4, 512])
def test_batched_predictions_are_each_files_own_in_input_order(model, tmp_path, voice, batch_segments):
    """Files embedded together give what each gives alone; a bad file in a batch fails alone, in its place."""
    files = [voice(tmp_path / f"{i}.wav", seconds=0.5 + i, f0=100 + 30 * i, seed=i) for i in range(4)]
    (tmp_path / "bad.wav").write_bytes(b"RIFF" + bytes(300))
    items = [Item(str(p)) for p in files[:2]] + [Item(str(tmp_path / "bad.wav"))] + [Item(str(p)) for p in files[2:]]
    loaded, metadata = load_recognizer(model)
    predictor = Predictor(loaded, metadata, batch_segments=batch_segments)
    outcomes = list(predictor.outcomes(items))
    assert [o.item for o in outcomes] == items and [bool(o.error) for o in outcomes] == [0, 0, 1, 0, 0]
    for outcome in (o for o in outcomes if not o.error):
        alone = predict_file(loaded, metadata, outcome.item.path)
        (batched,) = outcome.predictions
        assert batched.label == alone.label and batched.n_segments == alone.n_segments
        np.testing.assert_allclose(batched.segment_probabilities, alone.segment_probabilities, atol=1e-5)


def test_a_long_file_without_speech_fails_alone(model, tmp_path, voice, caplog):
    quiet = tmp_path / "quiet.wav"
    sf.write(quiet, np.full(16000 * 12, 1e-3, np.float32), 16000)
    predictor = Predictor(*load_recognizer(model), long_s=10, cache_dir=tmp_path / "cache")
    outcome = predictor.outcome(Item(str(quiet)))
    assert outcome.error and "no speech found" in outcome.error and not outcome.predictions


def test_cutting_a_file_in_process_leaves_torch_threads_as_they_were(tmp_path, voice, monkeypatch):
    monkeypatch.setattr(vad, "speech_probabilities", _loud_is_speech)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        ingest_media([_made_recording(tmp_path / "ep.wav", voice, pieces=2)], cache_dir=tmp_path / "cache",
                     workers=1, progress=False)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


def test_voice_clusters_print_no_import_warnings(tmp_path):
    """resemblyzer's imports (webrtcvad's pkg_resources, an old scipy namespace) warn on the user's terminal
    unless the first of them runs where the warnings are silenced."""
    code = "import numpy as np; from avspnet.ingest.speakers import embed; embed(np.ones(16000, np.float32) * 0.1)"
    done = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pkg_resources" not in done.stderr and "scipy.ndimage.morphology" not in done.stderr, done.stderr


@pytest.mark.integration
def test_long_multi_speaker_recording_of_real_clips(model, shared_data, tmp_path, capsys):
    """Twelve RAVDESS clips of three actors joined with 1.2 s pauses, as an MP3 of about 55 s."""
    truth = build_episode(shared_data / "ravdess", (8, 9, 10), 12, tmp_path / "episode.mp3")
    out = tmp_path / "episode.csv"
    assert main(["predict", str(model), str(tmp_path / "episode.mp3"), "--csv", str(out), "--quiet",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    rows = pd.read_csv(out, keep_default_na=False)
    assert len(rows) >= 6
    assert (rows["end_s"] > rows["start_s"]).all() and (np.diff(rows["start_s"]) > 0).all()
    assert rows["end_s"].max() <= truth[-1]["end_s"] + 1.5
    # each found utterance lies over one true clip
    for start, end in rows[["start_s", "end_s"]].itertuples(index=False):
        assert any(min(end, t["end_s"]) - max(start, t["start_s"]) > 0.5 * (end - start) for t in truth)
    assert rows["speaker"].str.startswith("episode_spk").all() and rows["speaker"].nunique() >= 2
    assert (tmp_path / "episode.timeline.png").stat().st_size > 10_000
