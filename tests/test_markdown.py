"""Markdown table rows: a "|" inside a cell stays in its cell, written and read back."""

import re

from avspnet.markdown import row_cells, table_head, table_row

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_a_pipe_in_a_cell_keeps_the_row_as_wide_as_its_header():
    head = table_head(["row", "UAR"])
    row = table_row(["whisper-base | norm mean", 68.0])
    assert head == ["| row | UAR |", "|---|---|"]
    assert row == r"| whisper-base \| norm mean | 68.0 |"
    assert len(UNESCAPED_PIPE.split(row)) == len(UNESCAPED_PIPE.split(head[0])) == 4
    assert row_cells(row) == ["whisper-base | norm mean", "68.0"]


def test_cells_without_a_pipe_are_written_as_before():
    assert table_row(["a", "", 3]) == "| a |  | 3 |"
    assert row_cells("| a |  | 3 |") == ["a", "", "3"]
    assert row_cells(table_row(["ends with |"])) == ["ends with |"]
