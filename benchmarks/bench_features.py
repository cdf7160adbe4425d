"""Feature extraction speed on the real RAVDESS copy, beside scipy.signal.stft in the same run.

Prints the real-time factor (seconds of compute per second of audio; lower
is faster) of: the reference (scipy.signal.stft per file, one process), our
spectrogram in one process, and the shipped cached extraction over all cores
from a cold cache, plus the ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.signal import stft

from avspnet.audio import load_audio
from avspnet.corpora import load_corpus
from avspnet.features.cache import extract_features
from avspnet.features.config import FeatureConfig
from avspnet.features.spectrogram import log_spectrogram

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess"


def reference(samples: np.ndarray, config: FeatureConfig) -> np.ndarray:
    _, _, spec = stft(samples, fs=config.sample_rate, window="hamming", nperseg=config.win_length,
                      noverlap=config.win_length - config.hop_length, nfft=config.n_fft,
                      boundary=None, padded=False, detrend=False)
    return np.log(np.maximum(np.abs(spec[: config.n_bins]), config.log_floor))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args()
    if not args.root.is_dir():
        print(f"skipped: {args.root} not found")
        return 0
    config = FeatureConfig()
    manifest = load_corpus("ravdess", args.root)
    audio_s = float(manifest["duration_s"].sum())
    audio = [load_audio(p) for p in manifest["path"]]
    t_ref = timed(lambda: [reference(a, config) for a in audio])
    t_ours = timed(lambda: [log_spectrogram(a, config) for a in audio])
    with tempfile.TemporaryDirectory() as cache:
        t_cold = timed(lambda: extract_features(manifest, config, Path(cache), progress=False))
        t_warm = timed(lambda: extract_features(manifest, config, Path(cache), progress=False))
    rows = [
        ("scipy.signal.stft, 1 process (reference, decoded audio)", t_ref),
        ("avspnet log_spectrogram, 1 process (decoded audio)", t_ours),
        (f"avspnet extract_features, cold cache, {os.cpu_count()} processes (decode + STFT + write)", t_cold),
        ("avspnet extract_features, warm cache (hash + lookup)", t_warm),
    ]
    print(f"RAVDESS: {len(manifest)} files, {audio_s / 3600:.2f} h of audio, {os.cpu_count()} cores")
    print("| path | seconds | real-time factor | speed-up vs reference |")
    print("|---|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / audio_s:.5f} | {t_ref / seconds:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
