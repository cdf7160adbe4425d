"""Transfer-grid cost with cached embeddings vs re-running the frozen encoder in every head epoch.

Both ways train the same head (paper size: 1024, 512, 128) on the same real
RAVDESS segments with the encoder frozen; the naive way pays one encoder
forward pass per training segment per epoch. Measured side by side on a
subset, per epoch, then projected to the full grid (8 front-ends x 3 tasks
x 4 fractions x 5 folds) at the measured mean epochs per fit.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from avspnet.corpora import load_corpus
from avspnet.downstream.fit import fit_head, transfer_preset
from avspnet.evaluation.tasks import get_task
from avspnet.features.dataset import load_segments
from avspnet.frontends.inference import embed
from avspnet.models.avspnet import Encoder
from avspnet.models.config import ModelConfig
from avspnet.training.device import Runtime

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess"


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--segments", type=int, default=640, help="training segments in the side-by-side fit")
    parser.add_argument("--epochs-per-fit", type=float, default=8.0, help="mean epochs per fit (from run.json)")
    args = parser.parse_args()
    if not args.root.is_dir():
        print(f"skipped: {args.root} not found")
        return 0
    torch.set_num_threads(1)
    segment_set = load_segments(load_corpus("ravdess", args.root), progress=False)
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(segment_set), args.segments, replace=False))
    segments = segment_set.segments[rows]
    labels = segment_set.labels("arousal")[rows].astype(np.int64)
    torch.manual_seed(0)
    encoder = Encoder(ModelConfig()).eval()
    encode_s, embeddings = timed(lambda: embed(encoder, segments, Runtime.resolve()))  # as `precision: auto` runs

    def fit_seconds(epochs: int) -> float:
        config = transfer_preset("tuned", epochs=epochs, patience=0)
        return timed(lambda: fit_head(embeddings, labels, embeddings[:64], labels[:64], get_task("arousal"), config,
                                      seed=0))[0]

    fit_seconds(1)  # warm-up: first-call allocations would otherwise count as epoch time
    one, five = fit_seconds(1), fit_seconds(5)
    head_epoch_s = (five - one) / 4
    fixed_s = max(one - head_epoch_s, 0.0)
    naive_epoch_s = encode_s + head_epoch_s
    full_train_segments = 0.8 * len(segment_set) * np.mean([0.25, 0.5, 0.75, 1.0])
    fits = 8 * 3 * 4 * 5
    epochs = args.epochs_per_fit * full_train_segments / args.segments
    cached_total = fits * (fixed_s + epochs * head_epoch_s) + 8 * encode_s / args.segments * len(segment_set)
    naive_total = fits * (fixed_s + epochs * naive_epoch_s)
    print(f"machine: {torch.get_num_threads()} thread(s), torch {torch.__version__}; {args.segments} RAVDESS "
          f"segments, paper-size encoder and head")
    print("| path | seconds per head epoch | projected grid (1 core) |")
    print("|---|---|---|")
    print(f"| encoder re-run every epoch (naive) | {naive_epoch_s:.2f} | {naive_total / 3600:.1f} h |")
    print(f"| cached embeddings (shipped) | {head_epoch_s:.2f} | {cached_total / 3600:.2f} h |")
    print(f"speed-up per epoch: {naive_epoch_s / head_epoch_s:.1f}x; whole grid: {naive_total / cached_total:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
