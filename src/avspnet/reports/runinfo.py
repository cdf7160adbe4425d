"""run.json: what produced a run folder, so its numbers can be traced and repeated."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..training.device import cpu_flags

LIBRARIES = ("torch", "numpy", "scikit-learn", "pandas", "scipy", "matplotlib")


def _library_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_commit(where: Path = Path(__file__).resolve().parent) -> str | None:
    """HEAD of the checkout holding the package (with '-dirty' if changed), or None outside one."""
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if status else head


def run_info(config: Mapping[str, Any], seeds: Any, data_hashes: Mapping[str, str],
             timings: Mapping[str, float]) -> dict:
    """Resolved config, seeds, data hashes and timings with the software and machine that ran them."""
    return {
        "avspnet_version": __version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "libraries": {name: _library_version(name) for name in LIBRARIES},
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_flags": cpu_flags(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "config": dict(config),
        "seeds": seeds,
        "data_hashes": dict(data_hashes),
        "timings_s": dict(timings),
    }


def background_names(config: Mapping[str, Any]) -> str:
    """The background corpora of a run's config by name (a report must say what its background speech was),
    or 'none'."""
    names = [str(spec.get("name") or spec.get("manifest") or "?") for spec in config.get("background") or []
             if isinstance(spec, dict)]
    return ", ".join(dict.fromkeys(names)) or "none"


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"run.json cannot hold {type(value).__name__}")


def write_run_json(info: Mapping[str, Any], path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(info, indent=2, default=_jsonable) + "\n", encoding="utf-8")
    return out
