"""LJ Speech: metadata.csv (`id|text|normalized text`, no header) + wavs/<id>.wav.

One speaker (a single reader of 7 non-fiction books); the chapter prefix of
the id (`LJ001` of `LJ001-0001`) is the group. The transcript is the
normalized text (numbers and abbreviations spelled out, as the lexicons
need), the original text stays in `raw_text`. The file is read by splitting
on `|` without quoting, as LJ Speech's own texts hold bare quotes. A line
without three fields or with a missing clip is a counted skip; an id that
leads out of `wavs/` (`../x`) is an error naming the line.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..log import SkipLog
from .files import finish_manifest, inside, listed_audio, require_dir
from .text import read_text

SPEAKER = "ljspeech"


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "ljspeech")
    table = root / "metadata.csv"
    if not table.is_file():
        raise CorpusError(f"ljspeech: table not found: {table}")
    skips = SkipLog("corpora.ljspeech")
    rows = []
    for number, line in enumerate(read_text(table, "ljspeech").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("|")
        item = f"{table}:{number}"
        if len(fields) != 3 or not fields[0].strip():
            skips.skip(item, "line is not id|text|normalized text")
            continue
        utt, text, normalized = (field.strip() for field in fields)
        audio = listed_audio(inside(root / "wavs", f"{utt}.wav", f"ljspeech: {item}"), item, skips)
        if audio is None:
            continue
        path, duration = audio
        rows.append({
            "utt_id": f"ljspeech/{utt}", "path": str(path.resolve()), "speaker": SPEAKER,
            "group": f"{SPEAKER}_{utt.split('-')[0]}", "duration_s": duration, "language": "en",
            "transcript": normalized or text, "raw_text": text,
        })
    return finish_manifest("ljspeech", root, rows, skips, {}, "metadata.csv + wavs/")
