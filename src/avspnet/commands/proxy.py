"""Label every utterance of a manifest with proxy arousal (voice) and valence (transcript), per speaker.

Writes <manifest stem>.proxy.csv beside the manifest (scores, labels and
the per-utterance values behind them) and prints the label counts per
class, as in the paper's Table 1. Acoustic measures are cached per file.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from ..configio import load_yaml
from ..corpora.manifest import read_manifest
from ..proxy import ProxyConfig, compute_proxy_labels, label_counts, proxy_path, write_proxy
from ..proxy.config import AROUSAL_PRESETS, DEFAULT_PRESET, GAINS
from ..proxy.store import proxy_inputs_hash
from . import add_cache_arguments

NAME = "proxy"
HELP = "proxy arousal/valence labels for a manifest (written beside it)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="manifest CSV (from `avspnet corpus`)")
    parser.add_argument("--config", type=Path, help="YAML with ProxyConfig fields (default: built-in defaults)")
    add_override_arguments(parser)
    add_cache_arguments(parser, "processes for pitch extraction (default: all cores)")


def add_override_arguments(parser: argparse.ArgumentParser) -> None:
    """--preset / --gain: the two settings users change most, without writing a YAML."""
    parser.add_argument("--preset", choices=list(AROUSAL_PRESETS),
                        help=f"arousal feature set (default: {DEFAULT_PRESET}; paper: pitch + intensity)")
    parser.add_argument("--gain", choices=GAINS, help="gain normalisation per file before measuring (default: none)")


def override(config: ProxyConfig, args: argparse.Namespace) -> ProxyConfig:
    if args.preset:
        config = replace(config, arousal_features=args.preset)
    if args.gain:
        config = replace(config, acoustic=replace(config.acoustic, gain=args.gain))
    return config


def run(args: argparse.Namespace) -> int:
    config = override(load_yaml(ProxyConfig, args.config) if args.config else ProxyConfig(), args)
    manifest = read_manifest(args.manifest)
    frame = compute_proxy_labels(manifest, config, args.cache_dir, args.workers)
    output = write_proxy(frame, proxy_path(args.manifest), proxy_inputs_hash(manifest, args.cache_dir))
    print(f"proxy labels per class ({len(frame)} utterances, baseline: {config.group_by}, "
          f"arousal: {' + '.join(config.arousal_features)}, gain: {config.acoustic.gain}):")
    print(label_counts(frame).to_string(index=False))
    print(f"proxy labels written to {output}")
    return 0
