"""The one table every corpus becomes: one row per utterance.

`start_s` / `end_s` (seconds, optional) make a row a window of a longer
recording; empty means the whole file. Gold labels are nullable:
`arousal`/`valence` are 1 (high/positive),
0 (low/negative) or missing; `emotion4` is one of EMOTION4 or empty. A
category outside a task's mapping is kept in `emotion` and simply has no
label for that task. `arousal_rating` / `valence_rating` (optional floats,
on the corpus' own scale) are dimensional ratings where a corpus has them.

A cell is what it says or an error: a number that does not parse (`0,956`),
a window that is negative or ends before it starts, a label other than
0/1 or EMOTION4 is a one-line error naming the file, the column, the
values and their rows, never a silent "whole file" or "no label".
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..content import manifest_audio_keys
from ..errors import CorpusError
from ..log import get_logger
from ..paths import atomic_path, file_problem
from .labels import CATEGORIES, canonical_emotion
from .text import read_text

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


def make_manifest(rows: list[dict], source: str | Path | None = None) -> pd.DataFrame:
    """Normalise loader rows into a manifest with the standard columns and dtypes.

    `source` (the file or corpus the rows came from) prefixes any error.
    """
    where = f"{source}: " if source else ""
    if not rows:
        raise CorpusError(f"{where}no utterances found")
    frame = pd.DataFrame(rows)
    for column in CORE_COLUMNS:
        if column not in frame:
            frame[column] = None
    raw = sorted(c for c in frame.columns if c.startswith(RAW_PREFIX))
    ratings = [c for c in RATING_COLUMNS if c in frame]
    extra = sorted(set(frame.columns) - set(CORE_COLUMNS) - set(ratings) - set(raw))
    if extra:
        raise CorpusError(f"{where}unexpected manifest columns {extra}; raw label fields must start with "
                          f"{RAW_PREFIX!r}")
    frame = frame[list(CORE_COLUMNS) + ratings + raw]
    frame = _normalise_dtypes(frame, where)
    duplicated = frame["utt_id"][frame["utt_id"].duplicated()]
    if len(duplicated):
        first = duplicated.iloc[0]
        paths = " and ".join(frame.loc[frame["utt_id"] == first, "path"].head(2))
        raise CorpusError(f"{where}duplicate utt_id values, e.g. {first!r} ({paths})")
    return frame.sort_values("utt_id", kind="stable").reset_index(drop=True)


# Numeric columns: the rule a given (non-empty) value must meet, and how an error says it.
NUMBER_RULES: dict[str, tuple[Callable[[float], bool], str]] = {
    "duration_s": (lambda x: x > 0, "is not a positive number of seconds"),
    "start_s": (lambda x: x >= 0, "is not a number of seconds >= 0"),
    "end_s": (lambda x: x > 0, "is not a positive number of seconds"),
    "arousal": (lambda x: x in (0, 1), "is not 0 or 1"),
    "valence": (lambda x: x in (0, 1), "is not 0 or 1"),
    **{column: (lambda x: True, "is not a finite number") for column in RATING_COLUMNS},
}


def _number(value) -> float:
    """A cell as a finite float, NaN when empty; ValueError when it is anything else."""
    if isinstance(value, str):
        value = value.strip() or None
    if value is None or pd.isna(value):
        return math.nan
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _refuse(where: str, column: str, rule: str, bad: list[tuple[str, object]]) -> CorpusError:
    """One line naming the column, up to three offending values and the rows (utt_id) holding each."""
    rows: dict[str, list[str]] = {}
    for utt_id, value in bad:
        rows.setdefault(str(value), []).append(utt_id)
    shown = [f"{value!r} ({'row' if len(ids) == 1 else 'rows'} {', '.join(ids[:3])}"
             f"{f' and {len(ids) - 3} more' if len(ids) > 3 else ''})" for value, ids in list(rows.items())[:3]]
    more = f" and {len(rows) - 3} more values" if len(rows) > 3 else ""
    return CorpusError(f"{where}{column} {rule}: {'; '.join(shown)}{more}")


def _numbers(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    """`column` parsed strictly by NUMBER_RULES: a value that does not parse or breaks the rule is an error."""
    allowed, rule = NUMBER_RULES[column]
    values, bad = [], []
    for utt_id, value in zip(frame["utt_id"], frame[column]):
        try:
            number = _number(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not (math.isnan(number) or allowed(number)):
            bad.append((utt_id, value))
        values.append(number)
    if bad:
        raise _refuse(where, column, rule, bad)
    return pd.Series(values, index=frame.index, dtype="float64")


def _normalise_dtypes(frame: pd.DataFrame, where: str = "") -> pd.DataFrame:
    frame = frame.copy()
    for column in STRING_COLUMNS:
        frame[column] = frame[column].fillna("").astype(str)
    for column in frame.columns:
        if column.startswith(RAW_PREFIX):
            frame[column] = frame[column].fillna("").astype(str)
    for column in (c for c in NUMBER_RULES if c in frame):
        numbers = _numbers(frame, column, where)
        frame[column] = numbers.astype("Int64") if column in ("arousal", "valence") else numbers
    reversed_ = frame["end_s"] <= frame["start_s"]
    if reversed_.any():
        bad = [(utt_id, f"{start:g}-{end:g}") for utt_id, start, end
               in frame.loc[reversed_, ["utt_id", "start_s", "end_s"]].itertuples(index=False)]
        raise _refuse(where, "window", "does not end after it starts (end_s <= start_s)", bad)
    bad = ~frame["emotion4"].isin((*EMOTION4, ""))
    if bad.any():
        raise _refuse(where, "emotion4", f"is not one of {', '.join(EMOTION4)}",
                      list(frame.loc[bad, ["utt_id", "emotion4"]].itertuples(index=False)))
    return frame


def write_manifest(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return path


def read_manifest(path: str | Path) -> pd.DataFrame:
    """Read a manifest CSV back with exactly the dtypes it was written with.

    Every cell is checked as `make_manifest` checks a loader's (errors name
    this file). `emotion` spellings of the label table's categories
    (`Happy`, `anger`) become its names; other categories are kept, counted
    in the log, and have no label for the `emotion` task.
    """
    path = Path(path)
    if problem := file_problem(path, "manifest"):
        raise CorpusError(problem)
    text = read_text(path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CorpusError(f"{path}: not a readable manifest CSV ({exc})") from None
    missing = [c for c in ("utt_id", "path", "speaker") if c not in frame.columns]
    if missing:
        raise CorpusError(f"{path}: manifest lacks required column(s) {missing}")
    for column in CORE_COLUMNS:
        if column not in frame:
            frame[column] = ""
    frame["emotion"] = [_table_emotion(value) for value in frame["emotion"]]
    outside = frame["emotion"][(frame["emotion"] != "") & ~frame["emotion"].isin(CATEGORIES)].value_counts()
    if len(outside):
        counts = ", ".join(f"{name!r} {n}" for name, n in outside.sort_index().items())
        get_logger("corpora").info("%s: emotion categories outside the label table (kept, no emotion-task label): "
                                   "%s", path, counts)
    return make_manifest(frame.to_dict("records"), source=path)


def _table_emotion(value: str) -> str:
    """The label table's name for a category spelled another way, else the value as written."""
    canonical = canonical_emotion(value)
    return canonical if canonical in CATEGORIES else value


def manifest_hash(frame: pd.DataFrame, cache_dir: Path | None = None) -> str:
    """Content hash of a manifest: its columns and the bytes of its audio, not where the corpus lies on disk.

    Each row's audio counts by its sha1 and window (avspnet.content), so
    audio edited in place changes the hash and a moved corpus keeps it.
    """
    columns = [c for c in frame.columns if c != "path"]
    payload = frame[columns].astype(str).to_csv(index=False)
    payload += "\n".join(str(key) for key in manifest_audio_keys(frame, cache_dir))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
