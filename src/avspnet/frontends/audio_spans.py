"""Per-utterance work for front-ends that read audio: each segment's samples, utterance by utterance.

An utterance's audio is its manifest row's Window (`audio.manifest_windows`):
the span of a long file for a windowed row, as the spectrogram was cut
from, never the whole file.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..audio import Window, manifest_windows
from ..features.dataset import SegmentSet
from ..features.segments import segment_sample_spans
from ..parallel import map_jobs
from .base import EmbedContext


def utterance_jobs(segments: SegmentSet, context: EmbedContext) -> list[tuple[Window, np.ndarray, np.ndarray, np.ndarray]]:
    """(audio window, segment rows, span starts, span ends) per utterance, in utterance order.

    Spans are samples of the window, from its start.
    """
    starts, ends = segment_sample_spans(segments.utt_index, context.features)
    jobs = []
    for utt, window in enumerate(manifest_windows(segments.utterances)):
        rows = np.flatnonzero(segments.utt_index == utt)
        jobs.append((window, rows, starts[rows], ends[rows]))
    return jobs


def per_utterance(function: Callable, segments: SegmentSet, context: EmbedContext, dim: int,
                  desc: str) -> np.ndarray:
    """Run `function(samples, starts, ends, rate) -> (n_spans, dim)` per utterance over processes; place the rows.

    Audio is read as the feature extractor reads it (16 kHz mono), so the
    spans are the very samples the spectrogram segments were cut from.
    """
    jobs = utterance_jobs(segments, context)
    rate = context.features.sample_rate
    work = [(window, starts, ends, rate, function) for window, _, starts, ends in jobs]
    blocks = map_jobs(_run, work, context.workers, context.progress, desc=desc,
                      unit="utt", chunksize=4, spawn=True)
    out = np.zeros((len(segments), dim), dtype=np.float32)
    for (_, rows, _, _), block in zip(jobs, blocks):
        out[rows] = block
    return out


def _run(job) -> np.ndarray:
    window, starts, ends, rate, function = job
    return function(window.load(rate), starts, ends, rate)
