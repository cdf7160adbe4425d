"""Pre-train one front-end (the paper's Table 2) on background manifests with proxy labels.

Reads `<manifest stem>.proxy.csv` beside each manifest (from `avspnet proxy`; it must match the manifest);
gold labels are never used. Writes DIR/pretrained.pt; an interrupted run
resumes from DIR/last.pt. Run under `torchrun --nproc_per_node N` for
DistributedDataParallel.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ..configio import read_yaml
from ..features.config import FeatureConfig
from ..training.background import load_background
from ..training.pretrain import claim_out_dir, pretrain
from ..training.pretrain_config import FRONTENDS, PretrainConfig, check_input_shape, pretrain_from_dict

NAME = "pretrain"
HELP = "pre-train a front-end on background manifests with proxy labels"
OVERRIDES = ("epochs", "max_steps", "seed", "device", "precision")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", type=Path, action="append", required=True,
                        help="background manifest CSV (repeat for several)")
    parser.add_argument("--frontend", choices=FRONTENDS, required=True)
    parser.add_argument("--out", type=Path, required=True,
                        help="output directory for the checkpoint (one holding another recipe's, config's or "
                             "tool's checkpoint is refused)")
    parser.add_argument("--config", type=Path, help="YAML with PretrainConfig fields (network: paper | narrow picks a size)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--max-steps", type=int, help="optimiser steps per phase at most")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"))
    parser.add_argument("--cache-dir", type=Path, help="feature cache root (default: $AVSPNET_CACHE or ~/.cache/avspnet)")
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    config = pretrain_from_dict(read_yaml(args.config), str(args.config)) if args.config else PretrainConfig()
    changes = {name: getattr(args, name) for name in OVERRIDES if getattr(args, name) is not None}
    config = dataclasses.replace(config, frontend=args.frontend, **changes)
    check_input_shape(FeatureConfig(), config.model, str(args.config or "pretrain"))
    claim_out_dir(args.out, config)
    data = load_background(args.manifest, FeatureConfig(), args.cache_dir, progress=not args.no_progress)
    result = pretrain(data.segments, data.speakers, data.proxy_arousal, data.proxy_valence, config,
                      out_dir=args.out, progress=not args.no_progress, metadata=data.metadata)
    last = result.history[-1] if result.history else {}
    summary = ", ".join(f"{k} {v:.4f}" for k, v in last.items() if k.startswith(("train_", "val_")) and v is not None)
    ran = result.runtime or {}
    print(f"{config.frontend}: {len(result.history)} epoch(s) on {result.n_segments} segments"
          f" ({ran.get('precision', 'precision unrecorded')} on {ran.get('device', '?')})"
          f"{'; last ' + summary if summary else ''}; saved {result.checkpoint}")
    return 0
