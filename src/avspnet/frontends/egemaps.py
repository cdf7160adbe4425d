"""eGeMAPSv02 functionals (openSMILE) per 810 ms segment: the standard hand-crafted SER baseline.

88 functionals of each segment's own samples. They are returned raw: the
downstream head standardises its input with statistics of its training
rows only, so no test-fold value ever shapes the standardisation.
"""

from __future__ import annotations

import functools
import importlib.metadata

import numpy as np

from ..configio import config_hash
from ..features.dataset import SegmentSet
from .audio_spans import per_utterance
from .base import EmbedContext, FrontEnd, FrontEndUnavailable
from .registry import registered

DIM = 88
INSTALL = "pip install opensmile==2.6.0 (a core dependency: `make install`)"


def unavailable() -> str | None:
    try:
        importlib.metadata.version("opensmile")
    except importlib.metadata.PackageNotFoundError:
        return f"needs openSMILE: {INSTALL}"
    return None


@functools.lru_cache(maxsize=1)
def _smile():
    import opensmile

    return opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                           feature_level=opensmile.FeatureLevel.Functionals)


def functionals(samples: np.ndarray, starts: np.ndarray, ends: np.ndarray, rate: int = 16000) -> np.ndarray:
    """(len(starts), 88): eGeMAPS functionals of samples[start:end] for each span."""
    smile = _smile()
    rows = [smile.process_signal(samples[start:min(end, len(samples))], rate).to_numpy(dtype=np.float32)[0]
            for start, end in zip(starts, ends)]
    return np.nan_to_num(np.stack(rows), nan=0.0, posinf=0.0, neginf=0.0)


@registered("baseline", "eGeMAPSv02 functionals per 810 ms segment; standardised on the training fold only",
            "openSMILE per segment (CPU)", unavailable)
class EGeMAPS(FrontEnd):
    name = "egemaps"
    dim = DIM

    def content_hash(self) -> str:
        # Version 2: a windowed row's vectors are of its window (version 1 read the whole file).
        return "egemaps-" + config_hash({"opensmile": importlib.metadata.version("opensmile"),
                                          "set": "eGeMAPSv02", "level": "functionals", "version": 2})

    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        reason = unavailable()
        if reason:
            raise FrontEndUnavailable(f"egemaps {reason}")
        return per_utterance(functionals, segments, context, DIM, desc="egemaps").vectors
