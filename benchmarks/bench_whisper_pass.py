"""The Whisper-base pass over speech (what a background or target costs an adapter), per precision and layout.

Today's path (the reference): one process, torch's threads on every core, fp32, each utterance encoded
alone on its own length (`frontends.whisper`). Against it, in one run and interleaved per block of
utterances so machine load hits every path alike: bf16 autocast (where the CPU has native bf16, e.g.
AVX-512-bf16 / AMX; on others it is emulated and slower), and utterance-parallel processes with one
thread each (the encoder pass shards across processes and machines like `features --shard K/N`, since
utterances never share a window). Prints the real-time factor (encoder seconds per second of audio) of
each path, its speed-up over today's, and how far its per-segment vectors are from fp32's (largest
absolute difference and lowest cosine similarity), with the CPU flags that decide bf16.

  python benchmarks/bench_whisper_pass.py [--utterances 96] [--blocks 4]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from avspnet.audio import manifest_windows
from avspnet.content import default_cache_dir
from avspnet.corpora import load_corpus
from avspnet.features.config import FeatureConfig
from avspnet.frontends.base import EmbedContext
from avspnet.frontends.whisper import Whisper, unavailable
from avspnet.training.device import Runtime, cpu_has_native_bf16

RAVDESS = Path(os.environ.get("AVSPNET_RAVDESS", Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess"))
RATE = 16_000
_WORKER: dict = {}


def _context(precision: str) -> EmbedContext:
    return EmbedContext(FeatureConfig(), default_cache_dir(), Runtime.resolve("cpu", precision), progress=False)


def encode(samples: list[np.ndarray], precision: str) -> list[np.ndarray]:
    """Mean encoder vector of each utterance (the pooled frames), in this process."""
    frontend = _WORKER.setdefault("frontend", Whisper())
    context = _context(precision)
    return [frontend.utterance_frames(audio, context).mean(axis=0) for audio in samples]


def _init_worker() -> None:
    torch.set_num_threads(1)


def run_path(samples: list[np.ndarray], precision: str, processes: int, pool) -> tuple[list[np.ndarray], float]:
    start = time.perf_counter()
    if processes == 1:
        vectors = encode(samples, precision)
    else:
        shards = [samples[i::processes] for i in range(processes)]
        parts = list(pool.map(encode, shards, [precision] * processes))
        vectors = [None] * len(samples)
        for i, part in enumerate(parts):
            vectors[i::processes] = part
    return vectors, time.perf_counter() - start


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
    samples = [window.load(RATE) for window in manifest_windows(manifest.iloc[rows])]
    seconds_audio = sum(len(s) for s in samples) / RATE
    cores = len(os.sched_getaffinity(0))
    flags = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in Path("/proc/cpuinfo").read_text()]
    print(f"{len(samples)} RAVDESS utterances, {seconds_audio:.0f} s of audio; {cores} cores, torch threads "
          f"{torch.get_num_threads()}; CPU flags: {' '.join(flags) or 'none of avx2/avx512'}; native bf16: "
          f"{cpu_has_native_bf16()}; load average {os.getloadavg()[0]:.2f}")
    paths = [("fp32, 1 process (today)", "fp32", 1), ("bf16, 1 process", "bf16", 1),
             (f"fp32, {cores} processes x 1 thread", "fp32", cores),
             (f"bf16, {cores} processes x 1 thread", "bf16", cores)]
    blocks = np.array_split(np.arange(len(samples)), args.blocks)
    seconds = {name: 0.0 for name, _, _ in paths}
    vectors: dict[str, list] = {name: [] for name, _, _ in paths}
    with ProcessPoolExecutor(cores, initializer=_init_worker) as pool:
        encode(samples[:1], "fp32")
        list(pool.map(encode, [samples[:1]] * cores, ["fp32"] * cores))  # load the model everywhere first
        for block in blocks:
            for name, precision, processes in paths:
                out, took = run_path([samples[i] for i in block], precision, processes, pool)
                seconds[name] += took
                vectors[name] += out
    reference = np.stack(vectors[paths[0][0]])
    today = seconds[paths[0][0]]
    print("| path | RTF | speed-up over today | max abs diff vs fp32 | min cosine vs fp32 |\n|---|---|---|---|---|")
    for name, _, _ in paths:
        mine = np.stack(vectors[name])
        cosine = (mine * reference).sum(1) / (np.linalg.norm(mine, axis=1) * np.linalg.norm(reference, axis=1))
        print(f"| {name} | {seconds[name] / seconds_audio:.4f} | {today / seconds[name]:.2f}x | "
              f"{np.abs(mine - reference).max():.4f} | {cosine.min():.5f} |")


if __name__ == "__main__":
    main()
