"""Segments (or embeddings) on disk, read lazily: memory stays flat however many hours a corpus holds.

A store is one or more .npy files of float32 rows, written once by
streaming blocks to disk and read back with positional reads (`os.pread`)
of just the rows asked for. Reads go through the page cache, not through
a memory map, so rows a process has read do not stay in its resident set:
peak RSS depends on the batch size, not on the corpus. Stores of several
corpora concatenate without copying. float32 on disk: float16 rounds real
log spectrograms (-11.5 to 5.1) by up to 3.9e-3, far outside the 1e-4 the
features are pinned to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..content import unreadable, whole_array
from ..paths import atomic_path

DTYPE = np.dtype("<f4")


@dataclass(frozen=True)
class _Part:
    path: str
    offset: int
    rows: int


def write_store(path: Path, blocks: Iterable[np.ndarray], rows: int, row_shape: tuple[int, ...]) -> Path:
    """Stream `blocks` (arrays of `row_shape` rows, `rows` in all) into a .npy file, atomically."""
    path = Path(path)
    written = 0
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": DTYPE.str, "fortran_order": False,
                                                      "shape": (rows, *row_shape)})
        for block in blocks:
            block = np.ascontiguousarray(block, dtype=DTYPE)
            if block.shape[1:] != tuple(row_shape):
                raise ValueError(f"store {path}: block of shape {block.shape}, rows must be {row_shape}")
            handle.write(block.tobytes())
            written += len(block)
        if written != rows:
            raise ValueError(f"store {path}: {written} rows written, {rows} announced")
    return path


class SegmentStore:
    """Rows of one or more .npy files as one read-only (N, ...) float32 array, read on demand.

    Indexing with an int, a slice or an index array returns an in-memory
    ndarray of just those rows. Picklable (file handles are reopened).
    """

    def __init__(self, parts: list[_Part], row_shape: tuple[int, ...]):
        self._parts = parts
        self.row_shape = tuple(row_shape)
        self._starts = np.cumsum([0] + [p.rows for p in parts])
        self._handles: dict[str, int] = {}

    @classmethod
    def open(cls, path: Path) -> SegmentStore:
        """The store in `path`; raises ValueError if it is not a complete float32 .npy file."""
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            offset = handle.tell()
        size = os.path.getsize(path)
        if fortran or dtype != DTYPE or size != offset + int(np.prod(shape)) * DTYPE.itemsize:
            raise ValueError(f"{path}: not a complete float32 store")
        return cls([_Part(str(path), offset, shape[0])], shape[1:])

    @classmethod
    def concat(cls, stores: list[SegmentStore]) -> SegmentStore:
        shapes = {s.row_shape for s in stores}
        if len(shapes) != 1:
            raise ValueError(f"cannot concatenate stores with row shapes {sorted(shapes)}")
        return cls([p for s in stores for p in s._parts], shapes.pop())

    def subset(self, rows: np.ndarray) -> SegmentStore:
        """The given rows, in ascending order, as a store of their own; nothing is copied or read.

        Each run of consecutive rows becomes a part, so the rows of whole
        utterances (stored together) make few parts.
        """
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        if len(rows) and (rows[0] < 0 or rows[-1] >= len(self)):
            raise IndexError(f"row index out of range for a store of {len(self)} rows")
        row_bytes = int(np.prod(self.row_shape, dtype=np.int64)) * DTYPE.itemsize
        parts = []
        for run in np.split(rows, np.flatnonzero(np.diff(rows) != 1) + 1) if len(rows) else []:
            start, stop = int(run[0]), int(run[-1]) + 1
            while start < stop:
                index = int(np.searchsorted(self._starts, start, "right")) - 1
                end = min(stop, int(self._starts[index + 1]))
                part = self._parts[index]
                parts.append(_Part(part.path, part.offset + (start - int(self._starts[index])) * row_bytes,
                                   end - start))
                start = end
        return SegmentStore(parts, self.row_shape)

    @classmethod
    def from_array(cls, array: np.ndarray, path: Path) -> SegmentStore:
        array = np.asarray(array)
        return cls.open(write_store(path, [array], len(array), array.shape[1:]))

    @property
    def shape(self) -> tuple[int, ...]:
        return (int(self._starts[-1]), *self.row_shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    dtype = DTYPE

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self._parts]

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[0:len(self)]
        return whole if dtype is None else whole.astype(dtype)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_handles": {}}

    def __del__(self) -> None:
        for fd in self._handles.values():
            try:
                os.close(fd)
            except OSError:
                pass

    def _fd(self, path: str) -> int:
        if path not in self._handles:
            self._handles[path] = os.open(path, os.O_RDONLY)
        return self._handles[path]

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, (int, np.integer)):
            return self[np.array([key])][0]
        if isinstance(key, slice):
            rows = np.arange(*key.indices(len(self)))
        else:
            rows = np.asarray(key)
            if rows.dtype == bool:
                rows = np.flatnonzero(rows)
            rows = np.where(rows < 0, rows + len(self), rows).astype(np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"row index out of range for a store of {len(self)} rows")
        out = np.empty((len(rows), *self.row_shape), DTYPE)
        if len(rows) == 0:
            return out
        row_bytes = out[0].nbytes
        order = np.argsort(rows, kind="stable")
        sorted_rows = rows[order]
        # Runs of consecutive rows in one part are read with one call.
        breaks = np.flatnonzero((np.diff(sorted_rows) != 1)
                                | (np.searchsorted(self._starts, sorted_rows[1:], "right")
                                   != np.searchsorted(self._starts, sorted_rows[:-1], "right"))) + 1
        buffer = out if np.array_equal(order, np.arange(len(rows))) else np.empty_like(out)
        for first, last in zip(np.r_[0, breaks], np.r_[breaks, len(rows)]):
            part_index = int(np.searchsorted(self._starts, sorted_rows[first], "right")) - 1
            part = self._parts[part_index]
            local = int(sorted_rows[first] - self._starts[part_index])
            view = memoryview(buffer[first:last].reshape(-1).view(np.uint8))
            done = 0
            while done < len(view):
                got = os.preadv(self._fd(part.path), [view[done:]], part.offset + local * row_bytes + done)
                if got <= 0:
                    raise OSError(f"{part.path}: short read (file truncated?)")
                done += got
        if buffer is not out:
            out[order] = buffer
        return out


def cached_store(path: Path, shape: tuple[int | None, ...]) -> SegmentStore | None:
    """The complete store of `shape` at `path`, or None (a truncated or unreadable one is logged and removed)."""
    if not whole_array(path, shape):
        return None
    try:
        return SegmentStore.open(path)
    except (OSError, ValueError):
        unreadable(path)
        return None
