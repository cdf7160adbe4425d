"""Mozilla Common Voice: <locale>/clips/*.mp3 with validated.tsv (and invalidated.tsv).

`root` is one locale folder (`.../cv-corpus-N/zh-CN`) or a folder holding
several. Per row: `client_id` -> speaker (also the group: Common Voice has no
episodes), `sentence` -> transcript, `path` -> the clip under `clips/`,
`locale` (or, in releases without that column, the folder name) -> language
as its language part (`zh-CN` -> `zh`, `en` -> `en`), which picks the proxy
tokeniser and lexicons; the full locale stays in `raw_locale`, the other TSV
columns in `raw_*`. Durations come from the MP3 headers (libsndfile), exact
to a frame and about a millisecond per clip.

`commonvoice` reads validated.tsv only; `commonvoice-all` adds
invalidated.tsv (clips the community voted down: often still usable
unlabeled speech), marked in `raw_tsv`. A missing validated.tsv is an error
naming it; a `path` that leads out of `clips/` (absolute, `..`) is an error
naming the row; rows with a missing clip, no client_id or a clip listed twice are
counted skips; an empty sentence is kept with an empty transcript (no proxy
valence for it, counted).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..log import SkipLog, get_logger
from .files import finish_manifest, folders_holding, inside, listed_audio, read_table, require_dir

REQUIRED = ("client_id", "path", "sentence")
MAPPED = (*REQUIRED, "locale")


def language_of(locale: str) -> str:
    """The language part of a Common Voice locale: `zh-CN` -> `zh`, `en` -> `en`."""
    return locale.split("-")[0].lower()


def raw_name(column: str) -> str:
    return "raw_" + re.sub(r"\W+", "_", column.strip().lower())


def locale_rows(folder: Path, tsv: str, skips: SkipLog, seen: set[str]) -> list[dict]:
    table = folder / f"{tsv}.tsv"
    rows = []
    for row in read_table(table, "commonvoice", REQUIRED, skips, delimiter="\t"):
        item = f"{table}:{row.line}"
        if not row["client_id"]:
            skips.skip(item, "empty client_id")
            continue
        locale = row.get("locale") or folder.name
        utt_id = f"commonvoice/{locale}/{Path(row['path']).stem}"
        if utt_id in seen:
            skips.skip(item, "clip listed twice")
            continue
        audio = listed_audio(inside(folder / "clips", row["path"], f"commonvoice: {item}"), item, skips)
        if audio is None:
            continue
        path, duration = audio
        seen.add(utt_id)
        rows.append({
            "utt_id": utt_id, "path": str(path.resolve()), "speaker": row["client_id"], "group": row["client_id"],
            "duration_s": duration, "language": language_of(locale), "transcript": row["sentence"],
            "raw_locale": locale, "raw_tsv": tsv,
            **{raw_name(k): v for k, v in row.items() if k not in MAPPED},
        })
    return rows


def load_tables(root: Path, tables: tuple[str, ...]) -> pd.DataFrame:
    root = require_dir(root, "commonvoice")
    skips = SkipLog("corpora.commonvoice")
    seen: set[str] = set()
    rows = []
    for folder in folders_holding(root, "validated.tsv", "commonvoice", "*"):
        for tsv in tables:
            if tsv != "validated" and not (folder / f"{tsv}.tsv").is_file():
                get_logger("corpora.commonvoice").warning("no %s.tsv in %s: only validated clips", tsv, folder)
                continue
            rows += locale_rows(folder, tsv, skips, seen)
    empty = sum(not row["transcript"] for row in rows)
    if empty:
        get_logger("corpora.commonvoice").info("commonvoice: %d clips with an empty sentence kept (no transcript)",
                                               empty)
    return finish_manifest("commonvoice", root, rows, skips, {}, "<locale>/validated.tsv + clips/")


def load(root: Path) -> pd.DataFrame:
    return load_tables(root, ("validated",))


def load_all(root: Path) -> pd.DataFrame:
    """validated.tsv and invalidated.tsv: the `commonvoice-all` loader."""
    return load_tables(root, ("validated", "invalidated"))
