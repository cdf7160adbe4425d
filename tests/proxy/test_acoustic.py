import math
from dataclasses import replace

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from avspnet.corpora.manifest import make_manifest
from avspnet.errors import ConfigError
from avspnet.proxy.acoustic import measure_file, measure_samples, normalise_gain
from avspnet.proxy.cache import acoustic_values
from avspnet.proxy.config import LUFS_TARGET, AcousticConfig

CONFIG = AcousticConfig()


def test_higher_f0_and_level_give_higher_values(tmp_path, voice):
    low, _ = measure_file(str(voice(tmp_path / "low.wav", f0=120, level=0.05)), CONFIG)
    high, note = measure_file(str(voice(tmp_path / "high.wav", f0=240, level=0.5)), CONFIG)
    assert note == ""
    assert abs(low["median_pitch_hz"] - 120) < 3 and abs(high["median_pitch_hz"] - 240) < 5
    assert high["median_intensity_db"] > low["median_intensity_db"] + 15  # 20*log10(10) = 20 dB
    assert high["voiced_fraction"] > 0.9 and 0 <= high["hf500"] <= 1 and high["jitter"] < 0.01


def test_silent_and_unvoiced_files(tmp_path):
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(16000, dtype=np.float32), 16000)
    values, note = measure_file(str(silent), CONFIG)
    assert note == "silent audio" and all(math.isnan(v) for v in values.values())
    noise = tmp_path / "noise.wav"
    sf.write(str(noise), (0.1 * np.random.default_rng(0).standard_normal(16000)).astype(np.float32), 16000)
    values, note = measure_file(str(noise), CONFIG)
    assert "no voiced frames" in note
    assert math.isnan(values["median_pitch_hz"]) and math.isfinite(values["median_intensity_db"])


def test_cache_reuse_and_counted_skips(tmp_path, voice, cache_dir):
    paths = [voice(tmp_path / f"u{i}.wav", f0=100 + 20 * i, seed=i) for i in range(2)]
    paths.append(tmp_path / "missing.wav")
    manifest = make_manifest([{"utt_id": p.stem, "path": str(p), "speaker": "s"} for p in paths])
    first, skips = acoustic_values(manifest, CONFIG, cache_dir, workers=1, progress=False)
    assert skips.counts == {"audio file not found": 1}
    assert len(list(cache_dir.rglob("*.json"))) == 2
    again, _ = acoustic_values(manifest, CONFIG, cache_dir, workers=1, progress=False)
    np.testing.assert_array_equal(first["median_pitch_hz"], again["median_pitch_hz"])
    pitch = first.set_index("utt_id")["median_pitch_hz"]
    assert math.isnan(pitch["missing"]) and pitch["u1"] > pitch["u0"]


def test_gain_normalisation_leaves_only_intensity_gain_dependent(tmp_path, voice):
    quiet = voice(tmp_path / "quiet.wav", level=0.03)
    loud = tmp_path / "loud.wav"  # the same signal, 26 dB up
    sf.write(str(loud), 20 * sf.read(str(quiet), dtype="float32")[0], 16000, subtype="FLOAT")
    as_recorded = [measure_file(str(p), CONFIG)[0] for p in (quiet, loud)]
    assert as_recorded[1]["median_intensity_db"] > as_recorded[0]["median_intensity_db"] + 20
    for name in ("median_pitch_hz", "hf500", "jitter"):
        assert as_recorded[0][name] == pytest.approx(as_recorded[1][name], rel=1e-3)
    for gain in ("peak", "lufs"):
        config = replace(CONFIG, gain=gain)
        normalised = [measure_file(str(p), config)[0] for p in (quiet, loud)]
        assert normalised[0]["median_intensity_db"] == pytest.approx(normalised[1]["median_intensity_db"], abs=0.05)
        assert normalised[0]["median_pitch_hz"] == pytest.approx(as_recorded[0]["median_pitch_hz"], rel=1e-3)


def test_normalise_gain_targets(tmp_path, voice):
    samples = sf.read(str(voice(tmp_path / "v.wav", level=0.05)))[0]
    assert np.max(np.abs(normalise_gain(samples, replace(CONFIG, gain="peak")))) == pytest.approx(1.0)
    lufs = normalise_gain(samples, replace(CONFIG, gain="lufs"))
    assert pyloudnorm.Meter(16000).integrated_loudness(lufs) == pytest.approx(LUFS_TARGET, abs=0.01)
    short = normalise_gain(samples[:1600], replace(CONFIG, gain="lufs"))  # 100 ms: one BS.1770 block
    assert np.isfinite(short).all() and np.max(np.abs(short)) > np.max(np.abs(samples))
    values, note = measure_samples(np.full(16000, 2e-4, dtype=np.float32), replace(CONFIG, gain="lufs"))
    assert "loudness gate" in note and all(math.isnan(v) for v in values.values())


def test_gain_is_checked_and_keys_the_cache(tmp_path, voice, cache_dir):
    with pytest.raises(ConfigError, match="gain"):
        AcousticConfig(gain="rms")
    manifest = make_manifest([{"utt_id": "u", "path": str(voice(tmp_path / "u.wav")), "speaker": "s"}])
    for gain in ("none", "lufs"):
        acoustic_values(manifest, replace(CONFIG, gain=gain), cache_dir, workers=1, progress=False)
    assert len(list(cache_dir.rglob("*.json"))) == 2
