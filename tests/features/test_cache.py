import numpy as np
import pytest
import soundfile as sf

from avspnet.audio import load_audio
from avspnet.corpora.manifest import make_manifest
from avspnet.errors import AudioError, ConfigError, CorpusError
from avspnet.features.cache import extract_features, manifest_shard
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import load_segments


def _manifest(paths):
    return make_manifest([
        {"utt_id": p.stem, "path": str(p), "speaker": "s", "duration_s": 1.0, "arousal": i % 2}
        for i, p in enumerate(paths)
    ])


def test_cache_reuses_and_invalidates(tmp_path, voice, cache_dir):
    paths = [voice(tmp_path / f"u{i}.wav", seconds=1.0 + i, seed=i) for i in range(3)]
    manifest = _manifest(paths)
    first = extract_features(manifest, cache_dir=cache_dir, workers=1, progress=False)
    assert (first.computed, first.reused) == (3, 0)
    again = extract_features(manifest, cache_dir=cache_dir, workers=1, progress=False)
    assert (again.computed, again.reused) == (0, 3)
    voice(paths[0], seconds=1.5, seed=9)  # changed audio -> that file only recomputed
    changed = extract_features(manifest, cache_dir=cache_dir, workers=1, progress=False)
    assert (changed.computed, changed.reused) == (1, 2)
    other = extract_features(manifest, FeatureConfig(log_floor=1e-6), cache_dir=cache_dir, workers=1, progress=False)
    assert other.computed == 3


def test_parallel_matches_serial(tmp_path, voice):
    paths = [voice(tmp_path / f"u{i}.wav", seconds=1.0, seed=i) for i in range(9)]
    manifest = _manifest(paths)
    serial = load_segments(manifest, cache_dir=tmp_path / "a", workers=1, progress=False)
    parallel = load_segments(manifest, cache_dir=tmp_path / "b", workers=2, progress=False)
    np.testing.assert_array_equal(serial.segments, parallel.segments)


def test_bad_files_are_skipped_and_counted(tmp_path, voice, cache_dir):
    good = voice(tmp_path / "good.wav", seconds=2.0)
    short = voice(tmp_path / "short.wav", seconds=0.5)
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(16000, dtype=np.float32), 16000)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00not audio")
    empty = tmp_path / "empty.wav"
    sf.write(str(empty), np.zeros(0, dtype=np.float32), 16000)
    missing = tmp_path / "missing.wav"
    manifest = _manifest([good, short, silent, corrupt, empty, missing])
    result = load_segments(manifest, cache_dir=cache_dir, workers=1, progress=False)
    assert list(result.utterances["utt_id"]) == ["good"]
    assert result.segments.shape == (2, 200, 80)
    reasons = " ".join(result.skips.counts)
    for word in ("silent", "not found", "decode", "zero-length", "shorter than one segment"):
        assert word in reasons, reasons
    assert result.skips.total == 5
    np.testing.assert_array_equal(result.labels("arousal"), [0, 0])


def test_all_skipped_is_an_error(tmp_path, cache_dir):
    with pytest.raises(CorpusError, match="no segments"):
        load_segments(_manifest([tmp_path / "missing.wav"]), cache_dir=cache_dir, progress=False)


def test_resample_and_downmix(tmp_path, voice):
    path = voice(tmp_path / "stereo44k.wav", seconds=1.0, sample_rate=44100, channels=2)
    samples = load_audio(path, 16000)
    assert samples.dtype == np.float32 and samples.shape == (16000,)
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")


def test_shards_fill_one_cache(tmp_path, voice, cache_dir):
    manifest = _manifest([voice(tmp_path / f"u{i}.wav", seconds=1.0, seed=i) for i in range(5)])
    parts = [manifest_shard(manifest, f"{k}/2") for k in range(2)]
    assert sorted(parts[0]["utt_id"].tolist() + parts[1]["utt_id"].tolist()) == sorted(manifest["utt_id"])
    for part in parts:
        extract_features(part, cache_dir=cache_dir, workers=1, progress=False)
    assert extract_features(manifest, cache_dir=cache_dir, workers=1, progress=False).computed == 0
    with pytest.raises(ConfigError):
        manifest_shard(manifest, "2/2")
