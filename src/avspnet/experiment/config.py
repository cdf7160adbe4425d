"""What an experiment runs, as one typed config read from YAML.

Paths in a config file are resolved against the file's own folder (after
expanding ~ and $VARS), so a config runs the same from any working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..configio import from_dict, read_yaml
from ..errors import ConfigError
from ..features.config import FeatureConfig
from ..proxy import ProxyConfig
from ..training.pretrain_config import FRONTENDS, PretrainConfig
from ..training.transfer import TransferConfig, transfer_preset

TASKS = ("arousal", "valence", "emotion4")
# Fold modes and what the report says of them. speaker_sentence is for corpora whose sentences imply
# their emotion (ASED); it needs the manifest's raw_sentence (see evaluation.folds.cv_folds).
FOLDS = {
    "speaker": "speaker-independent (test speakers unseen in training)",
    "speaker_sentence": "speaker- and sentence-independent (test speakers and sentences unseen in training; "
                        "utterances crossing the two are left out, counted in the log)",
}


@dataclass(frozen=True)
class CorpusSpec:
    """A corpus by loader name and root, or an existing manifest CSV."""

    name: str = ""
    root: str = ""
    manifest: str = ""
    # A seeded subset of utterances (0 = all), for small budgets.
    max_utterances: int = 0

    def __post_init__(self) -> None:
        if bool(self.root) == bool(self.manifest):
            raise ConfigError(f"corpus {self.name!r}: give exactly one of root or manifest")


@dataclass(frozen=True)
class ExperimentConfig:
    target: CorpusSpec
    background: tuple[CorpusSpec, ...]
    name: str = "experiment"
    seed: int = 0
    features: FeatureConfig = field(default_factory=FeatureConfig)
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    # Settings shared by every front-end; its `frontend` field is set per front-end.
    pretrain: PretrainConfig = field(default_factory=lambda: PretrainConfig(frontend="AVSpNET_a"))
    frontends: tuple[str, ...] = FRONTENDS
    tasks: tuple[str, ...] = TASKS
    fractions: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    n_folds: int = 5
    folds: str = "speaker"
    transfer: TransferConfig = field(default_factory=lambda: transfer_preset("tuned"))
    # Processes for the transfer grid (0 = one per core).
    workers: int = 0
    # Lines printed at the top of the report (e.g. what the background corpus really is).
    notes: tuple[str, ...] = ()
    export_models: bool = True

    def __post_init__(self) -> None:
        unknown = sorted(set(self.frontends) - set(FRONTENDS))
        if unknown:
            raise ConfigError(f"unknown front-end(s) {unknown}; known: {', '.join(FRONTENDS)}")
        bad_tasks = sorted(set(self.tasks) - set(TASKS))
        if bad_tasks:
            raise ConfigError(f"unknown task(s) {bad_tasks}; known: {', '.join(TASKS)}")
        if self.folds not in FOLDS:
            raise ConfigError(f"folds must be one of {', '.join(FOLDS)}, got {self.folds!r}")
        if not self.fractions or any(not 0 < f <= 1 for f in self.fractions):
            raise ConfigError(f"fractions must lie in (0, 1], got {self.fractions}")
        if not self.background and set(self.frontends) - {"R"}:
            raise ConfigError("pre-trained front-ends need at least one background corpus")


def experiment_from_dict(data: dict, base_dir: Path, where: str = "config") -> ExperimentConfig:
    """Build the config, expanding the transfer preset and resolving corpus paths."""
    data = dict(data)
    transfer = dict(data.pop("transfer", None) or {})
    try:
        data["transfer"] = transfer_preset(transfer.pop("preset", "tuned"), **transfer)
    except TypeError as exc:
        raise ConfigError(f"{where}.transfer: {exc}") from None
    config = from_dict(ExperimentConfig, data, where)
    return replace(
        config,
        target=_resolve(config.target, base_dir),
        background=tuple(_resolve(spec, base_dir) for spec in config.background),
    )


def load_experiment(path: str | Path) -> ExperimentConfig:
    path = Path(path)
    return experiment_from_dict(read_yaml(path), path.resolve().parent, str(path))


def _resolve(spec: CorpusSpec, base_dir: Path) -> CorpusSpec:
    def absolute(value: str) -> str:
        if not value:
            return value
        text = os.path.expandvars(os.path.expanduser(value))
        if "$" in text:
            raise ConfigError(f"corpus path {value!r}: environment variable not set")
        expanded = Path(text)
        return str(expanded if expanded.is_absolute() else (base_dir / expanded).resolve())

    return replace(spec, root=absolute(spec.root), manifest=absolute(spec.manifest))
