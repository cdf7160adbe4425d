"""`avspnet experiment`: data -> proxy labels -> front-ends -> embeddings -> transfer grid -> report."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..configio import config_hash, to_dict
from ..features.cache import default_cache_dir
from ..log import get_logger
from ..reports.confusion import plot_confusions
from ..reports.plots import plot_uar_vs_fraction
from ..reports.runinfo import run_info, write_run_json
from ..reports.table3 import write_table3
from ..training.pretrain import pretrain
from ..training.transfer import cached_embeddings
from .config import FOLDS, ExperimentConfig
from .data import BackgroundData, load_background, load_target, unlabeled_target
from .estimate import estimate_seconds, format_duration
from .export import export_models
from .grid import GridJob, run_grid
from ..evaluation.tasks import TASK_CLASSES, encode_task
from .splits import available_tasks, plan_splits

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


def pretrain_frontends(config: ExperimentConfig, background: BackgroundData, cache_dir: Path,
                       progress: bool) -> dict[str, object]:
    """Encoder per front-end; a finished pre-training with the same config and data is reused."""
    encoders = {}
    for name in config.frontends:
        settings = replace(config.pretrain, frontend=name, seed=config.seed)
        key = config_hash({"pretrain": to_dict(settings), "background": background.key})
        result = pretrain(
            background.segments, background.speakers, background.proxy_arousal, background.proxy_valence,
            settings, out_dir=cache_dir / "frontends" / f"{name}_{key}", progress=progress,
            metadata={"background": background.manifest_hashes, "proxy_counts": background.proxy_counts},
        )
        encoders[name] = result.encoder
    return encoders


def run_experiment(config: ExperimentConfig, out_dir: Path, cache_dir: Path | None = None,
                   progress: bool = True) -> Path:
    """Run the whole protocol and write the report folder; returns the path of table3.md."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    workers = config.workers or os.cpu_count() or 1
    timer = StageTimer()
    with (out_dir / "config.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(to_dict(config), handle, sort_keys=False)

    with timer.stage("data"):
        target = load_target(config.target, config.features, cache_dir, config.seed, workers, progress)
        background = load_background(config.background, config.features, config.proxy, cache_dir, config.seed,
                                     workers, progress) or unlabeled_target(target)
    utterances = target.segments.utterances
    tasks = available_tasks(utterances, config.tasks)
    splits = plan_splits(utterances, tasks, config.fractions, config.n_folds,
                         config.transfer.val_speaker_fraction, config.seed, config.folds)
    estimate = estimate_seconds(config, background, target, splits, workers)
    print(f"estimate: about {format_duration(sum(estimate.values()))} on {workers} worker(s) "
          f"({', '.join(f'{k} {format_duration(v)}' for k, v in estimate.items())})", flush=True)

    with timer.stage("pretrain"):
        encoders = pretrain_frontends(config, background, cache_dir, progress)
    with timer.stage("embed"):
        embeddings = {name: cached_embeddings(encoder, target.segments.segments, target.key, cache_dir)
                      for name, encoder in encoders.items()}
    with timer.stage("transfer grid"):
        labels = {task: encode_task(utterances, task) for task in tasks}
        jobs = [GridJob(frontend=name, embeddings=embeddings[name], split=split, utt_labels=labels[split.task],
                        utt_index=target.segments.utt_index, config=config.transfer, seed=config.seed)
                for name in config.frontends for split in splits]
        outcomes = run_grid(jobs, workers, progress)
    results = pd.DataFrame([row for outcome in outcomes for row in outcome.rows])
    confusions: dict[tuple[str, str], np.ndarray] = {}
    for outcome in outcomes:
        key = (outcome.frontend, outcome.task)
        confusions[key] = confusions.get(key, 0) + outcome.confusion

    exported = {}
    if config.export_models:
        with timer.stage("export models"):
            exported = export_models(config, results, encoders, embeddings, target, labels, out_dir / "models")

    with timer.stage("report"):
        notes = list(config.notes) + [
            f"Target: {config.target.name or config.target.manifest} ({len(utterances)} utterances, "
            f"{utterances['speaker'].nunique()} speakers, {len(target.segments)} segments).",
            "Background (labels hidden, proxy labels only): "
            + (", ".join(s.name or s.manifest for s in config.background) or "none") + ".",
            f"Transfer preset: {config.transfer.preset}; seed {config.seed}.",
            f"Folds: {FOLDS[config.folds]}; {len({s.fold for s in splits})} folds.",
        ]
        table_md, _ = write_table3(results, out_dir, title=f"Table 3: {config.name}", notes=notes,
                                   frontends_order=config.frontends, tasks_order=tasks)
        plot_uar_vs_fraction(results, out_dir / "uar_vs_fraction.png", config.frontends, tasks)
        plot_confusions(confusions, {t: TASK_CLASSES[t] for t in tasks}, out_dir / "confusions.png")
    info = run_info(to_dict(config), seeds={"seed": config.seed},
                    data_hashes={"target": target.manifest_hash,
                                 **{f"background/{k}": v for k, v in background.manifest_hashes.items()}},
                    timings=timer.seconds)
    info.update({"estimate_s": estimate, "tasks": list(tasks), "exported_models": exported,
                 "proxy_counts": background.proxy_counts})
    write_run_json(info, out_dir / "run.json")
    print("time per stage: " + ", ".join(f"{k} {format_duration(v)}" for k, v in timer.seconds.items()))
    return table_md
