"""URDU (Latif et al. 2018): <Emotion>/S<G><N>_F<NN>_<E><NN>.{wav,flac}.

Cut from Urdu TV talk shows: `S<G><N>` is the speaker (gender + id) and
`F<NN>` a running file number (almost unique per file), so the speaker is
also the group. No transcripts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..log import SkipLog
from .files import audio_duration, find_audio, finish_manifest, require_dir
from .labels import label_fields

EMOTIONS = {"Angry": "angry", "Happy": "happy", "Neutral": "neutral", "Sad": "sad"}
_NAME = re.compile(r"^S(?P<gender>[MF])(?P<speaker>\d+)_F(?P<file>\d+)_(?P<code>[A-Z])(?P<index>\d+)$")


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "urdu")
    skips = SkipLog("corpora.urdu")
    rows = []
    for path in find_audio(root, "*/*", skips):
        folder = path.parent.name
        match = _NAME.match(path.stem)
        if folder not in EMOTIONS:
            skips.skip(str(path), f"unknown emotion folder {folder!r}")
            continue
        if match is None:
            skips.skip(str(path), "file name is not S<G><N>_F<NN>_<E><NN>")
            continue
        duration = audio_duration(path, skips)
        if duration is None:
            continue
        speaker = f"urdu_S{match['gender']}{int(match['speaker'])}"
        rows.append({
            "utt_id": f"urdu/{folder}/{path.stem}",
            "path": str(path.resolve()),
            "speaker": speaker,
            "group": speaker,
            "duration_s": duration,
            "language": "ur",
            "transcript": "",
            **label_fields(EMOTIONS[folder], "urdu"),
            "raw_emotion_folder": folder,
            "raw_gender": "male" if match["gender"] == "M" else "female",
            "raw_file": match["file"],
        })
    return finish_manifest("urdu", root, rows, skips, {}, "<Emotion>/S<G><N>_F<NN>_<E><NN>.wav")
