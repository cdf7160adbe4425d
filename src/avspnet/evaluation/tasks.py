"""The recognition tasks and how manifest labels become class indices.

arousal, valence and emotion4 have fixed classes; `emotion` takes every
category of the label table that the target corpus has (RAVDESS 8, CASIA 6,
...), so its results stand beside published per-corpus benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..corpora.labels import CATEGORIES
from ..corpora.manifest import EMOTION4
from ..errors import AvspnetError

# Class index = position in the tuple; arousal/valence follow the manifest's 0/1.
TASK_CLASSES: dict[str, tuple[str, ...]] = {
    "arousal": ("low", "high"),
    "valence": ("negative", "positive"),
    "emotion4": EMOTION4,
}
TASKS = (*TASK_CLASSES, "emotion")


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise AvspnetError(f"unknown task {task!r}; known: {', '.join(TASKS)}")


def task_classes(task: str, utterances: pd.DataFrame | None = None) -> tuple[str, ...]:
    """Class names of `task`; for `emotion`, the table's categories present in `utterances` (table order)."""
    _check_task(task)
    if task in TASK_CLASSES:
        return TASK_CLASSES[task]
    if utterances is None:
        raise AvspnetError("the emotion task's classes depend on the corpus: pass its utterances")
    present = set(utterances["emotion"].dropna().astype(str))
    return tuple(name for name in CATEGORIES if name in present)


def chance_level(task: str, n_classes: int | None = None) -> float:
    """UAR of a constant or random guess: 1 / number of classes."""
    _check_task(task)
    count = n_classes if n_classes is not None else len(task_classes(task))
    return 1.0 / count


def encode_task(utterances: pd.DataFrame, task: str, classes: tuple[str, ...] | None = None) -> np.ndarray:
    """Class index per manifest row for `task`, -1 where the row has no label.

    `classes` fixes the class order of a categorical task (default: the
    task's own, for `emotion` those present in `utterances`).
    """
    _check_task(task)
    if task in ("arousal", "valence"):
        return utterances[task].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
    names = classes if classes is not None else task_classes(task, utterances)
    lookup = {name: i for i, name in enumerate(names)}
    return utterances[task].map(lambda v: lookup.get(v, -1)).to_numpy(dtype=np.int64)


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
