"""Adapters on a frozen encoder: the paper's eight recipes trained on the encoder's vectors, not on spectrograms.

For each frozen foundation encoder (whisper-base, whisper-small) and each
recipe, `ENCODER/RECIPE` is a small network (training.adapter) trained on
the encoder's vectors of the background segments with their proxy labels
(R trains nothing: background input statistics only). The background's
vectors are cached per corpus under the corpus' segment key, so they are
the very file a target run of that corpus reads, and the trained adapter
under the adapter settings, the background's key and the encoder's content.
A target's vectors are the encoder's (shared with the plain encoder's row)
passed through the adapter: its hidden layer alone or beside the frozen
vector (`adapter.mode`). `ENCODER/RECIPE/in-domain` trains the same on
the target itself instead of a background: per fold on the fold's training
utterances only (the experiment's `BuildContext.in_domain`), on all of them
for the exported model. No gold label reaches an adapter: manifests are
hidden before proxy labelling, and `train_adapter` takes arrays only.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from ..configio import config_hash, from_dict, to_dict
from ..errors import ConfigError, ModelFileError
from ..features.dataset import SegmentSet
from ..features.store import SegmentStore
from ..models.safeload import load_weights
from ..training.adapter import Adapter, AdapterConfig, adapter_vectors, load_adapter, save_adapter, train_adapter
from ..training.background import Background
from ..training.device import Runtime
from ..training.pretrain_config import FRONTENDS as RECIPES
from ..training.pretrain_config import phases
from .base import Deployable, EmbedContext, FrontEnd, cached_embeddings, embedding_seconds, is_embedded
from .inference import module_digest
from .registry import (
    IN_DOMAIN,
    INPUT_STATISTICS,
    PROXY_LABELS,
    WEIGHTS,
    BuildContext,
    Entry,
    build,
    build_by_name,
    entry,
    register,
)
from .whisper import ENCODERS

KIND = "adapter on a frozen encoder"
ADAPTER_FILE = "adapter.pt"
IN_DOMAIN_SUFFIX = "/in-domain"


def encoder_vectors(encoder: FrontEnd, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
    """`encoder`'s vectors of `segments`: from (or into) the embedding cache when the set has a content key, so
    they are shared with the plain encoder's row; computed directly for a set built by hand (no key)."""
    if not segments.key:
        return np.asarray(encoder.embed(segments, context), dtype=np.float32)
    return np.asarray(SegmentStore.open(cached_embeddings(encoder, segments, segments.key, context).path))


class AdapterFrontEnd(FrontEnd):
    """A frozen encoder, then an adapter trained on its vectors; it runs at the encoder's precision (the adapter
    itself in fp32 on the CPU, it is small)."""

    def __init__(self, name: str, encoder: FrontEnd, adapter: Adapter, config: AdapterConfig,
                 history: list[dict] | None = None, trained: dict | None = None) -> None:
        if adapter.dim != encoder.dim:
            raise ModelFileError(f"front-end {name}: the adapter takes {adapter.dim}-d vectors, its encoder "
                                 f"{encoder.name} gives {encoder.dim}-d")
        self.name, self.encoder, self.adapter, self.config = name, encoder, adapter.eval(), config
        self.dim = config.output_dim(encoder.dim)
        self.history = history
        self.pretrain_runtime = trained

    def content_hash(self) -> str:
        return f"{self.encoder.content_hash()}-adapter-{config_hash({'weights': module_digest(self.adapter), 'mode': self.config.mode})}"

    def precision(self, runtime: Runtime) -> str:
        return self.encoder.precision(runtime)

    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        return adapter_vectors(self.adapter, encoder_vectors(self.encoder, segments, context), self.config.mode)

    def deployable(self) -> Deployable:
        """The adapter's weights, its settings and the encoder it sits on (rebuilt by name at load)."""
        return Deployable(self.adapter, {"name": self.name, "encoder": self.encoder.name, "encoder_hash": self.encoder.content_hash(),
                                         "dim": self.encoder.dim, "adapter": to_dict(self.config)})


def adapter_dir(name: str, settings: AdapterConfig, background: Background, encoder: FrontEnd,
                context: BuildContext) -> Path:
    """Where `name`'s adapter on `background` is cached: keyed by its training settings (not `mode`, which only
    says what a target sees; precision as it resolves here), the background and the encoder's vectors."""
    trained = replace(settings, mode="concat",
                      precision=Runtime.resolve(settings.device, settings.precision, False).precision)
    key = config_hash({"adapter": to_dict(trained), "background": background.key, "encoder": encoder.content_hash(),
                       "encoder_precision": encoder.precision(context.runtime)})
    return Path(context.cache_dir) / "frontends" / f"{name}_{key}"


def background_vectors(encoder: FrontEnd, background: Background, context: BuildContext) -> np.ndarray:
    """The encoder's vectors of every background row, corpus by corpus (each cached under its segment key)."""
    if not background.parts or background.features is None:
        raise ConfigError("an adapter needs a background built from its corpora (training.background.build_background)")
    embed_context = EmbedContext(background.features, context.cache_dir, context.runtime, progress=context.progress)
    blocks = []
    for part in background.parts:
        vectors = encoder_vectors(encoder, part.segments, embed_context)
        blocks.append(vectors if part.rows is None else vectors[part.rows])
    vectors = np.concatenate(blocks)
    if len(vectors) != len(background.speakers):
        raise ValueError(f"background: {len(vectors)} vectors for {len(background.speakers)} speaker rows")
    return vectors


def trained_adapter(name: str, encoder_name: str, settings: AdapterConfig, background: Background,
                    context: BuildContext) -> AdapterFrontEnd:
    """`settings.frontend`'s recipe trained on `encoder_name`'s vectors of `background`; a finished one is reused."""
    encoder = build(encoder_name, context)
    path = adapter_dir(name, settings, background, encoder, context) / ADAPTER_FILE
    if path.is_file():
        adapter, saved = load_adapter(path)
        return AdapterFrontEnd(name, encoder, adapter, settings, saved.get("history"),
                               saved.get("metadata", {}).get("runtime"))
    runtime = Runtime.resolve(settings.device, settings.precision, False)
    trained = {"device": str(runtime.device), "precision": runtime.precision}
    result = train_adapter(background_vectors(encoder, background, context), background.speakers,
                           background.proxy_arousal, background.proxy_valence, settings, context.progress)
    save_adapter(result, path, {**background.metadata, "encoder": encoder.content_hash(), "runtime": trained})
    return AdapterFrontEnd(name, encoder, result.adapter, settings, result.history, trained)


def _settings(context: BuildContext, recipe: str) -> AdapterConfig:
    return replace(context.settings or AdapterConfig(), frontend=recipe)


def _data(in_domain: bool, context: BuildContext) -> Background:
    """What the adapter learns from: the target's (training) utterances, or the background corpora."""
    return context.in_domain() if in_domain else context.background()


def _build(encoder_name: str, recipe: str, in_domain: bool, context: BuildContext) -> AdapterFrontEnd:
    return trained_adapter(context.name, encoder_name, _settings(context, recipe), _data(in_domain, context), context)


def _untrained(encoder_name: str, context: BuildContext) -> AdapterFrontEnd:
    """The adapter's network with random weights on the encoder: it embeds at the trained one's cost."""
    encoder = build(encoder_name, context)
    settings = _settings(context, "R")
    with torch.random.fork_rng(devices=[]):
        return AdapterFrontEnd(context.name, encoder, Adapter(encoder.dim, settings), settings)


def _training_seconds(encoder_name: str, recipe: str, in_domain: bool, context: BuildContext) -> float:
    """Upper bound: the encoder over each background corpus whose vectors are not cached (timed on its first
    utterances after a warm-up call, and scaled); the adapter's own training on vectors is small beside it.
    Nothing when cached, or in-domain (the encoder's pass over the target is the embedding stage's)."""
    if in_domain:
        return 0.0
    background = context.background()
    encoder = build(encoder_name, context)
    if (adapter_dir(context.name, _settings(context, recipe), background, encoder, context) / ADAPTER_FILE).is_file():
        return 0.0
    embed_context = EmbedContext(background.features, context.cache_dir, context.runtime, progress=False, stored=False)
    seconds = 0.0
    for part in background.parts:
        if part.segments.key and is_embedded(encoder, part.segments, part.segments.key, embed_context):
            continue
        seconds += embedding_seconds(encoder, part.segments, embed_context)
    return seconds


def _restore(settings: dict, weights: dict, source: Path, cache_dir: Path | None) -> AdapterFrontEnd:
    """A saved adapter front-end: its encoder rebuilt by name (refused when it would compute other vectors here),
    the adapter from its weights."""
    encoder = build_by_name(str(settings["encoder"]), cache_dir)
    if encoder.content_hash() != settings["encoder_hash"]:
        raise ModelFileError(f"model {source}: its encoder {encoder.name} would compute other vectors here "
                             f"(content {settings['encoder_hash']} when saved, {encoder.content_hash()} here)")
    config = from_dict(AdapterConfig, settings["adapter"], f"{source}: adapter")
    adapter = Adapter(int(settings["dim"]), config)
    load_weights(adapter, weights, source)
    return AdapterFrontEnd(str(settings["name"]), encoder, adapter, config)


def register_adapters(encoder: Entry) -> None:
    """The eight recipes' adapter entries on the frozen encoder `encoder` (a registered entry), trained on the
    background, then the eight trained in-domain."""
    for in_domain in (False, True):
        for recipe in RECIPES:
            trains = bool(phases(recipe))
            learns = ("the target's training-fold proxy labels" if trains else "random, the target's training-fold "
                      "input statistics") if in_domain else ("the background proxy labels" if trains else
                                                             "random, background input statistics")
            register(Entry(
                f"{encoder.name}/{recipe}" + (IN_DOMAIN_SUFFIX if in_domain else ""), KIND,
                f"{recipe} adapter ({learns}) on the frozen {encoder.name} vectors",
                (f"per fold, training an adapter on the target's {encoder.name} vectors" if in_domain else
                 f"{encoder.name}'s pass over the background (cached){', training an adapter' if trains else ''}")
                + f", then {encoder.name}'s cost",
                build=functools.partial(_build, encoder.name, recipe, in_domain),
                dim=lambda settings, encoder=encoder: (settings or AdapterConfig()).output_dim(encoder.dim(None)),
                settings="adapter",
                background=IN_DOMAIN if in_domain else PROXY_LABELS if trains else INPUT_STATISTICS,
                saved_as=WEIGHTS, unavailable=encoder.unavailable,
                training_seconds=functools.partial(_training_seconds, encoder.name, recipe, in_domain),
                stand_in=functools.partial(_untrained, encoder.name), restore=_restore))


for _encoder in ENCODERS:
    register_adapters(entry(_encoder))
