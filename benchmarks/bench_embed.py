"""The embedding stage, old path vs shipped path, side by side on the same encoders and real RAVDESS segments.

Old path (the code before this change, kept here as the reference):
`torch.no_grad`, batches of 256, the encoder as trained (batch norm
separate, contiguous layout), torch's default thread count. Shipped path
(`avspnet.frontends.inference.embedding_blocks`): inference mode, batches of
512, conv + batch norm folded, channels-last, threads = the cores this
process may use, bf16 only where the hardware does it natively. Encoders
are paper-size with seeded random weights and per-bin normalisation from
the segments (the cost does not depend on the weights). Paths alternate per
encoder, so load on the machine hits both. Prints seconds per path, the
ratio, the largest difference between the two paths' embeddings, and the
projection to the loco_ravdess stage (8 encoders x all RAVDESS segments).

  python benchmarks/bench_embed.py [--encoders 2] [--segments 1024]
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from pathlib import Path

import numpy as np
import torch

from avspnet.corpora import load_corpus
from avspnet.features.dataset import load_segments
from avspnet.frontends.inference import embed
from avspnet.models.avspnet import Encoder
from avspnet.training.device import Runtime

RAVDESS = Path(os.environ.get("AVSPNET_RAVDESS", Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess"))


@torch.no_grad()
def old_embed(encoder: torch.nn.Module, segments: np.ndarray, batch_size: int = 256) -> np.ndarray:
    encoder.eval()
    blocks = [encoder(torch.from_numpy(np.ascontiguousarray(segments[i:i + batch_size]))).float().numpy()
              for i in range(0, len(segments), batch_size)]
    return np.concatenate(blocks).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", type=int, default=2, help="front-ends to embed with (loco_ravdess has 8)")
    parser.add_argument("--segments", type=int, default=1024, help="RAVDESS segments per encoder (0 = all)")
    args = parser.parse_args()
    if not RAVDESS.is_dir():
        print(f"skipped: {RAVDESS} not found (set AVSPNET_RAVDESS)")
        return
    segment_set = load_segments(load_corpus("ravdess", RAVDESS), progress=False)
    total = len(segment_set)
    rows = np.sort(np.random.default_rng(0).choice(total, min(args.segments or total, total), replace=False))
    segments = segment_set.segments[rows]
    print(f"{len(rows)} of {total} RAVDESS segments, {args.encoders} paper-size encoder(s); "
          f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.2f}")
    seconds = {"old": 0.0, "shipped": 0.0}
    worst = 0.0
    for seed in range(args.encoders):
        torch.manual_seed(seed)
        encoder = Encoder().eval()
        encoder.set_normalisation(segments.mean(axis=(0, 2)), segments.std(axis=(0, 2)))
        outputs = {}
        shipped = functools.partial(embed, runtime=Runtime.resolve())  # `precision: auto`, as a default run
        for name, function in (("old", old_embed), ("shipped", shipped)):
            start = time.perf_counter()
            outputs[name] = function(encoder, segments)
            seconds[name] += time.perf_counter() - start
        worst = max(worst, float(np.abs(outputs["old"] - outputs["shipped"]).max()))
        print(f"  encoder {seed}: old {seconds['old']:.1f} s, shipped {seconds['shipped']:.1f} s (cumulative)", flush=True)
    scale = 8 * total / (args.encoders * len(rows))
    print(f"old path:     {seconds['old']:.1f} s ({seconds['old'] / (args.encoders * len(rows)) * 1e3:.1f} ms/segment); "
          f"projected loco_ravdess stage {seconds['old'] * scale / 60:.1f} min")
    print(f"shipped path: {seconds['shipped']:.1f} s ({seconds['shipped'] / (args.encoders * len(rows)) * 1e3:.1f} "
          f"ms/segment); projected {seconds['shipped'] * scale / 60:.1f} min")
    print(f"speed-up {seconds['old'] / seconds['shipped']:.2f}x; largest |old - shipped| embedding difference {worst:.2e}")


if __name__ == "__main__":
    main()
