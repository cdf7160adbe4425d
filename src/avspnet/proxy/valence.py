"""Dictionary valence, the paper's Eq. 3: raw score = sum over lexicons and words of +1 / -1."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .lexicons import load_lexicon
from .tokens import language_key, tokenize


@dataclass(frozen=True)
class RawValence:
    raw: float  # NaN when the utterance cannot be scored
    n_tokens: int
    n_lexicon_words: int  # tokens found in at least one lexicon
    note: str  # why it cannot be scored, "" when it can


def raw_valence(transcript: str, language: str, lexicons: dict[str, tuple[str, ...]]) -> RawValence:
    names = lexicons.get(language_key(language), ())
    if not transcript.strip():
        return RawValence(math.nan, 0, 0, "empty transcript")
    if not names:
        return RawValence(math.nan, 0, 0, f"no lexicon for language {language!r}")
    tokens = tokenize(transcript, language)
    raw, n_hits = token_valence(tokens, [load_lexicon(name) for name in names])
    return RawValence(raw, len(tokens), n_hits, "")


def token_valence(tokens: list[str], tables: list[dict[str, int]]) -> tuple[float, int]:
    """Eq. 3 over a token list: the sum of every lexicon's +1 / -1 entries, and how many tokens any lexicon knows."""
    hits = [[table[t] for table in tables if t in table] for t in tokens]
    return float(sum(sum(h) for h in hits)), sum(1 for h in hits if h)
