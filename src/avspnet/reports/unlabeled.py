"""Where unlabeled speech pays: every row's gain over the strongest label-free row, paired per fold.

A study of several `avspnet experiment` runs on one target: runs differ in
their background corpora and transfer settings (per-speaker normalisation,
head level, self-training), not in their folds, label subsets or head seeds
(same target, seed and split settings), so any two rows are scored on the
same (task, fraction, fold) cells. A row is a front-end under one run's
settings, named for all of them (`row_label`); the gain of a row is the mean
over folds of its per-fold UAR minus the reference row's, with `gain.py`'s
seeded bootstrap interval. The reference defaults to the strongest row that
uses no unlabeled speech beyond the target's own: the frozen Whisper-base
encoder with per-speaker mean normalisation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import AvspnetError
from ..frontends import entry
from ..markdown import table_head, table_row
from .figure import new_figure, save_png
from .gain import N_BOOTSTRAP, paired_gains
from .gain_report import points
from .study import StudyRun, read_run

REFERENCE = "whisper-base | norm mean"
# Corpora that are read speech; anything else in a background is treated as affect-varied (acted) speech.
READ_SPEECH = ("commonvoice", "ljspeech", "speechocean", "kaldi")


def background_kind(names: str, hours: float = 0.0) -> str:
    """What a run's background speech is, for the reader: read speech, acted emotional speech, or none, with
    its hours where known (two runs on subsets of one corpus are two rows, not one)."""
    corpora = [name.strip() for name in names.split(",") if name.strip() and name.strip() != "none"]
    if not corpora:
        return "none"
    kind = "read speech" if all(name.startswith(READ_SPEECH) for name in corpora) else "affect-varied"
    return f"{kind}: {'+'.join(corpora)}" + (f" {hours:.1f} h" if hours else "")


def transfer_facts(config: dict) -> tuple[str, str, int, str]:
    """(speaker_norm, level, self_training rounds, adapter mode) of a run; older runs had none of them."""
    transfer = config.get("transfer") or {}
    return (str(transfer.get("speaker_norm", "none")), str(transfer.get("level", "segment")),
            int(transfer.get("self_training", 0) or 0), str((config.get("adapter") or {}).get("mode", "concat")))


def row_background(frontend: str, run_background: str) -> str:
    """The unlabeled speech a row learned from: the run's background, the target's own (in-domain), or none."""
    found = entry(frontend)
    if found.in_domain:
        return "in-domain: the fold's own training speakers"
    return run_background if found.uses_background else "none"


def row_label(frontend: str, background: str, speaker_norm: str, level: str, self_training: int,
              adapter_mode: str = "concat") -> str:
    """A row named for everything that made it: front-end, background (where it learns from one), adapter
    mode (where not the default, the frozen vector beside the hidden layer), transfer."""
    parts = [frontend]
    found = entry(frontend)
    if found.uses_background and not found.in_domain and background != "none":
        parts[0] += f" @ {background}"
    if found.settings == "adapter" and adapter_mode != "concat":
        parts.append(f"{adapter_mode} layer only")
    parts.append(f"norm {speaker_norm}")
    if level != "segment":
        parts.append(f"{level} head")
    if self_training:
        parts.append(f"self-training x{self_training}")
    return " | ".join(parts)


def study_rows(runs: Sequence[StudyRun]) -> pd.DataFrame:
    """Every run's per-fold UARs under row labels, one target; a row met twice must have the same numbers."""
    targets = sorted({run.target for run in runs})
    if len(targets) != 1:
        raise AvspnetError(f"a gain report is per target; got runs of {', '.join(targets)}")
    frames: dict[str, pd.DataFrame] = {}
    for run in runs:
        speaker_norm, level, rounds, mode = transfer_facts(run.record.config)
        kind = background_kind(run.background, run.hours)
        for frontend, rows in run.per_fold.groupby("frontend", sort=False):
            label = row_label(frontend, kind, speaker_norm, level, rounds, mode)
            rows = rows.assign(frontend=label, run=run.name, background=row_background(frontend, kind),
                               speaker_norm=speaker_norm, level=level, self_training=rounds)
            if label in frames:
                _same_numbers(frames[label], rows, label)
                continue
            frames[label] = rows
    return pd.concat(frames.values(), ignore_index=True)


def _same_numbers(first: pd.DataFrame, again: pd.DataFrame, label: str) -> None:
    keys = ["task", "fraction", "fold"]
    merged = first.merge(again, on=keys, suffixes=("", "_again"))
    if len(merged) != len(first) or not np.allclose(merged["uar"], merged["uar_again"], atol=1e-9):
        raise AvspnetError(f"row {label!r} is in runs {first['run'].iloc[0]} and {again['run'].iloc[0]} with "
                           "different numbers: their folds or settings differ")


def unlabeled_gains(rows: pd.DataFrame, reference: str = REFERENCE, seed: int = 0,
                    n_boot: int = N_BOOTSTRAP) -> pd.DataFrame:
    """Per row, task and fraction: mean UAR, its std over folds, and the paired gain over `reference`."""
    if reference not in set(rows["frontend"]):
        raise AvspnetError(f"reference row {reference!r} is not in the runs; rows: {', '.join(dict.fromkeys(rows['frontend']))}")
    scores = rows.groupby(["frontend", "task", "fraction"], sort=False)["uar"].agg(
        uar="mean", uar_std=lambda x: x.std(ddof=0)).reset_index()
    gains = paired_gains(rows, baseline=reference, seed=seed, n_boot=n_boot)
    table = scores.merge(gains, on=["frontend", "task", "fraction"], how="left")
    facts = rows.drop_duplicates("frontend").set_index("frontend")[["background", "speaker_norm", "level",
                                                                    "self_training", "run"]]
    return table.join(facts, on="frontend").rename(columns={"frontend": "row"})


def gain_markdown(table: pd.DataFrame, target: str, reference: str, notes: Sequence[str] = ()) -> str:
    """One table per target: each row's UAR and its gain over the reference, [95 % bootstrap interval]."""
    cells = list(dict.fromkeys(zip(table["task"], table["fraction"])))
    lines = [f"# {target}: gain over `{reference}`", "",
             "UAR % (mean over folds); below it the paired per-fold gain over the reference in points, "
             "[95 % bootstrap interval over folds]; **bold** where the interval excludes 0.", "",
             *[f"- {note}" for note in notes], "" if notes else None,
             *table_head(["row", *(f"{task} {100 * fraction:g} %" for task, fraction in cells)])]
    for row, group in table.groupby("row", sort=False):
        by_cell = {(r.task, r.fraction): r for r in group.itertuples()}
        values = []
        for cell in cells:
            r = by_cell.get(cell)
            if r is None:
                values.append("")
            elif row == reference:
                values.append(f"{points(r.uar, False)}<br>reference")
            else:
                gain = f"{points(r.gain)} [{points(r.ci_low)}, {points(r.ci_high)}]"
                sure = not math.isnan(r.ci_low) and (r.ci_low > 0 or r.ci_high < 0)
                values.append(f"{points(r.uar, False)}<br>{'**' + gain + '**' if sure else gain}")
        lines.append(table_row([row, *values]))
    return "\n".join(line for line in lines if line is not None) + "\n"


def plot_gains(table: pd.DataFrame, out_path: str | Path, target: str, reference: str) -> Path:
    """Gain over the reference with its interval, a panel per task, bars per row at each fraction."""
    rows = [row for row in dict.fromkeys(table["row"]) if row != reference]
    tasks = list(dict.fromkeys(table["task"]))
    fractions = sorted(set(table["fraction"]))
    figure = new_figure(4.5 * len(tasks), 0.35 * len(rows) + 1.5)
    axes = figure.subplots(1, len(tasks), sharey=True, squeeze=False)[0]
    height = 0.8 / max(len(fractions), 1)
    for ax, task in zip(axes, tasks):
        for k, fraction in enumerate(fractions):
            cell = table[(table["task"] == task) & np.isclose(table["fraction"], fraction)].set_index("row")
            cell = cell.reindex(rows)
            y = np.arange(len(rows)) + k * height
            gain = 100 * cell["gain"].to_numpy(dtype=float)
            error = np.vstack([gain - 100 * cell["ci_low"].to_numpy(dtype=float),
                               100 * cell["ci_high"].to_numpy(dtype=float) - gain])
            ax.barh(y, gain, height=height, xerr=np.nan_to_num(error), label=f"{100 * fraction:g} % labels")
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(task)
        ax.set_xlabel("gain in UAR points")
    axes[0].set_yticks(np.arange(len(rows)) + 0.4 - height / 2, rows, fontsize=7)
    axes[0].invert_yaxis()
    axes[-1].legend(fontsize=7)
    figure.suptitle(f"{target}: gain over {reference} (95 % bootstrap interval over folds)", fontsize=9)
    return save_png(figure, out_path)


def write_gain_report(run_dirs: Sequence[str | Path], out_dir: str | Path, reference: str = REFERENCE,
                      seed: int = 0, n_boot: int = N_BOOTSTRAP, notes: Sequence[str] = ()) -> list[Path]:
    """gain.md / gain.csv / gain.png and a copy of each run.json under runs/; returns the files written."""
    if n_boot < 1:
        raise AvspnetError(f"bootstrap resamples must be positive, got {n_boot}")
    runs = [read_run(path) for path in run_dirs]
    rows = study_rows(runs)
    table = unlabeled_gains(rows, reference, seed, n_boot)
    target = runs[0].target
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "gain.csv", out / "gain.md", out / "per_fold.csv"]
    table.to_csv(written[0], index=False, float_format="%.6f")
    written[1].write_text(gain_markdown(table, target, reference, notes), encoding="utf-8")
    rows.to_csv(written[2], index=False, float_format="%.6f")
    written.append(plot_gains(table, out / "gain.png", target, reference))
    runs_dir = out / "runs"
    runs_dir.mkdir(exist_ok=True)
    for run in runs:
        copy = runs_dir / f"{run.name}.json"
        copy.write_bytes((run.path / "run.json").read_bytes())
        written.append(copy)
    return written
