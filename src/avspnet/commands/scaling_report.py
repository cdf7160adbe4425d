"""Gain over R against hours of background speech, from several `avspnet experiment` run folders.

Writes gain.csv, gain_<target>_<network>.md, gain_vs_hours_<fraction>.png,
pretraining.md / .csv, runs/<run name>.json (copies of each run.json) and
report.html (all of them in one self-contained page).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..paths import replaced_folder
from ..reports.gain import N_BOOTSTRAP
from ..reports.gain_report import write_scaling_report

NAME = "scaling-report"
HELP = "gain over R per front-end vs hours of background speech, with 95 %% intervals (see configs/scaling/)"
# What report folders of versions before the output marker held (see paths.replaced_folder).
LEGACY = ("gain.csv", "gain_*.md", "gain_vs_hours_*.png", "pretraining.csv", "pretraining.md", "runs/*.json",
          "report.html")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", type=Path, nargs="+", help="run folders (each with per_fold.csv and run.json)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="report folder (e.g. results/scaling), replaced as a whole")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--bootstrap", type=int, default=N_BOOTSTRAP,
                        help=f"bootstrap resamples per cell (default {N_BOOTSTRAP})")


def run(args: argparse.Namespace) -> int:
    with replaced_folder(args.output, NAME, LEGACY) as staging:
        written = [args.output / path.relative_to(staging)
                   for path in write_scaling_report(args.runs, staging, args.seed, args.bootstrap)]
    for path in written:
        if path.suffix == ".md":
            print(path.read_text(encoding="utf-8"))
    print(f"report written to {args.output}/ ({len(written)} files)")
    return 0
