"""CASIA Mandarin: <speaker>/<emotion>/<NNN>.{wav,flac} with sentence texts.

Sentence texts come from any `transcripts*.txt` at the corpus root, lines
like `201. 就是下雨也去。`; a sentence without a text gets an empty transcript.
They are UTF-8 or, as CASIA ships them, GB18030 (read with a warning naming the file).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..log import SkipLog, get_logger
from .files import audio_duration, find_audio, finish_manifest, require_dir
from .labels import label_fields
from .text import read_text

EMOTIONS = ("angry", "fear", "happy", "neutral", "sad", "surprise")
_LINE = re.compile(r"^\s*(\d+)\s*[.．、]\s*(.*?)\s*$")


def read_sentences(root: Path) -> dict[str, str]:
    sentences: dict[str, str] = {}
    for path in sorted(root.glob("transcripts*.txt")):
        for line in read_text(path, "casia", fallback="gb18030").splitlines():
            match = _LINE.match(line)
            if match:
                sentences[match.group(1)] = match.group(2)
    return sentences


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "casia")
    skips = SkipLog("corpora.casia")
    sentences = read_sentences(root)
    rows = []
    for path in find_audio(root, "*/*/*", skips):
        speaker, emotion = path.parent.parent.name, path.parent.name
        if emotion not in EMOTIONS:
            skips.skip(str(path), f"unknown emotion folder {emotion!r}")
            continue
        duration = audio_duration(path, skips)
        if duration is None:
            continue
        rows.append({
            "utt_id": f"casia/{speaker}/{emotion}/{path.stem}",
            "path": str(path.resolve()),
            "speaker": f"casia_{speaker}",
            "group": f"casia_{speaker}",
            "duration_s": duration,
            "language": "zh",
            "transcript": sentences.get(path.stem, ""),
            **label_fields(emotion, "casia"),
            "raw_emotion_folder": emotion,
            "raw_sentence": path.stem,
        })
    if not sentences:
        get_logger("corpora.casia").warning("no transcripts*.txt under %s: transcripts left empty", root)
    return finish_manifest("casia", root, rows, skips, {}, "<speaker>/<emotion>/<NNN>.wav")
