"""Nested, stratified subsets of the training labels (the paper's 25/50/75/100%)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import AvspnetError
from .tasks import label_codes


def nested_fractions(labels: np.ndarray, fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
                     seed: int = 0) -> dict[float, np.ndarray]:
    """Sorted indices into `labels` for each fraction; each smaller subset lies inside each larger one.

    Every class is shuffled once (seeded) and each subset takes the first
    round(f * n_class) of it, at least one per class, so the subsets are
    stratified, nested, and identical for every front-end given the seed:
    front-ends differ only in the encoder, never in the labels they saw.
    """
    if len(labels) == 0:
        raise AvspnetError("nested_fractions needs at least one labelled utterance")
    bad = [f for f in fractions if not 0.0 < f <= 1.0]
    if bad or not fractions:
        raise AvspnetError(f"label fractions must lie in (0, 1], got {list(fractions)}")
    codes = label_codes(labels, len(labels))
    rng = np.random.default_rng(seed)
    shuffled = [rng.permutation(np.flatnonzero(codes == code)) for code in range(codes.max() + 1)]
    subsets = {}
    for fraction in sorted(fractions):
        taken = [members[:max(1, round(fraction * len(members)))] for members in shuffled]
        subsets[float(fraction)] = np.sort(np.concatenate(taken))
    return subsets
