"""Compute the paper's log-spectrogram features for every utterance of a manifest into the cache."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..configio import load_yaml
from ..corpora.manifest import read_manifest
from ..features.cache import default_cache_dir, extract_features, manifest_shard
from ..features.config import FeatureConfig
from . import add_cache_arguments

NAME = "features"
HELP = "fill the feature cache for a manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="manifest CSV (from `avspnet corpus`)")
    parser.add_argument("--config", type=Path, help="YAML with FeatureConfig fields (default: the paper's)")
    add_cache_arguments(parser)
    parser.add_argument("--shard", help="only shard K/N of the manifest (rows K, K+N, ...): run N of these, "
                                        "one per machine, into one shared --cache-dir")


def run(args: argparse.Namespace) -> int:
    config = load_yaml(FeatureConfig, args.config) if args.config else FeatureConfig()
    manifest = read_manifest(args.manifest)
    if args.shard:
        manifest = manifest_shard(manifest, args.shard)
    index = extract_features(manifest, config, args.cache_dir, args.workers)
    print(
        f"{len(index.paths)}/{len(manifest)} utterances cached "
        f"({index.computed} files computed, {index.reused} utterances reused) in {args.cache_dir or default_cache_dir()}"
    )
    print(index.skips.summary())
    return 0
