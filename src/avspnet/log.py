"""Logging and skip accounting.

Bad input rows are skipped rather than crashing a long run; every skip is
logged with its file and reason and counted, so a summary can say how much
data was lost and why.
"""

from __future__ import annotations

import logging
from collections import Counter
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
