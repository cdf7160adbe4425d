"""Build a corpus' manifest from its native layout, save it, and print its Table 1 statistics."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..corpora import LOADERS, load_corpus
from ..corpora.csvcorpus import SPLITS
from ..corpora.manifest import write_manifest
from ..features.stats import corpus_stats, format_stats
from ..paths import output_file

NAME = "corpus"
HELP = "build a corpus manifest (CSV) and print its statistics"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help=f"corpus layout: {', '.join(LOADERS)}")
    parser.add_argument("root", type=Path, help="corpus root directory (for 'media' and 'csv': the CSV file)")
    parser.add_argument("-o", "--output", type=Path, help="manifest path (default: manifests/NAME.csv)")
    parser.add_argument("--json", action="store_true", help="print statistics as JSON")
    parser.add_argument("--encoding", help="encoding of the corpus' text tables that are not UTF-8 (e.g. latin-1, "
                                           "cp1252, gb18030); each file read so is named in a warning")
    rule = parser.add_mutually_exclusive_group()
    rule.add_argument("--threshold", type=float, metavar="X",
                      help="csv: numeric arousal/valence ratings above X are high/positive, below X low/negative")
    rule.add_argument("--split", choices=SPLITS,
                      help="csv: split numeric arousal/valence ratings at each speaker's mean rating")


def run(args: argparse.Namespace) -> int:
    output = output_file(args.output or Path("manifests") / f"{args.name}.csv")
    options = {name: getattr(args, name) for name in ("threshold", "split") if getattr(args, name) is not None}
    manifest = load_corpus(args.name, args.root, args.encoding, **options)
    write_manifest(manifest, output)
    stats = corpus_stats(manifest)
    print(json.dumps(stats, indent=2) if args.json else format_stats(args.name, stats))
    print(f"manifest written to {output}")
    return 0
