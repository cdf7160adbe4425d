"""The labelled-data splits of the protocol, fixed before any front-end is trained.

Computing them once from the target utterances guarantees every front-end is
fitted and tested on exactly the same utterances: test folds by speaker, and
within each training fold nested label fractions, each with its own
speaker-held-out validation part for early stopping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..evaluation.folds import cv_folds, validation_speakers
from ..evaluation.fractions import nested_fractions
from ..evaluation.tasks import get_task
from ..log import get_logger


def available_tasks(utterances: pd.DataFrame, tasks: tuple[str, ...]) -> tuple[str, ...]:
    """Tasks this corpus can run (each task says what it needs: all its classes, or varied ratings); others
    are logged and left out."""
    present = []
    for name in tasks:
        task = get_task(name).for_corpus(utterances)
        reason = task.missing(task.encode(utterances))
        if reason:
            get_logger("experiment").warning("task %s left out: %s", name, reason)
        else:
            present.append(name)
    return tuple(present)


@dataclass(frozen=True)
class FractionSplit:
    fit: np.ndarray
    val: np.ndarray


@dataclass(frozen=True)
class FoldSplit:
    task: str
    fold: int
    test: np.ndarray
    fractions: dict[float, FractionSplit]
    # Every utterance on the fold's training side, labelled for the task or not: what a
    # front-end may learn input statistics from (`experiment.fold_embeddings`).
    training: np.ndarray | None = None


SENTENCE_COLUMN = "raw_sentence"


def sentence_ids(utterances: pd.DataFrame) -> np.ndarray:
    """The per-utterance sentence id that `folds: speaker_sentence` needs, or a one-line error."""
    if SENTENCE_COLUMN not in utterances:
        raise ConfigError(f"folds: speaker_sentence needs a sentence id per utterance (manifest column "
                          f"{SENTENCE_COLUMN}); this target has none: use folds: speaker")
    sentences = utterances[SENTENCE_COLUMN].fillna("").astype(str).to_numpy()
    missing = int((sentences == "").sum())
    if missing:
        raise ConfigError(f"folds: speaker_sentence: {missing} of {len(sentences)} target utterances have an "
                          f"empty {SENTENCE_COLUMN}")
    return sentences


def plan_splits(utterances: pd.DataFrame, tasks: tuple[str, ...], fractions: tuple[float, ...],
                n_folds: int, val_speaker_fraction: float, seed: int, folds: str = "speaker") -> list[FoldSplit]:
    """Utterance indices (into `utterances`) for every (task, fold, fraction).

    The folds are shared by all tasks (balanced by emotion category); each
    task says which utterances it can use and what its label fractions and
    validation speakers are balanced over. `folds` is `speaker` (test
    speakers unseen) or `speaker_sentence` (test speakers and test sentences
    unseen; see `cv_folds`).
    """
    speakers = utterances["speaker"].to_numpy()
    sentences = sentence_ids(utterances) if folds == "speaker_sentence" else None
    masks = cv_folds(speakers, utterances["emotion"].to_numpy(), n_folds=n_folds, seed=seed, sentences=sentences)
    plans = []
    for name in tasks:
        task = get_task(name).for_corpus(utterances)
        labels = task.encode(utterances)
        labelled = task.labelled(labels)
        for fold, (test_mask, train_mask) in enumerate(masks):
            test = np.flatnonzero(test_mask & labelled)
            train = np.flatnonzero(train_mask & labelled)
            if not len(test) or not len(train):
                get_logger("experiment").warning("task %s fold %d left out: no labelled %s utterances", name, fold,
                                                 "test" if not len(test) else "training")
                continue
            subsets = nested_fractions(task.strata(labels[train]), fractions, seed=seed + int(fold))
            per_fraction = {}
            for fraction, picked in subsets.items():
                chosen = train[picked]
                held_out = validation_speakers(speakers[chosen], task.strata(labels[chosen]), val_speaker_fraction,
                                               seed)
                per_fraction[fraction] = FractionSplit(fit=chosen[~held_out], val=chosen[held_out])
            plans.append(FoldSplit(task=name, fold=fold, test=test, fractions=per_fraction,
                                   training=np.flatnonzero(train_mask)))
    return plans
