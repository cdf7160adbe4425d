"""Pre-training settings and the eight front-ends of the paper's Table 2 as training phases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..configio import from_dict, to_dict
from ..errors import ConfigError
from ..features.config import FeatureConfig
from ..models.config import ModelConfig, input_mismatch, network_preset
from .device import DEVICES, PRECISIONS, Runtime

FRONTENDS = ("R", "W_a", "W_v", "AE", "W_AE_a", "W_AE_v", "AVSpNET_a", "AVSpNET_v")


@dataclass(frozen=True)
class Phase:
    """One training stage: which losses it uses and which proxy label ('arousal'/'valence'/None)."""

    name: str
    mse: bool
    ce: bool
    label: str | None


def phases(frontend: str) -> tuple[Phase, ...]:
    """R: none; W: proxy head; AE: autoencoder; W_AE: autoencoder then proxy head; AVSpNET: joint."""
    if frontend not in FRONTENDS:
        raise ConfigError(f"frontend must be one of {', '.join(FRONTENDS)}, got {frontend!r}")
    label = {"a": "arousal", "v": "valence"}.get(frontend.rsplit("_", 1)[-1])
    ae, proxy = Phase("ae", True, False, None), Phase("proxy", False, True, label)
    return {
        "R": (), "AE": (ae,),
        "W_a": (proxy,), "W_v": (proxy,),
        "W_AE_a": (ae, proxy), "W_AE_v": (ae, proxy),
        "AVSpNET_a": (Phase("joint", True, True, label),), "AVSpNET_v": (Phase("joint", True, True, label),),
    }[frontend]


@dataclass(frozen=True)
class TrainingConfig:
    """What every trainer of the paper's recipes shares (the CNN pre-training and the adapters on frozen vectors)."""

    # Names the settings in error messages.
    kind: ClassVar[str] = "pretrain"
    frontend: str = "AVSpNET_a"
    # Joint loss alpha * MSE + (1 - alpha) * CE (AVSpNET front-ends only).
    alpha: float = 0.5
    # Epochs per phase (W_AE front-ends have two phases).
    epochs: int = 30
    # Optimiser steps per phase at most (a budget cap); None = no cap.
    max_steps: int | None = None
    batch_size: int = 32
    lr: float = 1e-3
    # Share of speakers held out for early stopping (at least one when there are two or more).
    val_speaker_fraction: float = 0.1
    # Epochs without a better validation loss before a phase stops.
    patience: int = 3
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    # torch.compile the training step: off by default, since with channels-last it
    # saved under 1% of a paper-size CPU step for ~30 s of compilation
    # (benchmarks/bench_pretrain.py); unmeasured on CUDA.
    compile: bool = False

    def __post_init__(self) -> None:
        phases(self.frontend)
        if not 0 <= self.alpha <= 1:
            raise ConfigError(f"alpha must lie in [0, 1], got {self.alpha}")
        if not self.lr > 0:
            raise ConfigError(f"{self.kind} lr must be > 0, got {self.lr}")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1:
            raise ConfigError(f"{self.kind} epochs, batch_size and patience must be >= 1, got {self.epochs}, "
                              f"{self.batch_size}, {self.patience}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(f"max_steps must be positive or null, got {self.max_steps}")
        if not 0 <= self.val_speaker_fraction < 1:
            raise ConfigError(f"val_speaker_fraction must lie in [0, 1), got {self.val_speaker_fraction}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.device not in DEVICES and not self.device.startswith("cuda:"):
            raise ConfigError(f"device must be one of {DEVICES} (or cuda:N), got {self.device!r}")


@dataclass(frozen=True)
class PretrainConfig(TrainingConfig):
    # "auto" | True | False: channels-last memory layout for the convolutions.
    channels_last: str | bool = "auto"
    model: ModelConfig = field(default_factory=ModelConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.channels_last not in ("auto", True, False):
            raise ConfigError(f"channels_last must be auto, true or false, got {self.channels_last!r}")

    def runtime(self) -> Runtime:
        """Device and precision on this machine: the one place a run resolves `auto` (pre-training,
        embedding and the exported model's precision all follow it)."""
        return Runtime.resolve(self.device, self.precision, self.channels_last)


def pretrain_from_dict(data: dict, where: str = "pretrain") -> PretrainConfig:
    """PretrainConfig from a mapping; `network: NAME` stands for the named preset's `model`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    data = dict(data)
    network = data.pop("network", None)
    if network is not None:
        if "model" in data:
            raise ConfigError(f"{where}: give network or model, not both")
        data["model"] = to_dict(network_preset(str(network)))
    return from_dict(PretrainConfig, data, where)


def check_input_shape(features: FeatureConfig, model: ModelConfig, where: str = "config") -> None:
    """The network's input must be the segments the features give, or pre-training fails after extraction."""
    mismatch = input_mismatch(features, model)
    if mismatch:
        raise ConfigError(f"{where}: {mismatch} (pretrain.model n_bins, n_frames)")
