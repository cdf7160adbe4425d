"""Category -> task label tables, one per corpus.

Each entry maps a corpus' own emotion category to (arousal, valence,
emotion4): arousal 1 high / 0 low, valence 1 positive / 0 negative, None
where the category says nothing clear (e.g. neutral has no valence sign;
surprise is counted as positive, following the usual circumplex placement).
emotion4 is the paper's 4-class set; other categories are kept in the
manifest and excluded from that task. `IEMOCAP` and `MSP-Podcast` derive
arousal and valence from dimensional ratings instead (see their loaders).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..log import get_logger


class TaskLabels(NamedTuple):
    arousal: int | None
    valence: int | None
    emotion4: str


HIGH, LOW = 1, 0
POS, NEG = 1, 0

_BASIC = {
    "neutral": TaskLabels(LOW, None, "neutral"),
    "calm": TaskLabels(LOW, POS, ""),
    "happy": TaskLabels(HIGH, POS, "happy"),
    "sad": TaskLabels(LOW, NEG, "sad"),
    "angry": TaskLabels(HIGH, NEG, "angry"),
    "fearful": TaskLabels(HIGH, NEG, ""),
    "disgust": TaskLabels(HIGH, NEG, ""),
    "surprised": TaskLabels(HIGH, POS, ""),
    "boredom": TaskLabels(LOW, NEG, ""),
    "frustrated": TaskLabels(HIGH, NEG, ""),
    "contempt": TaskLabels(LOW, NEG, ""),
}

# Every category a task can use, in table order (the `emotion` task's class order).
CATEGORIES = tuple(_BASIC)

# Corpus spellings of the basic categories.
SYNONYMS = {
    "fear": "fearful",
    "surprise": "surprised",
    "anger": "angry",
    "happiness": "happy",
    "sadness": "sad",
    "excited": "happy",
    "disgusted": "disgust",
}


def canonical_emotion(category: str) -> str:
    key = category.strip().lower()
    return SYNONYMS.get(key, key)


def task_labels(category: str) -> TaskLabels | None:
    """Task labels for a category, or None when it is outside every task."""
    return _BASIC.get(canonical_emotion(category))


def label_fields(category: str, corpus: str, counter: dict | None = None) -> dict:
    """Manifest fields for one utterance's category; unknown ones are logged and counted."""
    labels = task_labels(category)
    if labels is None:
        get_logger(f"corpora.{corpus}").debug("category %r is outside every task", category)
        if counter is not None:
            counter[category] = counter.get(category, 0) + 1
        return {"emotion": category, "arousal": None, "valence": None, "emotion4": ""}
    return {
        "emotion": canonical_emotion(category),
        "arousal": labels.arousal,
        "valence": labels.valence,
        "emotion4": labels.emotion4,
    }


def split_rating(rating: float | None, threshold: float) -> int | None:
    """Binary label from a dimensional rating: 1 above `threshold`, 0 below.

    A rating exactly at the threshold (or missing) gets no label: it is
    evidence for neither side, and forcing it would bias one class.
    """
    if rating is None or math.isnan(rating) or math.isclose(rating, threshold, abs_tol=1e-9):
        return None
    return HIGH if rating > threshold else LOW


def mapping_table() -> list[dict]:
    """The documented table, for the README and the CLI."""
    return [
        {"category": name, "arousal": lab.arousal, "valence": lab.valence, "emotion4": lab.emotion4 or "-"}
        for name, lab in _BASIC.items()
    ]
