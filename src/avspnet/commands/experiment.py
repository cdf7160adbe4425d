"""Run the paper's protocol from one YAML config and write the Table 3 report folder."""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from ..experiment.config import load_experiments
from ..experiment.runner import run_experiment
from ..paths import replaced_folder
from . import add_cache_arguments

NAME = "experiment"
HELP = "pre-train front-ends, run the transfer grid and write Table 3 (see configs/)"
# What run folders of versions before the output marker held (see paths.replaced_folder): a
# single-target folder, or one sub-folder per target. Frozen: newer files are listed in the marker.
RUN_FILES = ("config.yaml", "run.json", "table3.md", "table3.csv", "per_fold.csv", "uar_vs_fraction.png",
             "confusions.png", "models/*.pt", "report.html")
LEGACY = (*RUN_FILES, *(f"*/{name}" for name in RUN_FILES))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="experiment YAML (e.g. configs/loco_ravdess.yaml)")
    parser.add_argument("-o", "--output", type=Path,
                        help="run folder (default: runs/<config name>); a config with `targets:` writes one "
                             "sub-folder per target label. A re-run replaces the folder as a whole when it "
                             "succeeds; a folder holding other files is refused")
    parser.add_argument("--seed", type=int, help="override the config's seed")
    add_cache_arguments(parser, "processes for the transfer grid (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    configs = load_experiments(args.config)
    overrides = {k: v for k, v in (("seed", args.seed), ("workers", args.workers)) if v is not None}
    runs = []
    for label, config in configs:
        root = args.output or Path("runs") / (config.name.removesuffix(f"-{label}") if label else config.name)
        runs.append((label, replace(config, **overrides), root))
    tables = []
    with ExitStack() as stack:
        # Each output root (one per config, or the folder of all its targets) is written aside and
        # swapped in only when every run into it succeeded, so it never mixes two runs.
        staged = {root: stack.enter_context(replaced_folder(root, NAME, LEGACY))
                  for root in dict.fromkeys(root for _, _, root in runs)}
        for label, config, root in runs:
            table = run_experiment(config, staged[root] / label, args.cache_dir, progress=not args.quiet,
                                   target_label=label)
            tables.append(root / label / table.relative_to(staged[root] / label))
    for table in tables:
        print(table.read_text(encoding="utf-8"))
        print(f"report written to {table.parent}/ (report.html, table3.md, table3.csv, per_fold.csv, "
              "uar_vs_fraction.png, confusions.png, run.json, models/)")
    return 0
