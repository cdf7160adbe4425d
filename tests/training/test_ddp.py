"""Two CPU processes on gloo under DistributedDataParallel train like one process."""

import json
import os
import socket
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).parent))
from test_pretrain import run  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    try:
        result = run("AE", Path(out) / "run", epochs=6, patience=6, lr=3e-3, device="cpu")
        if rank == 0:
            Path(out, "history.json").write_text(json.dumps(result.history))
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_match_one(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    single = [row["train_loss"] for row in run("AE", epochs=6, patience=6, lr=3e-3, device="cpu").history]
    mp.spawn(worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    torch.set_num_threads(threads)
    history = json.loads((tmp_path / "history.json").read_text())
    assert (tmp_path / "run" / "pretrained.pt").is_file()
    double = [row["train_loss"] for row in history]
    print("1 process:", np.round(single, 4), "2 processes:", np.round(double, 4))
    assert len(double) == len(single)
    assert all(np.diff(double) < 0) and all(np.diff(single) < 0)
    np.testing.assert_allclose(double, single, rtol=0.1)
