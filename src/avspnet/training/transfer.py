"""Transfer: embed target segments with a frozen encoder once, then fit dense heads.

The encoder is frozen during transfer, so its output for a segment never
changes: computing embeddings once per (encoder, corpus) and training every
head of the grid on them gives the same heads as running the encoder inside
each head's forward pass, at a fraction of the cost.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..configio import from_dict
from ..errors import ConfigError
from ..evaluation.metrics import uar
from ..features.store import cached_store, write_store
from ..models.avspnet import Encoder
from ..models.recognizer import Head
from .device import Runtime

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
    # Epochs without a better validation UAR before stopping (0 = never stop early).
    patience: int = 3
    # Weight the loss by inverse class frequency so UAR, not accuracy, is optimised.
    class_balanced: bool = True
    val_speaker_fraction: float = 0.2

    def __post_init__(self) -> None:
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


EMBED_BATCH = 512


class _OneDnn(nn.Module):
    """Convolution stack run on oneDNN's blocked layout (conv, ReLU and pooling all take such
    tensors), dense tensors in and out."""

    def __init__(self, body: nn.Module):
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.to_mkldnn()).to_dense()


def inference_encoder(encoder: nn.Module, runtime: Runtime) -> nn.Module:
    """A copy of a frozen encoder made for inference on the runtime's device.

    Each conv + batch norm is folded into one conv (eval-mode batch norm is
    an affine map). On an fp32 CPU the conv stack then runs on oneDNN's
    blocked layout (about 2.8x the plain module per batch on this project's
    AVX2 CPU, vs 2.0x for channels-last); elsewhere it runs channels-last.
    """
    model = copy.deepcopy(encoder).eval()
    if not isinstance(getattr(model, "features", None), nn.Sequential):
        return runtime.prepare(model)
    fused: list[nn.Module] = []
    for layer in model.features:
        if isinstance(layer, nn.BatchNorm2d) and fused and isinstance(fused[-1], nn.Conv2d):
            fused[-1] = fuse_conv_bn_eval(fused[-1], layer)
        else:
            fused.append(layer)
    model.features = nn.Sequential(*fused)
    if runtime.device.type == "cpu" and runtime.precision == "fp32" and torch.backends.mkldnn.is_available():
        model.features = _OneDnn(model.features)
        return model
    return runtime.prepare(model)


def embedding_blocks(encoder: nn.Module, segments, batch_size: int = EMBED_BATCH,
                     runtime: Runtime | None = None) -> Iterator[np.ndarray]:
    """Frozen-encoder embeddings of (N, bins, frames) segments (an array or a SegmentStore), float32, batch by batch.

    Inference mode, large batches, all the cores this process may use, and
    bf16 only where the hardware does it natively (`precision: auto`).
    """
    runtime = runtime or Runtime.resolve()
    model = inference_encoder(encoder, runtime)
    threads = torch.get_num_threads()
    torch.set_num_threads(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    try:
        with torch.inference_mode(), runtime.autocast():
            for start in range(0, len(segments), batch_size):
                x = torch.from_numpy(np.ascontiguousarray(segments[start:start + batch_size], dtype=np.float32))
                yield model(x.to(runtime.device)).float().cpu().numpy()
    finally:
        torch.set_num_threads(threads)


def embed(encoder: nn.Module, segments, batch_size: int = EMBED_BATCH, runtime: Runtime | None = None) -> np.ndarray:
    """All embeddings of `segments` in memory, float32 (N, dim)."""
    blocks = list(embedding_blocks(encoder, segments, batch_size, runtime))
    return np.concatenate(blocks) if blocks else np.zeros((0, 0), np.float32)


def module_digest(module: nn.Module) -> str:
    """Hash of every parameter and buffer: the identity of a frozen encoder."""
    digest = hashlib.sha1()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def cached_embeddings(encoder: nn.Module, segments, segments_key: str, cache_dir: Path,
                      runtime: Runtime | None = None) -> Path:
    """Path of the embeddings of `segments` (identified by `segments_key`: their content), computed on a miss.

    Written batch by batch into a store file; a truncated entry is logged and
    recomputed. bf16 embeddings are cached apart from fp32 ones.
    """
    runtime = runtime or Runtime.resolve()
    precision = "" if runtime.precision == "fp32" else f"_{runtime.precision}"
    path = Path(cache_dir) / "embeddings" / f"{module_digest(encoder)}_{segments_key}{precision}.npy"
    dim = encoder.config.embed_dim if isinstance(encoder, Encoder) else embed(encoder, segments[:1], 1, runtime).shape[1]
    if cached_store(path, (len(segments), dim)) is None:
        write_store(path, embedding_blocks(encoder, segments, runtime=runtime), len(segments), (dim,))
    return path


@dataclass
class FitResult:
    head: Head
    best_epoch: int
    history: list[dict]


def fit_head(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
             n_classes: int, config: TransferConfig, seed: int) -> FitResult:
    """Train a head on segment embeddings; keep the epoch with the best validation UAR.

    Seeded on a forked RNG, so the caller's global torch RNG is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _fit_head(train_x, train_y, val_x, val_y, n_classes, config, seed)


def _fit_head(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
              n_classes: int, config: TransferConfig, seed: int) -> FitResult:
    generator = torch.Generator().manual_seed(seed)
    head = Head(train_x.shape[1], n_classes, config.hidden, config.dropout)
    head.set_normalisation(train_x)
    optimizer = _optimizer(head, config)
    counts = np.bincount(train_y, minlength=n_classes).astype(np.float64)
    weights = None
    if config.class_balanced:
        weights = torch.as_tensor(np.where(counts > 0, counts.sum() / (n_classes * np.maximum(counts, 1)), 0.0),
                                  dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    x = torch.from_numpy(np.ascontiguousarray(train_x, dtype=np.float32))
    y = torch.from_numpy(train_y.astype(np.int64))
    best = (-1.0, 0, _state(head))
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
        val_uar = uar(val_y, predict_proba(head, val_x).argmax(axis=1), labels=np.arange(n_classes))
        history.append({"epoch": epoch, "train_loss": total / len(x), "val_uar": val_uar})
        if val_uar > best[0]:
            best = (val_uar, epoch, _state(head))
        elif config.patience and epoch - best[1] >= config.patience:
            break
    head.load_state_dict(best[2])
    return FitResult(head=head.eval(), best_epoch=best[1], history=history)


@torch.no_grad()
def predict_proba(head: Head, embeddings: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    head.eval()
    blocks = [torch.softmax(head(torch.from_numpy(np.ascontiguousarray(embeddings[i:i + batch_size],
                                                                        dtype=np.float32))), dim=1).numpy()
              for i in range(0, len(embeddings), batch_size)]
    return np.concatenate(blocks) if blocks else np.zeros((0, head.layers[-1].out_features), np.float32)


def _optimizer(head: nn.Module, config: TransferConfig) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(head.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    return torch.optim.Adam(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def _state(module: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
