"""`avspnet experiment`: data -> proxy labels -> front-ends -> embeddings -> transfer grid -> report.

One function reads the protocol top to bottom; each stage (`stages.py`)
hands the next a small typed result.
"""

from __future__ import annotations

from pathlib import Path

from ..frontends import check
from ..reports.html import write_report_html
from ..reports.runinfo import write_run_record
from .config import ExperimentConfig
from .export import export_models
from .fold_embeddings import embed_target
from .stages import (
    build_frontends,
    embed_context,
    estimate,
    fit_grid,
    log,
    plan_folds,
    prepare_data,
    run_record,
    start_run,
    write_report,
)


def run_experiment(config: ExperimentConfig, out_dir: Path, cache_dir: Path | None = None,
                   progress: bool = True, target_label: str = "") -> Path:
    """Run the whole protocol and write the report folder; returns the path of table3.md.

    `target_label` names the target in run.json (a multi-target config's label), default its corpus.
    Pre-trained front-ends are cached by the background's content and the settings, not the target,
    so the targets of a multi-target config share them.
    """
    check(config.frontends, config.features)
    run = start_run(config, out_dir, cache_dir, progress)
    with run.timer.stage("data"):
        data = prepare_data(config, run)
    plan = plan_folds(config, data)
    estimate_s = estimate(config, data, plan, run)
    with run.timer.stage("pretrain"):
        built = build_frontends(config, data, run)
    with run.timer.stage("embed"):
        embedded = embed_target(built.frontends, data.target, plan.splits, embed_context(config, run), built.context,
                                data.background is not None, config.export_models)
    with run.timer.stage("transfer grid"):
        grid = fit_grid(config, data, plan, embedded, run)
    exported = {}
    if config.export_models:
        with run.timer.stage("export models"):
            exported = export_models(config, grid.results, built.frontends, embedded.whole, data.target, plan.labels,
                                     data.tasks, run.out_dir / "models")
    with run.timer.stage("report"):
        table_md = write_report(config, data, plan, built, embedded, grid, run.out_dir)
    write_run_record(run_record(config, data, plan, built, embedded, grid, exported, estimate_s, run, target_label),
                     run.out_dir / "run.json")
    write_report_html(run.out_dir)
    log.info("time per stage: %s", run.timer.summary())
    return table_md
