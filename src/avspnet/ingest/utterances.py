"""Speech regions -> utterances of `min_s`..`max_s` seconds: join close neighbours, split long stretches."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import IngestConfig


@dataclass
class Utterance:
    start_s: float
    end_s: float
    text: str = ""
    words: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.end_s - self.start_s


def join_close(pieces: list[Utterance], config: IngestConfig) -> list[Utterance]:
    """Join neighbours separated by less than `merge_gap_s` while the result stays within `max_s`."""
    out: list[Utterance] = []
    for piece in pieces:
        last = out[-1] if out else None
        if last and piece.start_s - last.end_s < config.merge_gap_s and piece.end_s - last.start_s <= config.max_s:
            text = f"{last.text} {piece.text}".strip()
            out[-1] = Utterance(last.start_s, piece.end_s, text, last.words + piece.words)
        else:
            out.append(piece)
    return out


def split_long(region: tuple[float, float], probabilities: np.ndarray, step_s: float,
               config: IngestConfig) -> list[Utterance]:
    """Cut a region longer than `max_s` at its least speech-like chunk, recursively, keeping parts >= `min_s`."""
    start, end = region
    if end - start <= config.max_s:
        return [Utterance(start, end)]
    first = int(np.ceil((start + config.min_s) / step_s))
    last = int((end - config.min_s) / step_s)
    inside = probabilities[first:last]
    if inside.size == 0:
        return [Utterance(start, end)]
    middle = (start + end) / 2
    times = (np.arange(first, first + inside.size) + 0.5) * step_s
    # The deepest pause; among equals, the one nearest the middle.
    cut = float(times[np.lexsort((np.abs(times - middle), inside))[0]])
    return (split_long((start, cut), probabilities, step_s, config)
            + split_long((cut, end), probabilities, step_s, config))


def vad_utterances(regions: list[tuple[float, float]], probabilities: np.ndarray, step_s: float,
                   config: IngestConfig) -> list[Utterance]:
    pieces = [part for region in regions for part in split_long(region, probabilities, step_s, config)]
    return join_close(pieces, config)


def split_words(utterance: Utterance, config: IngestConfig) -> list[Utterance]:
    """An ASR segment over `max_s` cut at its widest gap between words, recursively."""
    words = utterance.words
    if utterance.duration <= config.max_s or len(words) < 2:
        return [utterance]
    gaps = [(words[i + 1][1] - words[i][2], i) for i in range(len(words) - 1)
             if words[i][2] - utterance.start_s >= config.min_s and utterance.end_s - words[i + 1][1] >= config.min_s]
    if not gaps:
        return [utterance]
    _, i = max(gaps)
    left = Utterance(utterance.start_s, words[i][2], "".join(w[0] for w in words[: i + 1]).strip(), words[: i + 1])
    right = Utterance(words[i + 1][1], utterance.end_s, "".join(w[0] for w in words[i + 1:]).strip(), words[i + 1:])
    return split_words(left, config) + split_words(right, config)
