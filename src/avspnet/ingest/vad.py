"""Speech regions with silero-vad, the TorchScript model shipped inside its wheel (never a hub download).

The model is recurrent over 32 ms chunks, which makes one long file a long
serial loop. The file is cut into 30 s streams, each warmed up on the 2 s
before it, and all streams step through the model together as one batch:
about 30x fewer model calls for the same probabilities (within the warm-up's
reach of the serial ones).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import torch

from .config import IngestConfig

SAMPLE_RATE = 16000
CHUNK = 512  # samples per model step at 16 kHz (32 ms)
STREAM_CHUNKS = 938  # ~30 s
WARMUP_CHUNKS = 63  # ~2 s


@lru_cache(maxsize=1)
def vad_model():
    """The packaged model; importing silero_vad sets torch's thread count to 1, so it is put back."""
    threads = torch.get_num_threads()
    from silero_vad.utils_vad import init_jit_model

    torch.set_num_threads(threads)
    return init_jit_model(str(resources.files("silero_vad.data").joinpath("silero_vad.jit")))


@torch.inference_mode()
def speech_probabilities(samples: np.ndarray, model=None) -> np.ndarray:
    """Probability of speech per 32 ms chunk of 16 kHz `samples`."""
    model = model or vad_model()
    count = -(-len(samples) // CHUNK)
    if count == 0:
        return np.zeros(0, np.float32)
    streams = -(-count // STREAM_CHUNKS)
    padded = np.zeros((WARMUP_CHUNKS + streams * STREAM_CHUNKS) * CHUNK, np.float32)
    padded[WARMUP_CHUNKS * CHUNK: WARMUP_CHUNKS * CHUNK + len(samples)] = samples
    chunks = padded.reshape(-1, CHUNK)
    starts = np.arange(streams) * STREAM_CHUNKS
    steps = min(STREAM_CHUNKS + WARMUP_CHUNKS, len(chunks))
    out = np.zeros((streams, steps), np.float32)
    model.reset_states()
    for step in range(steps):
        rows = np.minimum(starts + step, len(chunks) - 1)
        out[:, step] = model(torch.from_numpy(chunks[rows]), SAMPLE_RATE).numpy()[:, 0]
    return out[:, WARMUP_CHUNKS:].reshape(-1)[:count]


def speech_regions(probabilities: np.ndarray, config: IngestConfig) -> list[tuple[float, float]]:
    """(start_s, end_s) of speech: silero's hysteresis, minimum speech and silence, padding."""
    step = CHUNK / SAMPLE_RATE
    high, low = config.vad_threshold, max(config.vad_threshold - 0.15, 0.01)
    regions, start, quiet = [], None, 0
    for index, p in enumerate(probabilities):
        if start is None:
            if p >= high:
                start, quiet = index, 0
            continue
        quiet = quiet + 1 if p < low else 0
        if quiet * step >= config.min_silence_s:
            regions.append((start, index - quiet + 1))
            start = None
    if start is not None:
        regions.append((start, len(probabilities)))
    end_s = len(probabilities) * step
    out = []
    for first, last in regions:
        if (last - first) * step < config.min_speech_s:
            continue
        begin = max(0.0, first * step - config.speech_pad_s)
        finish = min(end_s, last * step + config.speech_pad_s)
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], finish)
        else:
            out.append((begin, finish))
    return out
