import numpy as np
import pytest
from scipy.signal import stft

from avspnet.errors import ConfigError
from avspnet.features.config import FeatureConfig
from avspnet.features.segments import cut_segments
from avspnet.features.spectrogram import log_spectrogram

CONFIG = FeatureConfig()


def test_paper_geometry():
    assert (CONFIG.win_length, CONFIG.hop_length, CONFIG.n_fft, CONFIG.n_bins) == (320, 160, 800, 200)
    # 80 frames span 79 hops plus one window: 810 ms.
    assert (CONFIG.segment_frames - 1) * CONFIG.hop_ms + CONFIG.window_ms == 810


def test_matches_scipy_stft_reference():
    """Pinned against scipy.signal.stft: log magnitudes agree within 1e-4 (float32 FFT vs float64)."""
    rng = np.random.default_rng(0)
    samples = (0.1 * rng.standard_normal(16000 + 123)).astype(np.float32)
    ours = log_spectrogram(samples, CONFIG)
    _, _, ref = stft(samples.astype(np.float64), fs=16000, window="hamming", nperseg=320, noverlap=160,
                     nfft=800, boundary=None, padded=False, detrend=False, scaling="spectrum")
    window_sum = np.hamming(321)[:-1].sum()
    ref_log = np.log(np.maximum(np.abs(ref[:200]) * window_sum, CONFIG.log_floor))
    assert ours.shape == (200, 1 + (len(samples) - 320) // 160) == ref_log.shape
    np.testing.assert_allclose(ours, ref_log, atol=1e-4)


def test_tone_peaks_in_its_bin():
    t = np.arange(16000) / 16000
    ours = log_spectrogram(np.sin(2 * np.pi * 1000 * t).astype(np.float32))
    assert np.all(ours.argmax(axis=0) == 50)  # 1000 Hz / 20 Hz per bin


def test_floor_keeps_silence_finite():
    ours = log_spectrogram(np.zeros(4000, dtype=np.float32))
    assert np.all(ours == np.float32(np.log(CONFIG.log_floor)))


def test_segments_shape_and_short_policy():
    spec = np.random.default_rng(1).standard_normal((200, 250)).astype(np.float32)
    segments = cut_segments(spec, CONFIG)
    assert segments.shape == (3, 200, 80)
    np.testing.assert_array_equal(segments[1], spec[:, 80:160])
    short = spec[:, :50]
    assert cut_segments(short, CONFIG).shape == (0, 200, 80)
    padded = cut_segments(short, FeatureConfig(short_policy="pad"))
    assert padded.shape == (1, 200, 80)
    np.testing.assert_array_equal(padded[0, :, :50], short)
    overlapping = cut_segments(spec, FeatureConfig(segment_hop=40))
    assert overlapping.shape == (5, 200, 80)


def test_invalid_config_is_a_clear_error():
    with pytest.raises(ConfigError, match="short_policy"):
        FeatureConfig(short_policy="repeat")
    with pytest.raises(ConfigError, match="n_fft"):
        FeatureConfig(n_fft=256)
