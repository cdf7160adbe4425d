"""The three recognition tasks and how manifest labels become class indices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..corpora.manifest import EMOTION4
from ..errors import AvspnetError

# Class index = position in the tuple; arousal/valence follow the manifest's 0/1.
TASK_CLASSES: dict[str, tuple[str, ...]] = {
    "arousal": ("low", "high"),
    "valence": ("negative", "positive"),
    "emotion4": EMOTION4,
}


def _check_task(task: str) -> None:
    if task not in TASK_CLASSES:
        raise AvspnetError(f"unknown task {task!r}; known: {', '.join(TASK_CLASSES)}")


def chance_level(task: str) -> float:
    """UAR of a constant or random guess: 1 / number of classes."""
    _check_task(task)
    return 1.0 / len(TASK_CLASSES[task])


def encode_task(utterances: pd.DataFrame, task: str) -> np.ndarray:
    """Class index per manifest row for `task`, -1 where the row has no label."""
    _check_task(task)
    column = utterances[task]
    if task == "emotion4":
        lookup = {name: i for i, name in enumerate(EMOTION4)}
        return column.map(lambda v: lookup.get(v, -1)).to_numpy(dtype=np.int64)
    return column.astype("Int64").fillna(-1).to_numpy(dtype=np.int64)


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
