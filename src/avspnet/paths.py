"""Where avspnet reads and writes: files that must be files, atomic writes, output folders replaced whole.

Every write of a result goes through a temporary name beside its target
and is renamed into place at the end, so an interruption never leaves a
half-written file under the final name. A temporary name carries the
writer's process id and host, and is removed on any exception; one left
by a killed process is removed by the next write into its folder.

An output folder (a run folder, a report folder) is written aside and
swapped in as a whole when its command succeeds: a failed run leaves the
previous one intact, and a re-run leaves nothing of an earlier run behind.
A folder holding files the command did not write is refused, never emptied.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path

from .errors import OutputError
from .log import get_logger

log = get_logger("paths")

TMP_TAG = ".avspnet-tmp."
OLD_TAG = ".avspnet-old."
# What an output folder's command wrote into it: {"command": NAME, "files": [relative paths]}.
MARKER = ".avspnet-output.json"
# Files an operating system drops into folders by itself; they are not the user's work.
OS_LITTER = (".DS_Store", "Thumbs.db", "desktop.ini")
# A temporary name of another host is stale after this long (its process cannot be asked).
FOREIGN_STALE_S = 24 * 3600


def file_problem(path: str | Path, what: str) -> str | None:
    """None when `path` is a file; else why not, naming it ("manifest not found: X", "... is a folder")."""
    path = Path(path)
    if path.is_file():
        return None
    if path.is_dir():
        return f"{what} {path} is a folder, not a file"
    return f"{what} not found: {path}"


def os_error_text(exc: OSError) -> str:
    """An OSError in one line that names its path(s) and says what is wrong in words."""
    names = " -> ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
    words = {
        errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
        errno.EISDIR: "is a folder, not a file", errno.ENOTDIR: "a part of this path is a file, not a folder",
        errno.EEXIST: "already exists (a file where a folder is needed?)", errno.ENOENT: "no such file or folder",
        errno.ENOSPC: "no space left on the device", errno.EROFS: "read-only file system",
    }.get(exc.errno, exc.strerror or str(exc))
    return f"{names}: {words}" if names else f"{words}"


def writable_folder(folder: str | Path, what: str) -> Path:
    """`folder`, created if absent; an OutputError naming it (and `what` it is for) if it cannot be written."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "not writable", str(folder))
    except OSError as exc:
        raise OutputError(f"{what} {os_error_text(exc)}") from None
    return folder


def output_file(path: str | Path) -> Path:
    """Check an output file's path before the work that fills it: not a folder, its folder writable."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"output {path} is a folder; give a file name")
    writable_folder(path.parent, "output folder")
    return path


def _host() -> str:
    return socket.gethostname().replace("@", "_").replace("/", "_") or "localhost"


def _temp_name(path: Path, tag: str = TMP_TAG) -> Path:
    """A name beside `path` unique to this process: `.NAME<tag>PID.TOKEN@HOST@SUFFIX`.

    It ends in the target's suffix (np.save appends .npy otherwise); hostnames hold no '@'.
    """
    return path.with_name(f".{path.name}{tag}{os.getpid()}.{secrets.token_hex(4)}@{_host()}@{path.suffix}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _stale(candidate: Path, tag: str) -> bool:
    """Whether a temporary name (of `tag`) belongs to no running writer."""
    try:
        owner, host, _suffix = candidate.name.split(tag, 1)[1].split("@")
        pid = int(owner.split(".")[0])
    except (IndexError, ValueError):
        return False
    if host == _host():
        return pid != os.getpid() and not _alive(pid)
    try:
        return time.time() - candidate.lstat().st_mtime > FOREIGN_STALE_S
    except OSError:
        return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@lru_cache(maxsize=None)
def remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files a killed writer left in `folder`; once per folder and process,
    so writing many files into one cache folder costs one listing of it."""
    try:
        names = [entry.name for entry in os.scandir(folder) if TMP_TAG in entry.name]
    except OSError:
        return
    for name in names:
        if _stale(folder / name, TMP_TAG):
            log.info("removing %s, left by an interrupted write", folder / name)
            _remove(folder / name)


def _restore_or_remove_old(out: Path) -> None:
    """A folder a killed swap moved aside: put back if `out` is missing, else removed."""
    prefix = f".{out.name}{OLD_TAG}"
    for old in [p for p in out.parent.iterdir() if p.name.startswith(prefix) and _stale(p, OLD_TAG)]:
        if not out.exists():
            log.warning("restoring %s from %s (a swap was interrupted)", out, old)
            os.rename(old, out)
        else:
            _remove(old)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` to write; renamed to `path` on success, removed on any exception."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent.resolve())
    tmp = _temp_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _files(folder: Path) -> list[str]:
    """Relative paths of the files (and links) under `folder`, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir() or p.is_symlink())


def _foreign(out: Path, command: str, legacy: Sequence[str]) -> list[str]:
    """Files in `out` that `command` did not write: per its marker, else per the patterns of older versions."""
    present = [name for name in _files(out) if Path(name).name not in OS_LITTER and name != MARKER]
    marker = out / MARKER
    if not marker.is_file():
        return [name for name in present if not any(fnmatch(name, pattern) for pattern in legacy)]
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        owner, ours = record["command"], set(record["files"])
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputError(f"{out}: its {MARKER} is unreadable; remove the folder or choose another") from None
    if owner != command:
        raise OutputError(f"{out} holds the output of `avspnet {owner}`, not of `avspnet {command}`; "
                          "choose another output folder or remove it")
    return [name for name in present if name not in ours]


def claim_folder(out: Path, command: str, legacy: Sequence[str] = ()) -> None:
    """Refuse an output folder that is a file or holds files `command` did not write."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file; the output of `avspnet {command}` is a folder: choose another path")
    if not out.is_dir():
        return
    foreign = _foreign(out, command, legacy)
    if foreign:
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise OutputError(f"{out} holds {foreign[0]}{more}, which `avspnet {command}` did not write; "
                          "choose another output folder or remove it")


@contextmanager
def replaced_folder(out: str | Path, command: str, legacy: Sequence[str] = ()) -> Iterator[Path]:
    """A fresh folder of `out`'s name (inside a hidden one beside it) to write the whole output into;
    swapped in for `out` on success.

    On any exception the fresh folder is removed and `out` is untouched. `out` must be absent, empty,
    or hold only what `command` wrote (its marker's list, or for folders of older versions the
    `legacy` glob patterns); otherwise it is refused before any work.
    """
    out = Path(out)
    if out.parent.is_dir():
        _restore_or_remove_old(out)
    claim_folder(out, command, legacy)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out.parent.resolve())
    holder = _temp_name(out)
    staging = holder / out.name  # the output's own name, for whatever records the folder's name
    staging.mkdir(parents=True)
    try:
        yield staging
        (staging / MARKER).write_text(json.dumps({"command": command, "files": _files(staging)}, indent=1) + "\n",
                                      encoding="utf-8")
        try:
            claim_folder(out, command, legacy)  # the user may have added files while the command ran
        except OutputError as exc:
            kept = out.with_name(f"{out.name}.new-{time.strftime('%Y%m%d-%H%M%S')}")
            os.rename(staging, kept)
            raise OutputError(f"{exc}; this run's output is in {kept}") from None
        _swap(staging, out)
    finally:
        _remove(holder)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    old = _temp_name(out, OLD_TAG)
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)
        raise
    _remove(old)
