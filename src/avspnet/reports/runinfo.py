"""run.json: what produced a run folder, so its numbers can be traced and repeated; one typed record."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..configio import coerce, from_dict
from ..errors import AvspnetError
from ..paths import write_text_atomic
from ..training.device import cpu_flags
from ..training.pretrain import PhaseSummary

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


def provenance() -> dict[str, Any]:
    """The software and machine that ran a run (RunRecord's provenance fields)."""
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
    }


@dataclass
class BackgroundFacts:
    """The background speech the front-ends were pre-trained on (hours of audio, before segmenting)."""

    hours: float
    speakers: int = 0
    segments: int = 0


@dataclass
class FoldFacts:
    mode: str
    requested: int
    used: int
    speakers: int
    leave_one_speaker_out: bool


@dataclass
class RuntimeFacts:
    device: str
    precision: str
    channels_last: bool
    torch_threads: int
    grid_workers: int
    grid_threads_per_worker: int = 1
    # What really ran: each front-end's vectors (a cache hit keeps the precision it was made at, which is part
    # of its key) and each encoder's pre-training, as its checkpoint recorded it.
    embedding_precision: dict[str, str] = field(default_factory=dict)
    pretrain_precision: dict[str, str] = field(default_factory=dict)


@dataclass
class ConfigFacts:
    """The part of a run's resolved config that reports read, typed (the whole config stays in `config`)."""

    name: str = ""
    folds: str = "speaker"
    frontends: list[str] = field(default_factory=list)
    background: list[dict[str, Any]] | None = None
    pretrain: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    """run.json: what produced a run folder, so its numbers can be traced and repeated.

    Written by `write_run_record` and read back by `read_run_record` only;
    the fields without a default are those every reader needs, the rest
    default so that a record of an older avspnet still reads.
    """

    config: dict[str, Any]
    network: str
    target_label: str
    background: BackgroundFacts
    avspnet_version: str = ""
    created_utc: str = ""
    git_commit: str | None = None
    python: str = ""
    libraries: dict[str, str | None] = field(default_factory=dict)
    platform: str = ""
    machine: str = ""
    cpu_count: int | None = None
    cpu_flags: list[str] = field(default_factory=list)
    torch_cpu_capability: str = ""
    seeds: dict[str, int] = field(default_factory=dict)
    data_hashes: dict[str, str] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    estimate_s: dict[str, float] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)
    classes: dict[str, list[str]] = field(default_factory=dict)
    embedding_s: dict[str, dict[str, Any]] = field(default_factory=dict)
    exported_models: dict[str, dict[str, Any]] = field(default_factory=dict)
    proxy_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # Per front-end this run pre-trained, per phase: what it ran and its kept epoch.
    pretrain: dict[str, dict[str, PhaseSummary]] = field(default_factory=dict)
    r_input_statistics: str | None = None
    runtime: RuntimeFacts | None = None
    folds: FoldFacts | None = None
    # "frontend/task/fraction" -> head epochs per fold.
    head_epochs: dict[str, list[int]] = field(default_factory=dict)
    # How the heads' inputs and labels were prepared beyond the defaults (`table3.transfer_notes`): speaker
    # normalisation and where its statistics came from, utterance-level heads, self-training.
    transfer_notes: list[str] = field(default_factory=list)
    # "frontend/task/fraction" -> pseudo-labelled utterances per fold (self-training only).
    pseudo_labels: dict[str, list[int]] = field(default_factory=dict)

    def config_facts(self, where: str = "config") -> ConfigFacts:
        """The config fields reports read, checked: a wrong type is a ConfigError naming the field."""
        known = {f.name for f in fields(ConfigFacts)}
        return from_dict(ConfigFacts, {k: v for k, v in self.config.items() if k in known}, where)


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


def write_run_record(record: RunRecord, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(out, json.dumps(dataclasses.asdict(record), indent=2, default=_jsonable) + "\n")


def read_run_json(path: str | Path) -> dict:
    """A run record as the JSON object it is (for display); one-line errors for bad JSON."""
    path = Path(path)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # bad JSON or not UTF-8
        raise AvspnetError(f"{path}: invalid JSON: {exc}") from None
    if not isinstance(info, dict):
        raise AvspnetError(f"{path}: not a run record (a JSON object)")
    return info


def read_run_record(path: str | Path) -> RunRecord:
    """run.json as a RunRecord, every field checked against its type; a missing or wrongly typed field is one
    line naming the file and the field. Fields this version does not know (a newer record's) are left out."""
    path = Path(path)
    info = read_run_json(path)
    required = [f.name for f in fields(RunRecord)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [name for name in required if name not in info]
    if missing:
        raise AvspnetError(f"{path}: lacks {', '.join(missing)} (made by an older avspnet?)")
    hints = typing.get_type_hints(RunRecord)
    record = RunRecord(**{f.name: coerce(info[f.name], hints[f.name], f"{path}: {f.name}")
                          for f in fields(RunRecord) if f.name in info})
    record.config_facts(f"{path}: config")
    return record
