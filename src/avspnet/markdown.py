"""Markdown pipe-table rows, written and read with escaped cells.

Table cells hold names from configs, manifests and registries (front-ends, backgrounds, tasks, emotions,
corpora, lexicons, row labels such as "whisper-base | norm mean"). A bare "|" in one would split it and
shift every later value of its row under the wrong header, so every table writer builds its rows here:
a "|" inside a cell is written as "\\|", which Markdown renders as a pipe within the cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def escape_cell(value: object) -> str:
    """A cell's text with each "|" escaped so it stays inside its cell."""
    return str(value).replace("|", "\\|")


def table_row(cells: Iterable[object]) -> str:
    """One Markdown table row: `| a | b |`, each cell escaped."""
    return "| " + " | ".join(escape_cell(cell) for cell in cells) + " |"


def table_head(header: Sequence[object]) -> list[str]:
    """The header row and the `|---|---|` rule under it."""
    return [table_row(header), "|" + "---|" * len(header)]


def row_cells(line: str) -> list[str]:
    """The cells of a table row as written by `table_row`: split on unescaped "|" only, "\\|" read back as "|"."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_PIPE.split(inner)]
