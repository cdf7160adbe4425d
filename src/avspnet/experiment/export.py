"""Save one ready-to-use recognition model per task after the grid.

The grid's heads are fitted on fold subsets to measure; the exported model
uses the front-end that scored best at the largest label fraction and a head
fitted on all labelled target utterances (speaker-held-out validation for
early stopping), which is what a user wants to run `avspnet predict` with.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..configio import to_dict
from ..evaluation.folds import validation_speakers
from ..evaluation.tasks import TASK_CLASSES
from ..models.recognizer import save_recognizer
from ..training.transfer import fit_head
from .config import ExperimentConfig
from .data import TargetData
from .grid import job_seed, segment_rows


def export_models(config: ExperimentConfig, results: pd.DataFrame, encoders: dict, embeddings: dict[str, Path],
                  target: TargetData, labels: dict[str, np.ndarray], out_dir: Path) -> dict[str, dict]:
    full = results[results["fraction"] == results["fraction"].max()]
    mean_uar = full.groupby(["task", "frontend"])["uar"].mean()
    speakers = target.segments.utterances["speaker"].to_numpy()
    utt_index = target.segments.utt_index
    exported = {}
    for task, utt_labels in labels.items():
        frontend = mean_uar[task].idxmax()
        labelled = np.flatnonzero(utt_labels >= 0)
        held_out = validation_speakers(speakers[labelled], utt_labels[labelled],
                                       config.transfer.val_speaker_fraction, config.seed)
        vectors = np.load(embeddings[frontend], mmap_mode="r")
        fit_rows = segment_rows(utt_index, labelled[~held_out])
        val_rows = segment_rows(utt_index, labelled[held_out])
        segment_labels = utt_labels[utt_index]
        n_classes = len(TASK_CLASSES[task])
        fit = fit_head(np.asarray(vectors[fit_rows]), segment_labels[fit_rows], np.asarray(vectors[val_rows]),
                       segment_labels[val_rows], n_classes, config.transfer, job_seed(config.seed, task, -1, 1.0))
        path = save_recognizer(
            out_dir / f"{task}.pt", encoders[frontend], to_dict(config.pretrain.model), fit.head,
            {"in_dim": int(vectors.shape[1]), "n_classes": n_classes, "hidden": list(config.transfer.hidden),
             "dropout": config.transfer.dropout},
            {"task": task, "class_names": list(TASK_CLASSES[task]), "frontend": frontend, "features": to_dict(config.features),
             "experiment": config.name, "cv_uar_mean": float(mean_uar[task][frontend]),
             "target_manifest_hash": target.manifest_hash, "avspnet_version": __version__},
        )
        exported[task] = {"path": str(path), "frontend": frontend, "cv_uar_mean": float(mean_uar[task][frontend]),
                          "epochs": len(fit.history), "best_epoch": fit.best_epoch}
    return exported
