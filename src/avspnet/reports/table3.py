"""The paper's Table 3: front-ends as rows, task x label fraction as columns.

Each cell is its task's metric as "mean ± std" over the cross-validation
folds: UAR in percent for class tasks, CCC for rating tasks; the best mean
of each column is bold in the Markdown so the table can be read without
the code. The CSVs keep the unrounded numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..evaluation.tasks import known_chance, task_names
from ..markdown import table_head, table_row
from .summary import cell_stats, check_results, ordered, summarise, task_metric

MISSING = "–"


def _in_order(frame: pd.DataFrame, frontends: list[str], tasks: list[str], extra: Sequence[str] = ()) -> pd.DataFrame:
    keys = [frame["frontend"].map({name: i for i, name in enumerate(frontends)}),
            frame["task"].map({name: i for i, name in enumerate(tasks)}), frame["fraction"]]
    keys += [frame[column] for column in extra]
    order = np.lexsort([np.asarray(key) for key in reversed(keys)])
    return frame.iloc[order].reset_index(drop=True)


def _layout(results: pd.DataFrame, frontends_order: Sequence[str] | None,
            tasks_order: Sequence[str] | None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """(summary in table order, front-ends in row order, tasks in column order)."""
    summary = summarise(results)
    frontends = ordered(summary["frontend"], frontends_order)
    tasks = ordered(summary["task"], tasks_order or task_names())
    return _in_order(summary, frontends, tasks), frontends, tasks


def _columns(summary: pd.DataFrame, tasks: list[str]) -> list[tuple[str, float]]:
    """(task, fraction) columns: tasks in order, fractions ascending."""
    return sorted(set(zip(summary["task"], summary["fraction"])), key=lambda cell: (tasks.index(cell[0]), cell[1]))


def _column_label(task: str, fraction: float, with_metric: bool) -> str:
    return f"{task} {100 * fraction:g}%" + (f" ({task_metric(task).short})" if with_metric else "")


def table3(results: pd.DataFrame, frontends_order: Sequence[str] | None = None,
           tasks_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Display table: index = front-ends, columns = (task, fraction), cells "mean ± std" (UAR in %, CCC).

    Front-ends and tasks follow the given orders, then any others in order of
    appearance; a cell with no result reads "–". The numeric means and
    standard deviations are `summarise(results)`.
    """
    summary, frontends, tasks = _layout(results, frontends_order, tasks_order)
    columns = _columns(summary, tasks)
    cells = {(row.frontend, row.task, row.fraction): f"{metric.format(mean)} ± {metric.format(std)}"
             for row, (metric, mean, std) in zip(summary.itertuples(), cell_stats(summary))}
    data = [[cells.get((frontend, task, fraction), MISSING) for task, fraction in columns] for frontend in frontends]
    index = pd.Index(frontends, name="front-end")
    return pd.DataFrame(data, index=index, columns=pd.MultiIndex.from_tuples(columns, names=["task", "fraction"]))


def _best_cells(summary: pd.DataFrame) -> set[tuple[str, str, float]]:
    """Cells whose displayed mean is the best of their column (ties all win)."""
    shown = summary.assign(shown=[float(metric.format(mean)) for metric, mean, _ in cell_stats(summary)])
    best = shown.groupby(["task", "fraction"])["shown"].transform("max")
    winners = shown[shown["shown"] == best]
    return set(zip(winners["frontend"], winners["task"], winners["fraction"]))


def _fold_lines(results: pd.DataFrame, tasks: list[str]) -> list[str]:
    frame = check_results(results)
    lines = []
    for task in tasks:
        rows = frame[frame["task"] == task]
        folds = rows["fold"].nunique()
        tested = rows.groupby(["frontend", "fraction"])["n_test"].sum().max()
        lines.append(f"{task}: {folds} speaker-independent folds, {tested} test utterances in all")
    return lines


def chance_text(tasks: Sequence[str], classes: Mapping[str, Sequence[str]] | None = None) -> str:
    """"arousal 50.0%, emotion 12.5%, arousal_rating 0.000": a constant guess's score, where it is known."""
    chances = {task: known_chance(task, classes) for task in tasks}
    return ", ".join(f"{task} {task_metric(task).format(chance)}{task_metric(task).unit}"
                     for task, chance in chances.items() if chance is not None)


def _metric_lines(tasks: list[str]) -> list[str]:
    """What the cells are, one line per metric in the table (naming its tasks when there are several)."""
    metrics = {task: task_metric(task) for task in tasks}
    lines = []
    for metric in dict.fromkeys(metrics.values()):
        named = [task for task, own in metrics.items() if own == metric]
        which = f" ({', '.join(named)})" if len(set(metrics.values())) > 1 else ""
        unit = ", in %" if metric.percent else ""
        lines.append(f"{metric.short} ({metric.long}) on utterances{which}{unit}: mean ± std over folds "
                     "(best per column in bold)")
    return lines


def table_title(name: str, network: str) -> str:
    """Table 3's title; it names the AV-SpNET network only where the run had one ('-' otherwise)."""
    return f"Table 3: {name}" + (f" (network: {network})" if network != "-" else "")


def run_notes(notes: Sequence[str], target: str, utterances: pd.DataFrame, n_segments: int, background: Sequence[str],
              dims: Mapping[str, int], preset: str, seed: int, folds: str, n_folds: int,
              input_statistics: str | None, transfer: Sequence[str] = ()) -> list[str]:
    """The lines under Table 3's title: the config's own notes, then what the run was (target and its size,
    background, front-ends and their dimensions, transfer preset and seed, folds, R's input statistics, and
    `transfer`: how the heads' inputs and labels were prepared, from `transfer_notes`)."""
    return list(notes) + [
        f"Target: {target} ({len(utterances)} utterances, {utterances['speaker'].nunique()} speakers, "
        f"{n_segments} segments).",
        "Background (labels hidden, proxy labels only): " + (", ".join(background) or "none") + ".",
        "Front-ends: " + "; ".join(f"{name} ({dim}-d)" for name, dim in dims.items()) + ".",
        f"Transfer preset: {preset}; seed {seed}.",
        f"Folds: {folds}; {n_folds} folds.",
    ] + ([f"R's input normalisation: {input_statistics}."] if input_statistics else []) + list(transfer)


SPEAKER_NORM_TEXT = {"mean": "each speaker's mean vector subtracted",
                     "meanvar": "each speaker's mean vector subtracted and divided by their (floored) std"}


def transfer_notes(transfer) -> list[str]:
    """Report lines for the transfer settings that change what a head sees (none at the defaults): speaker
    normalisation, utterance-level heads, self-training. `transfer` is a `TransferConfig`."""
    lines = []
    if transfer.speaker_norm != "none":
        lines.append(f"Speaker normalisation: {transfer.speaker_norm} ({SPEAKER_NORM_TEXT[transfer.speaker_norm]}); "
                     "statistics from each speaker's own unlabeled segments over the whole target, test speakers "
                     "included (deployment with known speakers).")
    if transfer.level == "utterance":
        lines.append("Head level: utterance (each utterance's mean segment vector; one prediction per utterance).")
    if transfer.self_training:
        lines.append(f"Self-training: {transfer.self_training} round(s) at fractions below 1, pseudo-labelling the "
                     "fold's unlabelled training utterances (never test or validation ones) whose top class "
                     f"probability is >= {transfer.pseudo_threshold:g}; n_pseudo in per_fold.csv counts them.")
    return lines


def table3_markdown(results: pd.DataFrame, title: str, notes: Sequence[str] = (),
                    frontends_order: Sequence[str] | None = None, tasks_order: Sequence[str] | None = None,
                    classes: Mapping[str, Sequence[str]] | None = None) -> str:
    """The whole table3.md text: title, notes, chance levels, folds, then the table.

    `classes` gives the class names of corpus-dependent tasks (`emotion`) for their chance level.
    """
    summary, frontends, tasks = _layout(results, frontends_order, tasks_order)
    columns = _columns(summary, tasks)
    display = table3(results, frontends_order, tasks_order)
    best = _best_cells(summary)
    chance = chance_text(tasks, classes)
    lines = [f"# {title}", ""]
    lines += [f"- {note}" for note in notes]
    lines += [f"- {line}." for line in _metric_lines(tasks)]
    if chance:
        lines.append(f"- Chance level: {chance}.")
    lines += [f"- {line}." for line in _fold_lines(results, tasks)]
    mixed = len({task_metric(task) for task in tasks}) > 1
    header = ["Front-end"] + [_column_label(task, fraction, mixed) for task, fraction in columns]
    lines += ["", *table_head(header)]
    for frontend in frontends:
        row = [frontend]
        for task, fraction in columns:
            cell = display.loc[frontend, (task, fraction)]
            row.append(f"**{cell}**" if (frontend, task, fraction) in best else cell)
        lines.append(table_row(row))
    return "\n".join(lines) + "\n"


def write_table3(results: pd.DataFrame, out_dir: str | Path, title: str, notes: Sequence[str] = (),
                 frontends_order: Sequence[str] | None = None, tasks_order: Sequence[str] | None = None,
                 classes: Mapping[str, Sequence[str]] | None = None) -> tuple[Path, Path]:
    """Write table3.md, table3.csv (long form) and per_fold.csv; return the first two paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md_path, csv_path = out / "table3.md", out / "table3.csv"
    md_path.write_text(table3_markdown(results, title, notes, frontends_order, tasks_order, classes), encoding="utf-8")
    summary, frontends, tasks = _layout(results, frontends_order, tasks_order)
    summary.to_csv(csv_path, index=False, float_format="%.6f")
    checked = check_results(results)
    if "n_pseudo" in results:
        checked["n_pseudo"] = results["n_pseudo"].astype(int)
    per_fold = _in_order(checked, frontends, tasks, extra=["fold"])
    per_fold.to_csv(out / "per_fold.csv", index=False, float_format="%.6f")
    return md_path, csv_path
