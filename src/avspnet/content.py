"""Content-true cache keys: what a cached result depends on is the audio's bytes, never its name.

Every cache entry (features, acoustic measures, segment stores, pre-trained
front-ends, embeddings) is keyed by the sha1 of the audio bytes (plus the
row's start/end window and the config). Hashing is the slow part of a warm
run, so a small SQLite index remembers each file's digest under (path,
size, mtime_ns): an unchanged file is not re-read, and a file edited in
place changes its mtime (and usually its size) and is hashed again.
Cached files are written atomically and checked when read back; an
unreadable entry is named in the log and recomputed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from .audio import manifest_windows
from .log import get_logger
from .paths import atomic_path

log = get_logger("cache")


def default_cache_dir() -> Path:
    return Path(os.environ.get("AVSPNET_CACHE", Path.home() / ".cache" / "avspnet"))


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DigestIndex:
    """sha1 of files by (path, size, mtime_ns), kept in `<cache>/digests.sqlite` across runs and processes."""

    def __init__(self, cache_dir: Path | None = None):
        self.path = Path(cache_dir or default_cache_dir()) / "digests.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._known: dict[tuple[str, int, int], str] | None = None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=60)
        connection.execute("CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER, "
                           "mtime_ns INTEGER, sha1 TEXT)")
        return connection

    def _load(self) -> dict[tuple[str, int, int], str]:
        if self._known is None:
            try:
                with self._connect() as connection:
                    rows = connection.execute("SELECT path, size, mtime_ns, sha1 FROM digests").fetchall()
            except sqlite3.DatabaseError as exc:
                log.warning("digest index %s unreadable (%s): rebuilt", self.path, exc)
                self.path.unlink(missing_ok=True)
                rows = []
            self._known = {(p, s, m): d for p, s, m, d in rows}
        return self._known

    def digests(self, paths: Iterable[str | Path]) -> dict[str, str | None]:
        """{path: sha1} for every path; None for a path that is not a readable file."""
        known, fresh, out = self._load(), [], {}
        for path in map(str, paths):
            if path in out:
                continue
            try:
                stat = os.stat(path)
            except OSError:
                out[path] = None
                continue
            key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
            digest = known.get(key)
            if digest is None:
                try:
                    digest = file_digest(path)
                except OSError:
                    out[path] = None
                    continue
                known[key] = digest
                fresh.append((*key, digest))
            out[path] = digest
        if fresh:
            with self._connect() as connection:
                connection.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?)", fresh)
        return out


def digest_index(cache_dir: Path | None = None) -> DigestIndex:
    """One index per cache folder and process, so its table is read once."""
    return _index_at(Path(cache_dir or default_cache_dir()).resolve())


@lru_cache(maxsize=8)
def _index_at(cache_dir: Path) -> DigestIndex:
    return DigestIndex(cache_dir)


def window_key(digest: str, start_s: float | None = None, end_s: float | None = None) -> str:
    """The cache name of an utterance: the file's sha1, and its window if it is one."""
    if start_s is None and end_s is None:
        return digest
    return f"{digest}@{start_s or 0.0:.6f}-{'end' if end_s is None else f'{end_s:.6f}'}"


def audio_key(path: str | Path, start_s: float | None = None, end_s: float | None = None,
              cache_dir: Path | None = None) -> str:
    """Cache key of one file or window (an OSError if the file cannot be read)."""
    digest = digest_index(cache_dir).digests([path])[str(path)]
    if digest is None:
        raise FileNotFoundError(errno.ENOENT, "audio file not found or unreadable", str(path))
    return window_key(digest, start_s, end_s)


def manifest_audio_keys(manifest, cache_dir: Path | None = None) -> list[str | None]:
    """Per manifest row, the content key of its audio (None where the file is missing or unreadable)."""
    digests = digest_index(cache_dir).digests(manifest["path"])
    return [None if digests[str(path)] is None else window_key(digests[str(path)], start, end)
            for _, path, start, end in manifest_windows(manifest)]


def content_hash(payload) -> str:
    """Short stable hash of a JSON-able payload (lists of keys, config dicts)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def whole_array(path: Path, shape: tuple[int | None, ...]) -> bool:
    """True if a cached float32 array of `shape` (None: any length) is whole; a truncated or foreign
    one is named, removed and so recomputed.

    Memory-mapping reads only the header and checks the file holds every
    byte it declares, so this costs no full read.
    """
    if not path.exists():
        return False
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        whole = array.dtype == np.float32 and len(array.shape) == len(shape) and all(
            want is None or have == want for have, want in zip(array.shape, shape))
    except (ValueError, OSError, EOFError):
        whole = False
    if not whole:
        unreadable(path)
    return whole


def unreadable(path: Path, reason: str = "truncated or unreadable") -> None:
    """Log and remove a bad cache entry so it is recomputed."""
    log.warning("cache entry %s is %s: recomputing it", path, reason)
    Path(path).unlink(missing_ok=True)


def save_npy(path: Path, array: np.ndarray) -> Path:
    """np.save, atomically: a crash leaves no half-written entry under the final name."""
    with atomic_path(path) as tmp:
        np.save(tmp, array)
    return path
