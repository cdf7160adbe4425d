"""One way to run independent jobs over processes with a progress bar."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from tqdm import tqdm

_PR_SET_PDEATHSIG = 1
_WATCH_S = 1.0


def _die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the process that started it is gone.

    A killed parent cannot shut its pool down, and a worker blocked on the
    job queue (whose pipe its siblings keep open) would wait forever. Linux
    delivers SIGKILL at once through PR_SET_PDEATHSIG; a watchdog thread
    that sees the worker re-parented covers other systems and the race
    where the parent died before the call.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


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
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        return list(tqdm(pool.map(function, jobs, chunksize=chunksize), **bar))
