"""The proxy-label table on disk: a CSV beside its manifest that reads back with the same dtypes.

Proxy labels are ranks within each speaker's utterances, so a table made for
another version of the manifest (one that since grew, shrank or changed its
transcripts or audio) labels the wrong utterances, or leaves new ones
unlabelled. Every reader therefore goes through `manifest_proxy`: the table
must hold exactly one row per manifest utterance and, when `avspnet proxy`
recorded the hash of what it labelled, that hash must still hold.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd

from ..content import manifest_audio_keys
from ..corpora.manifest import write_manifest
from ..corpora.text import read_text
from ..errors import CorpusError

LABEL_COLUMNS = ("proxy_arousal", "proxy_valence")
COUNT_COLUMNS = ("n_arousal_features", "n_tokens", "n_lexicon_words")
# Hash of the manifest content the labels were computed from (`proxy_inputs_hash`), on every row.
HASH_COLUMN = "manifest_hash"
STRING_COLUMNS = ("utt_id", "speaker", "baseline", "acoustic_note", "valence_note", HASH_COLUMN)
# What proxy labels depend on besides the audio; gold labels and paths are not, so correcting a
# gold label or moving the corpus keeps a proxy table valid.
INPUT_COLUMNS = ("utt_id", "speaker", "group", "language", "transcript", "start_s", "end_s")
RERUN = "rerun `avspnet proxy MANIFEST`"


def proxy_path(manifest_path: str | Path) -> Path:
    """<manifest stem>.proxy.csv beside the manifest."""
    manifest_path = Path(manifest_path)
    return manifest_path.with_name(f"{manifest_path.stem}.proxy.csv")


def proxy_inputs_hash(manifest: pd.DataFrame, cache_dir: Path | None = None) -> str:
    """Content hash of what proxy labels are computed from: ids, speakers, groups, texts, windows, audio bytes."""
    payload = manifest[list(INPUT_COLUMNS)].astype(str).to_csv(index=False)
    payload += "\n".join(str(key) for key in manifest_audio_keys(manifest, cache_dir))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _dtype(column: str) -> str:
    if column in LABEL_COLUMNS or column in COUNT_COLUMNS:
        return "Int64"
    return "str" if column in STRING_COLUMNS else "float64"


def write_proxy(frame: pd.DataFrame, path: str | Path, inputs_hash: str | None = None) -> Path:
    """Write the table; `inputs_hash` (`proxy_inputs_hash` of the labelled manifest) is recorded for readers."""
    return write_manifest(frame if inputs_hash is None else frame.assign(**{HASH_COLUMN: inputs_hash}), path)


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


def aligned_proxy(manifest: pd.DataFrame, proxy: pd.DataFrame, where: str) -> pd.DataFrame:
    """`proxy`'s rows in manifest order, one per manifest utterance; missing, extra or repeated ids are an error."""
    ids = proxy["utt_id"]
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise CorpusError(f"{where}: {len(repeated)} utterance(s) have more than one proxy row, "
                          f"e.g. {repeated.iloc[0]!r}; {RERUN}")
    wanted = manifest["utt_id"]
    missing = wanted[~wanted.isin(ids)]
    extra = ids[~ids.isin(wanted)]
    if len(missing) or len(extra):
        examples = "; ".join(f"{text} (e.g. {rows.iloc[0]!r})" for text, rows in (
            (f"no proxy row for {len(missing)} of the manifest's {len(wanted)} utterances", missing),
            (f"{len(extra)} proxy row(s) for utterances the manifest lacks", extra)) if len(rows))
        raise CorpusError(f"{where}: proxy labels do not match the manifest, made for another version of it "
                          f"or cut short: {examples}; {RERUN}")
    return proxy.set_index("utt_id").loc[wanted].reset_index()


def manifest_proxy(manifest: pd.DataFrame, path: str | Path, cache_dir: Path | None = None) -> pd.DataFrame:
    """The proxy table at `path` for exactly `manifest`'s utterances, in its order: the one check of every reader.

    Besides the utterance ids, a recorded `proxy_inputs_hash` must match the
    manifest as it is now (transcripts, speakers, windows and audio unchanged).
    """
    proxy = aligned_proxy(manifest, read_proxy(path), str(path))
    if HASH_COLUMN in proxy.columns:
        recorded = set(proxy[HASH_COLUMN])
        now = proxy_inputs_hash(manifest, cache_dir)
        if recorded != {now}:
            raise CorpusError(f"{path}: proxy labels were made for other manifest content (recorded hash "
                              f"{', '.join(sorted(recorded))}, the manifest now {now}: its speakers, transcripts, "
                              f"windows or audio changed); {RERUN}")
    return proxy
