"""Corpus loaders: each turns a corpus' native layout into the standard manifest."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from .text import declared_encoding

# name -> module holding `load(root) -> manifest` (or `module:function` for a
# variant of a layout, e.g. one that reads more of its tables); modules import
# lazily so a loader's optional needs never slow down the others. Names match
# ignoring case, `-` and `_` (`crema-d` is `cremad`).
LOADERS = {
    "ravdess": "avspnet.corpora.ravdess",
    "casia": "avspnet.corpora.casia",
    "urdu": "avspnet.corpora.urdu",
    "emodb": "avspnet.corpora.emodb",
    "cremad": "avspnet.corpora.cremad",
    "iemocap": "avspnet.corpora.iemocap",
    "msppodcast": "avspnet.corpora.msppodcast",
    "media": "avspnet.corpora.media",
    "csv": "avspnet.corpora.csvcorpus",
    "synthetic": "avspnet.corpora.synthetic",
    "commonvoice": "avspnet.corpora.commonvoice",
    "commonvoice-all": "avspnet.corpora.commonvoice:load_all",
    "kaldi": "avspnet.corpora.kaldi",
    "ljspeech": "avspnet.corpora.ljspeech",
    "ased": "avspnet.corpora.ased",
}


def _key(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def load_corpus(name: str, root: str | Path, encoding: str | None = None, **options) -> pd.DataFrame:
    """The manifest of corpus layout `name` at `root`; its tables that are not UTF-8 are read as `encoding`;
    `options` go to loaders that take them (csv's rating rule)."""
    entries = {_key(known): target for known, target in LOADERS.items()}
    if _key(name) not in entries:
        raise CorpusError(f"unknown corpus {name!r}; known: {', '.join(LOADERS)}")
    module, _, function = entries[_key(name)].partition(":")
    loader = getattr(importlib.import_module(module), function or "load")
    unknown = sorted(set(options) - set(inspect.signature(loader).parameters) - {"root"})
    if unknown:
        raise CorpusError(f"corpus {name}: takes no option(s) {', '.join(unknown)}")
    with declared_encoding(encoding):
        return loader(Path(root), **options)
