"""Render the synthetic espeak-ng emotion corpus (no download needed) and print its statistics.

Reuses OUT_DIR when it already holds the corpus made with the same settings.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..corpora.synthetic import SyntheticConfig, make_synthetic_corpus
from ..features.stats import corpus_stats, format_stats

NAME = "synth"
HELP = "generate a small synthetic multi-speaker emotion corpus with espeak-ng"

DEFAULTS = SyntheticConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", type=Path, help="output directory (audio/, manifest.csv, README.txt)")
    parser.add_argument("--speakers", type=int, default=DEFAULTS.n_speakers,
                        help="number of voices (default: %(default)s)")
    parser.add_argument("--per-speaker", type=int, default=DEFAULTS.utterances_per_speaker,
                        help="utterances per speaker (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed, help="random seed (default: %(default)s)")
    parser.add_argument("--workers", type=int, help="processes (default: all cores)")


def run(args: argparse.Namespace) -> int:
    config = SyntheticConfig(n_speakers=args.speakers, utterances_per_speaker=args.per_speaker, seed=args.seed)
    start = time.perf_counter()
    manifest = make_synthetic_corpus(args.out_dir, config, args.workers)
    print(format_stats("synthetic", corpus_stats(manifest)))
    print(f"synthetic corpus ready in {args.out_dir} ({time.perf_counter() - start:.1f} s); "
          f"manifest {args.out_dir / 'manifest.csv'}")
    return 0
