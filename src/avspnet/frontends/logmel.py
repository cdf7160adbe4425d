"""Log-mel statistics: the cheapest sensible baseline, from the spectrogram segments already cached.

40 triangular mel bands (HTK mel scale) over the segment's 0-4 kHz linear
bins, log energy per frame, then mean and standard deviation over the
segment's 80 frames: 80 numbers per segment, no training, no audio re-read.
"""

from __future__ import annotations

import functools

import numpy as np

from ..configio import config_hash
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet
from .base import EmbedContext, FrontEnd
from .registry import registered

N_MELS = 40
ENERGY_FLOOR = 1e-10


def _mel(hz: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + hz / 700.0)


@functools.lru_cache(maxsize=4)
def mel_filterbank(features: FeatureConfig, n_mels: int = N_MELS) -> np.ndarray:
    """(n_mels, n_bins) triangles, equally spaced in mel from 0 Hz to the top bin's edge."""
    bin_hz = np.arange(features.n_bins) * features.sample_rate / features.n_fft
    edges_mel = np.linspace(0.0, _mel(np.array(features.max_freq_hz)), n_mels + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bin_hz - lower) / (centre - lower)
    falling = (upper - bin_hz) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def logmel_stats(segments: np.ndarray, features: FeatureConfig) -> np.ndarray:
    """(N, 2 * N_MELS): per-band mean then per-band std of log mel energy over each segment's frames."""
    bank = mel_filterbank(features)
    power = np.exp(2.0 * np.asarray(segments, dtype=np.float32))
    logmel = np.log(np.maximum(np.einsum("mb,nbt->nmt", bank, power), ENERGY_FLOOR))
    return np.concatenate([logmel.mean(axis=2), logmel.std(axis=2)], axis=1).astype(np.float32)


@registered("baseline", "mean and std of 40 log-mel bands (0-4 kHz) over each segment",
            "negligible (from the cached spectrogram)")
class LogMelStats(FrontEnd):
    name = "logmel-stats"
    dim = 2 * N_MELS

    def content_hash(self) -> str:
        return "logmel-stats-" + config_hash({"n_mels": N_MELS, "floor": ENERGY_FLOOR, "scale": "htk", "version": 1})

    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        block = 4096
        return np.concatenate([logmel_stats(segments.segments[i:i + block], context.features)
                               for i in range(0, len(segments), block)])
