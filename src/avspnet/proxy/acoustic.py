"""Per-utterance vocal measures with Praat's algorithms (parselmouth), after Bone et al. (2014).

Median F0 over voiced frames ("To Pitch (ac)"), median intensity (dB, not
mean-subtracted: the level is the cue) over voiced frames, and the optional
HF500, speaking rate and local jitter. A value that cannot be measured is
NaN with a reason: an unvoiced file has no pitch or jitter, and its
intensity is taken over all frames instead. With `gain` set, each file is
first scaled to full-scale peak or to -23 LUFS: only intensity depends on
the gain (Praat's voicing threshold is relative to the file's peak, HF500
is a ratio), so this says how the labels fare on normalised media.
"""

from __future__ import annotations

import math

import numpy as np
import parselmouth
import pyloudnorm
from parselmouth.praat import call
from scipy.signal import find_peaks

from ..audio import load_audio
from ..errors import AudioError
from .config import LUFS_TARGET, AcousticConfig

MEASURES = ("median_pitch_hz", "median_intensity_db", "hf500", "speaking_rate", "jitter", "voiced_fraction")
FEATURE_COLUMNS = {
    "pitch": "median_pitch_hz",
    "intensity": "median_intensity_db",
    "hf500": "hf500",
    "speaking_rate": "speaking_rate",
    "jitter": "jitter",
}


def normalise_gain(samples: np.ndarray, config: AcousticConfig) -> np.ndarray | None:
    """The samples scaled per `config.gain` (float64, may exceed 1), or None if the loudness is below BS.1770's gate."""
    samples = samples.astype(np.float64)
    if config.gain == "peak":
        return samples / np.max(np.abs(samples))
    if config.gain == "lufs":
        # A file shorter than BS.1770's 400 ms block is measured as one block.
        block = min(0.4, (samples.size - 1) / config.sample_rate)
        loudness = pyloudnorm.Meter(config.sample_rate, block_size=block).integrated_loudness(samples)
        if not math.isfinite(loudness):
            return None
        return samples * 10.0 ** ((LUFS_TARGET - loudness) / 20.0)
    return samples


def measure_samples(samples: np.ndarray, config: AcousticConfig) -> tuple[dict[str, float], str]:
    """All measures of one mono signal, and a note saying what could not be measured ("" if none)."""
    values = dict.fromkeys(MEASURES, math.nan)
    if samples.size == 0 or float(np.max(np.abs(samples))) < config.silence_peak:
        return values, "silent audio"
    if samples.size / config.sample_rate < 3 / config.pitch_floor:
        return values, "shorter than three pitch periods"
    scaled = normalise_gain(samples, config)
    if scaled is None:
        return values, "below the BS.1770 loudness gate (-70 LUFS): cannot normalise loudness"
    sound = parselmouth.Sound(scaled, sampling_frequency=config.sample_rate)
    pitch = sound.to_pitch_ac(time_step=config.time_step, pitch_floor=config.pitch_floor,
                              pitch_ceiling=config.pitch_ceiling)
    f0 = pitch.selected_array["frequency"]
    voiced_times = pitch.xs()[f0 > 0]
    intensity = sound.to_intensity(minimum_pitch=config.pitch_floor, time_step=config.time_step,
                                   subtract_mean=False)
    db = intensity.values[0]
    values["voiced_fraction"] = float(np.mean(f0 > 0)) if f0.size else 0.0
    values["hf500"] = _hf_ratio(sound, config.hf_cutoff_hz)
    if voiced_times.size:
        values["median_pitch_hz"] = float(np.median(f0[f0 > 0]))
        voiced_db = np.interp(voiced_times, intensity.xs(), db)
        values["median_intensity_db"] = float(np.median(voiced_db))
        values["speaking_rate"] = _speaking_rate(intensity.xs(), db, voiced_times, sound.duration, config)
        values["jitter"] = _jitter(sound, pitch)
        return values, ""
    values["median_intensity_db"] = float(np.median(db)) if db.size else math.nan
    return values, "no voiced frames: no pitch, jitter or speaking rate"


def _hf_ratio(sound: parselmouth.Sound, cutoff_hz: float) -> float:
    spectrum = sound.to_spectrum()
    nyquist = sound.sampling_frequency / 2
    total = spectrum.get_band_energy(0.0, nyquist)
    return float(spectrum.get_band_energy(cutoff_hz, nyquist) / total) if total > 0 else math.nan


def _speaking_rate(times: np.ndarray, db: np.ndarray, voiced_times: np.ndarray, duration: float,
                   config: AcousticConfig) -> float:
    """Syllable nuclei per second (after de Jong & Wempe 2009): prominent, voiced intensity peaks."""
    floor = max(float(np.median(db)), float(np.max(db)) - config.nucleus_range_db)
    peaks, _ = find_peaks(db, height=floor, prominence=config.nucleus_prominence_db)
    step = config.time_step
    voiced = [p for p in peaks if np.any(np.abs(voiced_times - times[p]) <= step / 2 + 1e-9)]
    return len(voiced) / duration


def _jitter(sound: parselmouth.Sound, pitch: parselmouth.Pitch) -> float:
    points = call([sound, pitch], "To PointProcess (cc)")
    value = call(points, "Get jitter (local)", 0, 0, 0.0001, 0.02, 1.3)
    return float(value) if value is not None and math.isfinite(value) else math.nan


def measure_file(path: str, config: AcousticConfig, start_s: float | None = None,
                 end_s: float | None = None) -> tuple[dict[str, float], str]:
    """Measures of one audio file or its window; an unreadable file gives NaNs and the reason."""
    try:
        samples = load_audio(path, config.sample_rate, start_s, end_s)
    except AudioError as exc:
        return dict.fromkeys(MEASURES, math.nan), str(exc)
    return measure_samples(samples, config)
