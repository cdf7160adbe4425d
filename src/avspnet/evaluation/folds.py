"""Speaker-independent (optionally also sentence-independent) cross-validation folds and early-stopping splits.

No speaker may be in two folds (or in both the training and validation part
of one), because emotion recognisers readily learn the speaker instead of the
emotion; the reported UAR must be for unseen speakers. Where a corpus ties
sentences to emotions (ASED's emotion-specific sentences), a recogniser can
also learn the sentence, so `cv_folds` can keep test sentences unseen too.
"""

from __future__ import annotations

import numpy as np

from ..errors import AvspnetError
from ..log import get_logger
from .tasks import label_codes

_VALIDATION_DRAWS = 16


def _speaker_table(speakers: np.ndarray, labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unique speakers, speaker code per utterance, per-speaker class counts)."""
    speakers = np.asarray(speakers).astype(str)
    if speakers.ndim != 1 or len(speakers) == 0:
        raise AvspnetError("speaker_folds needs a non-empty 1-d array of speakers")
    codes = label_codes(labels, len(speakers))
    names, owner = np.unique(speakers, return_inverse=True)
    counts = np.zeros((len(names), codes.max() + 1), dtype=np.int64)
    np.add.at(counts, (owner, codes), 1)
    return names, owner, counts


def speaker_folds(speakers: np.ndarray, labels: np.ndarray | None = None, n_folds: int = 5, seed: int = 0) -> np.ndarray:
    """Test-fold index per utterance; each speaker lies in exactly one fold.

    Speakers are dealt in rounds so fold sizes in speakers differ by at most
    one; within a round, each speaker (largest first, ties in seeded random
    order) goes to the open fold whose class counts it brings closest to an
    even share. With fewer speakers than `n_folds`, every speaker is its own
    fold (leave-one-speaker-out).
    """
    if n_folds < 2:
        raise AvspnetError(f"n_folds must be at least 2, got {n_folds}")
    names, owner, counts = _speaker_table(speakers, labels)
    if len(names) < 2:
        raise AvspnetError(f"cross-validation needs at least 2 speakers, got {len(names)}")
    if len(names) <= n_folds:
        if len(names) < n_folds:
            get_logger("evaluation").warning("n_folds %d but only %d speakers: leave-one-speaker-out, %d folds",
                                             n_folds, len(names), len(names))
        return owner.astype(np.int64)
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(names))
    order = shuffled[np.argsort(-counts[shuffled].sum(axis=1), kind="stable")]
    target = counts.sum(axis=0) / n_folds
    fold_counts = np.zeros((n_folds, counts.shape[1]))
    fold_speakers = np.zeros(n_folds, dtype=np.int64)
    fold_of = np.empty(len(names), dtype=np.int64)
    for speaker in order:
        open_folds = np.flatnonzero(fold_speakers == fold_speakers.min())
        cost = (((fold_counts[open_folds] + counts[speaker]) - target) ** 2).sum(axis=1)
        fold = open_folds[np.argmin(cost)]
        fold_of[speaker] = fold
        fold_counts[fold] += counts[speaker]
        fold_speakers[fold] += 1
    _improve_by_swaps(fold_of, counts, n_folds)
    return fold_of[owner]


def cv_folds(speakers: np.ndarray, labels: np.ndarray | None = None, n_folds: int = 5, seed: int = 0,
             sentences: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(test mask, training mask) over the utterances, one pair per fold.

    Without `sentences`: speaker folds; training is every other utterance.

    With `sentences` (one id per utterance, the same id exactly when the text
    is the same), folds are speaker- AND sentence-independent. Speakers are
    dealt into folds as above, and sentences the same way (balanced by label,
    into min(speaker folds, sentences) folds); fold k tests its speakers
    on sentence fold k (mod the sentence folds) and trains on the other
    speakers' utterances of the other sentences. Simply dropping test
    sentences from training is not enough where every speaker reads every
    sentence (ASED, RAVDESS, CREMA-D, CASIA): each test fold would hold every
    sentence and leave no training data. The price of the grid is data: a
    test speaker's utterances of training sentences are tested in no fold, and
    training speakers' utterances of test sentences sit out that fold; both
    counts are logged per fold.
    """
    speaker_fold = speaker_folds(speakers, labels, n_folds=n_folds, seed=seed)
    if sentences is None:
        return [(speaker_fold == k, speaker_fold != k) for k in np.unique(speaker_fold)]
    sentences = np.asarray(sentences).astype(str)
    n_sentence_folds = min(len(np.unique(speaker_fold)), len(np.unique(sentences)))
    if n_sentence_folds < 2:
        raise AvspnetError("sentence-independent folds need at least 2 distinct sentences")
    sentence_fold = speaker_folds(sentences, labels, n_folds=n_sentence_folds, seed=seed)
    log = get_logger("evaluation")
    folds = []
    for k in np.unique(speaker_fold):
        test_speaker, test_sentence = speaker_fold == k, sentence_fold == k % n_sentence_folds
        test, train = test_speaker & test_sentence, ~test_speaker & ~test_sentence
        log.info("fold %d (speakers and sentences unseen in training): %d test, %d training utterances; "
                 "left out: %d test-speaker utterances of training sentences, "
                 "%d training-speaker utterances of test sentences",
                 k, test.sum(), train.sum(), (test_speaker & ~test_sentence).sum(),
                 (~test_speaker & test_sentence).sum())
        folds.append((test, train))
    return folds


def _improve_by_swaps(fold_of: np.ndarray, counts: np.ndarray, n_folds: int, passes: int = 20) -> None:
    """Swap speakers between folds while that evens out class counts (in place).

    Swaps keep every fold's speaker count, so the greedy deal's balance in
    speakers survives; they fix what its last rounds could not, when few
    folds were left to choose from.
    """
    fold_counts = np.zeros((n_folds, counts.shape[1]))
    np.add.at(fold_counts, fold_of, counts)
    for _ in range(passes):
        swapped = False
        for a in range(len(fold_of)):
            diff = counts[a] - counts
            # change of sum over folds of squared deviation when a and b trade folds
            delta = 2 * (diff * (fold_counts[fold_of] - fold_counts[fold_of[a]])).sum(axis=1) + 2 * (diff**2).sum(axis=1)
            delta[fold_of == fold_of[a]] = np.inf
            b = int(np.argmin(delta))
            if delta[b] < -1e-9:
                fold_counts[fold_of[a]] += counts[b] - counts[a]
                fold_counts[fold_of[b]] += counts[a] - counts[b]
                fold_of[a], fold_of[b] = fold_of[b], fold_of[a]
                swapped = True
        if not swapped:
            return


def validation_speakers(speakers: np.ndarray, labels: np.ndarray | None, fraction: float, seed: int = 0) -> np.ndarray:
    """Mask of (training) utterances held out for early stopping, by whole speakers.

    At least one speaker is held out and at least one kept. Of a few seeded
    draws, the one whose class mix is closest to the whole set's is used, so
    early stopping watches every class. A single speaker cannot be split by
    speaker; then utterances are split per class instead, and a warning says so.
    """
    if not 0.0 < fraction < 1.0:
        raise AvspnetError(f"validation fraction must be between 0 and 1, got {fraction}")
    names, owner, counts = _speaker_table(speakers, labels)
    rng = np.random.default_rng(seed)
    if len(names) == 1:
        get_logger("evaluation").warning(
            "only one training speaker (%s): early-stopping split is by utterance, stratified by label", names[0])
        return _stratified_utterances(label_codes(labels, len(owner)), fraction, rng)
    n_held = min(len(names) - 1, max(1, round(fraction * len(names))))
    overall = counts.sum(axis=0) / counts.sum()
    best, best_cost = None, np.inf
    for _ in range(_VALIDATION_DRAWS):
        held = rng.permutation(len(names))[:n_held]
        mix = counts[held].sum(axis=0)
        cost = np.abs(mix / mix.sum() - overall).sum() + abs(mix.sum() / counts.sum() - fraction)
        if cost < best_cost:
            best, best_cost = held, cost
    return np.isin(owner, best)


def _stratified_utterances(codes: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    if len(codes) < 2:
        raise AvspnetError("cannot hold out validation data from a single utterance")
    mask = np.zeros(len(codes), dtype=bool)
    for code in np.unique(codes):
        members = rng.permutation(np.flatnonzero(codes == code))
        mask[members[:min(len(members) - 1, max(1, round(fraction * len(members))))]] = True
    if not mask.any():
        mask[rng.integers(len(codes))] = True
    return mask
