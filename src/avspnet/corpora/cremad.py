"""CREMA-D: AudioWAV/<actor>_<sentence>_<emotion>_<level>.{wav,flac}.

e.g. AudioWAV/1001_DFA_ANG_XX.wav: actor 1001-1091, one of 12 fixed English
sentences, emotion ANG DIS FEA HAP NEU SAD, intensity LO MD HI or XX
(unspecified). Each actor is one speaker and one group. Actor sex comes
from `VideoDemographics.csv` (ActorID, Sex) at the root when present.
An unknown emotion code is kept in `emotion` without task labels.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..log import SkipLog
from .files import acted_row, finish_manifest, named_audio, read_table, require_dir

EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
SENTENCES = {
    "IEO": "It's eleven o'clock.",
    "TIE": "That is exactly what happened.",
    "IOM": "I'm on my way to the meeting.",
    "IWW": "I wonder what this is about.",
    "TAI": "The airplane is almost full.",
    "MTI": "Maybe tomorrow it will be cold.",
    "IWL": "I would like a new alarm clock.",
    "ITH": "I think I have a doctor's appointment.",
    "DFA": "Don't forget a jacket.",
    "ITS": "I think I've seen this before.",
    "TSI": "The surface is slick.",
    "WSI": "We'll stop in a couple of minutes.",
}
_NAME = re.compile(
    r"^(?P<actor>\d{4})_(?P<sentence>" + "|".join(SENTENCES) + r")_(?P<emotion>[A-Z]{3})_(?P<level>"
    + "|".join(LEVELS) + r")$"
)


def read_genders(root: Path, skips: SkipLog) -> dict[str, str]:
    table = root / "VideoDemographics.csv"
    if not table.is_file():
        return {}
    rows = read_table(table, "cremad", ("ActorID", "Sex"), skips)
    return {row["ActorID"]: row["Sex"].lower() for row in rows}


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "cremad")
    skips = SkipLog("corpora.cremad")
    genders = read_genders(root, skips)
    outside: dict[str, int] = {}
    rows = []
    expected = "<actor>_<sentence>_<emotion>_<level> with known codes"
    for path, match, duration in named_audio(root, "AudioWAV/*", _NAME, skips, expected):
        code = match["emotion"]
        rows.append({
            **acted_row("cremad", path, duration, match["actor"], "en", SENTENCES[match["sentence"]],
                        EMOTIONS.get(code, code), outside),
            "raw_emotion_code": code,
            "raw_intensity": LEVELS[match["level"]],
            "raw_sentence": match["sentence"],
            "raw_gender": genders.get(match["actor"], ""),
        })
    return finish_manifest("cremad", root, rows, skips, outside, "AudioWAV/1001_DFA_ANG_XX.wav")
