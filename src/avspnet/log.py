"""Logging and skip accounting.

Bad input rows are skipped rather than crashing a long run; every skip is
logged with its file and reason and counted, so a summary can say how much
data was lost and why.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

LOGGER_NAME = "avspnet"


def get_logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)


def format_duration(seconds: float) -> str:
    """Seconds as a person reads them: '42 s', '3 min 05 s', '2 h 07 min'."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class StageTimer:
    """Wall time per pipeline stage, logged as each stage ends and kept (e.g. for run.json)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.log = logger
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self.log.info("stage %s ...", name)
        yield
        self.seconds[name] = round(time.perf_counter() - start, 2)
        self.log.info("stage %s done in %s", name, format_duration(self.seconds[name]))

    def summary(self) -> str:
        return ", ".join(f"{name} {format_duration(seconds)}" for name, seconds in self.seconds.items())


def setup_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger(LOGGER_NAME).setLevel(level)


@dataclass
class SkipLog:
    """Counts skipped items by reason and logs each one once."""

    stage: str
    counts: Counter = field(default_factory=Counter)

    def skip(self, item: str, reason: str) -> None:
        self.counts[reason] += 1
        get_logger(self.stage).warning("skip %s: %s", item, reason)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        if not self.counts:
            return f"{self.stage}: nothing skipped"
        parts = ", ".join(f"{n} {reason}" for reason, n in sorted(self.counts.items()))
        return f"{self.stage}: skipped {self.total} ({parts})"
