"""Reading audio as 16 kHz mono float32, with one-line errors naming the file."""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from ..errors import AudioError
from ..log import get_logger


def load_audio(path: str | Path, sample_rate: int = 16000, start_s: float | None = None,
               end_s: float | None = None) -> np.ndarray:
    """Mono float32 samples at `sample_rate` (only [start_s, end_s) when given); down-mixes and resamples with a logged note."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    try:
        samples, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(f"cannot decode audio {path}: {exc}") from None
    if samples.shape[0] == 0:
        raise AudioError(f"zero-length audio: {path}")
    log = get_logger("features.audio")
    if samples.shape[1] > 1:
        log.debug("%s: %d channels down-mixed to mono", path, samples.shape[1])
    mono = samples.mean(axis=1)
    if file_rate != sample_rate:
        log.info("%s: resampled %d Hz -> %d Hz", path, file_rate, sample_rate)
        common = gcd(int(file_rate), int(sample_rate))
        mono = resample_poly(mono, sample_rate // common, int(file_rate) // common).astype(np.float32)
    if start_s is not None or end_s is not None:
        mono = mono[int(round((start_s or 0) * sample_rate)):None if end_s is None else int(round(end_s * sample_rate))]
        if mono.size == 0:
            raise AudioError(f"empty window [{start_s}, {end_s}) s: {path}")
    if not np.all(np.isfinite(mono)):
        raise AudioError(f"audio contains NaN or infinite samples: {path}")
    return np.ascontiguousarray(mono, dtype=np.float32)
