"""Pre-training throughput of the shipped path vs plain fp32 eager, on the same real RAVDESS batches, paper-size network.

Prints segments/s and achieved GFLOP/s (FLOPs of one joint training step
counted with torch.utils.flop_counter) for both paths and their ratio, the
variants that "auto" decides against (bf16, the other memory layout), and a
short AVSpNET_a pre-training both ways with the proxy-validation accuracy
side by side.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from avspnet.models import AVSpNet
from avspnet.training.background import load_background
from avspnet.training.device import Runtime
from avspnet.training.pretrain import PhaseModule, make_optimizer, pretrain, train_step
from avspnet.training.pretrain_config import PretrainConfig, phases

JOINT = phases("AVSpNET_a")[0]


def fixed_batches(segments: np.ndarray, labels: np.ndarray, n: int, size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    chosen = np.random.default_rng(0).choice(len(segments), n * size, replace=len(segments) < n * size)
    return [(torch.from_numpy(segments[c]), torch.from_numpy(labels[c])) for c in chosen.reshape(n, size)]


def step_flops(batch) -> int:
    model = AVSpNet()
    module = PhaseModule(model, JOINT)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    with FlopCounterMode(display=False) as counter:
        train_step(module, model.encoder, optimizer, JOINT, 0.5, *batch, Runtime(torch.device("cpu"), "fp32", False))
    return counter.get_total_flops()


def _elapsed(runtime: Runtime, start: float) -> float:
    if runtime.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def throughput(runtime: Runtime, batches, plain: bool, compiled: bool) -> tuple[float, float]:
    """(warm-up step seconds, seconds for all batches); `plain` = default Adam, no layout or precision change."""
    torch.manual_seed(0)
    model = AVSpNet()
    module = PhaseModule(model, JOINT) if plain else runtime.prepare(PhaseModule(model, JOINT))
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3) if plain else make_optimizer(module, 1e-3)
    trained = torch.compile(module) if compiled else module
    moved = [(x.to(runtime.device), y.to(runtime.device)) for x, y in batches]
    start = time.perf_counter()
    train_step(trained, model.encoder, optimizer, JOINT, 0.5, *moved[0], runtime)
    warm_up, start = _elapsed(runtime, start), time.perf_counter()
    for x, y in moved:
        train_step(trained, model.encoder, optimizer, JOINT, 0.5, x, y, runtime)
    return warm_up, _elapsed(runtime, start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--manifest", type=Path, required=True, help="RAVDESS manifest with <stem>.proxy.csv beside it")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--variant-batches", type=int, default=2, help="batches for the bf16 / other-layout rows")
    parser.add_argument("--check-steps", type=int, default=40, help="AVSpNET_a steps for the accuracy check (0 = skip)")
    args = parser.parse_args()
    if not args.manifest.is_file():
        print(f"skipped: {args.manifest} not found")
        return 0
    data = load_background([args.manifest], progress=False)
    batches = fixed_batches(data.segments, data.proxy_arousal, args.batches, 32)
    flops = step_flops(batches[0])
    shipped = Runtime.resolve()
    device = shipped.device
    print(f"machine: {os.cpu_count()} cores, torch {torch.__version__}, {torch.backends.cpu.get_cpu_capability()}, "
          f"load average before: {os.getloadavg()[0]:.2f}; {len(data.segments)} RAVDESS segments")
    print(f"one joint training step of 32 segments: {flops / 1e9:.1f} GFLOP")
    shipped_name = f"shipped: {shipped.precision}, channels-last {shipped.channels_last}, fused Adam"
    rows = [("plain fp32 eager (default Adam)", Runtime(device, "fp32", False), True, False, args.batches),
            (shipped_name, shipped, False, False, args.batches),
            ("shipped + torch.compile (off by default)", shipped, False, True, args.batches),
            ("forced bf16 autocast (eager)", dataclasses.replace(shipped, precision="bf16"), False, False,
             args.variant_batches),
            (f"channels-last {not shipped.channels_last} instead (eager)",
             dataclasses.replace(shipped, channels_last=not shipped.channels_last), False, False, args.variant_batches)]
    print("| path | batches | warm-up s | s/step | segments/s | GFLOP/s | vs plain |")
    print("|---|---|---|---|---|---|---|")
    base = None
    for name, runtime, plain, compiled, n in rows:
        if n < 1:
            continue
        warm_up, seconds = throughput(runtime, batches[:n], plain, compiled)
        per_step = seconds / n
        base = base or per_step
        print(f"| {name} | {n} | {warm_up:.1f} | {per_step:.2f} | {32 / per_step:.1f} | {flops / per_step / 1e9:.1f} "
              f"| {base / per_step:.2f}x |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.check_steps:
        print("| AVSpNET_a pre-training, same data and seed | precision | steps | proxy-val accuracy | val loss | seconds |")
        print("|---|---|---|---|---|---|")
        for name, precision, layout in (("fp32, contiguous layout", "fp32", False), ("shipped", "auto", "auto")):
            config = PretrainConfig(frontend="AVSpNET_a", epochs=1, max_steps=args.check_steps, precision=precision,
                                    channels_last=layout)
            start = time.perf_counter()
            row = pretrain(data.segments, data.speakers, data.proxy_arousal, data.proxy_valence, config,
                           progress=False).history[-1]
            print(f"| {name} | {Runtime.resolve(precision=precision).precision} | {row['steps']} | "
                  f"{row['val_acc']:.4f} | {row['val_loss']:.4f} | {time.perf_counter() - start:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
