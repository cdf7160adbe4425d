"""Fitting a dense head on front-end vectors: settings, presets, training with early stopping, inference.

Vectors come from any front-end of the registry (`avspnet.frontends`); the
head standardises them with statistics of its own training rows only. The
task (`avspnet.evaluation.tasks`) gives the output size, the loss, the
segment outputs and the validation score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..configio import from_dict
from ..errors import ConfigError
from ..evaluation.tasks import Task
from .head import Head
from .pooling import LEVELS, SPEAKER_NORMS

OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class TransferConfig:
    """Head and optimiser; `transfer_preset` gives the paper's and the tuned settings."""

    preset: str = "tuned"
    hidden: tuple[int, ...] = (1024, 512, 128)
    dropout: float = 0.5
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    weight_decay: float = 0.0
    batch_size: int = 128
    epochs: int = 20
    # Epochs without a better validation score (the task's metric) before stopping (0 = never stop early).
    patience: int = 3
    # Classification: weight the loss by inverse class frequency so UAR, not accuracy, is optimised.
    class_balanced: bool = True
    val_speaker_fraction: float = 0.2
    # Per-speaker normalisation of the vectors before the head (`pooling.speaker_normalise`): none, mean or
    # meanvar, with each speaker's statistics from all their own segments, unlabeled, test speakers included.
    speaker_norm: str = "none"
    # What the head sees: each segment (its utterance then votes), or each utterance's mean segment vector.
    level: str = "segment"
    # Rounds of self-training at label fractions below 1: the fold's unlabelled training utterances get the
    # head's confident class (top probability >= pseudo_threshold) and a fresh head is fitted with them.
    self_training: int = 0
    pseudo_threshold: float = 0.9

    def __post_init__(self) -> None:
        if self.speaker_norm not in SPEAKER_NORMS:
            raise ConfigError(f"transfer.speaker_norm must be one of {SPEAKER_NORMS}, got {self.speaker_norm!r}")
        if self.level not in LEVELS:
            raise ConfigError(f"transfer.level must be one of {LEVELS}, got {self.level!r}")
        if self.self_training < 0:
            raise ConfigError(f"transfer.self_training must be >= 0 rounds, got {self.self_training}")
        if not 0 < self.pseudo_threshold <= 1:
            raise ConfigError(f"transfer.pseudo_threshold must lie in (0, 1], got {self.pseudo_threshold}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"transfer.optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"transfer.dropout must be in [0, 1), got {self.dropout}")
        if not self.lr > 0:
            raise ConfigError(f"transfer.lr must be > 0, got {self.lr}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError(f"transfer.epochs and transfer.batch_size must be >= 1, got {self.epochs}, {self.batch_size}")
        if min(self.patience, self.momentum, self.weight_decay) < 0:
            raise ConfigError("transfer.patience, momentum and weight_decay must be >= 0")
        if not self.hidden or min(self.hidden) < 1:
            raise ConfigError(f"transfer.hidden: need positive layer widths, got {list(self.hidden)}")
        if not 0 < self.val_speaker_fraction < 1:
            raise ConfigError(f"transfer.val_speaker_fraction must lie in (0, 1), got {self.val_speaker_fraction}")


# paper: section 3.2 gives SGD at lr 1e-5, batch 32, unweighted loss.
# tuned: Adam at 1e-3 with class-balanced loss and larger batches converges in
# tens of epochs instead of thousands, which the 480-fit grid needs on a CPU.
PRESETS = {
    "paper": dict(optimizer="sgd", lr=1e-5, momentum=0.0, batch_size=32, class_balanced=False, epochs=100, patience=10),
    "tuned": dict(optimizer="adam", lr=1e-3, batch_size=128, class_balanced=True, epochs=20, patience=3),
}


def transfer_preset(name: str, where: str = "transfer", **overrides) -> TransferConfig:
    """The preset's settings with `overrides` (type-checked: they often come from YAML)."""
    if not isinstance(name, str) or name not in PRESETS:
        raise ConfigError(f"{where}: unknown transfer preset {name!r}; known: {', '.join(PRESETS)}")
    return from_dict(TransferConfig, {**PRESETS[name], **overrides, "preset": name}, where)


@dataclass
class FitResult:
    head: Head
    best_epoch: int
    history: list[dict]


def fit_head(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
             task: Task, config: TransferConfig, seed: int) -> FitResult:
    """Train a head for `task` on segment embeddings; keep the epoch with the best validation score.

    Seeded on a forked RNG, so the caller's global torch RNG is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _fit_head(train_x, train_y, val_x, val_y, task, config, seed)


def _fit_head(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
              task: Task, config: TransferConfig, seed: int) -> FitResult:
    generator = torch.Generator().manual_seed(seed)
    head = Head(train_x.shape[1], task.n_outputs, config.hidden, config.dropout)
    head.set_normalisation(train_x)
    task.init_output(head.layers[-1], train_y)
    optimizer = _optimizer(head, config)
    loss_fn = task.loss(train_y, config.class_balanced)
    x = torch.from_numpy(np.ascontiguousarray(train_x, dtype=np.float32))
    y = task.targets(train_y)
    val_key = f"val_{task.metric.column}"
    best = (-np.inf, 0, _state(head))
    history: list[dict] = []
    for epoch in range(1, config.epochs + 1):
        head.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), config.batch_size):
            batch = order[start:start + config.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(head(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        val_score = task.score(val_y, task.decide(predict_outputs(head, val_x, task)))
        history.append({"epoch": epoch, "train_loss": total / len(x), val_key: val_score})
        if val_score > best[0]:
            best = (val_score, epoch, _state(head))
        elif config.patience and epoch - best[1] >= config.patience:
            break
    head.load_state_dict(best[2])
    return FitResult(head=head.eval(), best_epoch=best[1], history=history)


@torch.no_grad()
def predict_outputs(head: Head, embeddings: np.ndarray, task: Task, batch_size: int = 2048) -> np.ndarray:
    """The task's output per segment (class probabilities, or a rating), in blocks."""
    head.eval()
    blocks = [task.outputs(head(torch.from_numpy(np.ascontiguousarray(embeddings[i:i + batch_size],
                                                                       dtype=np.float32)))).numpy()
              for i in range(0, max(len(embeddings), 1), batch_size)]
    return np.concatenate(blocks)


def _optimizer(head: nn.Module, config: TransferConfig) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(head.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    return torch.optim.Adam(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def _state(module: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
