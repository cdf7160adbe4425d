"""Manifest rows that are windows of one long file: features, acoustic measures and caching honour them."""

import numpy as np
import soundfile as sf

from avspnet.audio import load_audio
from avspnet.corpora.manifest import make_manifest
from avspnet.features.cache import extract_features
from avspnet.features.spectrogram import log_spectrogram
from avspnet.proxy.acoustic import measure_samples
from avspnet.proxy.cache import acoustic_values
from avspnet.proxy.config import AcousticConfig

WINDOWS = [("low", 0.5, 2.5), ("high", 3.0, 5.0), ("whole", None, None)]


def _long_file(tmp_path, voice):
    """A low voice then a high one, 6 s in all."""
    low = sf.read(voice(tmp_path / "a.wav", seconds=3.0, f0=110, level=0.1, seed=1))[0]
    high = sf.read(voice(tmp_path / "b.wav", seconds=3.0, f0=260, level=0.5, seed=2))[0]
    path = tmp_path / "episode.flac"
    sf.write(path, np.concatenate([low, high]), 16000)
    return path


def _manifest(path):
    return make_manifest([{"utt_id": name, "path": str(path), "speaker": "s", "start_s": start, "end_s": end}
                          for name, start, end in WINDOWS])


def test_feature_cache_keys_and_values_follow_the_window(tmp_path, voice, cache_dir):
    path = _long_file(tmp_path, voice)
    manifest = _manifest(path)
    index = extract_features(manifest, cache_dir=cache_dir, workers=1, progress=False)
    assert index.computed == 3 and len({p.name for p in index.paths.values()}) == 3
    whole = load_audio(path)
    for name, start, end in WINDOWS[:2]:
        expected = log_spectrogram(whole[round(start * 16000):round(end * 16000)])
        np.testing.assert_allclose(np.load(index.paths[name]), expected, atol=1e-5)
    assert np.load(index.paths["whole"]).shape[1] == log_spectrogram(whole).shape[1]
    again = extract_features(manifest, cache_dir=cache_dir, workers=1, progress=False)
    assert (again.computed, again.reused) == (0, 3)


def test_acoustic_measures_follow_the_window(tmp_path, voice, cache_dir):
    path = _long_file(tmp_path, voice)
    config = AcousticConfig()
    values, _ = acoustic_values(_manifest(path), config, cache_dir=cache_dir, workers=1, progress=False)
    pitch = dict(zip(values["utt_id"], values["median_pitch_hz"]))
    assert abs(pitch["low"] - 110) < 5 and abs(pitch["high"] - 260) < 10
    expected, _ = measure_samples(load_audio(path, 16000, 3.0, 5.0), config)
    assert pitch["high"] == expected["median_pitch_hz"]


def test_transcripts_are_of_the_window(tmp_path, voice):
    """`transcribe` hands the recogniser each row's window, not the whole file."""
    from types import SimpleNamespace

    from avspnet.proxy.transcribe import transcribe_manifest

    heard = {}

    class Recogniser:
        def transcribe(self, samples, language=None, beam_size=5):
            heard[len(heard)] = samples
            return [SimpleNamespace(text=f"{len(samples)} samples")], SimpleNamespace(language="en")

    path = _long_file(tmp_path, voice)
    frame, done, _ = transcribe_manifest(_manifest(path), Recogniser(), progress=False)
    assert done == 3
    whole = load_audio(path)
    by_utt = dict(zip(frame["utt_id"], frame["transcript"]))
    for i, (name, start, end) in enumerate(sorted(WINDOWS)):
        expected = whole if start is None else whole[round(start * 16000):round(end * 16000)]
        assert by_utt[name] == f"{len(expected)} samples"
        np.testing.assert_array_equal(heard[i], expected)
