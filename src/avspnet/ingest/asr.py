"""Words, language and word times from offline Whisper-base (the optional `asr` extra).

Speech regions are decoded in runs of up to 30 s (Whisper's window), so
silence and music are never sent to it; the segments it returns become the
utterance boundaries, tightened to the first and last word.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from ..proxy.transcribe import PARTS
from .config import IngestConfig
from .utterances import Utterance, join_close, split_words

WINDOW_S = 28.0


def asr_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("faster_whisper", *PARTS))


def _runs(pieces: list[Utterance]) -> list[tuple[float, float]]:
    """Consecutive VAD utterances grouped into spans of at most WINDOW_S seconds."""
    runs: list[list[float]] = []
    for piece in pieces:
        if runs and piece.end_s - runs[-1][0] <= WINDOW_S:
            runs[-1][1] = piece.end_s
        else:
            runs.append([piece.start_s, min(piece.end_s, piece.start_s + WINDOW_S)])
    return [(a, b) for a, b in runs]


def transcribe_speech(model, samples: np.ndarray, pieces: list[Utterance], config: IngestConfig,
                      sample_rate: int = 16000) -> tuple[list[Utterance], str, int]:
    """(utterances with text and words, language, runs in which Whisper heard no words)."""
    language = config.language or None
    found: list[Utterance] = []
    silent = 0
    for start, end in _runs(pieces):
        audio = samples[round(start * sample_rate): round(end * sample_rate)]
        segments, info = model.transcribe(audio, language=language, beam_size=5, word_timestamps=True,
                                          vad_filter=False, condition_on_previous_text=False)
        language = language or info.language
        heard = False
        for segment in segments:
            words = [(w.word, start + w.start, start + w.end) for w in segment.words or [] if w.word.strip()]
            if not words:
                continue
            heard = True
            found.append(Utterance(words[0][1], min(end, words[-1][2]), segment.text.strip(), words))
        silent += not heard
    utterances = [part for segment in found for part in split_words(segment, config)]
    return join_close(utterances, config), language or "", silent
