"""Berlin EmoDB: wav/<SS><TTT><E><V>.{wav,flac}, e.g. wav/03a01Fa.wav.

SS speaker (10 actors), TTT one of the 10 German sentences, E the German
emotion initial (W Wut/anger, L Langeweile/boredom, E Ekel/disgust, A Angst/
fear, F Freude/happiness, T Trauer/sadness, N neutral), V the take (a, b, ...).
Each actor was recorded alone, so the speaker is also the group. An unknown
emotion letter is kept in `emotion` without task labels.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..log import SkipLog
from .files import acted_row, finish_manifest, named_audio, require_dir

EMOTIONS = {
    "W": "anger", "L": "boredom", "E": "disgust", "A": "fear",
    "F": "happiness", "T": "sadness", "N": "neutral",
}
SENTENCES = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}
GENDERS = {
    "03": "male", "08": "female", "09": "female", "10": "male", "11": "male",
    "12": "male", "13": "female", "14": "female", "15": "male", "16": "female",
}
_NAME = re.compile(rf"^(?P<speaker>\d\d)(?P<text>{'|'.join(SENTENCES)})(?P<emotion>[A-Z])(?P<version>[a-z])$")


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "emodb")
    skips = SkipLog("corpora.emodb")
    outside: dict[str, int] = {}
    rows = []
    expected = "<SS><TTT><E><V> with a known text code"
    for path, match, duration in named_audio(root, "wav/*", _NAME, skips, expected):
        letter = match["emotion"]
        rows.append({
            **acted_row("emodb", path, duration, match["speaker"], "de", SENTENCES[match["text"]],
                        EMOTIONS.get(letter, letter), outside),
            "raw_emotion_code": letter,
            "raw_sentence": match["text"],
            "raw_version": match["version"],
            "raw_gender": GENDERS.get(match["speaker"], ""),
        })
    return finish_manifest("emodb", root, rows, skips, outside, "wav/03a01Fa.wav")
