"""A time estimate printed before a long run, from a few timed steps on this machine.

Each front-end's registry entry says what its training costs (a recipe: the
real pre-training step, timed, times its planned steps; nothing when it is
cached, so a resumed run says so) and gives a front-end that embeds at its
cost, timed on two target utterances and scaled. One epoch of a head on data
of the grid's size, per vector size, is scaled by the planned epochs. All
upper bounds: early stopping usually ends sooner.
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace

import numpy as np
import torch

from ..downstream.fit import TransferConfig, fit_head
from ..downstream.splits import FoldSplit
from ..evaluation.tasks import get_task
from ..frontends import BuildContext, EmbedContext, entry
from ..frontends.base import embedding_seconds
from .config import ExperimentConfig
from .fold_embeddings import per_fold


def _time_head_epoch(transfer: TransferConfig, n_segments: int, dim: int, task: str = "emotion4") -> float:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n_segments, dim)).astype(np.float32)
    y = rng.integers(0, len(get_task(task).classes), n_segments)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        once = replace(transfer, epochs=1, patience=0)
        start = time.perf_counter()
        fit_head(x, y, x[:64], y[:64], get_task(task), once, seed=0)
        return time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)


def estimate_seconds(config: ExperimentConfig, background, target, splits: list[FoldSplit], workers: int,
                     context: BuildContext) -> dict[str, float]:
    """Upper-bound seconds per stage: pretrain, embed, transfer grid."""
    quiet = replace(context, progress=False)
    embed_context = EmbedContext(config.features, context.cache_dir, context.runtime, workers=1, progress=False,
                                 stored=False)
    n_folds = len({split.fold for split in splits})
    pretrain_s = embed_s = 0.0
    dims = []
    for name in config.frontends:
        found = entry(name)
        own = found.context(name, quiet)
        pretrain_s += found.training_seconds(own)
        frontend = (found.stand_in or found.build)(own)
        passes = n_folds + config.export_models if per_fold(name, background is not None) else 1
        embed_s += embedding_seconds(frontend, target.segments, embed_context) * passes
        dims.append(frontend.dim)
    segments_per_utt = len(target.segments) / max(len(target.segments.utterances), 1)
    fit_sizes = [len(part.fit) * segments_per_utt for split in splits for part in split.fractions.values()]
    grid_s = 0.0
    if fit_sizes:
        epoch = functools.cache(lambda dim: _time_head_epoch(config.transfer, max(int(np.mean(fit_sizes)), 64), dim))
        grid_s = sum(epoch(dim) for dim in dims) * config.transfer.epochs * len(fit_sizes) / max(workers, 1)
    return {"pretrain": round(pretrain_s, 1), "embed": round(embed_s, 1), "transfer grid": round(grid_s, 1)}
