"""The one table every corpus becomes: one row per utterance.

`start_s` / `end_s` (seconds, optional) make a row a window of a longer
recording; empty means the whole file. Gold labels are nullable:
`arousal`/`valence` are 1 (high/positive),
0 (low/negative) or missing; `emotion4` is one of EMOTION4 or empty. A
category outside a task's mapping is kept in `emotion` and simply has no
label for that task. `arousal_rating` / `valence_rating` (optional floats,
on the corpus' own scale) are dimensional ratings where a corpus has them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..content import manifest_audio_keys
from ..errors import CorpusError

EMOTION4 = ("neutral", "happy", "angry", "sad")

STRING_COLUMNS = ("utt_id", "path", "speaker", "group", "language", "transcript", "emotion", "emotion4")
CORE_COLUMNS = (
    "utt_id", "path", "speaker", "group", "duration_s", "language",
    "transcript", "emotion", "arousal", "valence", "emotion4", "start_s", "end_s",
)
LABEL_COLUMNS = ("arousal", "valence", "emotion4")
# Optional: present only where the corpus has ratings; NaN = this utterance has none.
RATING_COLUMNS = ("arousal_rating", "valence_rating")
RAW_PREFIX = "raw_"


def make_manifest(rows: list[dict]) -> pd.DataFrame:
    """Normalise loader rows into a manifest with the standard columns and dtypes."""
    if not rows:
        raise CorpusError("no utterances found")
    frame = pd.DataFrame(rows)
    for column in CORE_COLUMNS:
        if column not in frame:
            frame[column] = None
    raw = sorted(c for c in frame.columns if c.startswith(RAW_PREFIX))
    ratings = [c for c in RATING_COLUMNS if c in frame]
    extra = sorted(set(frame.columns) - set(CORE_COLUMNS) - set(ratings) - set(raw))
    if extra:
        raise CorpusError(f"unexpected manifest columns {extra}; raw label fields must start with {RAW_PREFIX!r}")
    frame = frame[list(CORE_COLUMNS) + ratings + raw]
    frame = _normalise_dtypes(frame)
    duplicated = frame["utt_id"][frame["utt_id"].duplicated()]
    if len(duplicated):
        first = duplicated.iloc[0]
        paths = " and ".join(frame.loc[frame["utt_id"] == first, "path"].head(2))
        raise CorpusError(f"duplicate utt_id values, e.g. {first!r} ({paths})")
    return frame.sort_values("utt_id", kind="stable").reset_index(drop=True)


def _normalise_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in STRING_COLUMNS:
        frame[column] = frame[column].fillna("").astype(str)
    for column in frame.columns:
        if column.startswith(RAW_PREFIX):
            frame[column] = frame[column].fillna("").astype(str)
    for column in ("duration_s", "start_s", "end_s"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("arousal", "valence"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    for column in (c for c in RATING_COLUMNS if c in frame):
        ratings = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        bad = frame[column][frame[column].notna() & ~np.isfinite(ratings)]
        if len(bad):
            raise CorpusError(f"{column}: not a finite number: {bad.iloc[0]!r}")
        frame[column] = ratings
    bad = set(frame["emotion4"]) - set(EMOTION4) - {""}
    if bad:
        raise CorpusError(f"emotion4 values outside {EMOTION4}: {sorted(bad)}")
    return frame


def write_manifest(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def read_manifest(path: str | Path) -> pd.DataFrame:
    """Read a manifest CSV back with exactly the dtypes it was written with."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"manifest not found: {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CorpusError(f"{path}: not a readable manifest CSV ({exc})") from None
    missing = [c for c in ("utt_id", "path", "speaker") if c not in frame.columns]
    if missing:
        raise CorpusError(f"{path}: manifest lacks required column(s) {missing}")
    for column in CORE_COLUMNS:
        if column not in frame:
            frame[column] = ""
    frame = frame.replace({c: {"": None} for c in ("arousal", "valence", "duration_s", "start_s", "end_s",
                                                   *RATING_COLUMNS)})
    return make_manifest(frame.to_dict("records"))


def manifest_hash(frame: pd.DataFrame, cache_dir: Path | None = None) -> str:
    """Content hash of a manifest: its columns and the bytes of its audio, not where the corpus lies on disk.

    Each row's audio counts by its sha1 and window (avspnet.content), so
    audio edited in place changes the hash and a moved corpus keeps it.
    """
    columns = [c for c in frame.columns if c != "path"]
    payload = frame[columns].astype(str).to_csv(index=False)
    payload += "\n".join(str(key) for key in manifest_audio_keys(frame, cache_dir))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
