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

from ..evaluation.folds import speaker_folds, validation_speakers
from ..evaluation.fractions import nested_fractions
from ..evaluation.tasks import encode_task, task_classes
from ..log import get_logger


def available_tasks(utterances: pd.DataFrame, tasks: tuple[str, ...]) -> tuple[str, ...]:
    """Tasks whose labels cover every class of the task in this corpus; others are logged and left out."""
    present = []
    for task in tasks:
        labels = encode_task(utterances, task)
        n_classes = len(task_classes(task, utterances))
        if n_classes >= 2 and set(range(n_classes)) <= set(labels[labels >= 0].tolist()):
            present.append(task)
        else:
            get_logger("experiment").warning("task %s left out: the target corpus lacks some of its classes", task)
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


def plan_splits(utterances: pd.DataFrame, tasks: tuple[str, ...], fractions: tuple[float, ...],
                n_folds: int, val_speaker_fraction: float, seed: int) -> list[FoldSplit]:
    """Utterance indices (into `utterances`) for every (task, fold, fraction)."""
    speakers = utterances["speaker"].to_numpy()
    fold_of = speaker_folds(speakers, utterances["emotion"].to_numpy(), n_folds=n_folds, seed=seed)
    plans = []
    for task in tasks:
        labels = encode_task(utterances, task)
        for fold in np.unique(fold_of):
            test = np.flatnonzero((fold_of == fold) & (labels >= 0))
            train = np.flatnonzero((fold_of != fold) & (labels >= 0))
            subsets = nested_fractions(labels[train], fractions, seed=seed + int(fold))
            per_fraction = {}
            for fraction, picked in subsets.items():
                chosen = train[picked]
                held_out = validation_speakers(speakers[chosen], labels[chosen], val_speaker_fraction, seed)
                per_fraction[fraction] = FractionSplit(fit=chosen[~held_out], val=chosen[held_out])
            plans.append(FoldSplit(task=task, fold=int(fold), test=test, fractions=per_fraction))
    return plans
