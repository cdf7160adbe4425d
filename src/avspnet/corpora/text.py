"""Text that others made (corpus tables, transcripts, manifests): UTF-8, or an encoding someone declared.

Bytes that are not UTF-8 are never decoded by a guess: Latin-1 text also
decodes as GB18030 (`Über` -> `躡er`) and no byte test tells them apart. So
a file is read as UTF-8 (with or without a BOM); failing that, as the
encoding the user declared (`avspnet corpus --encoding`) or a corpus'
documented one (CASIA's GB18030), with a warning naming the file; failing
that, it is a one-line error naming the file and the first byte that is
not UTF-8.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from ..errors import ConfigError, CorpusError
from ..log import get_logger

_DECLARED: ContextVar[str | None] = ContextVar("avspnet_declared_encoding", default=None)


@contextmanager
def declared_encoding(name: str | None) -> Iterator[None]:
    """Within the block, text that is not UTF-8 is read as `name` (the user's `--encoding`); None changes nothing."""
    if name is None:
        yield
        return
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise ConfigError(f"unknown text encoding {name!r} (e.g. latin-1, cp1252, gb18030)") from None
    token = _DECLARED.set(codec)
    try:
        yield
    finally:
        _DECLARED.reset(token)


def decode_text(raw: bytes, source: str | Path, fallback: str | None = None) -> str:
    """`raw` as UTF-8, else as the declared encoding (or the reader's `fallback`) with a warning, else an error."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start
    line = raw.count(b"\n", 0, offset) + 1
    where = f"byte 0x{raw[offset]:02x} at offset {offset}, line {line}"
    encoding = _DECLARED.get() or fallback
    if encoding is None:
        raise CorpusError(f"{source} is not UTF-8 text ({where}): re-save it as UTF-8, or declare its encoding "
                          "(avspnet corpus --encoding NAME)")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{source} is neither UTF-8 ({where}) nor {encoding} text "
                          f"(byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    get_logger("corpora").warning("%s is not UTF-8 (%s): read as %s", source, where, encoding)
    return text


def read_text(path: Path, corpus: str | None = None, fallback: str | None = None) -> str:
    """A text file others made, decoded by `decode_text`; errors name the corpus (when given) and the file."""
    prefix = f"{corpus}: " if corpus else ""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{prefix}{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return decode_text(raw, path, fallback)
    except CorpusError as exc:
        raise CorpusError(f"{prefix}{exc}") from None
