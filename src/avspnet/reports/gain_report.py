"""The scaling study's report folder: gain tables per target and network, plots, the pre-training table.

Statistics come from `gain.py`, runs from `study.py`; this module only
renders them (Markdown, CSV, PNG, report.html).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import AvspnetError
from ..evaluation.tasks import task_names
from ..markdown import table_head, table_row
from .figure import new_figure, save_png
from .gain import BASELINE, N_BOOTSTRAP, study_gains
from .html import write_report_html
from .plots import MARKERS
from .study import pretraining_table, read_run
from .summary import ordered

PLOT_FRACTIONS = (0.25, 1.0)
# Marks a cell whose bootstrap interval is degenerate (too few folds: see gain.bootstrap_is_range).
RANGE_MARK = "†"
PRETRAINING_HEADER = ("Network", "Hours", "Background", "Speakers", "Segments", "Front-end", "Phase", "Budget",
                      "Epochs", "Steps", "Train loss", "Val loss", "Proxy val acc")


def points(value: float, signed: bool = True) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        f"{100 * value:+.1f}" if signed else f"{100 * value:.1f}")


def _backgrounds(names: pd.Series) -> str:
    used = sorted(set(names) - {"none"})
    return (", ".join(used) + " (labels hidden: proxy labels only)") if used else "none"


def _hours_label(hours: float) -> str:
    return f"{hours:.2f} h"


def _task_order(tasks: Sequence[str]) -> list[str]:
    return ordered(list(tasks), task_names())


def _is_range(flag: object) -> bool:
    """A cell's ci_is_range (NaN on R's rows, which have no interval)."""
    return isinstance(flag, (bool, np.bool_)) and bool(flag)


def _budget_text(rows: pd.DataFrame) -> str:
    """The pre-training budget of the rungs' pre-trained front-ends: one, or per rung where they differ."""
    trained = rows[rows["frontend"] != BASELINE]
    trained = trained if len(trained) else rows
    per_rung = dict(sorted(trained.groupby("hours")["budget"].agg(lambda b: "; ".join(sorted(set(b)))).items()))
    if len(set(per_rung.values())) == 1:
        budget = next(iter(per_rung.values()))
        return f"{budget} (the same on every rung)" if len(per_rung) > 1 else budget
    return "differs by rung: " + "; ".join(f"{_hours_label(h)}: {b}" for h, b in per_rung.items())


def gain_markdown(table: pd.DataFrame, target: str, network: str, frontends_order: Sequence[str] = ()) -> str:
    """One target and network: rows (front-end, task, fraction), one column per background rung."""
    rows = table[(table["target"] == target) & (table["network"] == network)]
    rungs = sorted(rows["hours"].unique())
    folds = sorted(set(rows["n_folds"].astype(int)))
    ranges = sorted({int(r.n_folds) for r in rows.itertuples() if r.frontend != BASELINE and _is_range(r.ci_is_range)})
    lines = [f"# Gain over R: target {target}, network {network}", "",
             f"- Pre-training budget: {_budget_text(rows)}.",
             f"- Folds: {', '.join(f.replace('_', ' and ') for f in sorted(set(rows['folds'])))}-independent.",
             ("- Cells: mean paired per-fold difference in UAR to R (percentage points) [95 % bootstrap interval "
              f"over folds]; {', '.join(map(str, folds))} fold(s) per cell. R rows: R's UAR in % (mean ± std)."),
             "- Columns: hours of background speech (proxy labels only) the front-ends were pre-trained on.",
             f"- Background speech: {_backgrounds(rows['background'])}."]
    if ranges:
        lines.append(f"- {RANGE_MARK} Degenerate interval: with {' or '.join(map(str, ranges))} folds the bootstrap "
                     "interval is only the range of the per-fold differences, not a 95 % interval.")
    lines.append("")
    header = ["Front-end", "Task", "Labels"] + [_hours_label(h) for h in rungs]
    lines += table_head(header)
    cells = {(r.frontend, r.task, r.fraction, r.hours): r for r in rows.itertuples()}
    frontends = ordered(rows["frontend"], list(dict.fromkeys([BASELINE, *frontends_order])))
    for frontend in frontends:
        for task in _task_order(rows["task"].unique()):
            for fraction in sorted(rows[rows["task"] == task]["fraction"].unique()):
                out = []
                for hours in rungs:
                    cell = cells.get((frontend, task, fraction, hours))
                    if cell is None:
                        out.append("–")
                    elif frontend == BASELINE:
                        out.append(f"{points(cell.r_uar, False)} ± {points(cell.r_std, False)}")
                    else:
                        mark = RANGE_MARK if _is_range(cell.ci_is_range) else ""
                        out.append(f"{points(cell.gain)} [{points(cell.ci_low)}, {points(cell.ci_high)}]{mark}")
                if any(value != "–" for value in out):
                    lines.append(table_row([frontend, task, f"{100 * fraction:g}%", *out]))
    return "\n".join(lines) + "\n"


def plot_gain_vs_hours(table: pd.DataFrame, out_path: str | Path, fraction: float,
                       frontends_order: Sequence[str] = ()) -> Path:
    """A panel per (target x network, task): gain over R against background hours, bootstrap bars.

    Every pre-trained front-end gains exactly 0 at 0 h (without background it is R), drawn as the origin.
    """
    rows = table[(table["frontend"] != BASELINE) & np.isclose(table["fraction"], fraction)]
    if rows.empty:
        raise AvspnetError(f"no gains at {100 * fraction:g} % of the labels to plot")
    groups = list(dict.fromkeys(zip(rows["target"], rows["network"])))
    tasks = _task_order(rows["task"].unique())
    frontends = ordered(rows["frontend"], frontends_order)
    figure = new_figure(3.6 * len(tasks) + 1.8, 3.0 * len(groups))
    axes = figure.subplots(len(groups), len(tasks), squeeze=False)
    for (target, network), row_axes in zip(groups, axes):
        for ax, task in zip(row_axes, tasks):
            cell = rows[(rows["target"] == target) & (rows["network"] == network) & (rows["task"] == task)]
            for i, frontend in enumerate(frontends):
                line = cell[cell["frontend"] == frontend].sort_values("hours")
                if line.empty:
                    continue
                hours = np.concatenate([[0.0], line["hours"]])
                gain = 100 * np.concatenate([[0.0], line["gain"]])
                low = 100 * np.concatenate([[0.0], line["gain"] - line["ci_low"]])
                high = 100 * np.concatenate([[0.0], line["ci_high"] - line["gain"]])
                ax.errorbar(hours, gain, yerr=[low, high], marker=MARKERS[i % len(MARKERS)], color=f"C{i % 10}",
                            capsize=3, label=frontend)
            ax.axhline(0, color="grey", linestyle="--", linewidth=1)
            ax.set_title(f"{target} ({network}): {task}", fontsize="medium")
            ax.set_xlabel("background speech (hours)")
            ax.set_ylabel("gain over R (UAR points)")
            ax.grid(alpha=0.3)
    handles, labels = {}, []
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in handles:
                handles[label] = handle
                labels.append(label)
    figure.legend([handles[label] for label in labels], labels, loc="outside right center", fontsize="small",
                  title=f"{100 * fraction:g} % of labels")
    return save_png(figure, out_path)


def pretraining_markdown(frame: pd.DataFrame) -> str:
    def number(value, digits=4):
        return "–" if value is None or pd.isna(value) else f"{value:.{digits}f}"

    lines = ["# Pre-training per rung", "",
             ("- Losses and proxy-validation accuracy of the epoch each phase kept (lowest validation loss); "
              "the validation split holds out whole background speakers. Accuracy only where the phase trains "
              "the proxy head (W_*, AVSpNET_*); AE's loss is the reconstruction MSE."), "",
             *table_head(PRETRAINING_HEADER)]
    for r in frame.itertuples():
        lines.append(table_row([r.network, f"{r.hours:.2f}", r.background, r.speakers, r.segments, r.frontend,
                                r.phase, r.budget, r.epochs, r.steps, number(r.train_loss), number(r.val_loss),
                                number(r.val_acc, 3)]))
    if frame.empty:
        lines.append(table_row(["–"] * len(PRETRAINING_HEADER)))
    return "\n".join(lines) + "\n"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def write_scaling_report(run_dirs: Sequence[str | Path], out_dir: str | Path, seed: int = 0,
                         n_boot: int = N_BOOTSTRAP) -> list[Path]:
    """Gain tables (Markdown per target and network, one long CSV), plots, the pre-training table,
    a copy of each run.json under runs/ and report.html holding them all; returns the files written."""
    if n_boot < 1:
        raise AvspnetError(f"bootstrap resamples must be positive, got {n_boot}")
    runs = [read_run(path) for path in run_dirs]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = study_gains(runs, seed, n_boot)
    frontends = ordered([f for run in runs for f in run.record.config_facts().frontends], None)
    written = []
    csv_path = out / "gain.csv"
    table.sort_values(["target", "network", "hours", "frontend", "task", "fraction"], kind="stable").to_csv(
        csv_path, index=False, float_format="%.6f")
    written.append(csv_path)
    for target, network in dict.fromkeys(zip(table["target"], table["network"])):
        path = out / f"gain_{_slug(target)}_{_slug(network)}.md"
        path.write_text(gain_markdown(table, target, network, frontends), encoding="utf-8")
        written.append(path)
    for fraction in PLOT_FRACTIONS:
        if ((table["frontend"] != BASELINE) & np.isclose(table["fraction"], fraction)).any():
            written.append(plot_gain_vs_hours(table, out / f"gain_vs_hours_{100 * fraction:g}.png", fraction,
                                              frontends))
    pretraining = pretraining_table(runs)
    pretraining.to_csv(out / "pretraining.csv", index=False, float_format="%.6f")
    (out / "pretraining.md").write_text(pretraining_markdown(pretraining), encoding="utf-8")
    written += [out / "pretraining.csv", out / "pretraining.md"]
    runs_dir = out / "runs"
    runs_dir.mkdir(exist_ok=True)
    for run in runs:
        copy = runs_dir / f"{_slug(run.name)}.json"
        shutil.copyfile(run.path / "run.json", copy)
        written.append(copy)
    written.append(write_report_html(out))
    return written
