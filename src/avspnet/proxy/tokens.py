"""Transcript -> lexicon-lookup tokens: lowercase words for English, jieba words for Chinese."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_HAN_OR_WORD = re.compile(r"\w", re.UNICODE)


def language_key(language: str) -> str:
    """'en-US', 'EN', 'zh_CN' -> 'en' / 'zh': lexicons are per base language."""
    return re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    # jieba prints its dictionary-loading lines through its own logger.
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str, language: str) -> list[str]:
    if language_key(language) == "zh":
        return [t.strip().lower() for t in _jieba().lcut(text) if _HAN_OR_WORD.search(t)]
    return _WORD.findall(text.lower())
