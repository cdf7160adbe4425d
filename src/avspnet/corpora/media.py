"""Your own unlabeled speech (podcasts, broadcasts, ...) as a first-class corpus.

`root` is a CSV file, or a directory holding `manifest.csv`. The CSV is
UTF-8 (another encoding only when declared: `avspnet corpus --encoding`)
with a header row and one row per utterance:

  column      required  meaning
  audio       yes       audio or video file (any format the reader takes: WAV, FLAC, MP3,
                        M4A, OGG/Opus, MP4/MKV/WebM), absolute or relative to the CSV's folder
                        (it may lie anywhere: the CSV is the user's own list of files)
  transcript  yes       the words spoken; may be empty
  speaker     yes       speaker id, used as given; must not be empty
  episode     yes       episode/recording id -> `group` (empty: the speaker is the group)
  utt_id      no        unique utterance id, used as given (default: `media/` + the
                        `audio` value without suffix or leading `/`)
  language    no        language code (default and when empty: `en`)

Other columns are ignored. There are no gold labels: `emotion`, `arousal`,
`valence` and `emotion4` stay empty. A missing required column is an error
naming the file; a row with a missing audio file, an empty speaker, a
duplicate utt_id or the wrong number of fields is skipped and counted.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pandas as pd

from ..errors import CorpusError
from ..log import SkipLog
from .files import finish_manifest, listed_audio, read_table

REQUIRED = ("audio", "transcript", "speaker", "episode")


def manifest_path(root: Path, corpus: str = "media") -> Path:
    """`root` if it is a file, else `root/manifest.csv`; missing is an error naming it."""
    path = root / "manifest.csv" if root.is_dir() else root
    if not path.is_file():
        raise CorpusError(f"{corpus}: manifest CSV not found: {path}")
    return path


def default_utt_id(audio: str, corpus: str = "media") -> str:
    """`<corpus>/` + the audio path as written, without suffix or leading slash."""
    return f"{corpus}/" + str(PurePosixPath(audio).with_suffix("")).lstrip("/")


def load(root: Path) -> pd.DataFrame:
    table = manifest_path(Path(root))
    skips = SkipLog("corpora.media")
    seen: set[str] = set()
    rows = []
    for row in read_table(table, "media", REQUIRED, skips):
        item = f"{table}:{row.line}"
        if not row["audio"]:
            skips.skip(item, "empty audio path")
            continue
        if not row["speaker"]:
            skips.skip(item, "empty speaker")
            continue
        utt_id = row.get("utt_id") or default_utt_id(row["audio"])
        if utt_id in seen:
            skips.skip(item, "duplicate utt_id")
            continue
        audio = listed_audio(table.parent / row["audio"], item, skips)
        if audio is None:
            continue
        path, duration = audio
        seen.add(utt_id)
        rows.append({
            "utt_id": utt_id,
            "path": str(path.resolve()),
            "speaker": row["speaker"],
            "group": row["episode"] or row["speaker"],
            "duration_s": duration,
            "language": row.get("language") or "en",
            "transcript": row["transcript"],
        })
    return finish_manifest("media", table, rows, skips, {}, "rows with existing audio files")
