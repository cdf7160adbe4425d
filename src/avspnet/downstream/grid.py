"""The transfer grid: every (front-end, task, fold, fraction) head, fitted on cached embeddings.

A job is one (front-end, task, fold) with all its fractions; jobs are
independent, seeded by (task, fold, fraction) only, so every front-end gets
the same head initialisation and the same data order, and results do not
depend on how many processes run them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..evaluation.tasks import Task
from ..features.store import SegmentStore
from ..parallel import map_jobs
from .fit import TransferConfig, fit_head, predict_outputs
from .splits import FoldSplit


@dataclass(frozen=True)
class GridJob:
    frontend: str
    embeddings: Path
    split: FoldSplit
    utt_labels: np.ndarray
    utt_index: np.ndarray
    task: Task
    config: TransferConfig
    seed: int


@dataclass
class JobResult:
    rows: list[dict]
    # Counts at the largest fraction (None for a task without classes).
    confusion: np.ndarray | None
    frontend: str
    task: str


def job_seed(seed: int, task: str, fold: int, fraction: float) -> int:
    return (seed * 1_000_003 + zlib.crc32(f"{task}/{fold}/{fraction}".encode())) % 2**31


def evaluate_head(head, embeddings: np.ndarray, utt_index: np.ndarray, utterances: np.ndarray,
                  task: Task) -> np.ndarray:
    """The task's output per utterance of (sorted) `utterances`, from its segments' outputs."""
    rows = segment_rows(utt_index, utterances)
    local = np.searchsorted(utterances, utt_index[rows])
    return task.utterance_outputs(predict_outputs(head, embeddings[rows], task), local, len(utterances))


def segment_rows(utt_index: np.ndarray, utterances: np.ndarray) -> np.ndarray:
    """Rows of the segments that belong to the (sorted) utterance indices given."""
    return np.flatnonzero(np.isin(utt_index, utterances))


def run_job(job: GridJob) -> JobResult:
    """Fit one head per fraction and score it on the fold's test speakers."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        embeddings = SegmentStore.open(job.embeddings)
        split, task = job.split, job.task
        segment_labels = job.utt_labels[job.utt_index]
        test_truth = job.utt_labels[split.test]
        rows, confusion = [], None
        for fraction in sorted(split.fractions):
            parts = split.fractions[fraction]
            fit_rows = segment_rows(job.utt_index, parts.fit)
            val_rows = segment_rows(job.utt_index, parts.val)
            fit = fit_head(np.asarray(embeddings[fit_rows]), segment_labels[fit_rows],
                           np.asarray(embeddings[val_rows]), segment_labels[val_rows], task, job.config,
                           seed=job_seed(job.seed, split.task, split.fold, fraction))
            predicted = evaluate_head(fit.head, embeddings, job.utt_index, split.test, task)
            rows.append({
                "frontend": job.frontend, "task": split.task, "fraction": fraction, "fold": split.fold,
                task.metric.column: task.score(test_truth, predicted), "n_test": len(split.test),
                "n_train": len(parts.fit), "n_val": len(parts.val), "best_epoch": fit.best_epoch,
                "epochs": len(fit.history),
            })
            if fraction == max(split.fractions):
                confusion = task.confusion(test_truth, predicted)
        return JobResult(rows=rows, confusion=confusion, frontend=job.frontend, task=split.task)
    finally:
        torch.set_num_threads(threads)


def sum_confusions(outcomes: list[JobResult]) -> dict[tuple[str, str], np.ndarray]:
    """Confusion counts per (front-end, task) summed over folds (at the largest fraction; class tasks only)."""
    confusions: dict[tuple[str, str], np.ndarray] = {}
    for outcome in outcomes:
        if outcome.confusion is not None:
            key = (outcome.frontend, outcome.task)
            confusions[key] = confusions.get(key, 0) + outcome.confusion
    return confusions


def run_grid(jobs: list[GridJob], workers: int, progress: bool = True) -> list[JobResult]:
    return map_jobs(run_job, jobs, workers, progress, desc="transfer grid", unit="fit-set", chunksize=1,
                    spawn=True, min_parallel=2)
