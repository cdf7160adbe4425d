"""One way to run independent jobs over processes with a progress bar."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from tqdm import tqdm


def map_jobs(function: Callable[[Any], Any], jobs: Sequence, workers: int | None, progress: bool, desc: str,
             unit: str = "file", chunksize: int = 8, spawn: bool = False, min_parallel: int = 8) -> list:
    """`[function(job) for job in jobs]`, over up to `workers` processes (default: all cores).

    Few jobs run in-process: a pool costs more than it saves. `spawn` starts
    clean interpreters, needed once torch's thread pool is running (forking
    it can hang the child).
    """
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    bar = dict(total=len(jobs), desc=desc, unit=unit, disable=not progress or not jobs)
    if workers <= 1 or len(jobs) < min_parallel:
        return [function(job) for job in tqdm(jobs, **bar)]
    context = multiprocessing.get_context("spawn") if spawn else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(tqdm(pool.map(function, jobs, chunksize=chunksize), **bar))
