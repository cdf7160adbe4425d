"""Gain over R against hours of background speech, from several `avspnet experiment` run folders.

Writes gain.csv, gain_<target>_<network>.md, gain_vs_hours_<fraction>.png,
pretraining.md / .csv, runs/<run name>.json (copies of each run.json) and
report.html (all of them in one self-contained page).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..reports.gain import N_BOOTSTRAP, write_scaling_report

NAME = "scaling-report"
HELP = "gain over R per front-end vs hours of background speech, with 95 %% intervals (see configs/scaling/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", type=Path, nargs="+", help="run folders (each with per_fold.csv and run.json)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="report folder (e.g. results/scaling)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--bootstrap", type=int, default=N_BOOTSTRAP,
                        help=f"bootstrap resamples per cell (default {N_BOOTSTRAP})")


def run(args: argparse.Namespace) -> int:
    written = write_scaling_report(args.runs, args.output, args.seed, args.bootstrap)
    for path in written:
        if path.suffix == ".md":
            print(path.read_text(encoding="utf-8"))
    print(f"report written to {args.output}/ ({len(written)} files)")
    return 0
