"""Per-utterance work for front-ends that read audio: each segment's samples, utterance by utterance."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..audio import load_audio
from ..features.dataset import SegmentSet
from ..features.segments import segment_sample_spans
from ..parallel import map_jobs
from .base import EmbedContext


def utterance_jobs(segments: SegmentSet, context: EmbedContext) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(audio path, segment rows, span starts, span ends) per utterance, in utterance order."""
    starts, ends = segment_sample_spans(segments.utt_index, context.features)
    paths = segments.utterances["path"].to_numpy()
    jobs = []
    for utt in range(len(segments.utterances)):
        rows = np.flatnonzero(segments.utt_index == utt)
        jobs.append((str(paths[utt]), rows, starts[rows], ends[rows]))
    return jobs


def per_utterance(function: Callable, segments: SegmentSet, context: EmbedContext, dim: int,
                  desc: str) -> np.ndarray:
    """Run `function(samples, starts, ends, rate) -> (n_spans, dim)` per utterance over processes; place the rows.

    Audio is read as the feature extractor reads it (16 kHz mono), so the
    spans are the very samples the spectrogram segments were cut from.
    """
    jobs = utterance_jobs(segments, context)
    rate = context.features.sample_rate
    work = [(path, starts, ends, rate, function) for path, _, starts, ends in jobs]
    blocks = map_jobs(_run, work, context.workers, context.progress, desc=desc,
                      unit="utt", chunksize=4, spawn=True)
    out = np.zeros((len(segments), dim), dtype=np.float32)
    for (_, rows, _, _), block in zip(jobs, blocks):
        out[rows] = block
    return out


def _run(job) -> np.ndarray:
    path, starts, ends, rate, function = job
    return function(load_audio(path, rate), starts, ends, rate)
