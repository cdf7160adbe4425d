"""Run the paper's protocol from one YAML config and write the Table 3 report folder."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from ..experiment.config import load_experiments
from ..experiment.runner import run_experiment
from . import add_cache_arguments

NAME = "experiment"
HELP = "pre-train front-ends, run the transfer grid and write Table 3 (see configs/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="experiment YAML (e.g. configs/loco_ravdess.yaml)")
    parser.add_argument("-o", "--output", type=Path,
                        help="run folder (default: runs/<config name>); a config with `targets:` writes one "
                             "sub-folder per target label")
    parser.add_argument("--seed", type=int, help="override the config's seed")
    add_cache_arguments(parser, "processes for the transfer grid (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    configs = load_experiments(args.config)
    overrides = {k: v for k, v in (("seed", args.seed), ("workers", args.workers)) if v is not None}
    for label, config in configs:
        config = replace(config, **overrides)
        out_dir = args.output or Path("runs") / (config.name.removesuffix(f"-{label}") if label else config.name)
        out_dir = out_dir / label if label else out_dir
        table = run_experiment(config, out_dir, args.cache_dir, progress=not args.quiet, target_label=label)
        print(table.read_text(encoding="utf-8"))
        print(f"report written to {out_dir}/ (report.html, table3.md, table3.csv, per_fold.csv, "
              "uar_vs_fraction.png, confusions.png, run.json, models/)")
    return 0
