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

from ..errors import AvspnetError, ConfigError
from ..evaluation.tasks import Task
from ..evaluation.vote import majority_vote
from ..features.store import SegmentStore
from ..parallel import map_jobs
from .fit import TransferConfig, fit_head, predict_outputs
from .pooling import speaker_normalise, utterance_vectors
from .splits import FoldSplit, FractionSplit


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
    # Speaker code per segment row (like utt_index); needed only with speaker normalisation.
    speakers: np.ndarray | None = None


@dataclass
class JobResult:
    rows: list[dict]
    # Counts at the largest fraction (None for a task without classes).
    confusion: np.ndarray | None
    frontend: str
    task: str


def job_seed(seed: int, task: str, fold: int, fraction: float) -> int:
    return (seed * 1_000_003 + zlib.crc32(f"{task}/{fold}/{fraction}".encode())) % 2**31


def head_inputs(store, utt_index: np.ndarray, speakers: np.ndarray | None,
                config: TransferConfig) -> tuple[np.ndarray, np.ndarray]:
    """(the head's input rows, the utterance each row belongs to) as `config` asks: the store's segment rows
    (read lazily when untouched), speaker-normalised, and at utterance level pooled to one row per utterance.
    No label enters, so the grid and the exported model may use every row of the target."""
    if config.speaker_norm == "none" and config.level == "segment":
        return store, np.asarray(utt_index)
    vectors = np.asarray(store[np.arange(len(utt_index))], dtype=np.float32)
    if config.speaker_norm != "none":
        if speakers is None or len(speakers) != len(utt_index):
            raise AvspnetError(f"transfer.speaker_norm {config.speaker_norm}: the job needs a speaker code per "
                               "segment row")
        vectors = speaker_normalise(vectors, speakers, config.speaker_norm)
    if config.level == "utterance":
        owners, vectors = utterance_vectors(vectors, utt_index)
        return vectors, owners
    return vectors, np.asarray(utt_index)


def evaluate_head(head, embeddings: np.ndarray, utt_index: np.ndarray, utterances: np.ndarray,
                  task: Task) -> np.ndarray:
    """The task's output per utterance of (sorted) `utterances`, from its rows' outputs (one row per utterance
    at utterance level, where the vote of one is `task.decide` of the head's output)."""
    return task.utterance_outputs(*_row_outputs(head, embeddings, utt_index, utterances, task), len(utterances))


def _row_outputs(head, embeddings: np.ndarray, utt_index: np.ndarray, utterances: np.ndarray,
                 task: Task) -> tuple[np.ndarray, np.ndarray]:
    """(the head's output per row of `utterances`, the position in `utterances` of each row's utterance)."""
    rows = segment_rows(utt_index, utterances)
    return predict_outputs(head, embeddings[rows], task), np.searchsorted(utterances, utt_index[rows])


def segment_rows(utt_index: np.ndarray, utterances: np.ndarray) -> np.ndarray:
    """Rows of the segments that belong to the (sorted) utterance indices given."""
    return np.flatnonzero(np.isin(utt_index, utterances))


def unlabelled_pool(split: FoldSplit, parts: FractionSplit) -> np.ndarray:
    """The fold's training utterances this fraction holds no label for: never a test, fit or validation one."""
    if split.training is None:
        raise AvspnetError(f"self-training on {split.task} fold {split.fold}: the split does not list the fold's "
                           "training utterances")
    return np.setdiff1d(split.training, np.concatenate([split.test, parts.fit, parts.val]))


def pseudo_labels(head, embeddings: np.ndarray, utt_index: np.ndarray, pool: np.ndarray, task: Task,
                  threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(utterances of `pool` the head is confident about, their class): the utterance's voted class (one row:
    the head's), kept where its mean probability over the utterance's rows is at least `threshold`."""
    if not len(pool):
        return pool, np.zeros(0, dtype=np.int64)
    outputs, local = _row_outputs(head, embeddings, utt_index, pool, task)
    classes, probabilities = majority_vote(outputs, local, len(pool))
    keep = probabilities[np.arange(len(pool)), classes] >= threshold
    return pool[keep], classes[keep]


def _fit_rounds(job: GridJob, embeddings, owners: np.ndarray, parts: FractionSplit, fraction: float):
    """The fraction's head, self-trained on the fold's unlabelled training utterances where asked; with the
    number of pseudo-labelled utterances its last fit used."""
    split, task, config = job.split, job.task, job.config
    row_labels = job.utt_labels[owners]
    fit_rows, val_rows = segment_rows(owners, parts.fit), segment_rows(owners, parts.val)
    val_x, val_y = np.asarray(embeddings[val_rows]), row_labels[val_rows]
    seed = job_seed(job.seed, split.task, split.fold, fraction)
    fit = fit_head(np.asarray(embeddings[fit_rows]), row_labels[fit_rows], val_x, val_y, task, config, seed)
    if not config.self_training or fraction >= 1.0:
        return fit, 0
    if not task.classes:
        raise ConfigError(f"transfer.self_training: {split.task} is a rating task, which has no class "
                          "confidence to pseudo-label by; drop it or set self_training: 0")
    pool, n_pseudo = unlabelled_pool(split, parts), 0
    for _ in range(config.self_training):
        pseudo, classes = pseudo_labels(fit.head, embeddings, owners, pool, task, config.pseudo_threshold)
        rows = segment_rows(owners, pseudo)
        labels = np.concatenate([row_labels[fit_rows], classes[np.searchsorted(pseudo, owners[rows])]])
        fit = fit_head(np.asarray(embeddings[np.concatenate([fit_rows, rows])]), labels, val_x, val_y, task,
                       config, seed)
        n_pseudo = len(pseudo)
    return fit, n_pseudo


def run_job(job: GridJob) -> JobResult:
    """Fit one head per fraction and score it on the fold's test speakers."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        embeddings, owners = head_inputs(SegmentStore.open(job.embeddings), job.utt_index, job.speakers, job.config)
        split, task = job.split, job.task
        test_truth = job.utt_labels[split.test]
        rows, confusion = [], None
        for fraction in sorted(split.fractions):
            parts = split.fractions[fraction]
            fit, n_pseudo = _fit_rounds(job, embeddings, owners, parts, fraction)
            predicted = evaluate_head(fit.head, embeddings, owners, split.test, task)
            rows.append({
                "frontend": job.frontend, "task": split.task, "fraction": fraction, "fold": split.fold,
                task.metric.column: task.score(test_truth, predicted), "n_test": len(split.test),
                "n_train": len(parts.fit), "n_val": len(parts.val), "n_pseudo": n_pseudo,
                "best_epoch": fit.best_epoch, "epochs": len(fit.history),
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
