"""The run folder's reports: Table 3, its plots, confusion matrices and run.json."""

from .confusion import plot_confusions
from .plots import plot_uar_vs_fraction
from .runinfo import RunRecord, read_run_record, write_run_record
from .summary import RESULT_COLUMNS, check_results, ordered, summarise
from .table3 import table3, table3_markdown, write_table3

__all__ = [
    "RESULT_COLUMNS", "RunRecord", "check_results", "ordered", "plot_confusions", "plot_uar_vs_fraction",
    "read_run_record", "summarise", "table3", "table3_markdown", "write_run_record", "write_table3",
]
