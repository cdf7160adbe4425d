"""IEMOCAP: five sessions of dyadic dialogs, labelled per turn.

Layout under the root, for N in 1..5:
  SessionN/dialog/EmoEvaluation/<dialog>.txt    turn lines
      `[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]`
      (start - end, turn, category, [valence, activation, dominance] on 1-5)
  SessionN/sentences/wav/<dialog>/<turn>.{wav,flac}
  SessionN/dialog/transcriptions/<dialog>.txt   `Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.`

Speaker: session + the F/M letter before the turn's 3-digit index (each
session has one actress and one actor). Group: the session, because the
same two speakers appear in every dialog of their session, so
session-grouped splits are speaker-independent (the usual leave-one-session-out).
Arousal/valence: the activation/valence rating binarised against the mean
of that speaker's ratings over all evaluated turns (as in the AV-SpNET
paper); a rating equal to the mean gets no label. emotion4: neu hap+exc ang sad.
arousal_rating / valence_rating: the activation / valence ratings themselves (1-5).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..log import SkipLog
from .files import finish_manifest, inside, listed_audio, require_dir
from .labels import label_fields, split_rating
from .text import read_text

CATEGORIES = {
    "neu": "neutral", "hap": "happy", "exc": "excited", "ang": "angry", "sad": "sad",
    "fru": "frustrated", "sur": "surprised", "fea": "fearful", "dis": "disgust",
    "oth": "other", "xxx": "no_agreement",
}
_NUMBER = r"\s*(\d+(?:\.\d*)?)\s*"
_TURN = re.compile(
    rf"^\[{_NUMBER}-{_NUMBER}\]\s+(?P<turn>\S+)\s+(?P<code>\S+)\s+\[{_NUMBER},{_NUMBER},{_NUMBER}\]\s*$"
)
_TURN_NAME = re.compile(r"^(?P<session>Ses\d\d)[FM]_.+_(?P<gender>[FM])\d{3}$")
_TRANSCRIPT = re.compile(r"^(?P<turn>\S+)\s+\[[^\]]*\]:\s*(?P<text>.*?)\s*$")


def read_turns(root: Path, skips: SkipLog) -> list[dict]:
    """Every rated turn in the EmoEvaluation files, with the session folder it came from."""
    files = [p for p in sorted(root.glob("Session*/dialog/EmoEvaluation/*.txt")) if not p.name.startswith(".")]
    if not files:
        raise CorpusError(f"iemocap: no Session*/dialog/EmoEvaluation/*.txt under {root}")
    turns = []
    for path in files:
        for line in read_text(path, "iemocap").splitlines():
            if not line.startswith("["):
                continue
            match = _TURN.match(line)
            name = _TURN_NAME.match(match["turn"]) if match else None
            if name is None:
                skips.skip(f"{path}: {line[:60]}", "unparsable evaluation line")
                continue
            start, end, _, _, valence, activation, dominance = match.groups()
            turns.append({
                "turn": match["turn"], "code": match["code"], "session_dir": path.parents[2],
                "session": name["session"], "gender": name["gender"],
                "dialog": match["turn"].rsplit("_", 1)[0],
                "start": start, "end": end,
                "valence": float(valence), "activation": float(activation),
                "ratings": (valence, activation, dominance),
            })
    return turns


def read_transcripts(root: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in sorted(root.glob("Session*/dialog/transcriptions/*.txt")):
        if path.name.startswith("."):
            continue
        for line in read_text(path, "iemocap").splitlines():
            match = _TRANSCRIPT.match(line)
            if match:
                texts[match["turn"]] = match["text"]
    return texts


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "iemocap")
    skips = SkipLog("corpora.iemocap")
    turns = pd.DataFrame(read_turns(root, skips))
    if turns.empty:
        raise CorpusError(f"iemocap: no parsable turns in the EmoEvaluation files under {root}")
    turns["speaker"] = "iemocap_" + turns["session"] + turns["gender"]
    means = turns.groupby("speaker")[["valence", "activation"]].mean()
    texts = read_transcripts(root)
    outside: dict[str, int] = {}
    rows = []
    for turn in turns.to_dict("records"):
        wav = inside(turn["session_dir"] / "sentences" / "wav", f"{turn['dialog']}/{turn['turn']}.wav",
                     f"iemocap: turn {turn['turn']}")
        audio = listed_audio(wav, turn["turn"], skips)
        if audio is None:
            continue
        path, duration = audio
        mean = means.loc[turn["speaker"]]
        rows.append({
            "utt_id": f"iemocap/{turn['turn']}",
            "path": str(path.resolve()),
            "speaker": turn["speaker"],
            "group": f"iemocap_{turn['session']}",
            "duration_s": duration,
            "language": "en",
            "transcript": texts.get(turn["turn"], ""),
            **label_fields(CATEGORIES.get(turn["code"], turn["code"]), "iemocap", outside),
            "arousal": split_rating(turn["activation"], mean["activation"]),
            "valence": split_rating(turn["valence"], mean["valence"]),
            "arousal_rating": turn["activation"],
            "valence_rating": turn["valence"],
            "raw_category": turn["code"],
            "raw_valence": turn["ratings"][0],
            "raw_activation": turn["ratings"][1],
            "raw_dominance": turn["ratings"][2],
            "raw_start_s": turn["start"],
            "raw_end_s": turn["end"],
            "raw_dialog": turn["dialog"],
            "raw_gender": "female" if turn["gender"] == "F" else "male",
        })
    return finish_manifest("iemocap", root, rows, skips, outside, "SessionN/sentences/wav/<dialog>/<turn>.wav")
