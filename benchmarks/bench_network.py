"""Pre-training cost of the network presets (`network: paper | narrow`) side by side in one run.

For each preset: parameters, FLOPs of one joint training step of 32
segments (torch.utils.flop_counter), seconds per joint step on the shipped
path (fp32 or bf16 as `precision: auto` picks, channels-last, fused Adam) and
seconds to embed one segment with the frozen encoder. Inputs are random:
the cost does not depend on the values. Wall time is only meaningful on an
idle machine, so the process CPU time per step (all threads) is printed too:
on a shared machine it is the figure to plan with. configs/scaling/README.md turns the
s/step into the study's step budget.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from avspnet.models import AVSpNet
from avspnet.models.avspnet import count_parameters
from avspnet.models.config import NETWORKS
from avspnet.training.device import Runtime
from avspnet.training.pretrain import PhaseModule, make_optimizer, train_step
from avspnet.training.pretrain_config import phases

JOINT = phases("AVSpNET_a")[0]


def measure(name: str, runtime: Runtime, steps: int, batch: int) -> dict:
    torch.manual_seed(0)
    model = AVSpNet(NETWORKS[name])
    x = torch.randn(batch, model.config.n_bins, model.config.n_frames)
    y = torch.randint(0, 2, (batch,))
    with FlopCounterMode(display=False) as counter:
        probe = PhaseModule(AVSpNet(NETWORKS[name]), JOINT)
        train_step(probe, probe.encoder, torch.optim.Adam(probe.parameters()), JOINT, 0.5, x, y,
                   Runtime(torch.device("cpu"), "fp32", False))
    module = runtime.prepare(PhaseModule(model, JOINT))
    optimizer = make_optimizer(module, 1e-3)
    x, y = x.to(runtime.device), y.to(runtime.device)
    train_step(module, model.encoder, optimizer, JOINT, 0.5, x, y, runtime)  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        train_step(module, model.encoder, optimizer, JOINT, 0.5, x, y, runtime)
    per_step, cpu_step = (time.perf_counter() - start) / steps, (time.process_time() - cpu) / steps
    model.eval()
    with torch.no_grad(), runtime.autocast():
        model.encoder(x)
        start = time.perf_counter()
        for _ in range(3):
            model.encoder(x)
    embed = (time.perf_counter() - start) / (3 * batch)
    return {"params": count_parameters(model), "gflop": counter.get_total_flops() / 1e9, "s_step": per_step,
            "cpu_step": cpu_step, "s_embed": embed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=5, help="timed joint steps per preset (after one warm-up)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    runtime = Runtime.resolve()
    print(f"machine: {os.cpu_count()} cores, torch {torch.__version__}, {torch.backends.cpu.get_cpu_capability()}, "
          f"{runtime.device}, {runtime.precision}, channels-last {runtime.channels_last}, "
          f"{torch.get_num_threads()} thread(s); "
          f"load average before: {os.getloadavg()[0]:.2f}")
    print("| network | parameters | GFLOP / joint step | wall s / step | CPU s / step | ms / segment embedded "
          "| CPU per step vs paper |")
    print("|---|---|---|---|---|---|---|")
    results = {name: measure(name, runtime, args.steps, args.batch) for name in NETWORKS}
    for name, row in results.items():
        print(f"| {name} | {row['params']:,} | {row['gflop']:.1f} | {row['s_step']:.3f} | {row['cpu_step']:.3f} "
              f"| {1000 * row['s_embed']:.2f} | {results['paper']['cpu_step'] / row['cpu_step']:.1f}x less |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
