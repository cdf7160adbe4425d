"""Label-free reshaping of a front-end's vectors before the head: per-speaker normalisation, utterance pooling.

Both are functions of the vectors and who spoke or which utterance a row
belongs to, never of a label, so they may use every target row (test
speakers included) without leaking an answer: speaker normalisation is
"deployment with known speakers", where a speaker's own unlabeled speech
is at hand before their emotions are asked for.
"""

from __future__ import annotations

import numpy as np

from ..errors import AvspnetError

SPEAKER_NORMS = ("none", "mean", "meanvar")
LEVELS = ("segment", "utterance")
# meanvar divides by each speaker's std floored at this fraction of the pooled within-speaker std of that
# dimension: a speaker with one segment (std 0) or a few near-identical ones is not blown up to noise,
# and the floor follows the front-end's own scale (which differs by orders between front-ends).
STD_FLOOR = 0.1


def segment_speakers(utterance_speakers, utt_index: np.ndarray) -> np.ndarray:
    """A speaker code per segment row, from each utterance's speaker: what speaker normalisation groups by."""
    codes = np.unique(np.asarray(utterance_speakers).astype(str), return_inverse=True)[1].reshape(-1)
    return codes[np.asarray(utt_index)]


def group_means(vectors: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct groups, float64 mean vector of each group's rows)."""
    x = np.asarray(vectors, dtype=np.float64)
    groups = np.asarray(groups)
    if x.ndim != 2 or groups.shape != (len(x),):
        raise AvspnetError(f"{groups.shape} group codes for vectors of shape {x.shape}")
    keys, inverse = np.unique(groups, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=len(keys))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sums = np.add.reduceat(x[order], starts, axis=0) if len(x) else np.zeros((0, x.shape[1]))
    return keys, sums / counts[:, None]


def speaker_normalise(vectors: np.ndarray, speakers: np.ndarray, mode: str) -> np.ndarray:
    """Each row minus its speaker's mean vector (`mean`), also divided by its speaker's floored std (`meanvar`).

    Statistics come from each speaker's own rows only, as given; `none` returns
    the vectors untouched. Takes no labels by design.
    """
    if mode not in SPEAKER_NORMS:
        raise AvspnetError(f"speaker normalisation must be one of {SPEAKER_NORMS}, got {mode!r}")
    if mode == "none":
        return vectors
    keys, means = group_means(vectors, speakers)
    owner = np.searchsorted(keys, np.asarray(speakers))
    centred = np.asarray(vectors, dtype=np.float64) - means[owner]
    if mode == "meanvar":
        _, variances = group_means(centred ** 2, speakers)
        pooled = np.sqrt((centred ** 2).mean(axis=0)) if len(centred) else 0.0
        floor = np.maximum(STD_FLOOR * pooled, np.finfo(np.float32).tiny)
        centred /= np.maximum(np.sqrt(variances), floor)[owner]
    return centred.astype(np.float32)


def utterance_vectors(vectors: np.ndarray, utt_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(utterance index of each pooled row, sorted; its segments' mean vector): one row per utterance, as EmoBox
    pools a front-end's frames before its classifier."""
    utterances, means = group_means(vectors, utt_index)
    return utterances, means.astype(np.float32)
