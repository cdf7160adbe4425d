"""The recognition tasks, one object each in one registry.

As an s3prl downstream expert owns its loss and metric, a task here owns
everything that depends on what is recognised: its classes (or none), how
manifest rows become labels, which rows are labelled, what its folds and
label fractions are stratified by, the head's output size and loss, how
segment outputs become an utterance's output, and the score. Fold
planning, the grid and the report ask the task; adding one is one
`register(...)` of a task object.

arousal, valence and emotion4 have fixed classes; `emotion` takes every
category of the label table that the target corpus has (RAVDESS 8, CASIA 6,
...), so its results stand beside published per-corpus benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import confusion_matrix
from torch import nn

from ..corpora.labels import CATEGORIES
from ..corpora.manifest import EMOTION4
from ..errors import AvspnetError, CorpusError
from .metrics import UAR, Metric, uar
from .vote import majority_vote


@dataclass(frozen=True)
class Classification:
    """One class per utterance, scored by UAR; segments vote (ties by mean probability).

    `names` are the classes in index order; with `per_corpus` they are the
    candidates, and `for_corpus` keeps those the corpus has. `indexed`: the
    manifest column holds class indices (arousal/valence 0/1), not names.
    """

    name: str
    column: str
    names: tuple[str, ...]
    indexed: bool = False
    per_corpus: bool = False
    metric: ClassVar[Metric] = UAR

    @property
    def classes(self) -> tuple[str, ...]:
        if self.per_corpus:
            raise AvspnetError(f"the {self.name} task's classes depend on the corpus: pass its utterances")
        return self.names

    @property
    def n_outputs(self) -> int:
        return len(self.classes)

    def for_corpus(self, utterances: pd.DataFrame) -> Classification:
        """This task with its classes fixed for `utterances` (a corpus-dependent one keeps those present)."""
        if not self.per_corpus:
            return self
        present = set(utterances[self.column].dropna().astype(str))
        return replace(self, names=tuple(name for name in self.names if name in present), per_corpus=False)

    def encode(self, utterances: pd.DataFrame) -> np.ndarray:
        """Class index per manifest row, -1 where the row has no label for this task."""
        n = len(self.classes)
        if self.indexed:
            codes = utterances[self.column].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
            if ((codes < -1) | (codes >= n)).any():
                raise CorpusError(f"{self.column}: class indices must be 0..{n - 1} or empty")
            return codes
        lookup = {name: i for i, name in enumerate(self.classes)}
        return utterances[self.column].map(lambda v: lookup.get(v, -1)).to_numpy(dtype=np.int64)

    def labelled(self, labels: np.ndarray) -> np.ndarray:
        return np.asarray(labels) >= 0

    def missing(self, labels: np.ndarray) -> str:
        """Why this corpus cannot run the task ('' when it can): every class needs utterances."""
        n = len(self.classes)
        if n >= 2 and set(range(n)) <= set(labels[labels >= 0].tolist()):
            return ""
        return "the target corpus lacks some of its classes"

    def strata(self, labels: np.ndarray) -> np.ndarray:
        """What label fractions and validation splits are balanced over: the classes."""
        return labels

    def loss(self, labels: np.ndarray, balanced: bool) -> nn.Module:
        """Cross-entropy; `balanced` weights classes by inverse frequency so UAR, not accuracy, is optimised."""
        n = len(self.classes)
        weights = None
        if balanced:
            counts = np.bincount(labels, minlength=n).astype(np.float64)
            weights = torch.as_tensor(np.where(counts > 0, counts.sum() / (n * np.maximum(counts, 1)), 0.0),
                                      dtype=torch.float32)
        return nn.CrossEntropyLoss(weight=weights)

    def targets(self, labels: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(labels.astype(np.int64))

    def outputs(self, logits: torch.Tensor) -> torch.Tensor:
        """Segment outputs: class probabilities."""
        return torch.softmax(logits, dim=1)

    def decide(self, outputs: np.ndarray) -> np.ndarray:
        """Per-segment decision: the most probable class."""
        return outputs.argmax(axis=1)

    def utterance_outputs(self, outputs: np.ndarray, utt_index: np.ndarray, n_utts: int) -> np.ndarray:
        """One class per utterance by majority vote over its segments."""
        return majority_vote(outputs, utt_index, n_utts)[0]

    def score(self, truth: np.ndarray, predicted: np.ndarray) -> float:
        return uar(truth, predicted, labels=np.arange(len(self.classes)))

    def confusion(self, truth: np.ndarray, predicted: np.ndarray) -> np.ndarray | None:
        n = len(self.classes)
        return confusion_matrix(truth, predicted, labels=np.arange(n))

    def chance(self, n_classes: int | None = None) -> float:
        """UAR of a constant or random guess: 1 / number of classes."""
        return 1.0 / (n_classes if n_classes is not None else len(self.classes))


Task = Classification
_REGISTRY: dict[str, Task] = {}


def register(task: Task) -> Task:
    """Add a task to the registry (its name must be new); returns it."""
    if task.name in _REGISTRY:
        raise AvspnetError(f"task {task.name!r} is already registered")
    _REGISTRY[task.name] = task
    return task


register(Classification("arousal", "arousal", ("low", "high"), indexed=True))
register(Classification("valence", "valence", ("negative", "positive"), indexed=True))
register(Classification("emotion4", "emotion4", EMOTION4))
register(Classification("emotion", "emotion", CATEGORIES, per_corpus=True))

# What an experiment runs unless its config names tasks: the paper's classification tasks.
DEFAULT_TASKS = ("arousal", "valence", "emotion4", "emotion")


def task_names() -> tuple[str, ...]:
    """Every registered task, in registration order (the report's column order)."""
    return tuple(_REGISTRY)


def get_task(name: str) -> Task:
    """The registered task called `name`, or a one-line error listing the known ones."""
    if name not in _REGISTRY:
        raise AvspnetError(f"unknown task {name!r}; known: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def task_classes(task: str, utterances: pd.DataFrame | None = None) -> tuple[str, ...]:
    """Class names of `task`; for `emotion`, the table's categories present in `utterances`."""
    found = get_task(task)
    return found.for_corpus(utterances).classes if utterances is not None else found.classes


def chance_level(task: str, n_classes: int | None = None) -> float:
    """The score of a constant or random guess: 1 / classes for UAR."""
    return get_task(task).chance(n_classes)


def known_chance(task: str, classes: Mapping[str, Sequence[str]] | None = None) -> float | None:
    """`chance_level` where the class count is known (fixed, or given in `classes`), else None."""
    found = get_task(task)
    if isinstance(found, Classification) and found.per_corpus:
        names = (classes or {}).get(task)
        return found.chance(len(names)) if names else None
    return found.chance()


def encode_task(utterances: pd.DataFrame, task: str) -> np.ndarray:
    """Label per manifest row for `task`: a class index (-1 = none), classes as `task_classes` gives them."""
    return get_task(task).for_corpus(utterances).encode(utterances)


def label_codes(labels: np.ndarray | None, n: int) -> np.ndarray:
    """Dense integer codes for any label array (missing values form their own class).

    Folds and fractions stratify on these, so any hashable labels work,
    including pandas' nullable ones; `None` means one class for everything.
    """
    if labels is None:
        return np.zeros(n, dtype=np.int64)
    values = np.asarray(labels, dtype=object)
    if len(values) != n:
        raise AvspnetError(f"{len(values)} labels for {n} utterances")
    codes, _ = pd.factorize(pd.Series(values, dtype=object), sort=True, use_na_sentinel=False)
    return codes.astype(np.int64)
