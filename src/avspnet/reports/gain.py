"""Gain over the random front-end R against hours of background speech (the scaling study).

Each run folder (from `avspnet experiment`) holds per_fold.csv and run.json.
Within a run every front-end is scored on the same folds, label subsets and
head seeds as R, so the gain of a front-end is the mean over folds of its
per-fold UAR minus R's on the same (task, fraction, fold): a paired
difference. Its 95 % interval is a percentile bootstrap over folds (seeded
per cell, so re-running gives the same numbers) and, in the CSV, the paired
t interval and p-value as a check: with five folds the bootstrap interval is
narrower than the t interval.
"""

from __future__ import annotations

import json
import math
import shutil
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AvspnetError
from ..evaluation.tasks import task_names
from .figure import new_figure, save_png
from .html import write_report_html
from .plots import MARKERS
from .runinfo import background_names
from .summary import check_results, ordered

BASELINE = "R"
N_BOOTSTRAP = 10_000
PLOT_FRACTIONS = (0.25, 1.0)
# Marks a cell whose bootstrap interval is degenerate (too few folds: see bootstrap_is_range).
RANGE_MARK = "†"


@dataclass
class StudyRun:
    """One run folder of the study: which target, network and background, and its per-fold UARs."""

    path: Path
    name: str
    target: str
    network: str
    hours: float
    budget: str
    folds: str
    per_fold: pd.DataFrame
    info: dict
    background: str = "none"


def _budget(pretrain: dict) -> str:
    steps = pretrain.get("max_steps")
    cap = f"at most {steps} steps" if steps else f"{pretrain.get('epochs')} epochs"
    return f"{cap} of {pretrain.get('batch_size')} segments per phase"


def read_run(run_dir: str | Path) -> StudyRun:
    """A run folder's results and what produced them, or an error naming the folder."""
    path = Path(run_dir)
    info_path, fold_path = path / "run.json", path / "per_fold.csv"
    for needed in (info_path, fold_path):
        if not needed.is_file():
            raise AvspnetError(f"{path}: not a finished run folder ({needed.name} missing)")
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except ValueError as exc:  # bad JSON or not UTF-8
        raise AvspnetError(f"{info_path}: invalid JSON: {exc}") from None
    _check_run_info(info, info_path)
    try:
        per_fold = uar_results(pd.read_csv(fold_path))
    except (AvspnetError, ValueError) as exc:  # pandas parse errors are ValueErrors
        raise AvspnetError(f"{fold_path}: {exc}") from None
    config = info["config"]
    return StudyRun(path=path, name=config.get("name", path.name), target=str(info["target_label"]),
                    network=str(info["network"]), hours=float(info["background"]["hours"]),
                    budget=_budget(config.get("pretrain", {})), folds=str(config.get("folds", "speaker")),
                    per_fold=per_fold, info=info, background=background_names(config))


def _check_run_info(info: object, info_path: Path) -> None:
    """Refuse a run.json whose fields this report reads are missing or of the wrong type, naming the field."""
    def need(value: object, kinds: type | tuple[type, ...], where: str) -> None:
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise AvspnetError(f"{info_path}: {where} must be {' or '.join(k.__name__ for k in kinds)}, "
                               f"got {json.dumps(value)[:60]}")

    need(info, dict, "the top level")
    missing = [key for key in ("config", "network", "background", "target_label") if key not in info]
    if missing:
        raise AvspnetError(f"{info_path}: lacks {', '.join(missing)} (made by an older avspnet?)")
    need(info["config"], dict, "config")
    need(info["network"], str, "network")
    need(info["target_label"], str, "target_label")
    need(info["background"], dict, "background")
    need(info["background"].get("hours"), (int, float), "background.hours")
    config = info["config"]
    need(config.get("name", ""), str, "config.name")
    need(config.get("folds", "speaker"), str, "config.folds")
    need(config.get("frontends", []), list, "config.frontends")
    need(config.get("background") or [], list, "config.background")
    need(config.get("pretrain", {}), dict, "config.pretrain")
    need(info.get("pretrain", {}), dict, "pretrain")
    for frontend, phases in info.get("pretrain", {}).items():
        need(phases, dict, f"pretrain.{frontend}")
        for phase, summary in phases.items():
            need(summary, dict, f"pretrain.{frontend}.{phase}")


def uar_results(per_fold: pd.DataFrame) -> pd.DataFrame:
    """The checked per-fold rows of class tasks: gains are in UAR, so rating tasks (CCC) sit the study out."""
    frame = check_results(per_fold)
    if "uar" not in frame:
        raise AvspnetError("results hold no class task (UAR); gains over R are in UAR")
    return frame[frame["uar"].notna()]


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


def _pp(value: float, signed: bool = True) -> str:
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
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
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
                        out.append(f"{_pp(cell.r_uar, False)} ± {_pp(cell.r_std, False)}")
                    else:
                        mark = RANGE_MARK if _is_range(cell.ci_is_range) else ""
                        out.append(f"{_pp(cell.gain)} [{_pp(cell.ci_low)}, {_pp(cell.ci_high)}]{mark}")
                if any(value != "–" for value in out):
                    lines.append("| " + " | ".join([frontend, task, f"{100 * fraction:g}%", *out]) + " |")
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


def pretraining_table(runs: Sequence[StudyRun]) -> pd.DataFrame:
    """Per (network, rung, front-end, phase): steps, epochs and the kept epoch's losses and proxy accuracy.

    Targets of one rung share their pre-training, so each (network, hours) is read from its first run.
    """
    rows, seen = [], set()
    for run in sorted(runs, key=lambda r: (r.network, r.hours, r.name)):
        key = (run.network, round(run.hours, 3))
        if key in seen:
            continue
        seen.add(key)
        background = run.info["background"]
        for frontend, phases in run.info.get("pretrain", {}).items():
            for phase, summary in phases.items():
                rows.append({"network": run.network, "hours": run.hours, "background": run.background,
                             "speakers": background.get("speakers"),
                             "segments": background.get("segments"), "frontend": frontend, "phase": phase,
                             "budget": run.budget, **summary})
    columns = ["network", "hours", "background", "speakers", "segments", "frontend", "phase", "budget", "epochs", "steps",
               "kept_epoch", "train_loss", "val_loss", "val_acc"]
    return pd.DataFrame(rows, columns=columns)


def pretraining_markdown(frame: pd.DataFrame) -> str:
    def number(value, digits=4):
        return "–" if value is None or pd.isna(value) else f"{value:.{digits}f}"

    lines = ["# Pre-training per rung", "",
             ("- Losses and proxy-validation accuracy of the epoch each phase kept (lowest validation loss); "
              "the validation split holds out whole background speakers. Accuracy only where the phase trains "
              "the proxy head (W_*, AVSpNET_*); AE's loss is the reconstruction MSE."), "",
             ("| Network | Hours | Background | Speakers | Segments | Front-end | Phase | Budget | Epochs | Steps "
              "| Train loss | Val loss | Proxy val acc |"), "|" + "---|" * 13]
    for r in frame.itertuples():
        lines.append(f"| {r.network} | {r.hours:.2f} | {r.background} | {r.speakers} | {r.segments} | {r.frontend} "
                     f"| {r.phase} "
                     f"| {r.budget} | {r.epochs} | {r.steps} | {number(r.train_loss)} | {number(r.val_loss)} "
                     f"| {number(r.val_acc, 3)} |")
    if frame.empty:
        lines.append("|" + " – |" * 13)
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
    frontends = ordered([f for run in runs for f in run.info["config"].get("frontends", [])], None)
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
