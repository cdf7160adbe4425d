"""ASED v1 (Amharic Speech Emotional Dataset): 0NEmotion/xn-yy-aa-gg-bb.{wav,flac}.

e.g. 05Angry/a5-03-01-02-50.wav: x the emotion letter (n f h s a) and n its
folder number, yy the sentence (01-07 within the folder), aa the repetition,
gg the gender (01 female, 02 male), bb the speaker (01-65); the speaker is
also the group. Sentences 01 and 02 are the two *common* sentences, read in
all five emotions; 03-07 are the folder's five emotion-specific sentences
(25 in all), always read in that emotion. So `raw_sentence` is `common01`
for every emotion's 01 but `angry03` for 05Angry's 03: a sentence id that
is the same string exactly when the text is the same, which sentence-
independent folds rely on. (Identified from the README's 25 + 2 design and
the per-emotion acceptance counts, which vary only for 01 and 02, the
sentences judges had to classify blind.) A few speakers carry both gender
codes; the code is kept per file in `raw_gender` as written. No transcripts
(Amharic text is not distributed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..log import SkipLog
from .files import acted_row, finish_manifest, named_audio, require_dir

EMOTIONS = {"n": "neutral", "f": "fearful", "h": "happy", "s": "sad", "a": "angry"}
FOLDERS = {"n": 1, "f": 2, "h": 3, "s": 4, "a": 5}
COMMON_SENTENCES = ("01", "02")
GENDERS = {"01": "female", "02": "male"}
_NAME = re.compile(r"^(?P<emotion>[nfhsa])(?P<folder>[1-5])-(?P<sentence>0[1-7])-(?P<repetition>\d\d)"
                   r"-(?P<gender>0[12])-(?P<speaker>\d\d)$", re.IGNORECASE)


def sentence_id(letter: str, number: str) -> str:
    """One id per distinct text: the common sentences are shared by every emotion folder."""
    return f"common{number}" if number in COMMON_SENTENCES else f"{EMOTIONS[letter]}{number}"


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "ased")
    skips = SkipLog("corpora.ased")
    rows = []
    for path, match, duration in named_audio(root, "0*/*", _NAME, skips, "xn-yy-aa-gg-bb"):
        letter = match["emotion"].lower()
        if FOLDERS[letter] != int(match["folder"]) or not path.parent.name.startswith(f"0{match['folder']}"):
            skips.skip(str(path), "emotion letter, folder number and folder disagree")
            continue
        rows.append({
            **acted_row("ased", path, duration, match["speaker"], "am", "", EMOTIONS[letter], {}),
            "raw_emotion_code": letter,
            "raw_sentence": sentence_id(letter, match["sentence"]),
            "raw_sentence_number": match["sentence"],
            "raw_repetition": match["repetition"],
            "raw_gender": GENDERS[match["gender"]],
        })
    return finish_manifest("ased", root, rows, skips, {}, "0NEmotion/xn-yy-aa-gg-bb.wav")
