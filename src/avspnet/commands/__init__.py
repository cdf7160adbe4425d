"""Sub-commands of the `avspnet` CLI, one module each (discovered by cli.py)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_cache_arguments(parser: argparse.ArgumentParser, workers_help: str = "processes (default: all cores)") -> None:
    """The --cache-dir / --workers pair every data-heavy command shares."""
    parser.add_argument("--cache-dir", type=Path, help="cache root (default: $AVSPNET_CACHE or ~/.cache/avspnet)")
    parser.add_argument("--workers", type=int, help=workers_help)
