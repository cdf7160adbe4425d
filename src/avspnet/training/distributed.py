"""DistributedDataParallel plumbing: one process per device, started by `torchrun` (or any launcher setting RANK/WORLD_SIZE).

gloo on CPU, nccl on CUDA. Without WORLD_SIZE > 1 everything here is a no-op,
so the same code runs on one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1


def init_from_env(device_type: str) -> DistContext:
    """Join the process group the launcher describes in the environment (once per process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo")
    return DistContext(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def sum_across(values: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    if ctx.active:
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def from_main(values: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Rank 0's copy on every rank, so all ranks take the same early-stopping decision."""
    if ctx.active:
        dist.broadcast(values, src=0)
    return values


def barrier(ctx: DistContext) -> None:
    if ctx.active:
        dist.barrier()
