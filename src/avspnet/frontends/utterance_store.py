"""Per-utterance store of a frozen encoder's segment vectors: a pass over hours of audio resumes, and shards.

The whole-array cache (`base.cached_embeddings`) is written only when a
pass ends, so an interrupted Whisper pass over a large background lost
everything, and one pass could not be split across machines. Here each
utterance's vectors are their own file, written (atomically) as soon as
they are computed:

    <cache>/frontends/utterances/<content hash>[_<precision>]/<audio key>_<spans>.npy

The audio key is the content key the feature cache uses (the sha1 of the
file's bytes, with the row's window for a windowed row), and <spans> hashes
the sample rate and the segment spans, so another segmentation never reads
these vectors. Like the feature cache, it is keyed by content: shards of
one manifest (`avspnet embed --shard K/N`) fill one shared cache without
colliding, and a later run over the whole manifest only reads. A file that
is not exactly (n_spans, dim) finite float32 is logged, removed and
recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..content import content_hash, manifest_audio_keys, save_npy, unreadable
from .base import EmbedContext, FrontEnd, precision_tag

ROOT = Path("frontends") / "utterances"


@dataclass
class UtteranceStore:
    """One front-end's (at one precision) stored per-utterance vectors; counts the unusable entries it met."""

    folder: Path
    dim: int
    cache_dir: Path
    unusable: int = 0

    @classmethod
    def of(cls, frontend: FrontEnd, context: EmbedContext) -> UtteranceStore:
        """`frontend`'s store at the precision it runs at under `context.runtime` (vectors of each apart)."""
        tag = precision_tag(frontend.precision(context.runtime))
        return cls(Path(context.cache_dir) / ROOT / f"{frontend.content_hash()}{tag}", frontend.dim,
                   Path(context.cache_dir))

    def paths(self, utterances: pd.DataFrame, spans: list[tuple[np.ndarray, np.ndarray]],
              rate: int) -> list[Path | None]:
        """Per utterance (a manifest row) with its segment spans (samples at `rate`), where its vectors are
        kept; None for a row whose audio cannot be read (it is not stored; reading it names the problem)."""
        keys = manifest_audio_keys(utterances, self.cache_dir)
        return [None if key is None else self.folder / f"{key}_{spans_key(starts, ends, rate)}.npy"
                for key, (starts, ends) in zip(keys, spans)]

    def read(self, path: Path, n_spans: int) -> np.ndarray | None:
        """The stored (n_spans, dim) vectors, or None on a miss; an unusable entry is logged, removed, counted."""
        if not path.exists():
            return None
        try:
            vectors = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError):
            vectors = None
        if vectors is None or vectors.dtype != np.float32 or vectors.shape != (n_spans, self.dim):
            reason = "truncated or unreadable" if vectors is None else f"of shape {vectors.shape} {vectors.dtype}, " \
                     f"not ({n_spans}, {self.dim}) float32"
        elif not np.isfinite(vectors).all():
            reason = "not finite"
        else:
            return vectors
        self.unusable += 1
        unreadable(path, reason)
        return None


def spans_key(starts: np.ndarray, ends: np.ndarray, rate: int) -> str:
    """Identity of one utterance's segmentation: its spans in samples at `rate`."""
    return content_hash({"rate": int(rate), "starts": np.asarray(starts).tolist(), "ends": np.asarray(ends).tolist()})


def save_vectors(path: Path | None, vectors: np.ndarray) -> np.ndarray:
    """Store one utterance's vectors at `path` (nothing for None, or for non-finite values, which the caller's
    checks reject); returns them."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if path is not None and np.isfinite(vectors).all():
        path.parent.mkdir(parents=True, exist_ok=True)
        save_npy(path, vectors)
    return vectors

