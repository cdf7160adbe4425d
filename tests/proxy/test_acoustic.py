import math

import numpy as np
import soundfile as sf

from avspnet.corpora.manifest import make_manifest
from avspnet.proxy.acoustic import measure_file
from avspnet.proxy.cache import acoustic_values
from avspnet.proxy.config import AcousticConfig

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
