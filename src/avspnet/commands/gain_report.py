"""Where unlabeled speech pays on one target: every row's gain over a reference row, from several runs.

Rows are front-ends under each run's background and transfer settings
(per-speaker normalisation, head level, self-training); the reference is the
strongest label-free row, by default the frozen Whisper-base encoder with
per-speaker mean normalisation. Gains are paired per fold with a 95 %
bootstrap interval. Writes gain.md, gain.csv, gain.png, per_fold.csv and
runs/<run>.json.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..paths import replaced_folder
from ..reports.gain import N_BOOTSTRAP
from ..reports.unlabeled import REFERENCE, write_gain_report

NAME = "gain-report"
HELP = "gain of every row over a reference row (default: whisper-base, per-speaker mean norm) with 95 %% intervals"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", type=Path, nargs="+", help="run folders of one target (per_fold.csv and run.json)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="report folder, replaced as a whole")
    parser.add_argument("--reference", default=REFERENCE, help=f"the row gains are over (default {REFERENCE!r})")
    parser.add_argument("--note", action="append", default=[], help="a line printed above the table (repeatable)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--bootstrap", type=int, default=N_BOOTSTRAP,
                        help=f"bootstrap resamples per cell (default {N_BOOTSTRAP})")


def run(args: argparse.Namespace) -> int:
    with replaced_folder(args.output, NAME, ()) as staging:
        written = [args.output / path.relative_to(staging)
                   for path in write_gain_report(args.runs, staging, args.reference, args.seed, args.bootstrap,
                                                 args.note)]
    print((args.output / "gain.md").read_text(encoding="utf-8"))
    print(f"report written to {args.output}/ ({len(written)} files)")
    return 0
