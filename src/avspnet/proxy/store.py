"""The proxy-label table on disk: a CSV beside its manifest that reads back with the same dtypes."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..corpora.manifest import write_manifest
from ..corpora.text import read_text
from ..errors import CorpusError

LABEL_COLUMNS = ("proxy_arousal", "proxy_valence")
COUNT_COLUMNS = ("n_arousal_features", "n_tokens", "n_lexicon_words")
STRING_COLUMNS = ("utt_id", "speaker", "baseline", "acoustic_note", "valence_note")


def proxy_path(manifest_path: str | Path) -> Path:
    """<manifest stem>.proxy.csv beside the manifest."""
    manifest_path = Path(manifest_path)
    return manifest_path.with_name(f"{manifest_path.stem}.proxy.csv")


def _dtype(column: str) -> str:
    if column in LABEL_COLUMNS or column in COUNT_COLUMNS:
        return "Int64"
    return "str" if column in STRING_COLUMNS else "float64"


def write_proxy(frame: pd.DataFrame, path: str | Path) -> Path:
    return write_manifest(frame, path)


def read_proxy(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"proxy labels not found: {path} (run `avspnet proxy MANIFEST` first)")
    text = read_text(path)
    try:
        header = pd.read_csv(io.StringIO(text), nrows=0).columns
        frame = pd.read_csv(io.StringIO(text), dtype={c: _dtype(c) for c in header}, keep_default_na=False,
                            na_values={c: [""] for c in header if _dtype(c) != "str"})
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CorpusError(f"{path}: not a readable proxy-label CSV ({exc})") from None
    missing = [c for c in ("utt_id", *LABEL_COLUMNS) if c not in frame.columns]
    if missing:
        raise CorpusError(f"{path}: proxy-label CSV lacks column(s) {missing}")
    return frame
