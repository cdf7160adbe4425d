"""Per-fold results in, mean and standard deviation per cell out.

Each row holds its task's score in the column of the task's metric (`uar`,
`ccc`); a run with both kinds of task has both columns, empty where the
row's task has the other metric.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import AvspnetError
from ..evaluation.metrics import METRICS, Metric
from ..evaluation.tasks import get_task

RESULT_COLUMNS = ("frontend", "task", "fraction", "fold", "n_test")
CELL = ["frontend", "task", "fraction"]


def metric_columns(results: pd.DataFrame) -> list[str]:
    """The metric columns per-fold results hold, in METRICS order."""
    return [m.column for m in METRICS if m.column in results.columns]


def task_metric(task: str) -> Metric:
    return get_task(task).metric


def check_results(results: pd.DataFrame) -> pd.DataFrame:
    """The results with typed columns, or an error naming what is wrong.

    Every row must hold a score in its task's metric column and none in another.
    """
    scores = metric_columns(results)
    missing = [c for c in RESULT_COLUMNS if c not in results.columns] + ([] if scores else ["uar or ccc"])
    if missing:
        raise AvspnetError(f"results lack column(s) {', '.join(missing)}")
    if results.empty:
        raise AvspnetError("results are empty: no fold was evaluated")
    frame = results[[*RESULT_COLUMNS[:4], *scores, RESULT_COLUMNS[4]]].copy()
    kinds = {"frontend": str, "task": str, "fraction": float, "fold": int, "n_test": int, **dict.fromkeys(scores, float)}
    for column, kind in kinds.items():
        try:
            frame[column] = frame[column].astype(kind)
        except (ValueError, TypeError) as exc:
            raise AvspnetError(f"column {column} must hold {kind.__name__} values ({exc})") from None
    own = frame["task"].map(lambda task: task_metric(task).column)
    for column in scores:
        wrong = frame[(own == column) != frame[column].notna()]
        if len(wrong):
            row = wrong.iloc[0]
            raise AvspnetError(f"results: {row.frontend} / {row.task} / {row.fraction:g} fold {row.fold} needs "
                               f"exactly one score, in column {task_metric(row.task).column}")
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
    """Long form: frontend, task, fraction, <metric>_mean, <metric>_std per metric present, n_folds.

    The std is over folds with ddof=0 (numpy's default), so a single fold
    reads 0 rather than undefined; n_folds says how many folds it rests on.
    """
    frame = check_results(results)
    grouped = frame.groupby(CELL, sort=False)
    columns = {}
    for metric in metric_columns(frame):
        columns[f"{metric}_mean"] = grouped[metric].mean()
        columns[f"{metric}_std"] = grouped[metric].std(ddof=0)
    columns["n_folds"] = grouped.size()
    return pd.DataFrame(columns).reset_index()


def cell_stats(summary: pd.DataFrame) -> list[tuple[Metric, float, float]]:
    """(metric, mean, std) of each summary row, read from its task's metric columns."""
    return [(metric, row[f"{metric.column}_mean"], row[f"{metric.column}_std"])
            for metric, (_, row) in zip(summary["task"].map(task_metric), summary.iterrows())]
