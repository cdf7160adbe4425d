"""A time estimate printed before a long run, from a few timed steps on this machine.

It times two pre-training steps of the configured network and one epoch of
a head on data of the grid's size, then scales by the planned step and epoch
counts (upper bounds: early stopping usually ends sooner). Front-ends whose
pre-training is already cached cost nothing, so a resumed run says so.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..downstream.fit import fit_head
from ..downstream.splits import FoldSplit
from ..evaluation.tasks import get_task
from ..features.dataset import SegmentSet
from ..frontends import CHECKPOINT_PREFIX, EmbedContext, build, is_pretrained, is_recipe
from ..models.avspnet import AVSpNet
from ..training.pretrain_config import phases
from .config import ExperimentConfig
from .fold_embeddings import per_fold


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _time_pretrain_step(config: ExperimentConfig) -> tuple[float, float]:
    """Seconds per training step and per inference batch of the configured network."""
    settings = config.pretrain
    runtime = config.runtime()
    model = runtime.prepare(AVSpNet(settings.model))
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    x = torch.randn(settings.batch_size, settings.model.n_bins, settings.model.n_frames, device=runtime.device)
    y = torch.zeros(settings.batch_size, dtype=torch.long, device=runtime.device)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        with runtime.autocast():
            reconstruction, logits = model(x)
            loss = nn.functional.mse_loss(reconstruction.float(), x) + nn.functional.cross_entropy(logits.float(), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    model.eval()
    start = time.perf_counter()
    with torch.no_grad(), runtime.autocast():
        model.encoder(x)
    return min(times[1:]), time.perf_counter() - start


def _time_head_epoch(config: ExperimentConfig, n_segments: int, dim: int, task: str = "emotion4") -> float:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n_segments, dim)).astype(np.float32)
    y = rng.integers(0, len(get_task(task).classes), n_segments)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        once = replace(config.transfer, epochs=1, patience=0)
        start = time.perf_counter()
        fit_head(x, y, x[:64], y[:64], get_task(task), once, seed=0)
        return time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)


def head_of(segments: SegmentSet, n_utterances: int) -> SegmentSet:
    """The segments of the first `n_utterances` utterances, as a SegmentSet of their own."""
    rows = np.flatnonzero(segments.utt_index < n_utterances)
    return SegmentSet(segments=segments.segments[rows], utt_index=segments.utt_index[rows],
                      utterances=segments.utterances.iloc[:n_utterances], skips=segments.skips)


def _time_fixed_frontends(config: ExperimentConfig, target, workers: int, cache_dir: Path | None) -> float:
    """Embedding seconds of the front-ends that need no training, timed on two utterances and scaled."""
    fixed = [name for name in config.frontends if not is_recipe(name) and not name.startswith(CHECKPOINT_PREFIX)]
    n_utts = len(target.segments.utterances)
    if not fixed or not n_utts:
        return 0.0
    sample = head_of(target.segments, min(2, n_utts))
    context = EmbedContext(config.features, Path(cache_dir or "."), config.runtime(), workers=1, progress=False)
    total = 0.0
    for name in fixed:
        frontend = build(name, config.pretrain, lambda: None, context.cache_dir, False)
        frontend.embed(head_of(sample, 1), context)  # loads a model, if any, outside the timing
        start = time.perf_counter()
        frontend.embed(sample, context)
        total += (time.perf_counter() - start) * n_utts / len(sample.utterances)
    return total


def estimate_seconds(config: ExperimentConfig, background, target, splits: list[FoldSplit],
                     workers: int, cache_dir: Path | None = None) -> dict[str, float]:
    """Upper-bound seconds per stage: pretrain, embed, transfer grid."""
    step_s, embed_batch_s = _time_pretrain_step(config)
    settings = config.seeded_pretrain()
    recipes = [name for name in config.frontends if is_recipe(name)
               and not (background is not None and cache_dir is not None
                        and is_pretrained(name, settings, background, cache_dir))]
    steps = 0
    if background is not None:
        steps = math.ceil(len(background.segments) / settings.batch_size) * settings.epochs
        if settings.max_steps:
            steps = min(steps, settings.max_steps)
    pretrain_s = step_s * steps * sum(len(phases(name)) for name in recipes)
    n_target = len(target.segments)
    encoders = [name for name in config.frontends if is_recipe(name) or name.startswith(CHECKPOINT_PREFIX)]
    n_folds = len({split.fold for split in splits})
    passes = sum(n_folds + config.export_models if per_fold(name, background is not None) else 1 for name in encoders)
    embed_s = embed_batch_s * math.ceil(n_target / settings.batch_size) * passes
    embed_s += _time_fixed_frontends(config, target, workers, cache_dir)
    segments_per_utt = n_target / max(len(target.segments.utterances), 1)
    fit_sizes = [len(part.fit) * segments_per_utt for split in splits for part in split.fractions.values()]
    mean_fit = float(np.mean(fit_sizes)) if fit_sizes else 0.0
    epoch_s = _time_head_epoch(config, max(int(mean_fit), 64), settings.model.embed_dim) if fit_sizes else 0.0
    grid_s = epoch_s * config.transfer.epochs * len(fit_sizes) * len(config.frontends) / max(workers, 1)
    return {"pretrain": round(pretrain_s, 1), "embed": round(embed_s, 1), "transfer grid": round(grid_s, 1)}
