"""A long recording's predictions over time: one panel per speaker, each utterance its class probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..downstream.predict import PROBABILITY_PREFIX
from .figure import new_figure, save_png


def plot_timeline(rows: pd.DataFrame, class_names: Sequence[str], title: str, out_path: str | Path,
                  duration_s: float | None = None) -> Path:
    """One PNG from `predict`'s rows of one recording (start_s, end_s, speaker, p_<class>).

    Each utterance is a bar over its time span, stacked by class
    probability, so the mix over time reads at a glance; speakers get a
    panel each in order of first appearance (one panel when unknown).
    """
    speakers = list(dict.fromkeys(rows["speaker"].fillna("")))
    end = duration_s or float(rows["end_s"].max())
    figure = new_figure(min(24.0, max(8.0, end / 15)), 0.9 + 1.2 * len(speakers))
    axes = figure.subplots(len(speakers), 1, sharex=True, squeeze=False)[:, 0]
    for ax, speaker in zip(axes, speakers):
        own = rows[rows["speaker"].fillna("") == speaker]
        starts = own["start_s"].to_numpy(float)
        widths = own["end_s"].to_numpy(float) - starts
        bottom = np.zeros(len(own))
        for k, name in enumerate(class_names):
            height = own[f"{PROBABILITY_PREFIX}{name}"].to_numpy(float)
            ax.bar(starts, height, width=widths, bottom=bottom, align="edge", color=f"C{k % 10}", label=name,
                   edgecolor="white", linewidth=0.3)
            bottom += height
        ax.set_ylim(0, 1)
        ax.set_xlim(0, end)
        ax.set_ylabel(speaker or "all", rotation=0, ha="right", va="center")
        ax.set_yticks([0, 0.5, 1])
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_title(title)
    axes[-1].set_xlabel("time (s)")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right center", fontsize="small", title="probability")
    return save_png(figure, out_path)
