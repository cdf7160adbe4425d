"""MSP-Podcast: Labels/labels_consensus.csv + Audios/<FileName>.

The CSV needs FileName, EmoClass, EmoAct, EmoVal and SpkrID; EmoDom, Gender
and Split_Set are kept as raw_* columns when present. EmoClass codes: A angry,
S sad, H happy, U surprise, F fear, D disgust, C contempt, N neutral, O other,
X no agreement. Optional transcripts: Transcripts/<stem>.txt.

Arousal/valence: EmoAct/EmoVal (1-7 consensus scale) split at the scale
midpoint 4: above is high/positive, below low/negative, exactly 4 or blank
gets no label; a rating that is not a number from 1 to 7 is a counted skip
naming the file and its values; arousal_rating / valence_rating keep EmoAct /
EmoVal themselves (blank = none). emotion4 comes from EmoClass.
Group: the podcast, the first number of `MSP-PODCAST_0001_0008.wav`.
Speaker: `msppodcast_<SpkrID>`; an `Unknown` or empty SpkrID becomes the
pseudo speaker `msppodcast_unknown_<podcast>` (an unidentified voice is most
likely one of that podcast's regulars, and the podcast group keeps them
together anyway); how many rows got one is logged.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from ..log import SkipLog, get_logger
from .files import finish_manifest, listed_audio, read_table, require_dir
from .labels import label_fields, split_rating
from .text import read_text

EMOTIONS = {
    "A": "angry", "S": "sad", "H": "happy", "U": "surprise", "F": "fear", "D": "disgust",
    "C": "contempt", "N": "neutral", "O": "other", "X": "no_agreement",
}
REQUIRED = ("FileName", "EmoClass", "EmoAct", "EmoVal", "SpkrID")
SCALE = (1.0, 7.0)
MIDPOINT = 4.0
_NAME = re.compile(r"^MSP-PODCAST_(?P<podcast>\d+)_\d+(?:_\d+)?$")


def parse_rating(text: str) -> float | None:
    """A rating, NaN for a blank one, None for one that is not a number on the 1-7 scale."""
    if not text:
        return math.nan
    try:
        rating = float(text)
    except ValueError:
        return None
    return rating if SCALE[0] <= rating <= SCALE[1] else None


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "msppodcast")
    skips = SkipLog("corpora.msppodcast")
    table = read_table(root / "Labels" / "labels_consensus.csv", "msppodcast", REQUIRED, skips)
    outside: dict[str, int] = {}
    unknown_speakers = 0
    rows = []
    for row in table:
        name = Path(row["FileName"])
        match = _NAME.match(name.stem)
        if match is None:
            skips.skip(row["FileName"], "file name is not MSP-PODCAST_<podcast>_<segment>")
            continue
        activation, valence = parse_rating(row["EmoAct"]), parse_rating(row["EmoVal"])
        if activation is None or valence is None:
            skips.skip(f"{row['FileName']} (EmoAct {row['EmoAct']!r}, EmoVal {row['EmoVal']!r})",
                       "EmoAct/EmoVal rating not a number from 1 to 7")
            continue
        audio = listed_audio(root / "Audios" / name.name, row["FileName"], skips)
        if audio is None:
            continue
        path, duration = audio
        podcast = match["podcast"]
        speaker = row["SpkrID"]
        if speaker.lower() in ("", "unknown"):
            unknown_speakers += 1
            speaker = f"unknown_{podcast}"
        transcript = root / "Transcripts" / f"{name.stem}.txt"
        rows.append({
            "utt_id": f"msppodcast/{name.stem}",
            "path": str(path.resolve()),
            "speaker": f"msppodcast_{speaker}",
            "group": f"msppodcast_{podcast}",
            "duration_s": duration,
            "language": "en",
            "transcript": read_text(transcript, "msppodcast").strip() if transcript.is_file() else "",
            **label_fields(EMOTIONS.get(row["EmoClass"], row["EmoClass"]), "msppodcast", outside),
            "arousal": split_rating(activation, MIDPOINT),
            "valence": split_rating(valence, MIDPOINT),
            "arousal_rating": activation,
            "valence_rating": valence,
            "raw_emoclass": row["EmoClass"],
            "raw_activation": row["EmoAct"],
            "raw_valence": row["EmoVal"],
            "raw_dominance": row.get("EmoDom", ""),
            "raw_gender": row.get("Gender", "").lower(),
            "raw_split": row.get("Split_Set", ""),
        })
    if unknown_speakers:
        get_logger("corpora.msppodcast").info(
            "msppodcast: %d utterances with an unknown speaker -> per-podcast pseudo speakers", unknown_speakers)
    return finish_manifest("msppodcast", root, rows, skips, outside, "Audios/MSP-PODCAST_0001_0008.wav")
