"""Gain over the random front-end R against hours of background speech (the scaling study): the statistics.

Within a run every front-end is scored on the same folds, label subsets and
head seeds as R, so the gain of a front-end is the mean over folds of its
per-fold UAR minus R's on the same (task, fraction, fold): a paired
difference. Its 95 % interval is a percentile bootstrap over folds (seeded
per cell, so re-running gives the same numbers) and, in the CSV, the paired
t interval and p-value as a check: with five folds the bootstrap interval is
narrower than the t interval. Reading the runs is `study.py`; the tables,
plots and report folder are `gain_report.py`.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AvspnetError
from .study import StudyRun, uar_results
from .summary import ordered

BASELINE = "R"
N_BOOTSTRAP = 10_000


def _cell_seed(seed: int, *parts: object) -> int:
    return (seed * 1_000_003 + zlib.crc32("/".join(map(str, parts)).encode())) % 2**32


def bootstrap_interval(diffs: np.ndarray, seed: int, n_boot: int = N_BOOTSTRAP,
                       level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `diffs` (resampling folds with replacement)."""
    diffs = np.asarray(diffs, dtype=float)
    if len(diffs) == 0:
        return math.nan, math.nan
    picks = np.random.default_rng(seed).integers(0, len(diffs), size=(n_boot, len(diffs)))
    means = diffs[picks].mean(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_is_range(n_folds: int, level: float = 0.95) -> bool:
    """Whether a percentile bootstrap over `n_folds` values is degenerate: when every resample equal to
    the smallest (or largest) value is at least the tail share, the "interval" is just their range.
    That holds for up to 3 folds at 95 %."""
    return n_folds < 1 or float(n_folds) ** -n_folds >= (1 - level) / 2


def t_interval(diffs: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Paired t interval of the mean difference and the two-sided p-value (NaN under two folds)."""
    diffs = np.asarray(diffs, dtype=float)
    n = len(diffs)
    if n < 2:
        return math.nan, math.nan, math.nan
    mean, sem = diffs.mean(), diffs.std(ddof=1) / math.sqrt(n)
    if sem == 0:
        return float(mean), float(mean), 1.0 if mean == 0 else 0.0
    half = stats.t.ppf(0.5 + level / 2, n - 1) * sem
    p = 2 * stats.t.sf(abs(mean / sem), n - 1)
    return float(mean - half), float(mean + half), float(p)


def paired_gains(per_fold: pd.DataFrame, baseline: str = BASELINE, seed: int = 0,
                 n_boot: int = N_BOOTSTRAP) -> pd.DataFrame:
    """Gain of every front-end over `baseline`, paired by (task, fraction, fold).

    Columns: frontend, task, fraction, n_folds, gain, ci_low, ci_high (bootstrap),
    ci_is_range (too few folds: the bootstrap interval is only their range), t_low, t_high, p_value;
    UAR units (0-1). A front-end fold without the
    baseline's counterpart (or the reverse) is an error, never silently dropped.
    """
    frame = uar_results(per_fold)
    keys = ["task", "fraction", "fold"]
    base = frame[frame["frontend"] == baseline][keys + ["uar"]]
    if base.empty:
        raise AvspnetError(f"no {baseline} results to pair with")
    rows = []
    for frontend in ordered(frame["frontend"], None):
        if frontend == baseline:
            continue
        mine = frame[frame["frontend"] == frontend][keys + ["uar"]]
        paired = mine.merge(base, on=keys, how="outer", suffixes=("", "_base"), indicator=True)
        unpaired = paired[paired["_merge"] != "both"]
        tasks = set(mine["task"])
        unpaired = unpaired[unpaired["task"].isin(tasks)]
        if len(unpaired):
            row = unpaired.iloc[0]
            side = frontend if row["_merge"] == "left_only" else baseline
            raise AvspnetError(f"{frontend} vs {baseline}: fold {row.fold} of {row.task} / {row.fraction:g} "
                               f"only in {side}'s results")
        paired = paired[paired["_merge"] == "both"]
        for (task, fraction), cell in paired.groupby(["task", "fraction"], sort=False):
            cell = cell.sort_values("fold")
            diffs = (cell["uar"] - cell["uar_base"]).to_numpy()
            low, high = bootstrap_interval(diffs, _cell_seed(seed, frontend, task, fraction), n_boot)
            t_low, t_high, p = t_interval(diffs)
            rows.append({"frontend": frontend, "task": task, "fraction": float(fraction), "n_folds": len(diffs),
                         "gain": float(diffs.mean()), "ci_low": low, "ci_high": high,
                         "ci_is_range": bootstrap_is_range(len(diffs)), "t_low": t_low, "t_high": t_high,
                         "p_value": p})
    return pd.DataFrame(rows, columns=["frontend", "task", "fraction", "n_folds", "gain", "ci_low", "ci_high",
                                       "ci_is_range", "t_low", "t_high", "p_value"])


def study_gains(runs: Sequence[StudyRun], seed: int = 0, n_boot: int = N_BOOTSTRAP) -> pd.DataFrame:
    """Long table over runs: target, network, hours, run, budget, then paired_gains' columns and R's UAR."""
    seen: dict[tuple, str] = {}
    parts = []
    for run in runs:
        key = (run.target, run.network, round(run.hours, 3))
        if key in seen:
            raise AvspnetError(f"two runs of target {run.target}, network {run.network} at {run.hours:.2f} h: "
                               f"{seen[key]} and {run.path}")
        seen[key] = str(run.path)
        gains = paired_gains(run.per_fold, seed=seed, n_boot=n_boot)
        base = run.per_fold[run.per_fold["frontend"] == BASELINE].groupby(["task", "fraction"])["uar"]
        r_rows = pd.DataFrame({"r_uar": base.mean(), "r_std": base.std(ddof=0)}).reset_index()
        gains = gains.merge(r_rows, on=["task", "fraction"], how="left") if len(gains) else gains
        parts.append(pd.concat([
            gains,
            r_rows.assign(frontend=BASELINE, n_folds=base.size().to_numpy()),
        ], ignore_index=True).assign(target=run.target, network=run.network, hours=run.hours, run=run.name,
                                     budget=run.budget, folds=run.folds, background=run.background))
    if not parts:
        raise AvspnetError("no runs given")
    table = pd.concat(parts, ignore_index=True)
    first = ["target", "network", "hours", "background", "run", "budget", "folds", "frontend", "task", "fraction",
             "n_folds"]
    return table[first + [c for c in table.columns if c not in first]]


