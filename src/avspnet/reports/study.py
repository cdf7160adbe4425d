"""Reading the scaling study's run folders: each one's per-fold results and its typed run record.

`scaling-report` takes run folders of `avspnet experiment`; this module
turns each into a StudyRun (what target, network and background produced
which per-fold scores), refusing a folder whose run.json or per_fold.csv is
missing or malformed with one line that names the file and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..errors import AvspnetError
from .runinfo import RunRecord, background_names, read_run_record
from .summary import check_results


@dataclass
class StudyRun:
    """One run folder of the study: which target, network and background, and its per-fold UARs."""

    path: Path
    name: str
    target: str
    network: str
    hours: float
    budget: str
    folds: str
    per_fold: pd.DataFrame
    record: RunRecord
    background: str = "none"


def _budget(pretrain: dict) -> str:
    steps = pretrain.get("max_steps")
    cap = f"at most {steps} steps" if steps else f"{pretrain.get('epochs')} epochs"
    return f"{cap} of {pretrain.get('batch_size')} segments per phase"


def read_run(run_dir: str | Path) -> StudyRun:
    """A run folder's results and what produced them (its typed run record), or an error naming the folder."""
    path = Path(run_dir)
    info_path, fold_path = path / "run.json", path / "per_fold.csv"
    for needed in (info_path, fold_path):
        if not needed.is_file():
            raise AvspnetError(f"{path}: not a finished run folder ({needed.name} missing)")
    record = read_run_record(info_path)
    facts = record.config_facts()
    try:
        per_fold = uar_results(pd.read_csv(fold_path))
    except (AvspnetError, ValueError) as exc:  # pandas parse errors are ValueErrors
        raise AvspnetError(f"{fold_path}: {exc}") from None
    return StudyRun(path=path, name=facts.name or path.name, target=record.target_label, network=record.network,
                    hours=record.background.hours, budget=_budget(facts.pretrain), folds=facts.folds,
                    per_fold=per_fold, record=record, background=background_names(record.config))


def uar_results(per_fold: pd.DataFrame) -> pd.DataFrame:
    """The checked per-fold rows of class tasks: gains are in UAR, so rating tasks (CCC) sit the study out."""
    frame = check_results(per_fold)
    if "uar" not in frame:
        raise AvspnetError("results hold no class task (UAR); gains over R are in UAR")
    return frame[frame["uar"].notna()]


def pretraining_table(runs: Sequence[StudyRun]) -> pd.DataFrame:
    """Per (network, rung, front-end, phase): steps, epochs and the kept epoch's losses and proxy accuracy.

    Targets of one rung share their pre-training, so each (network, hours) is read from its first run.
    """
    rows, seen = [], set()
    for run in sorted(runs, key=lambda r: (r.network, r.hours, r.name)):
        key = (run.network, round(run.hours, 3))
        if key in seen:
            continue
        seen.add(key)
        background = run.record.background
        for frontend, phases in run.record.pretrain.items():
            for phase, summary in phases.items():
                rows.append({"network": run.network, "hours": run.hours, "background": run.background,
                             "speakers": background.speakers, "segments": background.segments,
                             "frontend": frontend, "phase": phase, "budget": run.budget, **asdict(summary)})
    columns = ["network", "hours", "background", "speakers", "segments", "frontend", "phase", "budget", "epochs", "steps",
               "kept_epoch", "train_loss", "val_loss", "val_acc"]
    return pd.DataFrame(rows, columns=columns)


