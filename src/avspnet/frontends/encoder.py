"""AV-SpNET front-ends: the eight pre-training recipes of the paper's Table 2, and saved encoders.

Both are a frozen spectrogram encoder; they differ in where it comes from:
a recipe is pre-trained on the experiment's background corpora (cached by
config and data hash), `checkpoint:PATH` loads one that `avspnet pretrain`
wrote (weights only, never code).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..configio import config_hash, from_dict, to_dict
from ..errors import ConfigError, ModelFileError
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet
from ..models.avspnet import Encoder
from ..models.config import ModelConfig, input_mismatch, network_name
from ..training import checkpoint
from ..training.background import Background
from ..training.device import Runtime
from ..training.pretrain import pretrain, step_seconds
from ..training.pretrain_config import FRONTENDS as RECIPES
from ..training.pretrain_config import PretrainConfig, phases
from .base import Deployable, EmbedContext, FrontEnd
from .inference import embed, embedding_blocks, module_digest
from .registry import INPUT_STATISTICS, PROXY_LABELS, WEIGHTS, BuildContext, Entry, register

CHECKPOINT_PREFIX = "checkpoint:"


class EncoderFrontEnd(FrontEnd):
    """A frozen AV-SpNET encoder; it carries its own input normalisation, so it takes raw log spectrograms.

    It runs at the run's precision (`EmbedContext.runtime`); `pretrain_runtime`
    is what its pre-training recorded (device, precision), empty when unknown.
    """

    def __init__(self, name: str, encoder: nn.Module, model_config: dict, history: list[dict] | None = None,
                 pretrain_runtime: dict | None = None):
        self.name = name
        # Per-epoch pre-training record, summarised in run.json (None for a loaded checkpoint).
        self.history = history
        self.pretrain_runtime = pretrain_runtime or {}
        self.encoder = encoder.eval()
        self.model_config = model_config
        self.dim = int(model_config["embed_dim"])

    def content_hash(self) -> str:
        """The weights (the precision is added by `cached_embeddings`)."""
        return module_digest(self.encoder)

    def precision(self, runtime: Runtime) -> str:
        return runtime.precision

    @property
    def network(self) -> str:
        return network_name(from_dict(ModelConfig, self.model_config, self.name))

    def deployable(self) -> Deployable:
        return Deployable(self.encoder, self.model_config)

    def check_input(self, features: FeatureConfig) -> None:
        """Segments cut with `features` must be the encoder's input: say so in one line, not a torch shape error."""
        mismatch = input_mismatch(features, from_dict(ModelConfig, self.model_config, f"{self.name}: model"))
        if mismatch:
            where = (f"model {checkpoint_path(self.name)}" if self.name.startswith(CHECKPOINT_PREFIX)
                     else f"front-end {self.name}")
            raise ModelFileError(f"{where}: the {mismatch}")

    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        self.check_input(context.features)
        return embed(self.encoder, segments.segments, context.runtime)

    def embed_blocks(self, segments: SegmentSet, context: EmbedContext) -> Iterator[np.ndarray]:
        self.check_input(context.features)
        return embedding_blocks(self.encoder, segments.segments, context.runtime)


def pretrained_frontend(name: str, settings: PretrainConfig, background: Background, cache_dir: Path,
                        progress: bool) -> EncoderFrontEnd:
    """Recipe `name` pre-trained on `background` (proxy labels only); a finished run is reused."""
    settings = replace(settings, frontend=name)
    result = pretrain(
        background.segments, background.speakers, background.proxy_arousal, background.proxy_valence,
        settings, out_dir=pretrain_dir(name, settings, background, cache_dir), progress=progress,
        metadata=background.metadata,
    )
    return EncoderFrontEnd(name, result.encoder, to_dict(settings.model), result.history, result.runtime)


def pretrain_dir(name: str, settings: PretrainConfig, background: Background, cache_dir: Path) -> Path:
    """Where recipe `name` on `background` is (or will be) cached: keyed by settings and background content.

    `precision: auto` is keyed by what it resolves to here, so a cache shared by a bf16 and an AVX2-only
    host never hands one the other's pre-training."""
    settings = replace(settings, frontend=name, precision=settings.runtime().precision)
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
    runtime = saved.get("runtime")
    return EncoderFrontEnd(name, encoder, saved["config"]["model"],
                           pretrain_runtime=runtime if isinstance(runtime, dict) else None)


def _training_seconds(context: BuildContext) -> float:
    """Upper bound: every phase runs its whole budget of the real training step; nothing when cached."""
    settings = replace(context.settings, frontend=context.name)
    if not phases(context.name):
        return 0.0
    background = context.background()
    if is_pretrained(context.name, settings, background, context.cache_dir):
        return 0.0
    steps = math.ceil(len(background.segments) / settings.batch_size) * settings.epochs
    if settings.max_steps:
        steps = min(steps, settings.max_steps)
    return step_seconds(settings) * steps * len(phases(context.name))


def _untrained_encoder(context: BuildContext) -> EncoderFrontEnd:
    """The recipe's network with random weights: it embeds at the trained one's cost (the caller's random
    state untouched)."""
    model = context.settings.model
    with torch.random.fork_rng(devices=[]):
        return EncoderFrontEnd(context.name, Encoder(model), to_dict(model))


_RECIPE_SUMMARY = {
    "R": "AV-SpNET encoder, random weights (input statistics of the background, else per fold of its training speakers)",
    "W_a": "AV-SpNET encoder, proxy-arousal head only", "W_v": "AV-SpNET encoder, proxy-valence head only",
    "AE": "AV-SpNET encoder, autoencoder only",
    "W_AE_a": "AV-SpNET encoder, autoencoder then proxy-arousal head",
    "W_AE_v": "AV-SpNET encoder, autoencoder then proxy-valence head",
    "AVSpNET_a": "AV-SpNET encoder, joint autoencoder + proxy arousal (the paper's)",
    "AVSpNET_v": "AV-SpNET encoder, joint autoencoder + proxy valence (the paper's)",
}

for _recipe in RECIPES:
    register(Entry(
        _recipe, "AV-SpNET recipe", _RECIPE_SUMMARY[_recipe],
        "pre-training on the background corpora; then a CNN pass per segment" if phases(_recipe) else "none (random)",
        build=lambda context: pretrained_frontend(context.name, context.settings, context.background(),
                                                  context.cache_dir, context.progress),
        dim=lambda settings: (settings or PretrainConfig()).model.embed_dim, settings="pretrain",
        background=PROXY_LABELS if phases(_recipe) else INPUT_STATISTICS, saved_as=WEIGHTS,
        training_seconds=_training_seconds, stand_in=_untrained_encoder))

register(Entry(
    f"{CHECKPOINT_PREFIX}PATH", "saved encoder",
    "an encoder saved by `avspnet pretrain` (PATH: its pretrained.pt or --out folder)",
    "a CNN pass per segment (pre-trained elsewhere)",
    build=lambda context: checkpoint_frontend(context.name), dim=lambda settings: None, saved_as=WEIGHTS,
    prefix=CHECKPOINT_PREFIX, check=lambda name, features: checkpoint_frontend(name).check_input(features)))
