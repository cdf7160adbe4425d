"""Each task's score (UAR, or CCC for ratings) against the fraction of labels used, one panel per task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..evaluation.tasks import known_chance, task_names
from .confusion import plot_confusions
from .figure import new_figure, save_png
from .summary import ordered, summarise, task_metric

__all__ = ["plot_confusions", "plot_uar_vs_fraction"]  # every figure of a run folder, from one module

MARKERS = "osD^v<>pPX*h"
DODGE = 0.8  # percentage points between neighbouring front-ends, so error bars do not hide each other


def plot_uar_vs_fraction(results: pd.DataFrame, out_path: str | Path, frontends_order: Sequence[str] | None = None,
                         tasks_order: Sequence[str] | None = None,
                         classes: Mapping[str, Sequence[str]] | None = None) -> Path:
    """One PNG: a panel per task, a line per front-end with ±1 std error bars, and the chance level.

    Each panel is in its task's metric (its title says which): UAR in %, CCC as is.
    """
    summary = summarise(results)
    frontends = ordered(summary["frontend"], frontends_order)
    tasks = ordered(summary["task"], tasks_order or task_names())
    figure = new_figure(4.2 * len(tasks) + 1.8, 3.8)
    axes = figure.subplots(1, len(tasks), squeeze=False)[0]
    for ax, task in zip(axes, tasks):
        rows = summary[summary["task"] == task]
        metric = task_metric(task)
        scale = 100 if metric.percent else 1
        for i, frontend in enumerate(frontends):
            line = rows[rows["frontend"] == frontend].sort_values("fraction")
            if line.empty:
                continue
            offset = DODGE * (i - (len(frontends) - 1) / 2)
            ax.errorbar(100 * line["fraction"] + offset, scale * line[f"{metric.column}_mean"],
                        yerr=scale * line[f"{metric.column}_std"],
                        marker=MARKERS[i % len(MARKERS)], color=f"C{i % 10}", capsize=3, label=frontend)
        chance = known_chance(task, classes)
        if chance is not None:
            ax.axhline(scale * chance, color="grey", linestyle="--", linewidth=1, label="chance")
        ax.set_title(f"{task} ({metric.short})")
        ax.set_xlabel("labelled training utterances used (%)")
        ax.set_ylabel(f"{metric.short} ({metric.unit})" if metric.unit else metric.short)
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
