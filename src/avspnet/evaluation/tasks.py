"""The recognition tasks, one object each in one registry.

As an s3prl downstream expert owns its loss and metric, a task here owns
everything that depends on what is recognised: its classes (or none), how
manifest rows become labels, which rows are labelled, what its label
fractions and validation speakers are balanced over, the head's output
size, initialisation and loss, how segment outputs become an utterance's
output, and the score. Fold planning, the grid and the report ask the
task; adding one is one `register(...)` of a `Classification` or `Regression`.

arousal, valence and emotion4 have fixed classes; `emotion` takes every
category of the label table that the target corpus has (RAVDESS 8, CASIA 6,
...), so its results stand beside published per-corpus benchmarks.
arousal_rating and valence_rating regress the corpus' dimensional ratings
(IEMOCAP, MSP-Podcast, the synthetic corpus) and are scored by CCC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..corpora.labels import CATEGORIES
from ..corpora.manifest import EMOTION4
from ..errors import AvspnetError, CorpusError
from .metrics import CCC, UAR, Metric, ccc, confusion, uar
from .vote import majority_vote, segment_mean


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

    def init_output(self, layer: nn.Linear, labels: np.ndarray) -> None:
        """Nothing: the output layer keeps its random initialisation."""

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
        return confusion(truth, predicted, len(self.classes))

    def chance(self, n_classes: int | None = None) -> float:
        """UAR of a constant or random guess: 1 / number of classes."""
        return 1.0 / (n_classes if n_classes is not None else len(self.classes))


class ConcordanceLoss(nn.Module):
    """1 - CCC of the batch (Lin 1989): trains the score the task reports.

    Chosen over MSE because MSE's optimum under uncertainty shrinks
    predictions towards the mean, which CCC penalises through its variance
    term (Atmaja & Akagi 2021 found CCC loss beats MSE on CCC for
    dimensional emotion). A one-segment batch has no spread: its loss is 1
    with zero gradient, so it does nothing rather than something wrong.
    """

    def forward(self, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """`predicted`: the head's (batch, 1) output; `target`: (batch,) ratings."""
        predicted = predicted.reshape(-1)
        if predicted.shape != target.shape:
            raise AvspnetError(f"ConcordanceLoss: {tuple(predicted.shape)} predictions for "
                               f"{tuple(target.shape)} ratings")
        mean_p, mean_t = predicted.mean(), target.mean()
        covariance = ((predicted - mean_p) * (target - mean_t)).mean()
        denominator = predicted.var(unbiased=False) + target.var(unbiased=False) + (mean_p - mean_t) ** 2
        return 1 - 2 * covariance / (denominator + 1e-8)


@dataclass(frozen=True)
class Regression:
    """A rating per utterance (the manifest's float `column`, NaN = none), scored by CCC.

    The head has one output; an utterance's rating is the mean over its
    segments. Folds and fractions are stratified by the rating's quartiles.
    """

    name: str
    column: str
    metric: ClassVar[Metric] = CCC
    classes: ClassVar[tuple[str, ...]] = ()
    n_outputs: ClassVar[int] = 1
    n_strata: ClassVar[int] = 4

    def for_corpus(self, utterances: pd.DataFrame) -> Regression:
        return self

    def encode(self, utterances: pd.DataFrame) -> np.ndarray:
        """Rating per manifest row, NaN where the row (or the whole corpus) has none."""
        if self.column not in utterances:
            return np.full(len(utterances), np.nan)
        return utterances[self.column].to_numpy(dtype=np.float64, na_value=np.nan)

    def labelled(self, labels: np.ndarray) -> np.ndarray:
        return np.isfinite(np.asarray(labels, dtype=np.float64))

    def missing(self, labels: np.ndarray) -> str:
        if len(np.unique(labels[self.labelled(labels)])) >= 2:
            return ""
        return f"the target corpus has fewer than 2 distinct {self.column} values"

    def strata(self, labels: np.ndarray) -> np.ndarray:
        """Quartile of each rating, so every label fraction spans the whole scale."""
        labels = np.asarray(labels, dtype=np.float64)
        edges = np.quantile(labels, np.arange(1, self.n_strata) / self.n_strata) if len(labels) else []
        return np.searchsorted(edges, labels, side="right").astype(np.int64)

    def loss(self, labels: np.ndarray, balanced: bool) -> nn.Module:
        """1 - CCC (see ConcordanceLoss); class balancing has no meaning for ratings."""
        return ConcordanceLoss()

    @torch.no_grad()
    def init_output(self, layer: nn.Linear, labels: np.ndarray) -> None:
        """Start at the mean training rating. From far off it, 1 - CCC hardly moves the output: with the
        covariance near 0 at the start, so is the gradient of the mean-gap term."""
        layer.bias.fill_(float(np.mean(labels)))

    def targets(self, labels: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(labels.astype(np.float32))

    def outputs(self, logits: torch.Tensor) -> torch.Tensor:
        """Segment outputs: the rating."""
        return logits[:, 0]

    def decide(self, outputs: np.ndarray) -> np.ndarray:
        return outputs

    def utterance_outputs(self, outputs: np.ndarray, utt_index: np.ndarray, n_utts: int) -> np.ndarray:
        """One rating per utterance: the mean of its segments' ratings."""
        return segment_mean(outputs, utt_index, n_utts)

    def score(self, truth: np.ndarray, predicted: np.ndarray) -> float:
        return ccc(truth, predicted)

    def confusion(self, truth: np.ndarray, predicted: np.ndarray) -> np.ndarray | None:
        return None

    def chance(self, n_classes: int | None = None) -> float:
        """CCC of any constant prediction: 0."""
        return 0.0


Task = Classification | Regression
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
register(Regression("arousal_rating", "arousal_rating"))
register(Regression("valence_rating", "valence_rating"))

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
    """Class names of `task` (none for a rating); for `emotion`, the table's categories present in `utterances`."""
    found = get_task(task)
    return found.for_corpus(utterances).classes if utterances is not None else found.classes


def chance_level(task: str, n_classes: int | None = None) -> float:
    """The score of a constant or random guess: 1 / classes for UAR, 0 for CCC."""
    return get_task(task).chance(n_classes)


def known_chance(task: str, classes: Mapping[str, Sequence[str]] | None = None) -> float | None:
    """`chance_level` where the class count is known (fixed, or given in `classes`), else None."""
    found = get_task(task)
    if isinstance(found, Classification) and found.per_corpus:
        names = (classes or {}).get(task)
        return found.chance(len(names)) if names else None
    return found.chance()


def encode_task(utterances: pd.DataFrame, task: str) -> np.ndarray:
    """Label per manifest row for `task`: a class index (-1 = none; classes as `task_classes` gives them) or a
    rating (NaN = none)."""
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
