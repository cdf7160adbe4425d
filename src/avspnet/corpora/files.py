"""Finding audio files in a corpus tree and reading their headers safely."""

from __future__ import annotations

from pathlib import Path

import soundfile as sf

from ..errors import CorpusError
from ..log import SkipLog

AUDIO_SUFFIXES = (".wav", ".flac")


def require_dir(root: str | Path, corpus: str) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"{corpus}: corpus directory not found: {root}")
    if not any(root.iterdir()):
        raise CorpusError(f"{corpus}: corpus directory is empty: {root}")
    return root


def find_audio(root: Path, pattern: str = "**/*") -> list[Path]:
    """Audio files under `root` matching `pattern`, both .wav and .flac, sorted."""
    return sorted(p for p in root.glob(pattern) if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())


def audio_duration(path: Path, skips: SkipLog) -> float | None:
    """Duration in seconds from the file header, or None (logged) if unusable."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        skips.skip(str(path), f"unreadable audio ({exc.__class__.__name__})")
        return None
    if info.frames == 0:
        skips.skip(str(path), "zero-length audio")
        return None
    return info.frames / info.samplerate


def read_text(path: Path, corpus: str) -> str:
    """Read a transcript/label text file, naming the file on a bad encoding."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CorpusError(f"{corpus}: {path} is neither UTF-8 nor GB18030 text")
