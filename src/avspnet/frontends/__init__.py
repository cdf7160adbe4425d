"""The front-end registry: every way to turn the target corpus into one vector per segment.

An entry has a name, a dimension, a cost and an availability check (an
optional extra that is missing is named with its install command); `build`
turns a name into a ready `FrontEnd`, `cached_embeddings` runs it once per
(front-end content, corpus). Names: the eight AV-SpNET recipes of the
paper's Table 2 (pre-trained on the experiment's background corpora),
`checkpoint:PATH` (an encoder from `avspnet pretrain`), `egemaps`,
`whisper-base` and `logmel-stats`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..features.config import FeatureConfig
from ..training.pretrain_config import FRONTENDS as RECIPES
from ..training.pretrain_config import PretrainConfig
from . import egemaps, whisper
from .base import EmbedContext, Embedded, FrontEnd, FrontEndUnavailable, cached_embeddings
from .egemaps import EGeMAPS
from .encoder import CHECKPOINT_PREFIX, EncoderFrontEnd, checkpoint_frontend, is_pretrained, pretrained_frontend
from .logmel import LogMelStats
from .whisper import WhisperBase

__all__ = [
    "ENTRIES", "Embedded", "EmbedContext", "EncoderFrontEnd", "Entry", "FrontEnd", "FrontEndUnavailable",
    "build", "cached_embeddings", "check", "entry", "is_pretrained", "is_recipe", "needs_background",
    "statistics_only",
]


@dataclass(frozen=True)
class Entry:
    name: str
    dim: str
    cost: str
    summary: str
    # None when usable here, else why not and how to install it.
    unavailable: Callable[[], str | None] = lambda: None


_RECIPE_SUMMARY = {
    "R": "AV-SpNET encoder, random weights (input statistics of the background, else per fold of its training speakers)",
    "W_a": "AV-SpNET encoder, proxy-arousal head only", "W_v": "AV-SpNET encoder, proxy-valence head only",
    "AE": "AV-SpNET encoder, autoencoder only",
    "W_AE_a": "AV-SpNET encoder, autoencoder then proxy-arousal head",
    "W_AE_v": "AV-SpNET encoder, autoencoder then proxy-valence head",
    "AVSpNET_a": "AV-SpNET encoder, joint autoencoder + proxy arousal (the paper's)",
    "AVSpNET_v": "AV-SpNET encoder, joint autoencoder + proxy valence (the paper's)",
}
_FIXED: dict[str, Callable[[], FrontEnd]] = {"egemaps": EGeMAPS, "whisper-base": WhisperBase,
                                            "logmel-stats": LogMelStats}

ENTRIES: tuple[Entry, ...] = (
    *(Entry(name, "1024", "none (random)" if name == "R" else "pre-training on the background corpora; "
            "then a CNN pass per segment", summary) for name, summary in _RECIPE_SUMMARY.items()),
    Entry(f"{CHECKPOINT_PREFIX}PATH", "encoder's", "a CNN pass per segment (pre-trained elsewhere)",
          "an encoder saved by `avspnet pretrain` (PATH: its pretrained.pt or --out folder)"),
    Entry("egemaps", str(egemaps.DIM), "openSMILE per segment (CPU)",
          "eGeMAPSv02 functionals per 810 ms segment; standardised on the training fold only",
          egemaps.unavailable),
    Entry("whisper-base", str(whisper.DIM), "a Whisper-base encoder pass over each utterance's own length (CPU)",
          "frozen offline Whisper-base encoder (torch, unpadded), mean-pooled over each segment's 20 ms frames",
          whisper.unavailable),
    Entry("logmel-stats", str(LogMelStats.dim), "negligible (from the cached spectrogram)",
          "mean and std of 40 log-mel bands (0-4 kHz) over each segment"),
)


def is_recipe(name: str) -> bool:
    return name in RECIPES


def needs_background(name: str) -> bool:
    """Recipes that learn from proxy labels (R only needs input statistics)."""
    return is_recipe(name) and name != "R"


def statistics_only(name: str) -> bool:
    """The recipe that learns nothing from data but its input statistics (R: random weights)."""
    return is_recipe(name) and not needs_background(name)


def entry(name: str) -> Entry:
    """The registry entry of a front-end name; an unknown name lists the known ones."""
    key = f"{CHECKPOINT_PREFIX}PATH" if name.startswith(CHECKPOINT_PREFIX) else name
    for candidate in ENTRIES:
        if candidate.name == key:
            return candidate
    raise ConfigError(f"unknown front-end {name!r}; known: {', '.join(e.name for e in ENTRIES)}")


def check(names: tuple[str, ...], features: FeatureConfig) -> None:
    """Fail before any work: unknown names, missing extras (with the install command), unreadable checkpoints
    and checkpoints whose encoder does not take the segments `features` cut."""
    for name in names:
        reason = entry(name).unavailable()
        if reason:
            raise FrontEndUnavailable(f"front-end {name} {reason}")
        if name.startswith(CHECKPOINT_PREFIX):
            checkpoint_frontend(name).check_input(features)


def build(name: str, pretrain: PretrainConfig, background: Callable[[], object], cache_dir: Path,
          progress: bool) -> FrontEnd:
    """A ready front-end: a recipe is pre-trained on `background()` (built only when a recipe asks for it)."""
    entry(name)
    if is_recipe(name):
        return pretrained_frontend(name, pretrain, background(), cache_dir, progress)
    if name.startswith(CHECKPOINT_PREFIX):
        return checkpoint_frontend(name)
    return _FIXED[name]()
