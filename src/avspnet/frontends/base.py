"""One interface for every front-end: target segments in, one fixed-size vector per segment out.

In the spirit of s3prl's upstreams: whatever a front-end is (a pre-trained
AV-SpNET encoder, openSMILE functionals, a frozen Whisper encoder, log-mel
statistics), the downstream side sees only an (n_segments, dim) float32
array whose rows line up with the SegmentSet's segments. Vectors are cached
under the front-end's content hash and the target's key, so an unchanged
front-end on an unchanged corpus is embedded once.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AvspnetError
from ..features.cache import whole_array
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet


class FrontEndUnavailable(AvspnetError):
    """A front-end needs an optional extra that is not installed."""


@dataclass(frozen=True)
class EmbedContext:
    """What a front-end may need besides the segments: the feature settings that cut them, where to cache."""

    features: FeatureConfig
    cache_dir: Path
    workers: int = 1
    progress: bool = True


class FrontEnd(ABC):
    """A ready front-end (trained, loaded or fixed)."""

    name: str
    dim: int

    @abstractmethod
    def content_hash(self) -> str:
        """Identity of the vectors this front-end produces: weights, settings, implementation version."""

    @abstractmethod
    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        """(len(segments), dim) float32, row i for segment i."""


@dataclass(frozen=True)
class Embedded:
    path: Path
    seconds: float
    cached: bool


def cached_embeddings(frontend: FrontEnd, segments: SegmentSet, segments_key: str,
                      context: EmbedContext) -> Embedded:
    """Path of `frontend`'s vectors of `segments` (identified by `segments_key`), computed on a miss."""
    path = Path(context.cache_dir) / "embeddings" / f"{frontend.content_hash()}_{segments_key}.npy"
    if whole_array(path, (len(segments), frontend.dim)):
        return Embedded(path, 0.0, True)
    start = time.perf_counter()
    vectors = np.asarray(frontend.embed(segments, context), dtype=np.float32)
    if vectors.shape != (len(segments), frontend.dim):
        raise AvspnetError(f"front-end {frontend.name} gave vectors of shape {vectors.shape}, "
                           f"expected ({len(segments)}, {frontend.dim})")
    if not np.isfinite(vectors).all():
        raise AvspnetError(f"front-end {frontend.name} gave non-finite values")
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, vectors)
    partial.replace(path)
    return Embedded(path, round(seconds, 2), False)
