"""What an experiment runs, as one typed config read from YAML.

Paths in a config file are resolved against the file's own folder (after
expanding ~ and $VARS), so a config runs the same from any working directory.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..configio import from_dict, read_yaml
from ..downstream.fit import TransferConfig, transfer_preset
from ..errors import ConfigError
from ..evaluation.tasks import DEFAULT_TASKS, Regression, get_task, task_names
from ..features.config import FeatureConfig
from ..frontends import entry
from ..proxy import ProxyConfig
from ..training.adapter import AdapterConfig
from ..training.device import Runtime
from ..training.pretrain_config import FRONTENDS, PretrainConfig, check_input_shape, pretrain_from_dict

# Fold modes and what the report says of them. speaker_sentence is for corpora whose sentences imply
# their emotion (ASED); it needs the manifest's raw_sentence (see evaluation.folds.cv_folds).
FOLDS = {
    "speaker": "speaker-independent (test speakers unseen in training)",
    "speaker_sentence": "speaker- and sentence-independent (test speakers and sentences unseen in training; "
                        "utterances crossing the two are left out, counted in the log)",
}
# A config's name and a target's label become folder names (runs/<name>/<label>): one path component each.
PATH_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class CorpusSpec:
    """A corpus by loader name and root, or an existing manifest CSV."""

    name: str = ""
    root: str = ""
    manifest: str = ""
    # A seeded subset of utterances (0 = all), for small budgets.
    max_utterances: int = 0
    # A seeded subset of about this many hours of audio (0 = all): whole speakers in
    # a seeded order, nested across sizes (see experiment.data.hours_subset).
    max_hours: float = 0.0

    def __post_init__(self) -> None:
        if bool(self.root) == bool(self.manifest):
            raise ConfigError(f"corpus {self.name!r}: give exactly one of root or manifest")
        if self.max_utterances < 0:
            raise ConfigError(f"corpus {self.name!r}: max_utterances must be >= 0, got {self.max_utterances}")
        if self.max_hours < 0:
            raise ConfigError(f"corpus {self.name!r}: max_hours must be >= 0, got {self.max_hours}")


@dataclass(frozen=True)
class ExperimentConfig:
    target: CorpusSpec
    # Unlabeled speech the front-ends learn from (none: baselines and in-domain front-ends only).
    background: tuple[CorpusSpec, ...] = ()
    name: str = "experiment"
    seed: int = 0
    features: FeatureConfig = field(default_factory=FeatureConfig)
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    # Settings shared by every front-end; its `frontend` field is set per front-end.
    pretrain: PretrainConfig = field(default_factory=lambda: PretrainConfig(frontend="AVSpNET_a"))
    # Settings of the adapters on frozen encoders (`whisper-base/AVSpNET_a`, ...); `frontend` is set per entry,
    # `mode` says what a target sees (hidden: the adapter's layer; concat: it beside the frozen vector).
    adapter: AdapterConfig = field(default_factory=AdapterConfig)
    # Any front-end registry name (`avspnet frontends`), incl. checkpoint:PATH (relative to the config file).
    frontends: tuple[str, ...] = FRONTENDS
    tasks: tuple[str, ...] = DEFAULT_TASKS
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
        if not PATH_COMPONENT.fullmatch(self.name):
            raise ConfigError(f"name {self.name!r} must be letters, digits, '_', '.' or '-' (it names the run "
                              "folder), starting with a letter or digit")
        for name in self.frontends:
            entry(name)
        if len(set(self.frontends)) != len(self.frontends):
            raise ConfigError(f"frontends lists a name twice: {list(self.frontends)}")
        bad_tasks = sorted(set(self.tasks) - set(task_names()))
        if bad_tasks:
            raise ConfigError(f"unknown task(s) {bad_tasks}; known: {', '.join(task_names())}")
        if self.folds not in FOLDS:
            raise ConfigError(f"folds must be one of {', '.join(FOLDS)}, got {self.folds!r}")
        if not self.fractions or any(not 0 < f <= 1 for f in self.fractions):
            raise ConfigError(f"fractions must lie in (0, 1], got {self.fractions}")
        pretrained = [name for name in self.frontends if entry(name).needs_background]
        if not self.background and pretrained:
            raise ConfigError(f"pre-trained front-ends {pretrained} need at least one background corpus")
        if not self.frontends or not self.tasks:
            raise ConfigError("frontends and tasks must each name at least one entry")
        if self.n_folds < 2:
            raise ConfigError(f"n_folds must be >= 2, got {self.n_folds}")
        ratings = [name for name in self.tasks if isinstance(get_task(name), Regression)]
        if self.transfer.self_training and ratings:
            raise ConfigError(f"transfer.self_training: rating tasks ({', '.join(ratings)}) have no class confidence "
                              "to pseudo-label by; drop them or set self_training: 0")
        if self.export_models and self.transfer.level == "utterance":
            raise ConfigError("transfer.level utterance: `avspnet predict` serves segment-level heads only; "
                              "set export_models: false")
        if self.workers < 0:
            raise ConfigError(f"workers must be >= 1 (or 0: one per core), got {self.workers}")
        check_input_shape(self.features, self.pretrain.model)

    def runtime(self) -> Runtime:
        """The run's device and precision (its `pretrain` settings): pre-training, embedding and export share it."""
        return self.pretrain.runtime()

    def seeded_pretrain(self) -> PretrainConfig:
        """The pre-training settings a run uses: the experiment's seed wins, so one seed drives the whole run."""
        return replace(self.pretrain, seed=self.seed)

    def sections(self) -> dict[str, object]:
        """The settings sections a front-end's registry entry may read (`Entry.settings`), as the run uses them."""
        return {"pretrain": self.seeded_pretrain(), "adapter": replace(self.adapter, seed=self.seed)}


def experiment_from_dict(data: dict, base_dir: Path, where: str = "config") -> ExperimentConfig:
    """Build the config, expanding the transfer preset and resolving corpus paths."""
    data = dict(data)
    if "pretrain" in data:
        data["pretrain"] = pretrain_from_dict(data["pretrain"] or {}, f"{where}.pretrain")
    transfer = data.pop("transfer", None) or {}
    if not isinstance(transfer, dict):
        raise ConfigError(f"{where}.transfer: expected a mapping, got {transfer!r}")
    transfer = dict(transfer)
    data["transfer"] = transfer_preset(transfer.pop("preset", "tuned"), f"{where}.transfer", **transfer)
    config = from_dict(ExperimentConfig, data, where)
    return replace(
        config,
        target=_resolve(config.target, base_dir),
        background=tuple(_resolve(spec, base_dir) for spec in config.background),
        frontends=tuple(_resolve_frontend(name, base_dir) for name in config.frontends),
    )


def load_experiment(path: str | Path) -> ExperimentConfig:
    path = Path(path)
    return experiment_from_dict(read_yaml(path), path.resolve().parent, str(path))


def load_experiments(path: str | Path) -> list[tuple[str, ExperimentConfig]]:
    """(label, config) per target; '' and the one config for a single-target file.

    `targets: {LABEL: {settings}}` in place of `target` runs the same
    background and front-ends once per entry, each entry's settings laid over
    the file's (at least its `target`) and the name suffixed with the label.
    Pre-trained front-ends are cached by background and settings, so they are
    trained once and shared by every target.
    """
    path = Path(path)
    data = read_yaml(path)
    base_dir = path.resolve().parent
    targets = data.pop("targets", None)
    if targets is None:
        return [("", experiment_from_dict(data, base_dir, str(path)))]
    if "target" in data:
        raise ConfigError(f"{path}: give target or targets, not both")
    if not isinstance(targets, dict) or not targets:
        raise ConfigError(f"{path}: targets must be a non-empty mapping of label -> settings")
    configs = []
    for label, overrides in targets.items():
        label = str(label)
        if not PATH_COMPONENT.fullmatch(label):
            raise ConfigError(f"{path}: target label {label!r} must be letters, digits, '_', '.' or '-'")
        if not isinstance(overrides, dict):
            raise ConfigError(f"{path}: targets.{label} must be a mapping of settings")
        merged = {**data, **overrides, "name": f"{overrides.get('name', data.get('name', 'experiment'))}-{label}"}
        configs.append((label, experiment_from_dict(merged, base_dir, f"{path}: targets.{label}")))
    return configs


def _absolute(value: str, base_dir: Path) -> str:
    if not value:
        return value
    text = os.path.expandvars(os.path.expanduser(value))
    if "$" in text:
        raise ConfigError(f"path {value!r}: environment variable not set")
    expanded = Path(text)
    return str(expanded if expanded.is_absolute() else (base_dir / expanded).resolve())


def _resolve(spec: CorpusSpec, base_dir: Path) -> CorpusSpec:
    return replace(spec, root=_absolute(spec.root, base_dir), manifest=_absolute(spec.manifest, base_dir))


def _resolve_frontend(name: str, base_dir: Path) -> str:
    """A parameterised front-end's path (checkpoint:PATH) against the config file's folder."""
    found = entry(name)
    return found.prefix + _absolute(found.argument(name).strip(), base_dir) if found.prefix else name
