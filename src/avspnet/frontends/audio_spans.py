"""Per-utterance work for front-ends that read audio: each segment's samples, utterance by utterance.

An utterance's audio is its manifest row's Window (`audio.manifest_windows`):
the span of a long file for a windowed row, as the spectrogram was cut
from, never the whole file. With an `UtteranceStore`, a pass reads the
utterances it holds and computes only the others, each stored as soon as
it is computed (in the worker that computed it), so an interrupted pass
resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..audio import Window, manifest_windows
from ..features.dataset import SegmentSet
from ..features.segments import segment_sample_spans
from ..log import get_logger
from ..parallel import map_jobs
from .base import EmbedContext
from .utterance_store import UtteranceStore, save_vectors

# `function(samples, starts, ends, rate) -> (n_spans, dim)`: one utterance's vectors from its audio.
SpanFunction = Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]


class UtteranceJob(NamedTuple):
    """One utterance: its audio window, its segments' rows, their spans (samples of the window, from its
    start), and where a store keeps its vectors (None: not stored)."""

    window: Window
    rows: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    stored: Path | None = None


@dataclass(frozen=True)
class UtterancePass:
    """A pass's vectors, and which utterances (positions in the set's utterances) it computed; the rest were
    read from the store (or are copies of a computed one: the same audio and spans)."""

    vectors: np.ndarray
    computed: tuple[int, ...]
    reused: int


def utterance_jobs(segments: SegmentSet, context: EmbedContext,
                   store: UtteranceStore | None = None) -> list[UtteranceJob]:
    """Every utterance's job, in utterance order; with `store`, where it keeps each one's vectors."""
    starts, ends = segment_sample_spans(segments.utt_index, context.features)
    jobs = []
    for utt, window in enumerate(manifest_windows(segments.utterances)):
        rows = np.flatnonzero(segments.utt_index == utt)
        jobs.append(UtteranceJob(window, rows, starts[rows], ends[rows]))
    if store is not None:
        paths = store.paths(segments.utterances, [(job.starts, job.ends) for job in jobs], context.features.sample_rate)
        jobs = [job._replace(stored=path) for job, path in zip(jobs, paths)]
    return jobs


def run_job(job: UtteranceJob, rate: int, function: SpanFunction) -> np.ndarray:
    """One utterance's vectors from its audio, read as the feature extractor reads it (mono at `rate`), so the
    spans are the very samples the spectrogram segments were cut from; stored where the job says."""
    return save_vectors(job.stored, function(job.window.load(rate), job.starts, job.ends, rate))


def stored_pass(segments: SegmentSet, context: EmbedContext, dim: int,
                compute: Callable[[Sequence[UtteranceJob]], Iterable[np.ndarray]], desc: str,
                store: UtteranceStore | None = None) -> UtterancePass:
    """(len(segments), dim) vectors: each utterance's from `store` where it holds them, the others from
    `compute(jobs)`, which gives each job's block in order (and stores it: `run_job`). An utterance with the
    audio and spans of another is computed once."""
    jobs = utterance_jobs(segments, context, store)
    groups: dict[object, list[int]] = {}
    for position, job in enumerate(jobs):
        groups.setdefault(job.stored or position, []).append(position)
    found: dict[object, np.ndarray | None] = {}
    for key, members in groups.items():
        first = jobs[members[0]]
        found[key] = None if first.stored is None else store.read(first.stored, len(first.rows))
    missing = [key for key, vectors in found.items() if vectors is None]
    out = np.zeros((len(segments), dim), dtype=np.float32)
    for key, block in zip(missing, compute([jobs[groups[key][0]] for key in missing])):
        found[key] = block
    for key, members in groups.items():
        for position in members:
            out[jobs[position].rows] = found[key]
    computed = tuple(groups[key][0] for key in missing)
    if store is not None:
        get_logger("frontends").info("%s: %d utterances computed, %d read from %s%s", desc, len(computed),
                                     len(jobs) - len(computed), store.folder,
                                     f" ({store.unusable} unusable entries recomputed)" if store.unusable else "")
    return UtterancePass(out, computed, len(jobs) - len(computed))


def per_utterance(function: SpanFunction, segments: SegmentSet, context: EmbedContext, dim: int, desc: str,
                  store: UtteranceStore | None = None) -> UtterancePass:
    """`stored_pass` with `function` (picklable) run over `context.workers` processes."""
    rate = context.features.sample_rate

    def compute(jobs: Sequence[UtteranceJob]) -> list[np.ndarray]:
        return map_jobs(_run, [(job, rate, function) for job in jobs], context.workers, context.progress,
                        desc=desc, unit="utt", chunksize=4, spawn=True)

    return stored_pass(segments, context, dim, compute, desc, store)


def _run(work: tuple[UtteranceJob, int, SpanFunction]) -> np.ndarray:
    return run_job(*work)
