"""Checkpoints: an epoch-by-epoch run state for resuming, and the final pre-trained model with its provenance."""

from __future__ import annotations

from pathlib import Path

import torch

from ..configio import from_dict
from ..errors import ConfigError
from ..models.avspnet import Encoder
from ..models.config import ModelConfig
from ..models.safeload import load_weights, not_ours, read_model_file
from ..paths import atomic_path

RUN_STATE = "last.pt"
FINAL = "pretrained.pt"


def save(payload: dict, path: Path) -> None:
    """Write atomically, so an interruption never leaves a half-written checkpoint."""
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load(path: Path, required: tuple[str, ...] = ("config", "model_state")) -> dict:
    return read_model_file(path, required)


def encoder_state(model_state: dict) -> dict:
    return {k.removeprefix("encoder."): v for k, v in model_state.items() if k.startswith("encoder.")}


def load_encoder(checkpoint: Path) -> tuple[Encoder, dict]:
    """The pre-trained encoder (eval mode, CPU, normalisation included) and the checkpoint's metadata.

    The dict holds `config` (resolved PretrainConfig), `metadata` (the
    caller's proxy source / data hash), `history` and `runtime`.
    """
    payload = load(Path(checkpoint))
    try:
        encoder = Encoder(from_dict(ModelConfig, payload["config"]["model"], f"{checkpoint}: model"))
        state = encoder_state(payload["model_state"])
    except (ConfigError, KeyError, TypeError, AttributeError, RuntimeError) as exc:
        raise not_ours(Path(checkpoint), type(exc).__name__) from None
    load_weights(encoder, state, checkpoint)
    return encoder.eval(), {k: v for k, v in payload.items() if k != "model_state"}
