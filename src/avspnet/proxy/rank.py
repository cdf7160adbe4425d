"""The speaker-baseline rank transform: score = 2 * P(B < x) - 1, in [-1, 1].

B is the baseline: all of that speaker's (or speaker-in-group's) values,
x included. Ties count half (mid-rank): P(B < x) + 0.5 * P(B = x), so
equal values get equal scores, the scores of a baseline are symmetric
around 0, and a baseline of one value scores exactly 0 (neutral). NaN
values (e.g. no pitch in an unvoiced file) are left out of the baseline and
score NaN. Only the order of the values matters, so the score is invariant
to any strictly increasing rescaling of a feature within a baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def rank_scores(values, baselines) -> np.ndarray:
    """Mid-rank score of each value within its baseline; NaN in -> NaN out."""
    series = pd.Series(np.asarray(values, dtype="float64"))
    keys = pd.Series(np.asarray(baselines, dtype=object))
    grouped = series.groupby(keys, sort=False)
    ranks = grouped.rank(method="average")
    counts = grouped.transform("count")
    scores = (2.0 * ranks - 1.0 - counts) / counts
    return scores.to_numpy(dtype="float64")


def mean_score(score_columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the available feature scores, and how many were available."""
    stacked = np.vstack(score_columns)
    available = np.sum(~np.isnan(stacked), axis=0)
    total = np.nansum(stacked, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(available > 0, total / np.maximum(available, 1), np.nan)
    return mean, available


def binary_labels(scores: np.ndarray, threshold: float) -> pd.Series:
    """1 above the threshold, 0 below, <NA> at it or where the score is NaN."""
    scores = np.asarray(scores, dtype="float64")
    labels = pd.array(np.where(scores > threshold, 1, 0), dtype="Int64")
    labels[np.isnan(scores) | (scores == threshold)] = pd.NA
    return pd.Series(labels)
