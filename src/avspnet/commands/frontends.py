"""List the front-ends an experiment can use (`frontends:` in its config), with dimension, cost and availability.

A front-end turns the target corpus into one vector per 810 ms segment; the
same heads, folds and label fractions then run on every one of them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..experiment.config import load_experiments
from ..frontends import entries

NAME = "frontends"
HELP = ("list the front-ends (AV-SpNET recipes, checkpoint:PATH, egemaps, whisper-base, whisper-small, logmel-stats, "
        "adapters on each Whisper)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per front-end instead of a table")
    parser.add_argument("--config", type=Path, help="an experiment config: dimensions under its settings "
                        "(e.g. `network: narrow` gives 256-d recipes)")


def run(args: argparse.Namespace) -> int:
    sections = load_experiments(args.config)[0][1].sections() if args.config else {}
    rows = []
    for entry in entries():
        reason = entry.unavailable()
        dim = entry.dim(sections.get(entry.settings))
        rows.append({"name": entry.name, "kind": entry.kind, "dim": "encoder's" if dim is None else str(dim),
                     "available": "yes" if reason is None else f"no: {reason}", "cost": entry.cost,
                     "what": entry.summary})
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    columns = ("name", "kind", "dim", "available", "cost", "what")
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns[:-1]}
    print("  ".join(c.ljust(widths.get(c, 0)) for c in columns).rstrip())
    for row in rows:
        print("  ".join(row[c].ljust(widths.get(c, 0)) for c in columns).rstrip())
    return 0
