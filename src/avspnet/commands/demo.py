"""The README's main command: the whole pipeline on a synthetic corpus, no download needed."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..content import default_cache_dir
from ..experiment.demo import demo_config, prepare_demo_data
from ..experiment.runner import run_experiment
from ..paths import replaced_folder
from . import add_cache_arguments
from .experiment import RUN_FILES

NAME = "demo"
HELP = "run proxy labels, pre-training and the transfer grid on a synthetic espeak-ng corpus (minutes)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, default=Path("runs/demo"),
                        help="run folder (default: runs/demo), replaced as a whole when the run succeeds")
    parser.add_argument("--seed", type=int, default=0)
    add_cache_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    cache_dir = args.cache_dir or default_cache_dir()
    with replaced_folder(args.output, NAME, RUN_FILES) as staging:
        target, background = prepare_demo_data(cache_dir / "demo", args.seed, args.workers)
        config = demo_config(target, background, args.seed, workers=args.workers or 0)
        table = run_experiment(config, staging, cache_dir, progress=not args.quiet)
    print((args.output / table.relative_to(staging)).read_text(encoding="utf-8"))
    print(f"synthetic demo report written to {args.output}/")
    return 0
