"""UAR against the fraction of labels used, one panel per task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..evaluation.tasks import TASK_CLASSES, TASKS, chance_level
from .confusion import plot_confusions
from .figure import new_figure, save_png
from .summary import ordered, summarise

__all__ = ["plot_confusions", "plot_uar_vs_fraction"]  # every figure of a run folder, from one module

MARKERS = "osD^v<>pPX*h"
DODGE = 0.8  # percentage points between neighbouring front-ends, so error bars do not hide each other


def plot_uar_vs_fraction(results: pd.DataFrame, out_path: str | Path, frontends_order: Sequence[str] | None = None,
                         tasks_order: Sequence[str] | None = None,
                         classes: Mapping[str, Sequence[str]] | None = None) -> Path:
    """One PNG: a panel per task, a line per front-end with ±1 std error bars, and the chance level."""
    summary = summarise(results)
    frontends = ordered(summary["frontend"], frontends_order)
    tasks = ordered(summary["task"], tasks_order or TASKS)
    known = {**TASK_CLASSES, **(classes or {})}
    figure = new_figure(4.2 * len(tasks) + 1.8, 3.8)
    axes = figure.subplots(1, len(tasks), squeeze=False)[0]
    for ax, task in zip(axes, tasks):
        rows = summary[summary["task"] == task]
        for i, frontend in enumerate(frontends):
            line = rows[rows["frontend"] == frontend].sort_values("fraction")
            if line.empty:
                continue
            offset = DODGE * (i - (len(frontends) - 1) / 2)
            ax.errorbar(100 * line["fraction"] + offset, 100 * line["uar_mean"], yerr=100 * line["uar_std"],
                        marker=MARKERS[i % len(MARKERS)], color=f"C{i % 10}", capsize=3, label=frontend)
        if task in known:
            ax.axhline(100 * chance_level(task, len(known[task])), color="grey", linestyle="--", linewidth=1, label="chance")
        ax.set_title(task)
        ax.set_xlabel("labelled training utterances used (%)")
        ax.set_ylabel("UAR (%)")
        ax.set_xticks(sorted(100 * rows["fraction"].unique()))
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    if "chance" in labels:
        at = labels.index("chance")
        handles.append(handles.pop(at))
        labels.append(labels.pop(at))
    figure.legend(handles, labels, loc="outside right center", fontsize="small")
    return save_png(figure, out_path)
