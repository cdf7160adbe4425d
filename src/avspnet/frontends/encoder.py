"""AV-SpNET front-ends: the eight pre-training recipes of the paper's Table 2, and saved encoders.

Both are a frozen spectrogram encoder; they differ in where it comes from:
a recipe is pre-trained on the experiment's background corpora (cached by
config and data hash), `checkpoint:PATH` loads one that `avspnet pretrain`
wrote (weights only, never code).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from torch import nn

from ..configio import config_hash, to_dict
from ..errors import ConfigError
from ..features.dataset import SegmentSet
from ..training import checkpoint
from ..training.background import Background
from ..training.device import Runtime
from ..training.pretrain import pretrain
from ..training.pretrain_config import PretrainConfig
from ..training.transfer import embed, embedding_blocks, module_digest
from .base import EmbedContext, FrontEnd

CHECKPOINT_PREFIX = "checkpoint:"


class EncoderFrontEnd(FrontEnd):
    """A frozen AV-SpNET encoder; it carries its own input normalisation, so it takes raw log spectrograms."""

    def __init__(self, name: str, encoder: nn.Module, model_config: dict, history: list[dict] | None = None):
        self.name = name
        # Per-epoch pre-training record (empty for a loaded checkpoint), summarised in run.json.
        self.history = history or []
        self.encoder = encoder.eval()
        self.model_config = model_config
        self.dim = int(model_config["embed_dim"])

    def content_hash(self) -> str:
        """The weights, and the precision where it is not fp32 (bf16 vectors are cached apart)."""
        precision = Runtime.resolve().precision
        return module_digest(self.encoder) + ("" if precision == "fp32" else f"_{precision}")

    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        return embed(self.encoder, segments.segments)

    def embed_blocks(self, segments: SegmentSet, context: EmbedContext) -> Iterator[np.ndarray]:
        return embedding_blocks(self.encoder, segments.segments)


def pretrained_frontend(name: str, settings: PretrainConfig, background: Background, cache_dir: Path,
                        progress: bool) -> EncoderFrontEnd:
    """Recipe `name` pre-trained on `background` (proxy labels only); a finished run is reused."""
    settings = replace(settings, frontend=name)
    result = pretrain(
        background.segments, background.speakers, background.proxy_arousal, background.proxy_valence,
        settings, out_dir=pretrain_dir(name, settings, background, cache_dir), progress=progress,
        metadata=background.metadata,
    )
    return EncoderFrontEnd(name, result.encoder, to_dict(settings.model), result.history)


def pretrain_dir(name: str, settings: PretrainConfig, background: Background, cache_dir: Path) -> Path:
    """Where recipe `name` on `background` is (or will be) cached: keyed by settings and background content."""
    settings = replace(settings, frontend=name)
    return Path(cache_dir) / "frontends" / f"{name}_{config_hash({'pretrain': to_dict(settings), 'background': background.key})}"


def is_pretrained(name: str, settings: PretrainConfig, background: Background, cache_dir: Path) -> bool:
    """True when a finished pre-training of recipe `name` is cached, so a run spends no time on it."""
    return (pretrain_dir(name, settings, background, cache_dir) / checkpoint.FINAL).is_file()


def checkpoint_path(name: str) -> Path:
    """The file behind `checkpoint:PATH`; a folder means the `pretrained.pt` that `avspnet pretrain --out` wrote."""
    text = name.removeprefix(CHECKPOINT_PREFIX).strip()
    if not text:
        raise ConfigError("front-end 'checkpoint:' needs a path: checkpoint:PATH (a file from `avspnet pretrain`)")
    path = Path(text)
    return path / checkpoint.FINAL if path.is_dir() else path


def checkpoint_frontend(name: str) -> EncoderFrontEnd:
    """A saved encoder; a missing or foreign file is a one-line ModelFileError (checkpoint.load_encoder)."""
    encoder, saved = checkpoint.load_encoder(checkpoint_path(name))
    return EncoderFrontEnd(name, encoder, saved["config"]["model"])
