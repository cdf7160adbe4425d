"""RAVDESS speech: Actor_NN/03-01-EE-II-SS-RR-AA.{wav,flac}.

Fields: modality-channel-emotion-intensity-statement-repetition-actor.
Each actor is one speaker and one group (recorded in one session).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..log import SkipLog
from .files import audio_duration, find_audio, finish_manifest, require_dir
from .labels import label_fields

EMOTIONS = {
    "01": "neutral", "02": "calm", "03": "happy", "04": "sad",
    "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised",
}
STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
INTENSITIES = {"01": "normal", "02": "strong"}


def parse_name(stem: str) -> dict | None:
    parts = stem.split("-")
    if len(parts) != 7 or not all(p.isdigit() for p in parts):
        return None
    modality, channel, emotion, intensity, statement, repetition, actor = parts
    if emotion not in EMOTIONS or statement not in STATEMENTS:
        return None
    return {
        "emotion_code": emotion, "intensity": INTENSITIES.get(intensity, intensity),
        "statement": statement, "repetition": repetition, "actor": actor,
        "modality": modality, "channel": channel,
    }


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "ravdess")
    skips = SkipLog("corpora.ravdess")
    rows = []
    for path in find_audio(root, "Actor_*/*", skips):
        fields = parse_name(path.stem)
        if fields is None:
            skips.skip(str(path), "file name is not 03-01-EE-II-SS-RR-AA")
            continue
        duration = audio_duration(path, skips)
        if duration is None:
            continue
        actor = int(fields["actor"])
        rows.append({
            "utt_id": f"ravdess/{path.stem}",
            "path": str(path.resolve()),
            "speaker": f"ravdess_{actor:02d}",
            "group": f"ravdess_{actor:02d}",
            "duration_s": duration,
            "language": "en",
            "transcript": STATEMENTS[fields["statement"]],
            **label_fields(EMOTIONS[fields["emotion_code"]], "ravdess"),
            "raw_emotion_code": fields["emotion_code"],
            "raw_intensity": fields["intensity"],
            "raw_sentence": fields["statement"],
            "raw_repetition": fields["repetition"],
            "raw_gender": "male" if actor % 2 else "female",
        })
    return finish_manifest("ravdess", root, rows, skips, {}, "Actor_NN/03-01-EE-II-SS-RR-AA.wav")
