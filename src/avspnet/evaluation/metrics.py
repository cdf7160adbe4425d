"""The tasks' metrics: unweighted average recall (UAR, the paper's), the concordance correlation
coefficient (CCC, dimensional emotion's), and confusion counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AvspnetError


def uar(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray | None = None) -> float:
    """Mean per-class recall over the classes present in `y_true`.

    Unlike accuracy it is not inflated by a majority class, which is why the
    emotion literature reports it; it equals scikit-learn's
    `balanced_accuracy_score`. `labels` restricts the classes averaged over;
    a listed class absent from `y_true` has no recall and is left out.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise AvspnetError(f"uar needs two 1-d arrays of equal length, got {y_true.shape} and {y_pred.shape}")
    classes = np.unique(y_true)
    if labels is not None:
        classes = classes[np.isin(classes, np.asarray(labels))]
    if len(classes) == 0:
        raise AvspnetError("uar: no true labels to score")
    recalls = [np.mean(y_pred[y_true == c] == c) for c in classes]
    return float(np.mean(recalls))


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (n_classes, n_classes): row = true class index, column = predicted."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise AvspnetError(f"confusion: {len(y_true)} true labels but {len(y_pred)} predictions")
    outside = (y_true < 0) | (y_true >= n_classes) | (y_pred < 0) | (y_pred >= n_classes)
    if outside.any():
        raise AvspnetError(f"confusion: class indices must lie in 0..{n_classes - 1}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def ccc(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Lin's concordance correlation coefficient (Lin 1989, Biometrics 45:255-268).

    2 cov / (var_true + var_pred + (mean_true - mean_pred)^2), population
    moments: agreement with the identity line, so unlike Pearson's r it falls
    when predictions are shifted or scaled. 1 is perfect, -1 perfect
    inversion, 0 any constant prediction (AVEC and MSP-Podcast report it for
    arousal and valence). Undefined (0 / 0) when truth and prediction are the
    same constant: an error, never a made-up number.
    """
    y_true, y_pred = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise AvspnetError(f"ccc needs two 1-d arrays of equal length, got {y_true.shape} and {y_pred.shape}")
    if len(y_true) == 0 or not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise AvspnetError("ccc: needs at least one value and no NaN or infinite ones")
    mean_true, mean_pred = y_true.mean(), y_pred.mean()
    covariance = np.mean((y_true - mean_true) * (y_pred - mean_pred))
    denominator = y_true.var() + y_pred.var() + (mean_true - mean_pred) ** 2
    if denominator == 0:
        raise AvspnetError("ccc: undefined when truth and prediction are one and the same constant")
    return float(2 * covariance / denominator)


@dataclass(frozen=True)
class Metric:
    """How a task's score is stored and shown: its result column, names and unit."""

    column: str
    short: str
    long: str
    percent: bool

    @property
    def unit(self) -> str:
        return "%" if self.percent else ""

    def format(self, value: float) -> str:
        """The number as tables show it (without its unit): UAR in percent with one decimal, CCC with three."""
        return f"{100 * value:.1f}" if self.percent else f"{value:.3f}"


UAR = Metric("uar", "UAR", "unweighted average recall", percent=True)
CCC = Metric("ccc", "CCC", "concordance correlation coefficient", percent=False)
# Result columns in this order; a run may hold both kinds of task.
METRICS = (UAR, CCC)
