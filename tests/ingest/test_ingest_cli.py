"""`avspnet ingest` end to end: bad media gives one line each, real episodes give utterances and speakers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from avspnet.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_ingest import boundary_recall, build_episode, purity  # noqa: E402


def test_bad_media_one_line_each_and_no_empty_manifest(tmp_path, media, capsys, caplog):
    encode, video_only = media
    folder = tmp_path / "media"
    folder.mkdir()
    video_only(folder / "silent_film.mp4")
    (folder / "notes.mp3").write_text("not audio\n" * 50)
    sf.write(folder / "silence.wav", np.zeros(16000 * 3, np.float32), 16000)
    rng = np.random.default_rng(0)
    sf.write(folder / "noise.flac", 0.01 * rng.standard_normal(8000 * 3), 8000)
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    code = main(["ingest", str(folder), str(tmp_path / "missing"), "-o", str(tmp_path / "m.csv"), "--asr", "off",
                 "--cache-dir", str(tmp_path / "cache"), "--workers", "1"])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error" in line.lower()]  # progress bars aside
    assert code == 2 and "Traceback" not in err and "Note:" not in err
    assert len(errors) == 1 and "no speech found in 4 file(s)" in errors[0], err
    assert not (tmp_path / "m.csv").exists()
    logged = caplog.text
    for name, reason in [("silent_film.mp4", "no audio track"), ("notes.mp3", "cannot decode"),
                         ("silence.wav", "no speech found"), ("noise.flac", "no speech found"),
                         ("cover.jpg", "not a media file"), ("missing", "not found")]:
        assert any(name in line and reason in line for line in logged.splitlines()), (name, logged)
    assert "8000 Hz audio upsampled" in logged


@pytest.mark.integration
def test_episodes_of_known_speakers(shared_data, tmp_path, capsys, caplog):
    """Three actors, 18 clips with pauses, as an MP3; again as 8 kHz telephone audio and as 6 channels."""
    folder = tmp_path / "media"
    folder.mkdir()
    truth = build_episode(shared_data / "ravdess", (1, 2, 4), 18, folder / "episode01.mp3")
    samples, _ = sf.read(folder / "episode01.mp3", dtype="float32")
    import soxr

    sf.write(folder / "phone.wav", soxr.resample(samples, 16000, 8000), 8000)
    sf.write(folder / "surround.flac", np.stack([samples] * 6, axis=1), 16000)
    out = tmp_path / "media.csv"
    args = ["ingest", str(folder), "-o", str(out), "--asr", "off", "--cache-dir", str(tmp_path / "cache")]
    assert main(args) == 0
    manifest = pd.read_csv(out)
    for episode in ("episode01", "phone", "surround"):
        found = manifest[manifest["group"] == episode].to_dict("records")
        assert 16 <= len(found) <= 20, (episode, len(found))
        assert boundary_recall(truth, found) >= 0.85, episode
        if episode != "phone":  # band-limited voices sound alike to GE2E: 2 clusters, purity 0.67 there
            assert 2 <= len({u["speaker"] for u in found}) <= 5 and purity(truth, found) >= 0.8, episode
    assert (manifest["end_s"] > manifest["start_s"]).all() and manifest["transcript"].isna().all()
    assert "8000 Hz audio upsampled" in caplog.text and "6 channels down-mixed" in caplog.text
    summary = capsys.readouterr().out
    assert "episode01" in summary and "manifest written" in summary
    assert main(args) == 0  # resumed from the per-file cache: same manifest
    pd.testing.assert_frame_equal(pd.read_csv(out), manifest)
