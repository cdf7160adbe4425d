"""`avspnet experiment`: data -> proxy labels -> front-ends -> embeddings -> transfer grid -> report."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from ..configio import to_dict
from ..content import default_cache_dir
from ..downstream.grid import GridJob, run_grid
from ..downstream.splits import available_tasks, plan_splits
from ..errors import CorpusError
from ..evaluation.tasks import get_task
from ..frontends import BuildContext, EmbedContext, FrontEnd, build, check, entry
from ..log import format_duration, get_logger
from ..reports.confusion import plot_confusions
from ..reports.html import write_report_html
from ..reports.plots import plot_uar_vs_fraction
from ..reports.runinfo import run_info, write_run_json
from ..reports.table3 import write_table3
from .config import FOLDS, ExperimentConfig
from .data import load_background, load_target, unlabeled_target
from .estimate import estimate_seconds
from .export import export_models
from .fold_embeddings import embed_target, input_statistics

log = get_logger("experiment")


class StageTimer:
    """Wall time per pipeline stage, logged as each stage ends and kept for run.json."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        log.info("stage %s ...", name)
        yield
        self.seconds[name] = round(time.perf_counter() - start, 2)
        log.info("stage %s done in %s", name, format_duration(self.seconds[name]))


def pretrain_summary(history: list[dict]) -> dict:
    """Per phase: epochs and steps run, and the losses and proxy-validation accuracy of the kept epoch
    (the lowest validation loss, else training loss, as pre-training selects it), for run.json."""
    summary = {}
    for phase in dict.fromkeys(row["phase"] for row in history):
        rows = [row for row in history if row["phase"] == phase]
        kept = min(rows, key=lambda row: row.get("val_loss", row["train_loss"]))
        summary[phase] = {"epochs": len(rows), "steps": rows[-1]["steps"], "kept_epoch": kept["epoch"],
                          **{k: kept[k] for k in ("train_loss", "val_loss", "val_acc") if kept.get(k) is not None}}
    return summary


def run_network(frontends: dict[str, FrontEnd]) -> str:
    """The network size(s) of the run's AV-SpNET encoders; '-' for a run with none (baselines only)."""
    return ", ".join(sorted({frontend.network for frontend in frontends.values()} - {None})) or "-"


def run_experiment(config: ExperimentConfig, out_dir: Path, cache_dir: Path | None = None,
                   progress: bool = True, target_label: str = "") -> Path:
    """Run the whole protocol and write the report folder; returns the path of table3.md.

    `target_label` names the target in run.json (a multi-target config's label), default its corpus.
    Pre-trained front-ends are cached by the background's content and the settings, not the target,
    so the targets of a multi-target config share them.
    """
    check(config.frontends, config.features)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    workers = config.workers or os.cpu_count() or 1
    timer = StageTimer()
    with (out_dir / "config.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(to_dict(config), handle, sort_keys=False)

    with timer.stage("data"):
        target = load_target(config.target, config.features, cache_dir, config.seed, workers, progress)
        utterances = target.segments.utterances
        tasks = available_tasks(utterances, config.tasks)
        if not tasks:
            raise CorpusError(f"target {config.target.name or config.target.manifest}: none of the tasks "
                              f"{', '.join(config.tasks)} has its labels in this corpus (see the log); nothing to run")
        background = None
        if any(entry(name).uses_background for name in config.frontends):
            background = load_background(config.background, config.features, config.proxy, cache_dir, config.seed,
                                         workers, progress)
    bound = {task: get_task(task).for_corpus(utterances) for task in tasks}
    classes = {task: bound[task].classes for task in tasks}
    splits = plan_splits(utterances, tasks, config.fractions, config.n_folds,
                         config.transfer.val_speaker_fraction, config.seed, config.folds)
    building = BuildContext(config.sections(), lambda: background or unlabeled_target(target), cache_dir,
                            config.runtime(), progress)
    estimate = estimate_seconds(config, background, target, splits, workers, building)
    log.info("estimate: about %s on %d worker(s) (%s)", format_duration(sum(estimate.values())), workers,
             ", ".join(f"{k} {format_duration(v)}" for k, v in estimate.items()))

    with timer.stage("pretrain"):
        frontends = {name: build(name, building) for name in config.frontends}
        pretrained = {name: pretrain_summary(frontend.history) for name, frontend in frontends.items()
                      if frontend.history is not None}
    with timer.stage("embed"):
        context = EmbedContext(config.features, cache_dir, config.runtime(), workers, progress)
        embedded = embed_target(frontends, target, splits, context, building, background is not None,
                                config.export_models)
        embeddings, embedding_s, precisions = embedded.whole, embedded.timing, embedded.precision
    with timer.stage("transfer grid"):
        labels = {task: bound[task].encode(utterances) for task in tasks}
        jobs = [GridJob(frontend=name, embeddings=embedded.path(name, split.fold), split=split,
                        utt_labels=labels[split.task], utt_index=target.segments.utt_index, task=bound[split.task],
                        config=config.transfer, seed=config.seed)
                for name in config.frontends for split in splits]
        outcomes = run_grid(jobs, workers, progress)
    results = pd.DataFrame([row for outcome in outcomes for row in outcome.rows])
    confusions: dict[tuple[str, str], np.ndarray] = {}
    for outcome in outcomes:
        if outcome.confusion is not None:  # tasks with classes only
            key = (outcome.frontend, outcome.task)
            confusions[key] = confusions.get(key, 0) + outcome.confusion

    exported = {}
    if config.export_models:
        with timer.stage("export models"):
            exported = export_models(config, results, frontends, embeddings, target, labels, bound,
                                     out_dir / "models")

    network = run_network(frontends)
    r_statistics = input_statistics(config.frontends, background is not None)
    with timer.stage("report"):
        notes = list(config.notes) + [
            f"Target: {config.target.name or config.target.manifest} ({len(utterances)} utterances, "
            f"{utterances['speaker'].nunique()} speakers, {len(target.segments)} segments).",
            "Background (labels hidden, proxy labels only): "
            + (", ".join(s.name or s.manifest for s in config.background) or "none") + ".",
            "Front-ends: " + "; ".join(f"{name} ({frontend.dim}-d)" for name, frontend in frontends.items()) + ".",
            f"Transfer preset: {config.transfer.preset}; seed {config.seed}.",
            f"Folds: {FOLDS[config.folds]}; {len({s.fold for s in splits})} folds.",
        ] + ([f"R's input normalisation: {r_statistics}."] if r_statistics else [])
        title = f"Table 3: {config.name}" + (f" (network: {network})" if network != "-" else "")
        table_md, _ = write_table3(results, out_dir, title=title, notes=notes,
                                   frontends_order=config.frontends, tasks_order=tasks, classes=classes)
        plot_uar_vs_fraction(results, out_dir / "uar_vs_fraction.png", config.frontends, tasks, classes=classes)
        if confusions:
            plot_confusions(confusions, classes, out_dir / "confusions.png")
    info = run_info(to_dict(config), seeds={"seed": config.seed},
                    data_hashes={"target": target.manifest_hash,
                                 **{f"background/{k}": v
                                    for k, v in (background.manifest_hashes if background else {}).items()}},
                    timings=timer.seconds)
    runtime = context.runtime
    n_speakers = utterances["speaker"].nunique()
    n_folds = len({split.fold for split in splits})
    info.update({
        "estimate_s": estimate, "tasks": list(tasks), "classes": {t: list(c) for t, c in classes.items()},
        "embedding_s": embedding_s, "exported_models": exported,
        "proxy_counts": background.proxy_counts if background else {}, "network": network,
        "target_label": target_label or config.target.name or Path(config.target.manifest).stem,
        "background": {"hours": round(background.hours, 4) if background else 0.0,
                       "speakers": background.n_speakers if background else 0,
                       "segments": len(background.segments) if background and config.background else 0},
        "pretrain": pretrained, "r_input_statistics": r_statistics,
        "runtime": {"device": str(runtime.device), "precision": runtime.precision,
                    "channels_last": runtime.channels_last, "torch_threads": torch.get_num_threads(),
                    "grid_workers": workers, "grid_threads_per_worker": 1,
                    # What really ran: each front-end's vectors (a cache hit keeps the precision it was made at,
                    # which is part of its key) and each encoder's pre-training, as its checkpoint recorded it.
                    "embedding_precision": precisions,
                    "pretrain_precision": {name: frontend.pretrain_runtime.get("precision", "unknown")
                                           for name, frontend in frontends.items()
                                           if frontend.pretrain_runtime is not None}},
        "folds": {"mode": config.folds, "requested": config.n_folds, "used": n_folds, "speakers": n_speakers,
                  "leave_one_speaker_out": n_speakers <= config.n_folds},
        "head_epochs": {f"{frontend}/{task}/{fraction:g}": group.sort_values("fold")["epochs"].tolist()
                        for (frontend, task, fraction), group in results.groupby(["frontend", "task", "fraction"])},
    })
    write_run_json(info, out_dir / "run.json")
    write_report_html(out_dir)
    log.info("time per stage: %s", ", ".join(f"{k} {format_duration(v)}" for k, v in timer.seconds.items()))
    return table_md
