"""Corpus loaders: each turns a corpus' native layout into the standard manifest."""

from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd

from ..errors import CorpusError

# name -> module holding `load(root) -> manifest`; modules import lazily so a
# loader's optional needs never slow down the others.
LOADERS = {
    "ravdess": "avspnet.corpora.ravdess",
    "casia": "avspnet.corpora.casia",
    "urdu": "avspnet.corpora.urdu",
    "emodb": "avspnet.corpora.emodb",
    "cremad": "avspnet.corpora.cremad",
    "iemocap": "avspnet.corpora.iemocap",
    "msppodcast": "avspnet.corpora.msppodcast",
    "media": "avspnet.corpora.media",
    "synthetic": "avspnet.corpora.synthetic",
}


def load_corpus(name: str, root: str | Path) -> pd.DataFrame:
    key = name.lower().replace("-", "").replace("_", "")
    if key not in LOADERS:
        raise CorpusError(f"unknown corpus {name!r}; known: {', '.join(LOADERS)}")
    module = importlib.import_module(LOADERS[key])
    return module.load(Path(root))
