"""Shared test helpers: tiny generated audio in real corpus layouts, and the shared corpora."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def write_voice(path: Path, seconds: float = 1.2, sample_rate: int = 16000, f0: float = 140.0,
                level: float = 0.3, seed: int = 0, channels: int = 1) -> Path:
    """A harmonic 'voice' with a little noise: enough structure for pitch and spectra."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    wave = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    wave = level * wave / np.max(np.abs(wave)) + 0.003 * rng.standard_normal(len(t))
    data = np.stack([wave] * channels, axis=1) if channels > 1 else wave
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), data.astype(np.float32), sample_rate)
    return path


@pytest.fixture
def voice():
    return write_voice


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"
