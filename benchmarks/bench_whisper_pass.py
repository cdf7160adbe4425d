"""The Whisper-base pass over speech (what a background or target costs an adapter), per precision and layout.

Today's path (the reference, the code before this change): one process, torch's threads on every core,
fp32, each utterance encoded alone on its own length. Shipped path (`Whisper.embed` with the run's
workers, default one per core): utterances over processes of one thread each. Both in fp32 and in bf16
autocast (native on AVX-512-bf16 / AMX CPUs; emulated, slower, elsewhere). One run, interleaved per block
of utterances so machine load hits every path alike. Prints the real-time factor (seconds of compute per
second of audio), the speed-up over today's path, and how far each path's segment vectors are from
today's (largest absolute difference, lowest cosine similarity), with the CPU flags that decide bf16.

  python benchmarks/bench_whisper_pass.py [--utterances 96] [--blocks 4]
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from avspnet.content import default_cache_dir
from avspnet.corpora import load_corpus
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import load_segments
from avspnet.frontends.base import EmbedContext
from avspnet.frontends.whisper import Whisper, unavailable
from avspnet.training.device import Runtime, cpu_has_native_bf16

RAVDESS = Path(os.environ.get("AVSPNET_RAVDESS", Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utterances", type=int, default=96, help="RAVDESS utterances (seeded choice)")
    parser.add_argument("--blocks", type=int, default=4, help="interleaved blocks per path")
    args = parser.parse_args()
    reason = unavailable()
    if reason or not RAVDESS.is_dir():
        print(f"skipped: {reason or f'{RAVDESS} not found (set AVSPNET_RAVDESS)'}")
        return
    manifest = load_corpus("ravdess", RAVDESS)
    rows = np.sort(np.random.default_rng(0).choice(len(manifest), min(args.utterances, len(manifest)), replace=False))
    cores = len(os.sched_getaffinity(0))
    cache = default_cache_dir()
    blocks = [load_segments(manifest.iloc[part].reset_index(drop=True), FeatureConfig(), cache, 1, False)
              for part in np.array_split(rows, args.blocks)]
    seconds_audio = sum(block.utterances["duration_s"].sum() for block in blocks)
    flags = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in Path("/proc/cpuinfo").read_text()]
    print(f"{len(rows)} RAVDESS utterances, {seconds_audio:.0f} s of audio; {cores} cores; CPU flags: "
          f"{' '.join(flags) or 'none of avx2/avx512'}; native bf16: {cpu_has_native_bf16()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    shipped = f"fp32, {cores} processes x 1 thread (shipped)"
    paths = {"fp32, 1 process (today)": ("fp32", 1), "bf16, 1 process": ("bf16", 1), shipped: ("fp32", cores),
             f"bf16, {cores} processes x 1 thread": ("bf16", cores)}
    frontend = Whisper()
    seconds = dict.fromkeys(paths, 0.0)
    vectors: dict[str, list] = {name: [] for name in paths}
    with tempfile.TemporaryDirectory() as scratch:
        # Every pass gets an empty cache of its own: Whisper stores each utterance's vectors, and a pass that
        # found another's would time a read.
        fresh = (Path(scratch) / str(i) for i in itertools.count())
        frontend.embed(blocks[0], EmbedContext(FeatureConfig(), next(fresh), Runtime.resolve("cpu", "fp32"),
                                               progress=False))
        for block in blocks:
            for name, (precision, workers) in paths.items():
                context = EmbedContext(FeatureConfig(), next(fresh), Runtime.resolve("cpu", precision), workers, False)
                start = time.perf_counter()
                vectors[name].append(frontend.embed(block, context))
                seconds[name] += time.perf_counter() - start
        # What a process path pays once per call whatever its length: spawning the pool and loading the model.
        one = load_segments(manifest.iloc[rows[:1]].reset_index(drop=True), FeatureConfig(), cache, 1, False)
        start = time.perf_counter()
        frontend.embed(one, EmbedContext(FeatureConfig(), next(fresh), Runtime.resolve("cpu", "fp32"), cores, False))
        pool_start = time.perf_counter() - start
    reference = np.concatenate(vectors["fp32, 1 process (today)"])
    today = seconds["fp32, 1 process (today)"]
    print("| path | RTF | speed-up over today | max abs diff vs today | min cosine vs today |\n|---|---|---|---|---|")
    for name in paths:
        mine = np.concatenate(vectors[name])
        cosine = (mine * reference).sum(1) / (np.linalg.norm(mine, axis=1) * np.linalg.norm(reference, axis=1))
        print(f"| {name} | {seconds[name] / seconds_audio:.4f} | {today / seconds[name]:.2f}x | "
              f"{np.abs(mine - reference).max():.4f} | {cosine.min():.5f} |")
    print(f"(process paths include starting their pool and loading the model in each worker, once per block: "
          f"{pool_start:.1f} s a call, measured on one utterance; without it the fp32 process path's RTF is "
          f"{(seconds[shipped] - args.blocks * pool_start) / seconds_audio:.4f})")


if __name__ == "__main__":
    main()
