"""An adapter on frozen encoder vectors, trained on the background with the paper's recipes.

The paper trains a CNN on spectrogram segments; here the same objectives
train a small network on top of a frozen foundation encoder (one Whisper
vector per background segment). The adapter standardises each vector with
statistics of the background's training speakers, then one dense ReLU layer
gives the hidden layer a target sees. Its two heads are the paper's: a
linear decoder that reconstructs the standardised frozen vector (AE, MSE)
and a linear proxy classifier (W_a / W_v, CE); AVSpNET_a / _v train both
jointly (`alpha * MSE + (1 - alpha) * CE`), W_AE_* the autoencoder then the
proxy head, R nothing (random weights on standardised input).

Recipes, phases, the speaker-disjoint validation split, early stopping,
seeds and the training loop are pre-training's (`training.pretrain`), so an
adapter's history reads like a pre-training history, with proxy-validation
accuracy per epoch on held-out background speakers. `train_adapter` takes
arrays only (vectors, speakers, proxy labels): no manifest, so no gold label
column can reach it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..configio import from_dict, to_dict
from ..errors import ConfigError, CorpusError
from ..models.avspnet import set_statistics
from ..models.safeload import not_ours, read_model_file
from . import checkpoint
from .device import Runtime
from .distributed import DistContext
from .pretrain import RunState, run_phase
from .pretrain_config import TrainingConfig, phases
from .pretrain_data import PretrainData, as_proxy_labels, speaker_split

MODES = ("hidden", "concat")
_EMBED_BATCH = 4096


@dataclass(frozen=True)
class AdapterConfig(TrainingConfig):
    """Pre-training's settings with a CPU-cheap default: a few epochs of batch 32, Adam 1e-3 (the paper's)."""

    kind: ClassVar[str] = "adapter"
    epochs: int = 5
    # fp32 by default: an adapter is cheap, and bf16 where the CPU has it would
    # give other numbers than on a CPU without it.
    precision: str = "fp32"
    hidden: int = 256
    n_classes: int = 2
    # What a target sees (`adapter_vectors`): the hidden layer alone, or beside the frozen vector (the default:
    # ahead in 14 of 16 cells of the unlabeled-speech study). Training does not depend on it, so both modes
    # share one trained adapter.
    mode: str = "concat"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.hidden < 1 or self.n_classes < 2:
            raise ConfigError(f"adapter hidden must be >= 1 and n_classes >= 2, got {self.hidden}, {self.n_classes}")
        if self.mode not in MODES:
            raise ConfigError(f"adapter mode must be one of {', '.join(MODES)}, got {self.mode!r}")

    def output_dim(self, encoder_dim: int) -> int:
        """The size of what a target sees on an encoder of `encoder_dim`."""
        return self.hidden if self.mode == "hidden" else encoder_dim + self.hidden


class AdapterEncoder(nn.Module):
    """Frozen vector (B, dim) -> hidden layer (B, hidden): standardised with background statistics, dense, ReLU."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.dense = nn.Linear(dim, hidden)

    def set_normalisation(self, mean, std) -> None:
        set_statistics(self, mean, std, "dimension")

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.dense(self.normalise(x)))


class Adapter(nn.Module):
    """The encoder and the paper's two heads, named as AVSpNet's so pre-training's loop trains it."""

    def __init__(self, dim: int, config: AdapterConfig) -> None:
        super().__init__()
        self.encoder = AdapterEncoder(dim, config.hidden)
        self.decoder = nn.Linear(config.hidden, dim)
        self.proxy = nn.Linear(config.hidden, config.n_classes)

    @property
    def dim(self) -> int:
        return self.encoder.dense.in_features


@dataclass
class AdapterResult:
    adapter: Adapter
    # One row per epoch, as pre-training's: phase, epoch, losses, val_acc (proxy-validation accuracy).
    history: list[dict]
    config: AdapterConfig
    n_train: int
    n_val: int


def _vectors(values, what: str) -> np.ndarray:
    """A non-empty, finite (N, D) float32 array; a table is refused, since it could carry gold label columns."""
    if isinstance(values, pd.DataFrame):
        raise ConfigError(f"{what}: expected an array, got a table (an adapter never reads a manifest's columns)")
    array = np.asarray(values, dtype=np.float32)
    if array.ndim != 2 or 0 in array.shape:
        raise CorpusError(f"{what}: expected a non-empty (N, D) array of vectors, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise CorpusError(f"{what}: vectors contain NaN or infinite values")
    return np.ascontiguousarray(array)


def _column(values, n: int, what: str) -> np.ndarray:
    if isinstance(values, pd.DataFrame):
        raise ConfigError(f"{what}: expected one value per vector, got a table")
    array = np.asarray(values)
    if array.shape != (n,):
        raise ConfigError(f"{what}: expected {n} entries (one per vector), got shape {array.shape}")
    return array


def train_adapter(vectors, speakers, proxy_arousal, proxy_valence, config: AdapterConfig = AdapterConfig(),
                  progress: bool = False) -> AdapterResult:
    """Train `config.frontend`'s recipe on background vectors (N, D) with per-row speakers and proxy labels.

    Proxy labels are -1 (or NaN / <NA>) where a row has none. Speakers
    decide the validation split only; input statistics come from the
    training speakers' rows.
    """
    vectors = _vectors(vectors, "adapter vectors")
    speakers = _column(speakers, len(vectors), "adapter speakers").astype(str)
    labels = {name: as_proxy_labels(_column(values, len(vectors), f"proxy_{name}"), len(vectors), config.n_classes,
                                    name)
              for name, values in (("arousal", proxy_arousal), ("valence", proxy_valence))}
    train, val = speaker_split(speakers, config.val_speaker_fraction, config.seed)
    rows = vectors[train].astype(np.float64)
    data = PretrainData(vectors, labels, train, val, rows.mean(axis=0), rows.std(axis=0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        adapter = Adapter(vectors.shape[1], config)
    adapter.encoder.set_normalisation(data.mean, data.std)
    runtime = Runtime.resolve(config.device, config.precision, channels_last=False)
    state = RunState(history=[])
    for index, phase in enumerate(phases(config.frontend)):
        run_phase(adapter, index, phase, data, config, runtime, DistContext(), state, None, progress, None)
    return AdapterResult(adapter.to("cpu").eval(), state.history, config, len(train), len(val))


@torch.inference_mode()
def adapter_vectors(adapter: Adapter, vectors, mode: str = "hidden") -> np.ndarray:
    """What a target sees: the hidden layer alone (N, hidden), or beside the frozen vector (N, D + hidden)."""
    if mode not in MODES:
        raise ConfigError(f"adapter mode must be one of {', '.join(MODES)}, got {mode!r}")
    vectors = _vectors(vectors, "adapter input")
    if vectors.shape[1] != adapter.dim:
        raise ConfigError(f"adapter input: the adapter takes {adapter.dim}-dimensional vectors, got {vectors.shape[1]}")
    adapter = adapter.to("cpu").eval()
    hidden = np.concatenate([adapter.encoder(torch.from_numpy(vectors[i:i + _EMBED_BATCH])).numpy()
                             for i in range(0, len(vectors), _EMBED_BATCH)])
    return hidden if mode == "hidden" else np.concatenate([vectors, hidden], axis=1)


def save_adapter(result: AdapterResult, path: Path, metadata: dict | None = None) -> Path:
    """Plain tensors and dicts only, so `load_adapter` reads it as data (weights_only)."""
    path = Path(path)
    checkpoint.save({"config": to_dict(result.config), "dim": result.adapter.dim,
                     "model_state": result.adapter.state_dict(), "history": result.history,
                     "n_train": result.n_train, "n_val": result.n_val, "metadata": metadata or {}}, path)
    return path


def load_adapter(path: Path) -> tuple[Adapter, dict]:
    """The saved adapter (eval mode, CPU) and the rest of the file (config, history, metadata)."""
    path = Path(path)
    saved = read_model_file(path, ("config", "dim", "model_state"))
    try:
        adapter = Adapter(int(saved["dim"]), from_dict(AdapterConfig, saved["config"], f"{path}: config"))
        adapter.load_state_dict(saved["model_state"])
    except (ConfigError, TypeError, ValueError, RuntimeError) as exc:
        raise not_ours(path, type(exc).__name__) from None
    return adapter.eval(), {k: v for k, v in saved.items() if k != "model_state"}
