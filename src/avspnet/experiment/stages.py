"""The experiment's stages, each a function handing the next a small typed result.

prepare data -> plan folds -> build front-ends -> embed (fold_embeddings) ->
fit the grid -> report -> the run record. `runner.run_experiment` calls them
in that order; each takes only what earlier stages handed it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..configio import dump_yaml, to_dict
from ..content import default_cache_dir
from ..downstream.grid import GridJob, run_grid, sum_confusions
from ..downstream.pooling import segment_speakers
from ..downstream.splits import FoldSplit, available_tasks, plan_splits
from ..errors import CorpusError
from ..evaluation.tasks import Task, get_task
from ..frontends import BuildContext, EmbedContext, FrontEnd, build, entry
from ..log import StageTimer, format_duration, get_logger
from ..reports.confusion import plot_confusions
from ..reports.plots import plot_uar_vs_fraction
from ..reports.runinfo import BackgroundFacts, FoldFacts, RunRecord, RuntimeFacts, provenance
from ..reports.table3 import run_notes, table_title, transfer_notes, write_table3
from ..training.background import Background
from ..training.pretrain import pretrain_summary
from .config import FOLDS, ExperimentConfig
from .data import TargetData, in_domain_target, load_background, load_target, unlabeled_target
from .estimate import estimate_seconds
from .fold_embeddings import TargetEmbeddings

log = get_logger("experiment")


@dataclass
class RunSetup:
    """Where a run writes and caches, how many processes its grid uses, and its stage timer."""

    out_dir: Path
    cache_dir: Path
    workers: int
    progress: bool
    timer: StageTimer


def start_run(config: ExperimentConfig, out_dir: Path, cache_dir: Path | None, progress: bool) -> RunSetup:
    """The run folder (with the resolved config.yaml in it) and the run's resources."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dump_yaml(config, out_dir / "config.yaml")
    return RunSetup(out_dir, Path(cache_dir) if cache_dir else default_cache_dir(),
                    config.workers or os.cpu_count() or 1, progress, StageTimer(log))


@dataclass
class PreparedData:
    target: TargetData
    # The tasks this corpus has labels for, bound to it (classes of `emotion` are the corpus'), in config order.
    tasks: dict[str, Task]
    # Background corpora with proxy labels; None when no front-end uses one or none is configured.
    background: Background | None

    @property
    def classes(self) -> dict[str, tuple[str, ...]]:
        return {name: task.classes for name, task in self.tasks.items()}


def prepare_data(config: ExperimentConfig, run: RunSetup) -> PreparedData:
    """The target's segments and tasks; the background's, when a front-end learns from one."""
    target = load_target(config.target, config.features, run.cache_dir, config.seed, run.workers, run.progress,
                         config.proxy)
    utterances = target.segments.utterances
    tasks = available_tasks(utterances, config.tasks)
    if not tasks:
        raise CorpusError(f"target {config.target.name or config.target.manifest}: none of the tasks "
                          f"{', '.join(config.tasks)} has its labels in this corpus (see the log); nothing to run")
    background = None
    if any(entry(name).uses_background for name in config.frontends):
        background = load_background(config.background, config.features, config.proxy, run.cache_dir, config.seed,
                                     run.workers, run.progress)
    return PreparedData(target, {task: get_task(task).for_corpus(utterances) for task in tasks}, background)


@dataclass
class FoldPlan:
    splits: list[FoldSplit]
    # Task -> label code per target utterance, as the task encodes the manifest's labels.
    labels: dict[str, np.ndarray]

    @property
    def n_folds(self) -> int:
        return len({split.fold for split in self.splits})


def plan_folds(config: ExperimentConfig, data: PreparedData) -> FoldPlan:
    """Speaker folds and nested label fractions per task, and each task's labels."""
    utterances = data.target.segments.utterances
    splits = plan_splits(utterances, tuple(data.tasks), config.fractions, config.n_folds,
                         config.transfer.val_speaker_fraction, config.seed, config.folds)
    return FoldPlan(splits, {name: task.encode(utterances) for name, task in data.tasks.items()})


def build_context(config: ExperimentConfig, data: PreparedData, run: RunSetup) -> BuildContext:
    """What front-ends are built from: the run's settings, its background (else the unlabeled target), cache,
    runtime, and the whole target as an in-domain background (per fold, `fold_embeddings` narrows it)."""
    return BuildContext(config.sections(), lambda: data.background or unlabeled_target(data.target), run.cache_dir,
                        config.runtime(), run.progress, in_domain=lambda: in_domain_target(data.target))


def estimate(config: ExperimentConfig, data: PreparedData, plan: FoldPlan, run: RunSetup) -> dict[str, float]:
    """Upper-bound seconds per stage, logged before the long stages start."""
    seconds = estimate_seconds(config, data.background, data.target, plan.splits, run.workers,
                               build_context(config, data, run))
    log.info("estimate: about %s on %d worker(s) (%s)", format_duration(sum(seconds.values())), run.workers,
             ", ".join(f"{k} {format_duration(v)}" for k, v in seconds.items()))
    return seconds


def run_network(frontends: dict[str, FrontEnd]) -> str:
    """The network size(s) of the run's AV-SpNET encoders; '-' for a run with none (baselines only)."""
    return ", ".join(sorted({frontend.network for frontend in frontends.values()} - {None})) or "-"


@dataclass
class BuiltFrontends:
    frontends: dict[str, FrontEnd]
    # How they were built: front-ends embedded per fold are built again from it.
    context: BuildContext
    # run.json's `pretrain`: per front-end this run pre-trained, its phases' kept epochs.
    pretrained: dict
    network: str


def build_frontends(config: ExperimentConfig, data: PreparedData, run: RunSetup) -> BuiltFrontends:
    """Every configured front-end, ready (recipes pre-trained on the background, or found in the cache)."""
    context = build_context(config, data, run)
    frontends = {name: build(name, context) for name in config.frontends}
    pretrained = {name: pretrain_summary(frontend.history) for name, frontend in frontends.items()
                  if frontend.history is not None}
    return BuiltFrontends(frontends, context, pretrained, run_network(frontends))


def embed_context(config: ExperimentConfig, run: RunSetup) -> EmbedContext:
    return EmbedContext(config.features, run.cache_dir, config.runtime(), run.workers, run.progress)


@dataclass
class GridResults:
    # One row per (front-end, task, fraction, fold): the task's metric and the head's fit.
    results: pd.DataFrame
    # (front-end, task) -> confusion counts summed over folds at the largest fraction (class tasks only).
    confusions: dict[tuple[str, str], np.ndarray]


def fit_grid(config: ExperimentConfig, data: PreparedData, plan: FoldPlan, embedded: TargetEmbeddings,
             run: RunSetup) -> GridResults:
    """A head per (front-end, task, fold, fraction) on the cached vectors, scored on the fold's test speakers."""
    segments = data.target.segments
    speakers = segment_speakers(segments.utterances["speaker"], segments.utt_index)
    jobs = [GridJob(frontend=name, embeddings=embedded.path(name, split.fold), split=split,
                    utt_labels=plan.labels[split.task], utt_index=segments.utt_index, task=data.tasks[split.task],
                    config=config.transfer, seed=config.seed, speakers=speakers)
            for name in config.frontends for split in plan.splits]
    outcomes = run_grid(jobs, run.workers, run.progress)
    return GridResults(pd.DataFrame([row for outcome in outcomes for row in outcome.rows]), sum_confusions(outcomes))


def write_report(config: ExperimentConfig, data: PreparedData, plan: FoldPlan, built: BuiltFrontends,
                 embedded: TargetEmbeddings, grid: GridResults, out_dir: Path) -> Path:
    """table3.md / .csv, per_fold.csv and the figures; returns the path of table3.md."""
    segments, tasks = data.target.segments, tuple(data.tasks)
    notes = run_notes(config.notes, config.target.name or config.target.manifest, segments.utterances,
                      len(segments), [spec.name or spec.manifest for spec in config.background],
                      {name: frontend.dim for name, frontend in built.frontends.items()}, config.transfer.preset,
                      config.seed, FOLDS[config.folds], plan.n_folds, embedded.input_statistics,
                      transfer_notes(config.transfer))
    table_md, _ = write_table3(grid.results, out_dir, title=table_title(config.name, built.network), notes=notes,
                               frontends_order=config.frontends, tasks_order=tasks, classes=data.classes)
    plot_uar_vs_fraction(grid.results, out_dir / "uar_vs_fraction.png", config.frontends, tasks, classes=data.classes)
    if grid.confusions:
        plot_confusions(grid.confusions, data.classes, out_dir / "confusions.png")
    return table_md


def per_cell(groups, column: str) -> dict[str, list[int]]:
    """"frontend/task/fraction" -> `column` per fold, from the grid's rows grouped by cell."""
    return {f"{frontend}/{task}/{fraction:g}": group.sort_values("fold")[column].tolist()
            for (frontend, task, fraction), group in groups}


def run_record(config: ExperimentConfig, data: PreparedData, plan: FoldPlan, built: BuiltFrontends,
               embedded: TargetEmbeddings, grid: GridResults, exported: dict, estimate_s: dict[str, float],
               run: RunSetup, target_label: str) -> RunRecord:
    """run.json: the config, data, software and machine, and what each stage did."""
    background, runtime = data.background, config.runtime()
    speakers = data.target.segments.utterances["speaker"].nunique()
    cells = grid.results.groupby(["frontend", "task", "fraction"])
    return RunRecord(
        config=to_dict(config), network=built.network,
        target_label=target_label or config.target.name or Path(config.target.manifest).stem,
        background=BackgroundFacts(hours=round(background.hours, 4) if background else 0.0,
                                   speakers=background.n_speakers if background else 0,
                                   segments=len(background.segments) if background and config.background else 0),
        **provenance(), seeds={"seed": config.seed},
        data_hashes={"target": data.target.manifest_hash,
                     **{f"background/{k}": v for k, v in (background.manifest_hashes if background else {}).items()}},
        timings_s=dict(run.timer.seconds), estimate_s=estimate_s, tasks=list(data.tasks),
        classes={task: list(classes) for task, classes in data.classes.items()}, embedding_s=embedded.timing,
        exported_models=exported, proxy_counts=background.proxy_counts if background else {},
        pretrain=built.pretrained, r_input_statistics=embedded.input_statistics,
        runtime=RuntimeFacts(
            device=str(runtime.device), precision=runtime.precision, channels_last=runtime.channels_last,
            torch_threads=torch.get_num_threads(), grid_workers=run.workers, grid_threads_per_worker=1,
            embedding_precision=embedded.precision,
            pretrain_precision={name: frontend.pretrain_runtime.get("precision", "unknown")
                                for name, frontend in built.frontends.items() if frontend.pretrain_runtime is not None}),
        folds=FoldFacts(mode=config.folds, requested=config.n_folds, used=plan.n_folds, speakers=speakers,
                        leave_one_speaker_out=speakers <= config.n_folds),
        head_epochs=per_cell(cells, "epochs"), transfer_notes=transfer_notes(config.transfer),
        pseudo_labels=per_cell(cells, "n_pseudo") if config.transfer.self_training else {},
    )
