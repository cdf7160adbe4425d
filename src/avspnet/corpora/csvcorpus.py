"""Your own labeled corpus from one CSV: `avspnet corpus csv FILE.csv`.

`root` is the CSV (or a folder holding `manifest.csv`), UTF-8 (GB18030 also
accepted) with a header row and one row per utterance:

  column      required  meaning
  audio       yes       audio or video file, absolute or relative to the CSV's folder
  speaker     yes       speaker id (folds hold out whole speakers); must not be empty
  emotion     one of    a category, mapped through the label table (corpora/labels.py) to
  arousal     these     arousal, valence and emotion4; other categories are kept and counted;
  valence     three     high/low (arousal), positive/negative (valence), 1/0, or numeric ratings
  transcript  no        the words spoken (default empty)
  language    no        language code (default and when empty: `en`)
  start_s     no        a window of the file in seconds (empty: from its start / to its end)
  end_s       no
  group       no        episode / session id (default and when empty: the speaker)
  utt_id      no        unique id (default `csv/` + the audio path without suffix, plus the window)

An `arousal` or `valence` column, where present, is that label's only source
(the category's mapping is not mixed in); `emotion` still gives `emotion` and
`emotion4`. Ratings other than 0/1 need a stated rule: `threshold=X` (above:
1, below: 0) or `split="speaker-mean"` (each speaker's mean rating, as for
IEMOCAP); a rating equal to its split gets no label. The rule is logged and
kept per row in `raw_<column>_split`, the cell as given in `raw_<column>`.

Bad values (an empty audio or speaker, an arousal that is neither a word
above nor a number, a window that is not numbers or not inside its file, a
repeated utt_id) are one error naming up to five of them by line; a missing
or unreadable audio file is a counted skip, as in every loader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..log import SkipLog, get_logger
from .files import TableRow, finish_manifest, listed_audio, read_table
from .labels import CATEGORIES, label_fields
from .media import default_utt_id, manifest_path

CORPUS = "csv"
REQUIRED = ("audio", "speaker")
LABELS = ("emotion", "arousal", "valence")
WORDS = {"arousal": {"high": 1, "low": 0}, "valence": {"positive": 1, "negative": 0}}
SPEAKER_MEAN = "speaker-mean"
SPLITS = (SPEAKER_MEAN,)
SHOWN = 5
# Header durations are rounded to the frame; a window may end this far past them.
WINDOW_SLACK_S = 0.05

log = get_logger(f"corpora.{CORPUS}")


def read_rows(table: Path, skips: SkipLog) -> list[TableRow]:
    """The CSV's rows; the one place this loader reads its file (a missing column is an error naming it)."""
    rows = read_table(table, CORPUS, REQUIRED, skips)
    if rows and not set(LABELS) & set(rows[0]):
        raise CorpusError(f"{CORPUS}: {table} has no label column: it needs emotion and/or arousal/valence "
                          "(for unlabeled speech use the media layout)")
    return rows


class BadValues:
    """Bad cells of the whole table, raised together as one line naming the first few in file order."""

    def __init__(self, table: Path) -> None:
        self.table = table
        self.found: list[tuple[int, str]] = []

    def add(self, row: TableRow, column: str, value: str, reason: str) -> None:
        self.found.append((row.line, f"line {row.line} {column} {value!r} ({reason})"))

    def raise_any(self) -> None:
        if not self.found:
            return
        shown = [text for _, text in sorted(self.found, key=lambda found: found[0])[:SHOWN]]
        more = len(self.found) - SHOWN
        raise CorpusError(f"{CORPUS}: {self.table}: {len(self.found)} bad value(s): " + "; ".join(shown)
                          + (f"; and {more} more" if more > 0 else ""))


@dataclass(frozen=True)
class Rule:
    """How numeric ratings become binary labels: a fixed threshold or each speaker's mean."""

    threshold: float | None = None
    speaker_mean: bool = False

    @classmethod
    def of(cls, threshold: float | None, split: str | None) -> Rule | None:
        if threshold is not None and split is not None:
            raise CorpusError(f"{CORPUS}: give a threshold or a split rule for ratings, not both")
        if split is not None and split not in SPLITS:
            raise CorpusError(f"{CORPUS}: unknown split rule {split!r}; known: {', '.join(SPLITS)}")
        if threshold is not None and not math.isfinite(threshold):
            raise CorpusError(f"{CORPUS}: the rating threshold must be a finite number, got {threshold}")
        if threshold is None and split is None:
            return None
        return cls(threshold=threshold, speaker_mean=split == SPEAKER_MEAN)

    def __str__(self) -> str:
        return "each speaker's mean" if self.speaker_mean else f"threshold {self.threshold:g}"


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def dimension_labels(rows: list[TableRow], column: str, rule: Rule | None, bad: BadValues,
                     table: Path) -> tuple[list[int | None], list[str]]:
    """Per row, the binary label of `column` and the split it came from ('' for a word or 0/1 label)."""
    words = WORDS[column]
    cells = [row[column] for row in rows]
    numbers: dict[int, float] = {}
    named: dict[int, int] = {}
    for i, text in enumerate(cells):
        if not text:
            continue
        if text.lower() in words:
            named[i] = words[text.lower()]
        elif (value := _number(text)) is not None:
            numbers[i] = value
        else:
            bad.add(rows[i], column, text, f"neither {' / '.join(words)} nor a number")
    ratings = {i: value for i, value in numbers.items() if value not in (0.0, 1.0)}
    if named and numbers and (ratings or rule is not None):
        for i in named:
            bad.add(rows[i], column, cells[i], "a word among numeric ratings")
        named = {}
    labels: list[int | None] = [named.get(i) for i in range(len(rows))]
    splits = [""] * len(rows)
    if rule is None:
        if ratings:
            i = next(iter(ratings))
            raise CorpusError(f"{CORPUS}: {table}: {column} holds numeric ratings (e.g. {cells[i]!r} on line "
                              f"{rows[i].line}); say where to split them: --threshold X or --split {SPEAKER_MEAN}")
        for i, value in numbers.items():
            labels[i] = int(value)
        return labels, splits
    at = {i: rule.threshold for i in numbers}
    if rule.speaker_mean:
        speakers = pd.Series({i: rows[i]["speaker"] for i in numbers}, dtype=object)
        means = pd.Series(numbers).groupby(speakers).transform("mean")
        at = means.to_dict()
    for i, value in numbers.items():
        labels[i] = _split(value, at[i])
        splits[i] = f"speaker mean {at[i]:.6g}" if rule.speaker_mean else f"threshold {at[i]:g}"
    log.info("%s: %s ratings -> 1 above / 0 below %s; a rating equal to it gets no label", CORPUS, column, rule)
    return labels, splits


def _split(value: float, at: float) -> int | None:
    if math.isclose(value, at, abs_tol=1e-9):
        return None
    return 1 if value > at else 0


def window(row: TableRow, bad: BadValues) -> tuple[float, float | None] | None:
    """(start, end or None) in seconds from start_s/end_s, or None (named as bad)."""
    start_text, end_text = row.get("start_s", ""), row.get("end_s", "")
    start = _number(start_text) if start_text else 0.0
    end = _number(end_text) if end_text else None
    if start is None or start < 0:
        bad.add(row, "start_s", start_text, "not a number >= 0")
        return None
    if end_text and (end is None or end <= start):
        bad.add(row, "end_s", end_text, "not a number after start_s")
        return None
    return start, end


def window_id(audio: str, start: float, end: float | None, windowed: bool) -> str:
    utt_id = default_utt_id(audio, CORPUS)
    return f"{utt_id}@{start:g}-{'end' if end is None else f'{end:g}'}" if windowed else utt_id


def load(root: Path, threshold: float | None = None, split: str | None = None) -> pd.DataFrame:
    table = manifest_path(Path(root), CORPUS)
    rule = Rule.of(threshold, split)
    skips = SkipLog(f"corpora.{CORPUS}")
    rows = read_rows(table, skips)
    bad = BadValues(table)
    dimensions = {column: dimension_labels(rows, column, rule, bad, table)
                  for column in WORDS if rows and column in rows[0]}
    if rule is not None and not any(any(splits) for _, splits in dimensions.values()):
        raise CorpusError(f"{CORPUS}: {table}: a rating rule ({rule}) was given but there are no numeric "
                          "arousal/valence ratings to split")
    if dimensions and rows and "emotion" in rows[0]:
        log.info("%s: %s from their own column(s), not from the emotion categories", CORPUS, " and ".join(dimensions))
    outside: dict[str, int] = {}
    seen: dict[str, int] = {}
    unlabelled = 0
    out = []
    for i, row in enumerate(rows):
        if not row["audio"] or not row["speaker"]:
            bad.add(row, "audio" if not row["audio"] else "speaker", "", "empty")
            continue
        span = window(row, bad)
        if span is None:
            continue
        start, end = span
        windowed = bool(row.get("start_s") or row.get("end_s"))
        utt_id = row.get("utt_id") or window_id(row["audio"], start, end, windowed)
        if utt_id in seen:
            bad.add(row, "utt_id", utt_id, f"also on line {seen[utt_id]}")
            continue
        seen[utt_id] = row.line
        audio = listed_audio(table.parent / row["audio"], f"{table}:{row.line}", skips)
        if audio is None:
            continue
        path, file_duration = audio
        if start >= file_duration or (end is not None and end > file_duration + WINDOW_SLACK_S):
            bad.add(row, "end_s" if start < file_duration else "start_s", row.get("end_s") or row["start_s"],
                    f"outside the {file_duration:.2f} s file")
            continue
        fields = (label_fields(row["emotion"], CORPUS, outside) if row.get("emotion")
                  else {"emotion": "", "arousal": None, "valence": None, "emotion4": ""})
        raw = {"raw_emotion": row["emotion"]} if "emotion" in row else {}
        for column, (labels, splits) in dimensions.items():
            fields[column] = labels[i]
            raw[f"raw_{column}"] = row[column]
            raw[f"raw_{column}_split"] = splits[i]
        if fields["arousal"] is None and fields["valence"] is None and fields["emotion"] not in CATEGORIES:
            unlabelled += 1
        out.append({
            "utt_id": utt_id, "path": str(path.resolve()), "speaker": row["speaker"],
            "group": row.get("group") or row["speaker"],
            "duration_s": ((end if end is not None else file_duration) - start) if windowed else file_duration,
            "language": row.get("language") or "en", "transcript": row.get("transcript", ""),
            "start_s": start if windowed else None, "end_s": end, **fields, **raw,
        })
    bad.raise_any()
    if out and unlabelled == len(out):
        raise CorpusError(f"{CORPUS}: {table}: no row carries a task label (categories outside the table: "
                          f"{', '.join(sorted(outside)) or 'none'}; see `avspnet.corpora.labels`)")
    if unlabelled:
        log.info("%s: %d of %d utterances carry no task label (kept, unlabelled)", CORPUS, unlabelled, len(out))
    return finish_manifest(CORPUS, table, out, skips, outside, "rows with existing audio files")
