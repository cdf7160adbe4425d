"""Words, language and word times from offline Whisper-base (the optional `asr` extra).

Speech regions are decoded in runs of up to 30 s (Whisper's window), so
silence and music are never sent to it. Whisper's segments decide where
utterances break, but its word times are loose (often 0.3-1 s off), so each
segment is cut where it crosses a pause the VAD found, and an utterance
that starts or ends a speech region takes the region's edge. Speech the VAD
found but Whisper heard no word in stays, with an empty transcript; a
transcript faster than anyone speaks is dropped (the utterance stays). Both
are counted.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from ..proxy.transcribe import PARTS, implausible_transcript
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


@dataclass
class Transcribed:
    utterances: list[Utterance]
    language: str
    # VAD utterances in which Whisper heard no word: kept, with an empty transcript.
    unheard: int
    # Transcripts dropped for an impossible word rate: their utterances kept, with an empty transcript.
    implausible: int


def transcribe_speech(model, samples: np.ndarray, pieces: list[Utterance], config: IngestConfig,
                      sample_rate: int = 16000) -> Transcribed:
    """Utterances with text and words (all the VAD's speech), the language, and what had no usable text."""
    language = config.language or None
    segments_words: list[list[tuple[str, float, float]]] = []
    for start, end in _runs(pieces):
        audio = samples[round(start * sample_rate): round(end * sample_rate)]
        segments, info = model.transcribe(audio, language=language, beam_size=5, word_timestamps=True,
                                          vad_filter=False, condition_on_previous_text=False)
        language = language or info.language
        for segment in segments:
            words = [(w.word, start + w.start, start + w.end) for w in segment.words or [] if w.word.strip()]
            if words:
                segments_words.append(words)
    aligned = align(segments_words, pieces)
    unheard = sum(not u.words for u in aligned)
    utterances, implausible = plausible(join_close([part for u in aligned for part in split_words(u, config)], config))
    return Transcribed(utterances, language or "", unheard, implausible)


def plausible(utterances: list[Utterance]) -> tuple[list[Utterance], int]:
    """The utterances with every impossibly fast transcript emptied, and how many were."""
    out, dropped = [], 0
    for utterance in utterances:
        if utterance.text and implausible_transcript(utterance.text, utterance.duration):
            utterance = Utterance(utterance.start_s, utterance.end_s)
            dropped += 1
        out.append(utterance)
    return out, dropped


def align(segments: list[list[tuple[str, float, float]]], pieces: list[Utterance]) -> list[Utterance]:
    """Whisper segments cut at VAD pauses; a region's first and last utterance take the region's edges.

    A VAD utterance that no word falls in is kept whole, without text: speech
    Whisper did not transcribe is still speech.
    """
    starts = np.array([p.start_s for p in pieces])
    ends = np.array([p.end_s for p in pieces])

    def region(word: tuple[str, float, float]) -> int:
        overlap = np.minimum(ends, word[2]) - np.maximum(starts, word[1])
        return int(np.argmax(overlap))

    groups: list[tuple[int, list]] = []
    previous = None
    for number, words in enumerate(segments):
        for word in words:
            key = (number, region(word))
            if key == previous:
                groups[-1][1].append(word)
            else:
                groups.append((key[1], [word]))
            previous = key
    first = {index: position for position, (index, _) in reversed(list(enumerate(groups)))}
    last = {index: position for position, (index, _) in enumerate(groups)}
    out = []
    for position, (index, words) in enumerate(groups):
        start = pieces[index].start_s if first[index] == position else words[0][1]
        end = pieces[index].end_s if last[index] == position else words[-1][2]
        if end > start:
            out.append(Utterance(start, end, "".join(w[0] for w in words).strip(), words))
    out += [Utterance(piece.start_s, piece.end_s) for index, piece in enumerate(pieces) if index not in first]
    return sorted(out, key=lambda u: u.start_s)
