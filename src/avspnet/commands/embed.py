"""Fill a frozen Whisper encoder's per-utterance store for a manifest (or one shard of it), ahead of a run.

Each utterance's segment vectors are stored as soon as they are computed,
keyed by the audio's content and the segment spans, so an interrupted pass
resumes, N machines each run one `--shard K/N` into one shared --cache-dir,
and a later experiment over the whole manifest (same features and
precision) only reads them. The segments are cut as an experiment cuts
them (`--config`: its `features:` settings, if not the paper's).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from ..audio import audio_info, manifest_windows
from ..configio import load_yaml
from ..content import default_cache_dir
from ..corpora.manifest import read_manifest
from ..errors import ConfigError
from ..features.cache import manifest_shard
from ..features.config import FeatureConfig
from ..features.dataset import load_segments
from ..frontends.base import EmbedContext, FrontEndUnavailable
from ..frontends.whisper import ENCODERS, SIZES, Whisper
from ..training.device import PRECISIONS, Runtime
from . import add_cache_arguments

NAME = "embed"
HELP = "fill a Whisper encoder's per-utterance store for a manifest (--shard K/N: one machine's part)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="manifest CSV (from `avspnet corpus`)")
    parser.add_argument("--frontend", required=True,
                        help=f"a front-end with a per-utterance store: {', '.join(ENCODERS)}")
    parser.add_argument("--config", type=Path, help="YAML with FeatureConfig fields: the experiment's "
                                                    "`features:` (default: the paper's)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="as the experiment's pretrain.precision (default auto): vectors of each are kept apart")
    parser.add_argument("--device", default="auto", help="as the experiment's pretrain.device (auto | cpu | cuda): "
                                                         "it decides what precision auto is; Whisper runs on the CPU")
    add_cache_arguments(parser, "encoder processes of one thread each (default: all cores)")
    parser.add_argument("--shard", help="only shard K/N of the manifest (rows K, K+N, ...): run N of these, "
                                        "one per machine, into one shared --cache-dir")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    sizes = {size.name: size for size in SIZES}
    if args.frontend not in sizes:
        raise ConfigError(f"--frontend {args.frontend!r} has no per-utterance store; only these have: "
                          f"{', '.join(ENCODERS)}")
    if args.workers is not None and args.workers < 0:
        raise ConfigError(f"--workers must be >= 1 (or 0: one per core), got {args.workers}")
    features = load_yaml(FeatureConfig, args.config) if args.config else FeatureConfig()
    runtime = Runtime.resolve(args.device, args.precision)
    manifest = read_manifest(args.manifest)
    if args.shard:
        manifest = manifest_shard(manifest, args.shard)
    reason = sizes[args.frontend].unavailable()
    if reason:
        raise FrontEndUnavailable(f"{args.frontend} {reason}")
    cache_dir = Path(args.cache_dir or default_cache_dir())
    segments = load_segments(manifest, features, cache_dir, args.workers, not args.quiet, cut=False)
    context = EmbedContext(features, cache_dir, runtime, args.workers or os.cpu_count() or 1, not args.quiet)
    start = time.perf_counter()
    done = Whisper(sizes[args.frontend]).stored_pass(segments, context)
    seconds = time.perf_counter() - start
    audio_s = audio_seconds(segments.utterances.iloc[list(done.computed)])
    rtf = f"RTF {seconds / audio_s:.3f}" if audio_s else "nothing to encode"
    print(f"{args.frontend} ({runtime.precision}): {len(done.computed)} utterances computed, {done.reused} reused; "
          f"{audio_s:.1f} s of audio in {seconds:.1f} s ({rtf}); {segments.skips.summary()}; "
          f"store {cache_dir / 'frontends' / 'utterances'}")
    return 0


def audio_seconds(utterances: pd.DataFrame) -> float:
    """Seconds of audio in the rows: their duration_s, else their window, else the file's header."""
    total = 0.0
    for window, duration in zip(manifest_windows(utterances), utterances["duration_s"]):
        if pd.notna(duration):
            total += float(duration)
        else:
            end = window.end_s if window.end_s is not None else audio_info(window.path).duration_s
            total += end - (window.start_s or 0.0)
    return total
