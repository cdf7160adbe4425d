"""Label every utterance of a manifest with proxy arousal (voice) and valence (transcript), per speaker.

Writes <manifest stem>.proxy.csv beside the manifest (scores, labels and
the per-utterance values behind them) and prints the label counts per
class, as in the paper's Table 1. Acoustic measures are cached per file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..configio import load_yaml
from ..corpora.manifest import read_manifest
from ..proxy import ProxyConfig, compute_proxy_labels, label_counts, proxy_path, write_proxy
from . import add_cache_arguments

NAME = "proxy"
HELP = "proxy arousal/valence labels for a manifest (written beside it)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="manifest CSV (from `avspnet corpus`)")
    parser.add_argument("--config", type=Path, help="YAML with ProxyConfig fields (default: the paper's)")
    add_cache_arguments(parser, "processes for pitch extraction (default: all cores)")


def run(args: argparse.Namespace) -> int:
    config = load_yaml(ProxyConfig, args.config) if args.config else ProxyConfig()
    manifest = read_manifest(args.manifest)
    frame = compute_proxy_labels(manifest, config, args.cache_dir, args.workers)
    output = write_proxy(frame, proxy_path(args.manifest))
    print(f"proxy labels per class ({len(frame)} utterances, baseline: {config.group_by}):")
    print(label_counts(frame).to_string(index=False))
    print(f"proxy labels written to {output}")
    return 0
