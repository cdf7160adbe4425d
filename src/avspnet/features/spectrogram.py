"""Log-magnitude STFT exactly as the paper sets it (20 ms Hamming, 10 ms hop, 800-point DFT, 0-4 kHz).

Frames are not centred or padded: frame t covers samples
[t*hop, t*hop + win); the DFT zero-pads each windowed frame to n_fft. All
frames go through one batched real FFT.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import get_window

from ..audio import load_audio
from ..errors import AudioError
from .config import FeatureConfig


@lru_cache(maxsize=8)
def analysis_window(win_length: int) -> np.ndarray:
    """Periodic Hamming window (scipy's `get_window('hamming', N)`)."""
    return get_window("hamming", win_length).astype(np.float32)


def n_frames(n_samples: int, config: FeatureConfig) -> int:
    if n_samples < config.win_length:
        return 0
    return 1 + (n_samples - config.win_length) // config.hop_length


def log_spectrogram(samples: np.ndarray, config: FeatureConfig = FeatureConfig()) -> np.ndarray:
    """(n_bins, n_frames) float32 log magnitudes; (n_bins, 0) for audio shorter than one window."""
    count = n_frames(len(samples), config)
    if count == 0:
        return np.zeros((config.n_bins, 0), dtype=np.float32)
    frames = sliding_window_view(samples, config.win_length)[:: config.hop_length][:count]
    spectrum = np.fft.rfft(frames * analysis_window(config.win_length), n=config.n_fft, axis=1)
    magnitude = np.abs(spectrum[:, : config.n_bins])
    return np.log(np.maximum(magnitude, config.log_floor)).T.astype(np.float32)


def file_spectrogram(path: str | Path, config: FeatureConfig = FeatureConfig(), start_s: float | None = None,
                     end_s: float | None = None) -> np.ndarray:
    """Log spectrogram of a file or of its window [start_s, end_s).

    Silent or too-short audio is an AudioError, not a row of floor values.
    """
    samples = load_audio(path, config.sample_rate, start_s, end_s)
    if float(np.max(np.abs(samples))) < config.silence_peak:
        raise AudioError(f"silent audio: {path}")
    spectrogram = log_spectrogram(samples, config)
    if spectrogram.shape[1] == 0:
        raise AudioError(f"shorter than one analysis window: {path}")
    return spectrogram
