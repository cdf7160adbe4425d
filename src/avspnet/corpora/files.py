"""Shared loader plumbing: finding audio files, reading headers and label tables safely, finishing a manifest."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

import pandas as pd

from ..audio import audio_info
from ..errors import AudioError, CorpusError
from ..log import SkipLog, get_logger
from .labels import label_fields
from .manifest import make_manifest
from .text import read_text

AUDIO_SUFFIXES = (".wav", ".flac")


def require_dir(root: str | Path, corpus: str) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"{corpus}: corpus directory not found: {root}")
    if not any(root.iterdir()):
        raise CorpusError(f"{corpus}: corpus directory is empty: {root}")
    return root


def folders_holding(root: Path, table: str, corpus: str, pattern: str) -> list[Path]:
    """`root` itself when it holds `table`, else the folders matching `pattern` below it that do.

    Lets a loader take one folder (a Common Voice locale, a Kaldi data dir)
    or a release holding several, read together as one corpus.
    """
    if (root / table).is_file():
        return [root]
    found = sorted(p.parent for p in root.glob(f"{pattern}/{table}"))
    if not found:
        raise CorpusError(f"{corpus}: table not found: {root / table} (nor in any sub-folder)")
    return found


def find_audio(root: Path, pattern: str = "**/*", skips: SkipLog | None = None) -> list[Path]:
    """Audio files under `root` matching `pattern`, both .wav and .flac, sorted, twins dropped (`drop_twins`)."""
    found = [p for p in root.glob(pattern) if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()]
    return drop_twins(found, AUDIO_SUFFIXES, skips or SkipLog("corpora"))


def drop_twins(paths: list[Path], suffixes: tuple[str, ...], skips: SkipLog) -> list[Path]:
    """`paths` sorted, with one file kept of each name in one folder.

    Two files of one name in one folder (x.wav and x.flac, a re-encoded
    copy) would be one utterance twice: the one whose suffix comes first in
    `suffixes` is kept and the other skipped, both named.
    """
    rank = {suffix: i for i, suffix in enumerate(suffixes)}
    kept: dict[Path, Path] = {}
    for path in sorted(paths, key=lambda p: (rank.get(p.suffix.lower(), len(rank)), p)):
        twin = kept.setdefault(path.with_suffix(""), path)
        if twin is not path:
            skips.skip(f"{path} (kept {twin})", "two audio files of one name in one folder")
    return sorted(kept.values())


def audio_duration(path: Path, skips: SkipLog) -> float | None:
    """Duration in seconds from the file header (any format the reader takes), or None (logged) if unusable."""
    try:
        info = audio_info(path)
    except AudioError:
        skips.skip(str(path), "unreadable audio")
        return None
    if info.duration_s <= 0:
        skips.skip(str(path), "zero-length audio")
        return None
    return info.duration_s


def inside(folder: Path, relative: str, item: str) -> Path:
    """`folder / relative` for a path a table names, refused when it leads out of `folder` (absolute or `..`).

    The check is on the words of the path, not on where it resolves: a
    corpus folder that is itself a symbolic link is fine.
    """
    posix = PurePosixPath(relative.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or PureWindowsPath(relative).drive:
        raise CorpusError(f"{item}: path {relative!r} leads out of {folder}")
    return folder / posix


def resolve_audio(path: Path) -> Path | None:
    """`path`, or the same name with another audio suffix: copies are often re-encoded to FLAC."""
    if path.is_file():
        return path
    for suffix in AUDIO_SUFFIXES:
        candidate = path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def named_audio(root: Path, pattern: str, name: re.Pattern, skips: SkipLog,
                expected: str) -> Iterator[tuple[Path, re.Match, float]]:
    """Audio files whose stem matches `name`, with the match and duration; the rest are counted skips."""
    for path in find_audio(root, pattern, skips):
        match = name.match(path.stem)
        if match is None:
            skips.skip(str(path), f"file name is not {expected}")
            continue
        duration = audio_duration(path, skips)
        if duration is not None:
            yield path, match, duration


def acted_row(corpus: str, path: Path, duration: float, speaker: str, language: str, transcript: str,
              category: str, outside: dict[str, int]) -> dict:
    """Manifest fields of one file of an acted corpus: the speaker was recorded alone, so is also the group."""
    speaker = f"{corpus}_{speaker}"
    return {
        "utt_id": f"{corpus}/{path.stem}", "path": str(path.resolve()), "speaker": speaker, "group": speaker,
        "duration_s": duration, "language": language, "transcript": transcript,
        **label_fields(category, corpus, outside),
    }


def listed_audio(path: Path, item: str, skips: SkipLog) -> tuple[Path, float] | None:
    """A file named by a label table (any audio suffix) and its duration, or None, counted."""
    found = resolve_audio(path)
    if found is None:
        skips.skip(item, "audio file missing")
        return None
    duration = audio_duration(found, skips)
    return None if duration is None else (found, duration)


class TableRow(dict):
    """One table row (stripped strings keyed by header) that knows its line in the file, to name it."""

    def __init__(self, fields: dict[str, str], line: int) -> None:
        super().__init__(fields)
        self.line = line


def read_table(path: Path, corpus: str, required: tuple[str, ...], skips: SkipLog,
               delimiter: str = ",") -> list[TableRow]:
    """CSV (or, with `delimiter="\\t"`, TSV) rows as stripped strings keyed by header, with their line numbers.

    A missing file or required column is an error naming the file; a row
    with the wrong number of fields is a counted skip, so one bad line does
    not lose a whole corpus. TSVs are read without quoting: tab-separated
    corpus tables (Common Voice) carry literal quotes inside sentences.
    """
    if not path.is_file():
        raise CorpusError(f"{corpus}: table not found: {path}")
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(read_text(path, corpus), newline=""), delimiter=delimiter, quoting=quoting)
    try:
        header = [name.strip() for name in next(reader, [])]
        missing = [name for name in required if name not in header]
        if missing:
            raise CorpusError(f"{corpus}: {path} lacks required column(s) {', '.join(missing)}")
        rows = []
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            if len(fields) != len(header):
                skips.skip(f"{path}:{reader.line_num}", "malformed table row (wrong number of fields)")
                continue
            rows.append(TableRow({name: field.strip() for name, field in zip(header, fields)}, reader.line_num))
    except csv.Error as exc:
        raise CorpusError(f"{corpus}: {path} is not readable CSV ({exc})") from None
    return rows


def finish_manifest(corpus: str, root: Path, rows: list[dict], skips: SkipLog,
                    outside: dict[str, int], expected: str) -> pd.DataFrame:
    """Log what was skipped and which categories carry no task label, then build the manifest."""
    log = get_logger(f"corpora.{corpus}")
    log.info(skips.summary())
    if outside:
        counts = ", ".join(f"{name!r} {n}" for name, n in sorted(outside.items()))
        log.info("%s: categories outside every task (kept, unlabelled): %s", corpus, counts)
    if not rows:
        raise CorpusError(f"{corpus}: no utterances found under {root} (expected {expected}; {skips.summary()})")
    return make_manifest(rows, source=f"{corpus}: {root}")
