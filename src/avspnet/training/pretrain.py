"""Pre-train one of the eight front-ends on proxy-labelled background segments.

Adam, batch 32 by default; a speaker-disjoint validation split drives early
stopping per phase and the best epoch's weights are kept. After every epoch
the run state goes to `out_dir/last.pt`, so an interrupted run resumes where
it stopped and ends with the same weights as an uninterrupted one. Runs
under `torchrun` use DistributedDataParallel, the global batch split over
the processes.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler
from tqdm import tqdm

from ..configio import to_dict
from ..errors import ConfigError, ModelFileError, OutputError
from ..log import get_logger
from ..models.avspnet import AVSpNet, Encoder
from ..models.safeload import load_weights
from ..paths import writable_folder
from . import checkpoint
from .device import Runtime
from .distributed import DistContext, barrier, from_main, init_from_env, sum_across
from .pretrain_config import Phase, PretrainConfig, TrainingConfig, phases
from .pretrain_data import PretrainData

log = get_logger("pretrain")
_EVAL_BATCH = 128
# Keys a checkpoint must hold: the final model, and the state of an interrupted run.
FINAL_KEYS = ("config", "model_state", "history")
RUN_STATE_KEYS = ("config", "model_state", "run")


@dataclass
class PretrainResult:
    encoder: Encoder
    model: AVSpNet
    history: list[dict]
    checkpoint: Path | None
    # Segments it was trained on (None for an old checkpoint that did not record it).
    n_segments: int | None = None
    # Where and in what precision it really ran (device, precision, ...); None for an old checkpoint.
    runtime: dict | None = None


class PhaseModule(nn.Module):
    """The encoder with only the heads a phase trains, so unused heads get no updates (and DDP sees no unused parameters).

    `net` is any network with `encoder` (owning `normalise`), `decoder` and
    `proxy`: the AV-SpNET CNN or an adapter on frozen vectors (training.adapter).
    """

    def __init__(self, net: nn.Module, phase: Phase):
        super().__init__()
        self.encoder = net.encoder
        self.heads = nn.ModuleDict({"decoder": net.decoder} if phase.mse else {})
        if phase.ce:
            self.heads["proxy"] = net.proxy

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        embedding = self.encoder(x)
        return tuple(self.heads[k](embedding) if k in self.heads else None for k in ("decoder", "proxy"))


@dataclass
class PhaseSummary:
    """One phase of a pre-training: epochs and steps run, and the epoch it kept with its losses and
    proxy-validation accuracy (None where the phase has no validation split or no proxy head)."""

    epochs: int
    steps: int
    kept_epoch: int
    train_loss: float | None = None
    val_loss: float | None = None
    val_acc: float | None = None


def epoch_criterion(row: dict) -> float:
    """What a phase keeps its best epoch by: validation loss, else (no validation split) training loss."""
    return row.get("val_loss", row["train_loss"])


def pretrain_summary(history: list[dict]) -> dict[str, PhaseSummary]:
    """Per phase of a pre-training `history`: what ran and the epoch it kept (for run.json)."""
    summary = {}
    for phase in dict.fromkeys(row["phase"] for row in history):
        rows = [row for row in history if row["phase"] == phase]
        kept = min(rows, key=epoch_criterion)
        summary[phase] = PhaseSummary(len(rows), rows[-1]["steps"], kept["epoch"], kept.get("train_loss"),
                                      kept.get("val_loss"), kept.get("val_acc"))
    return summary


def phase_losses(encoder: Encoder, x, y, recon, logits) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(MSE, summed CE over labelled segments, number of labelled segments); absent heads give 0."""
    zero = x.new_zeros(())
    mse = F.mse_loss(recon.float(), encoder.normalise(x)) if recon is not None else zero
    if logits is None:
        return mse, zero, zero
    labelled = (y >= 0).float()
    ce = (F.cross_entropy(logits.float(), y.clamp(min=0), reduction="none") * labelled).sum()
    return mse, ce, labelled.sum()


def combine(phase: Phase, alpha: float, mse, ce_sum, n_labelled) -> torch.Tensor:
    ce = ce_sum / n_labelled.clamp(min=1)
    if phase.mse and phase.ce:
        return alpha * mse + (1 - alpha) * ce
    return mse if phase.mse else ce


def make_optimizer(module: nn.Module, lr: float) -> torch.optim.Adam:
    """Adam; the fused kernel (one pass over all parameters) where the device has it."""
    return torch.optim.Adam(module.parameters(), lr=lr, fused=True)


def train_step(trained: nn.Module, encoder: Encoder, optimizer: torch.optim.Optimizer, phase: Phase, alpha: float,
               x: torch.Tensor, y: torch.Tensor, runtime: Runtime) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimiser step; returns (loss, MSE) for logging."""
    with runtime.autocast():
        recon, logits = trained(x)
    mse, ce, n_lab = phase_losses(encoder, x, y, recon, logits)
    loss = combine(phase, alpha, mse, ce, n_lab)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach(), mse.detach()


def step_seconds(config: PretrainConfig, repeats: int = 3) -> float:
    """Seconds per optimiser step of `config`'s network and batch on this machine, for the estimate.

    Timed through `train_step` itself on the joint phase (both heads: an upper
    bound for every phase), at the config's runtime; the first step warms up
    and is not counted. Random data, and the caller's random state untouched.
    """
    return _step_seconds(replace(config, frontend="AVSpNET_a", seed=0), repeats)


@functools.lru_cache(maxsize=4)
def _step_seconds(config: PretrainConfig, repeats: int) -> float:
    runtime = config.runtime()
    phase = phases(config.frontend)[0]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        module = runtime.prepare(PhaseModule(AVSpNet(config.model), phase))
        x = torch.randn(config.batch_size, config.model.n_bins, config.model.n_frames, device=runtime.device)
    y = torch.zeros(config.batch_size, dtype=torch.long, device=runtime.device)
    optimizer = make_optimizer(module, config.lr)
    times = []
    for _ in range(max(repeats, 2)):
        start = time.perf_counter()
        loss, _ = train_step(module, module.encoder, optimizer, phase, config.alpha, x, y, runtime)
        loss.item()  # waits for the device
        times.append(time.perf_counter() - start)
    return min(times[1:])


@dataclass
class RunState:
    """Where a run stands; saved after every epoch."""

    phase: int = 0
    epoch: int = 0
    steps: int = 0
    bad_epochs: int = 0
    best_loss: float = float("inf")
    best_state: dict | None = None
    optimizer: dict | None = None
    history: list | None = None


def _build_model(config: PretrainConfig, data: PretrainData) -> AVSpNet:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = AVSpNet(config.model)
    model.encoder.set_normalisation(data.mean, data.std)
    return model


def _batches(data: PretrainData, index: np.ndarray, targets: np.ndarray, config: TrainingConfig,
             ctx: DistContext, epoch: int, runtime: Runtime):
    """This rank's share of one epoch, shuffled by (seed, epoch) only, so a resumed epoch replays exactly."""
    sampler = DistributedSampler(index, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=config.seed)
    sampler.set_epoch(epoch)
    order = index[np.fromiter(sampler, dtype=np.int64)]
    per_rank = max(1, config.batch_size // ctx.world_size)
    pin = runtime.device.type == "cuda"
    for start in range(0, len(order), per_rank):
        chosen = np.sort(order[start:start + per_rank])
        x, y = torch.from_numpy(data.segments[chosen]), torch.from_numpy(targets[chosen])
        if pin:
            x, y = x.pin_memory(), y.pin_memory()
        yield x.to(runtime.device, non_blocking=pin), y.to(runtime.device, non_blocking=pin)


@torch.no_grad()
def evaluate(module: PhaseModule, phase: Phase, alpha: float, data: PretrainData, index: np.ndarray,
             targets: np.ndarray, runtime: Runtime) -> dict:
    """Loss, MSE, CE and proxy accuracy over `index` (eval mode, no gradient)."""
    module.eval()
    totals = np.zeros(4)  # mse * n, ce sum, labelled, correct
    for start in range(0, len(index), _EVAL_BATCH):
        chosen = index[start:start + _EVAL_BATCH]
        x = torch.from_numpy(data.segments[chosen]).to(runtime.device)
        y = torch.from_numpy(targets[chosen]).to(runtime.device)
        with runtime.autocast():
            recon, logits = module(x)
        mse, ce, n_lab = phase_losses(module.encoder, x, y, recon, logits)
        correct = ((logits.argmax(1) == y) & (y >= 0)).sum() if logits is not None else torch.zeros(())
        totals += [mse.item() * len(chosen), ce.item(), n_lab.item(), correct.item()]
    mse, ce_sum, n_lab, correct = totals.tolist()
    loss = combine(phase, alpha, torch.tensor(mse / max(len(index), 1)), torch.tensor(ce_sum), torch.tensor(n_lab))
    return {"loss": loss.item(), "mse": mse / max(len(index), 1), "ce": ce_sum / max(n_lab, 1),
            "acc": correct / n_lab if n_lab else None}


def run_phase(model: nn.Module, phase_index: int, phase: Phase, data: PretrainData, config: TrainingConfig,
              runtime: Runtime, ctx: DistContext, state: RunState, out_dir: Path | None, progress: bool,
              data_hash: str | None) -> None:
    """Train one phase in place, early-stopped on validation loss, ending on its best epoch's weights.

    `state` advances epoch by epoch (and is saved to `out_dir` when given), so a stopped run resumes here.
    """
    train, val = data.indices(phase, "train"), data.indices(phase, "val")
    targets = data.targets(phase)
    per_epoch = -(-len(train) // (ctx.world_size * max(1, config.batch_size // ctx.world_size)))
    total = min(per_epoch * config.epochs, config.max_steps or per_epoch * config.epochs)
    module = runtime.prepare(PhaseModule(model, phase))
    trained = DistributedDataParallel(module) if ctx.active else module
    if config.compile:
        trained = torch.compile(trained)
    optimizer = make_optimizer(module, config.lr)
    if state.optimizer is not None:
        optimizer.load_state_dict(state.optimizer)
    bar = tqdm(total=total, initial=state.steps, desc=f"{config.frontend} {phase.name}", unit="step",
               disable=not (progress and ctx.is_main), leave=False)
    for epoch in range(state.epoch, config.epochs):
        started = time.perf_counter()
        module.train()
        sums = torch.zeros(4, dtype=torch.float64)  # loss * n, mse * n, n, steps
        for x, y in _batches(data, train, targets, config, ctx, 1000 * phase_index + epoch, runtime):
            loss, mse = train_step(trained, module.encoder, optimizer, phase, config.alpha, x, y, runtime)
            state.steps += 1
            sums += torch.tensor([loss.item() * len(x), mse.item() * len(x), len(x), 1], dtype=torch.float64)
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.4f}")
            if config.max_steps and state.steps >= config.max_steps:
                break
        sums = sum_across(sums, ctx)
        row = {"phase": phase.name, "epoch": epoch + 1, "steps": state.steps,
               "train_loss": sums[0].item() / sums[2].item()}
        if phase.mse:
            row["train_mse"] = sums[1].item() / sums[2].item()
        if len(val) and ctx.is_main:
            row |= {f"val_{k}": v for k, v in evaluate(module, phase, config.alpha, data, val, targets, runtime).items()}
        criterion = from_main(torch.tensor([epoch_criterion(row)], dtype=torch.float64), ctx).item()
        row["seconds"] = round(time.perf_counter() - started, 3)
        state.history.append(row)
        if criterion < state.best_loss:
            state.best_loss, state.bad_epochs = criterion, 0
            state.best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            state.bad_epochs += 1
        log.debug("%s", row)
        state.epoch = epoch + 1
        stop = state.bad_epochs >= config.patience or bool(config.max_steps and state.steps >= config.max_steps)
        if stop or state.epoch == config.epochs:
            state.phase, state.epoch, state.steps, state.optimizer = phase_index + 1, 0, 0, None
            if state.best_state is not None:  # None only when every epoch's loss was NaN
                model.load_state_dict(state.best_state)
            state.best_state, state.best_loss, state.bad_epochs = None, float("inf"), 0
        else:
            state.optimizer = optimizer.state_dict()
        _save_run_state(model, config, state, out_dir, ctx, data_hash)
        if state.phase > phase_index:
            break
    bar.close()


def _save_run_state(model: AVSpNet, config: PretrainConfig, state: RunState, out_dir: Path | None,
                    ctx: DistContext, data_hash: str | None) -> None:
    if out_dir is not None and ctx.is_main:
        checkpoint.save({"config": to_dict(config), "model_state": model.state_dict(), "run": vars(state),
                         "data_hash": data_hash}, out_dir / checkpoint.RUN_STATE)
    barrier(ctx)


def _saved(path: Path | None, config: PretrainConfig, data_hash: str | None, what: str,
           required: tuple[str, ...], strict: bool = False) -> dict | None:
    """A checkpoint of this config and data, None if absent or unreadable (logged: it is redone).

    A different config or different data is an error, not a silent reuse; so is, when `strict`
    (a user's --out, not the cache), a file avspnet did not write.
    """
    if path is None or not path.is_file():
        return None
    try:
        saved = checkpoint.load(path, required)
    except ModelFileError as exc:
        if strict:
            raise ModelFileError(f"{exc}; refusing to overwrite it: use another --out or delete it") from None
        log.warning("%s; %s again", exc, what)
        return None
    if saved.get("config") != to_dict(config):
        raise ConfigError(f"{path}: {what} with a different config; use another --out or delete it")
    theirs = saved.get("data_hash", (saved.get("metadata") or {}).get("data_hash"))
    if data_hash is not None and theirs != data_hash:
        raise ConfigError(f"{path}: {what} on other data (data hash {theirs}, this run {data_hash}); "
                          "use another --out or delete it")
    return saved


def claim_out_dir(out_dir: Path, config: PretrainConfig) -> None:
    """Refuse, before any work, an --out that is a file or holds a checkpoint `avspnet pretrain` did not
    write or wrote for another recipe or config: a foreign pretrained.pt is never overwritten."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out {out_dir} is a file; pre-training writes a folder: choose another path")
    writable_folder(out_dir, "--out")
    for name, what, required in ((checkpoint.FINAL, "pre-trained", FINAL_KEYS),
                                 (checkpoint.RUN_STATE, "an interrupted run", RUN_STATE_KEYS)):
        _saved(out_dir / name, config, None, what, required, strict=True)


def _resume(out_dir: Path | None, config: PretrainConfig, model: AVSpNet, data_hash: str | None) -> RunState:
    path = out_dir / checkpoint.RUN_STATE if out_dir is not None else None
    saved = _saved(path, config, data_hash, "an interrupted run", RUN_STATE_KEYS)
    if saved is None:
        return RunState(history=[])
    load_weights(model, saved["model_state"], path)
    try:
        state = RunState(**saved["run"])
    except TypeError as exc:
        raise ModelFileError(f"model {path}: its run state is not one pre-training wrote ({exc})") from None
    log.info("resuming %s from %s (phase %d, epoch %d)", config.frontend, path, state.phase + 1, state.epoch + 1)
    return state


def _finished(out_dir: Path | None, config: PretrainConfig, data_hash: str | None) -> PretrainResult | None:
    """A completed run with the same config and data in `out_dir` is reused, not retrained."""
    path = out_dir / checkpoint.FINAL if out_dir is not None else None
    saved = _saved(path, config, data_hash, "pre-trained", FINAL_KEYS)
    if saved is None:
        return None
    model = AVSpNet(config.model)
    load_weights(model, saved["model_state"], path)
    runtime = saved.get("runtime")
    return PretrainResult(model.encoder.eval(), model.eval(), saved["history"], path, saved.get("n_segments"),
                          runtime if isinstance(runtime, dict) else None)


def pretrain(
    segments: np.ndarray,
    speakers: np.ndarray,
    proxy_arousal: np.ndarray,
    proxy_valence: np.ndarray,
    config: PretrainConfig = PretrainConfig(),
    out_dir: Path | None = None,
    progress: bool = True,
    metadata: dict | None = None,
) -> PretrainResult:
    """Pre-train `config.frontend`; `metadata` (proxy source, data hash) is stored in the checkpoint.

    `segments` may be a SegmentStore (read batch by batch, so memory does
    not grow with the corpus). A finished or interrupted run in `out_dir`
    is reused only for the same config and the same `metadata["data_hash"]`.
    """
    out_dir = Path(out_dir) if out_dir is not None else None
    data_hash = (metadata or {}).get("data_hash")
    done = _finished(out_dir, config, data_hash)
    if done is not None:
        log.info("%s already pre-trained in %s", config.frontend, done.checkpoint)
        return done
    runtime = config.runtime()
    ctx = init_from_env(runtime.device.type)
    if ctx.active and runtime.device.type == "cuda":
        torch.cuda.set_device(ctx.local_rank)
        runtime = Runtime(torch.device("cuda", ctx.local_rank), runtime.precision, runtime.channels_last)
    m = config.model
    data = PretrainData.build(segments, speakers, proxy_arousal, proxy_valence, m.n_bins, m.n_frames,
                              m.n_classes, config.val_speaker_fraction, config.seed, ctx)
    data.require_labels(config.frontend, phases(config.frontend))
    model = _build_model(config, data)
    state = _resume(out_dir, config, model, data_hash)
    labelled = "".join(f", {data.labelled(p)} with a proxy {p.label} label" for p in phases(config.frontend)
                       if p.ce)
    log.info("pre-training %s on %d segments (%d train%s, %d validation) on %s, %s%s, %d process(es)",
             config.frontend, len(data.segments), len(data.train), labelled, len(data.val), runtime.device,
             runtime.precision, ", channels-last" if runtime.channels_last else "", ctx.world_size)
    for index, phase in enumerate(phases(config.frontend)):
        if index >= state.phase:
            run_phase(model, index, phase, data, config, runtime, ctx, state, out_dir, progress, data_hash)
    model = model.to("cpu", memory_format=torch.contiguous_format).eval()
    path = None
    ran = {"device": str(runtime.device), "precision": runtime.precision, "channels_last": runtime.channels_last,
           "processes": ctx.world_size}
    if out_dir is not None:
        path = out_dir / checkpoint.FINAL
        if ctx.is_main:
            checkpoint.save({
                "config": to_dict(config), "model_state": model.state_dict(), "metadata": metadata or {},
                "history": state.history, "n_segments": len(data.segments), "n_val": len(data.val), "runtime": ran,
            }, path)
            (out_dir / checkpoint.RUN_STATE).unlink(missing_ok=True)
        barrier(ctx)
    return PretrainResult(model.encoder, model, state.history, path, len(data.segments), ran)
