"""A grid of confusion matrices: front-ends as rows, tasks as columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import AvspnetError
from .figure import new_figure, save_png
from .summary import ordered


def _row_normalised(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def plot_confusions(confusions: Mapping[tuple[str, str], np.ndarray], class_names: Mapping[str, Sequence[str]],
                    out_path: str | Path) -> Path:
    """One PNG; colour is the row-normalised rate (recall per true class), text the raw count."""
    if not confusions:
        raise AvspnetError("plot_confusions: no confusion matrices given")
    frontends = ordered([frontend for frontend, _ in confusions], None)
    tasks = ordered([task for _, task in confusions], None)
    for (frontend, task), counts in confusions.items():
        names = class_names.get(task)
        if names is None:
            raise AvspnetError(f"plot_confusions: no class names for task {task!r}")
        if np.shape(counts) != (len(names), len(names)):
            raise AvspnetError(f"plot_confusions: {frontend} / {task} matrix is {np.shape(counts)}, "
                               f"expected {len(names)} x {len(names)}")
    figure = new_figure(max(3.2 * len(tasks), 6.0), 3.0 * len(frontends))  # room for the caption above one panel
    axes = figure.subplots(len(frontends), len(tasks), squeeze=False)
    for r, frontend in enumerate(frontends):
        for c, task in enumerate(tasks):
            ax = axes[r, c]
            if (frontend, task) not in confusions:
                ax.set_axis_off()
                continue
            _draw(ax, np.asarray(confusions[(frontend, task)]), list(class_names[task]), f"{frontend} / {task}")
    figure.suptitle("numbers: utterance counts; colour: share of the true class (row-normalised)", fontsize="small")
    return save_png(figure, out_path)


def _draw(ax, counts: np.ndarray, names: list[str], title: str) -> None:
    rates = _row_normalised(counts)
    ax.imshow(rates, vmin=0.0, vmax=1.0, cmap="Blues")
    for (i, j), count in np.ndenumerate(counts):
        ax.text(j, i, str(int(count)), ha="center", va="center", fontsize="small",
                color="white" if rates[i, j] > 0.5 else "black")
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=45, ha="right", fontsize="small")
    ax.set_yticks(ticks, names, fontsize="small")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize="medium")
