"""Save one ready-to-use recognition model per task after the grid.

The grid's heads are fitted on fold subsets to measure; the exported model
uses the front-end that scored best at the largest label fraction, of any
kind (an AV-SpNET encoder, or a baseline such as eGeMAPS, Whisper or log-mel
statistics, saved by name: `frontends.saved`), and a head fitted on all
labelled target utterances (speaker-held-out validation for early stopping),
which is what a user wants to run `avspnet predict` with. Where the best
front-end cannot be saved, the best one that can is, and the entry names
the best. `predict` names a class, so rating tasks (CCC) are not exported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..configio import to_dict
from ..downstream.fit import fit_head
from ..downstream.grid import head_inputs, job_seed, segment_rows
from ..downstream.head import save_recognizer
from ..downstream.pooling import segment_speakers
from ..downstream.predict import SPEAKER_NORMALISATION
from ..evaluation.folds import validation_speakers
from ..evaluation.tasks import Task
from ..features.store import SegmentStore
from ..frontends import FrontEnd
from ..frontends.saved import not_exportable
from ..log import get_logger
from .config import ExperimentConfig
from .data import TargetData


def export_models(config: ExperimentConfig, results: pd.DataFrame, frontends: dict[str, FrontEnd],
                  embeddings: dict[str, Path], target: TargetData, labels: dict[str, np.ndarray],
                  tasks: dict[str, Task], out_dir: Path) -> dict[str, dict]:
    log = get_logger("experiment")
    savable = set()
    for name, frontend in frontends.items():
        reason = not_exportable(frontend)
        if reason:
            log.warning("%s: no model of it can be exported", reason)
        else:
            savable.add(name)
    ratings = [name for name, task in tasks.items() if not task.classes]
    if ratings:
        log.warning("no model exported for %s: `predict` names classes, not ratings", ", ".join(ratings))
    if not savable or len(ratings) == len(tasks):
        return {}
    full = results[results["fraction"] == results["fraction"].max()]
    mean_uar = full.groupby(["task", "frontend"])["uar"].mean()
    # The run's runtime, as the embedding stage resolved it: the head is trained on vectors of this precision,
    # so the model records it and `predict` embeds at it.
    runtime = config.runtime()
    speakers = target.segments.utterances["speaker"].to_numpy()
    utt_index = target.segments.utt_index
    segment_speaker = segment_speakers(speakers, utt_index)
    exported = {}
    for task, utt_labels in labels.items():
        if task in ratings:
            continue
        recognised = tasks[task]
        best_overall = mean_uar[task].idxmax()
        frontend = mean_uar[task][sorted(savable)].idxmax()
        labelled = np.flatnonzero(recognised.labelled(utt_labels))
        held_out = validation_speakers(speakers[labelled], recognised.strata(utt_labels[labelled]),
                                       config.transfer.val_speaker_fraction, config.seed)
        vectors, owners = head_inputs(SegmentStore.open(embeddings[frontend]), utt_index, segment_speaker,
                                      config.transfer)
        fit_rows = segment_rows(owners, labelled[~held_out])
        val_rows = segment_rows(owners, labelled[held_out])
        segment_labels = utt_labels[owners]
        n_classes = len(recognised.classes)
        fit = fit_head(np.asarray(vectors[fit_rows]), segment_labels[fit_rows], np.asarray(vectors[val_rows]),
                       segment_labels[val_rows], recognised, config.transfer, job_seed(config.seed, task, -1, 1.0))
        chosen = frontends[frontend]
        precision = chosen.precision(runtime)
        path = save_recognizer(
            out_dir / f"{task}.pt", chosen, fit.head,
            {"in_dim": int(vectors.shape[1]), "n_classes": n_classes, "hidden": list(config.transfer.hidden),
             "dropout": config.transfer.dropout},
            {"task": task, "class_names": list(recognised.classes), "frontend": frontend, "features": to_dict(config.features),
             "experiment": config.name, "cv_uar_mean": float(mean_uar[task][frontend]),
             "target_manifest_hash": target.manifest_hash, "avspnet_version": __version__,
             SPEAKER_NORMALISATION: config.transfer.speaker_norm},
            precision,
        )
        exported[task] = {"path": path.relative_to(out_dir.parent).as_posix(), "frontend": frontend,
                          "frontend_hash": chosen.content_hash(),
                          "precision": precision, "cv_uar_mean": float(mean_uar[task][frontend]),
                          "epochs": len(fit.history), "best_epoch": fit.best_epoch,
                          "best_frontend": best_overall, "best_cv_uar_mean": float(mean_uar[task][best_overall])}
    return exported
