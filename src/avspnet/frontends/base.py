"""One interface for every front-end: target segments in, one fixed-size vector per segment out.

In the spirit of s3prl's upstreams: whatever a front-end is (a pre-trained
AV-SpNET encoder, openSMILE functionals, a frozen Whisper encoder, log-mel
statistics), the downstream side sees only an (n_segments, dim) float32
array whose rows line up with the SegmentSet's segments. Vectors are streamed
block by block into the same lazy store as the segments (`features.store`),
under the front-end's content hash and the target's key, so an unchanged
front-end on an unchanged corpus is embedded once and the downstream side
reads only the rows a fold needs.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch import nn

from ..content import whole_array
from ..errors import AvspnetError
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet
from ..features.store import write_store
from ..training.device import Runtime


class FrontEndUnavailable(AvspnetError):
    """A front-end needs an optional extra that is not installed."""


@dataclass(frozen=True)
class EmbedContext:
    """What a front-end may need besides the segments: the feature settings that cut them, where to cache,
    and the run's runtime, whose precision a network front-end runs at (no default: it is part of the result)."""

    features: FeatureConfig
    cache_dir: Path
    runtime: Runtime
    workers: int = 1
    progress: bool = True
    # Whether a front-end with a per-utterance store (Whisper) reads and fills it; off where a pass is timed.
    stored: bool = True


@dataclass(frozen=True)
class Deployable:
    """What a saved model keeps of a front-end so `predict` can embed new audio as the grid did."""

    module: nn.Module
    config: dict


class FrontEnd(ABC):
    """A ready front-end (trained, loaded or fixed)."""

    name: str
    dim: int
    # Per-epoch record of the training this run did to make it (summarised in run.json); None when it trained none.
    history: list[dict] | None = None
    # Where and in what precision its weights were trained, as recorded; None for a front-end without weights.
    pretrain_runtime: dict | None = None
    # The network size of its encoder (a models.config preset name); None for a front-end without one.
    network: str | None = None

    @abstractmethod
    def content_hash(self) -> str:
        """Identity of the vectors this front-end produces: weights, settings, implementation version."""

    def precision(self, runtime: Runtime) -> str:
        """The precision its vectors are computed in under `runtime`: part of their identity (cache key,
        run.json). fp32 here, for front-ends that run no network; network front-ends follow the runtime."""
        return "fp32"

    @abstractmethod
    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        """(len(segments), dim) float32, row i for segment i."""

    def embed_blocks(self, segments: SegmentSet, context: EmbedContext) -> Iterator[np.ndarray]:
        """The same rows in consecutive blocks; front-ends that can stream override this to bound memory."""
        yield self.embed(segments, context)

    def deployable(self) -> Deployable:
        """The module and config a saved model keeps (its registry entry says `exportable`)."""
        raise AvspnetError(f"front-end {self.name} cannot be saved for `predict`")


@dataclass(frozen=True)
class Embedded:
    path: Path
    seconds: float
    cached: bool
    # The precision the vectors were computed in (fp32 or bf16).
    precision: str


def precision_tag(precision: str) -> str:
    """What a cache name adds for vectors of `precision`: nothing for fp32, `_bf16` for bf16."""
    return "" if precision == "fp32" else f"_{precision}"


def embedding_seconds(frontend: FrontEnd, segments: SegmentSet, context: EmbedContext) -> float:
    """Seconds to embed every utterance of `segments`, timed on its first two and scaled; one untimed call
    first, so loading a model is not charged to every utterance."""
    n_utts = len(segments.utterances)
    if not n_utts:
        return 0.0
    sample = segments.head(min(2, n_utts))
    frontend.embed(sample.head(1), context)
    start = time.perf_counter()
    frontend.embed(sample, context)
    return (time.perf_counter() - start) * n_utts / len(sample.utterances)


def embeddings_path(frontend: FrontEnd, segments_key: str, context: EmbedContext) -> Path:
    """Where `cached_embeddings` keeps `frontend`'s vectors of the segments `segments_key` names."""
    tag = precision_tag(frontend.precision(context.runtime))
    return Path(context.cache_dir) / "embeddings" / f"{frontend.content_hash()}{tag}_{segments_key}.npy"


def is_embedded(frontend: FrontEnd, segments: SegmentSet, segments_key: str, context: EmbedContext) -> bool:
    """True when `cached_embeddings` would read the vectors rather than compute them."""
    return whole_array(embeddings_path(frontend, segments_key, context), (len(segments), frontend.dim))


def cached_embeddings(frontend: FrontEnd, segments: SegmentSet, segments_key: str,
                      context: EmbedContext) -> Embedded:
    """Store of `frontend`'s vectors of `segments` (identified by `segments_key`), computed on a miss;
    read it with `features.store.SegmentStore.open`. Vectors of another precision are cached apart."""
    precision = frontend.precision(context.runtime)
    path = embeddings_path(frontend, segments_key, context)
    if is_embedded(frontend, segments, segments_key, context):
        return Embedded(path, 0.0, True, precision)
    start = time.perf_counter()
    write_store(path, _checked_blocks(frontend, segments, context), len(segments), (frontend.dim,))
    return Embedded(path, round(time.perf_counter() - start, 2), False, precision)


def _checked_blocks(frontend: FrontEnd, segments: SegmentSet, context: EmbedContext) -> Iterator[np.ndarray]:
    rows = 0
    for block in frontend.embed_blocks(segments, context):
        block = np.asarray(block, dtype=np.float32)
        if block.ndim != 2 or block.shape[1] != frontend.dim:
            raise AvspnetError(f"front-end {frontend.name} gave vectors of shape {block.shape}, "
                               f"expected (n, {frontend.dim})")
        if not np.isfinite(block).all():
            raise AvspnetError(f"front-end {frontend.name} gave non-finite values")
        rows += len(block)
        yield block
    if rows != len(segments):
        raise AvspnetError(f"front-end {frontend.name} gave {rows} vectors for {len(segments)} segments")
