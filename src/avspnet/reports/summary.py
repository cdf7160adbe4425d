"""Per-fold results in, mean and standard deviation per cell out."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import AvspnetError

RESULT_COLUMNS = ("frontend", "task", "fraction", "fold", "uar", "n_test")
CELL = ["frontend", "task", "fraction"]


def check_results(results: pd.DataFrame) -> pd.DataFrame:
    """The results with typed columns, or an error naming what is wrong."""
    missing = [c for c in RESULT_COLUMNS if c not in results.columns]
    if missing:
        raise AvspnetError(f"results lack column(s) {', '.join(missing)}")
    if results.empty:
        raise AvspnetError("results are empty: no fold was evaluated")
    frame = results[list(RESULT_COLUMNS)].copy()
    for column, kind in zip(RESULT_COLUMNS, (str, str, float, int, float, int)):
        try:
            frame[column] = frame[column].astype(kind)
        except (ValueError, TypeError) as exc:
            raise AvspnetError(f"column {column} must hold {kind.__name__} values ({exc})") from None
    repeated = frame[frame.duplicated(CELL + ["fold"])]
    if len(repeated):
        row = repeated.iloc[0]
        raise AvspnetError(f"results repeat fold {row.fold} of {row.frontend} / {row.task} / {row.fraction:g}")
    return frame


def ordered(present: Sequence[str], preferred: Sequence[str] | None) -> list[str]:
    """`preferred` items that are present, then the rest in order of first appearance."""
    seen = list(dict.fromkeys(present))
    head = [item for item in (preferred or ()) if item in seen]
    return head + [item for item in seen if item not in head]


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Long form: frontend, task, fraction, uar_mean, uar_std, n_folds.

    The std is over folds with ddof=0 (numpy's default), so a single fold
    reads 0 rather than undefined; n_folds says how many folds it rests on.
    """
    frame = check_results(results)
    grouped = frame.groupby(CELL, sort=False)["uar"]
    summary = pd.DataFrame({
        "uar_mean": grouped.mean(),
        "uar_std": grouped.std(ddof=0),
        "n_folds": grouped.size(),
    }).reset_index()
    return summary
