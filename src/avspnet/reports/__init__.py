"""The run folder's reports: Table 3, its plots, confusion matrices and run.json."""

from .confusion import plot_confusions
from .plots import plot_uar_vs_fraction
from .runinfo import run_info, write_run_json
from .summary import RESULT_COLUMNS, check_results, ordered, summarise
from .table3 import table3, table3_markdown, write_table3

__all__ = [
    "RESULT_COLUMNS", "check_results", "ordered", "plot_confusions", "plot_uar_vs_fraction", "run_info",
    "summarise", "table3", "table3_markdown", "write_run_json", "write_table3",
]
