"""Transcript -> lexicon-lookup tokens: lowercase words for English, jieba words for Chinese."""

from __future__ import annotations

import logging
import re
import warnings
from functools import lru_cache

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_HAN_OR_WORD = re.compile(r"\w", re.UNICODE)


def language_key(language: str) -> str:
    """'en-US', 'EN', 'zh_CN' -> 'en' / 'zh': lexicons are per base language."""
    return re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]


@lru_cache(maxsize=1)
def _jieba():
    # jieba 0.42 imports pkg_resources, whose deprecation warning says nothing a user can act on.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import jieba

    # jieba prints its dictionary-loading lines through its own logger.
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str, language: str) -> list[str]:
    if language_key(language) == "zh":
        return [t.strip().lower() for t in _jieba().lcut(text) if _HAN_OR_WORD.search(t)]
    return _WORD.findall(text.lower())
