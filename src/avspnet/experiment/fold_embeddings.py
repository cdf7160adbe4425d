"""Target embeddings per front-end and fold: one store serves every fold, except R without a background
and the in-domain front-ends.

R is a seeded random encoder plus a per-bin input mean and std. With a
background those statistics come from it. Without one the target is the
only speech there is, and statistics over all of it would let each fold's
test speakers shape the baseline they are scored on, against the rule that
no test-fold value shapes standardisation. So R is then built per fold from
the segments of that fold's training utterances only and embeds the target
once per fold: one statistics pass and one CNN pass per fold. The exported
model (fitted on every target utterance) keeps R over the whole target.
In-domain front-ends (an adapter trained on the target's own proxy labels,
gold labels hidden) are built the same way: per fold from the fold's
training utterances only, whole for the exported model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..downstream.splits import FoldSplit
from ..frontends import BuildContext, EmbedContext, FrontEnd, build, cached_embeddings, entry
from ..log import get_logger
from .data import TargetData, in_domain_target, unlabeled_target

log = get_logger("experiment")

PER_FOLD = "per fold, from the fold's training speakers only (no background given)"
FROM_BACKGROUND = "from the background"


def per_fold(name: str, has_background: bool) -> bool:
    """True for a front-end that must learn from each fold's training side only: R with no background (its input
    statistics) and in-domain front-ends (the target's proxy labels)."""
    found = entry(name)
    return found.in_domain or (found.statistics_only and not has_background)


def input_statistics(names, has_background: bool) -> str | None:
    """Where R's input normalisation came from, for the report and run.json (None when R did not run)."""
    if not any(entry(name).statistics_only for name in names):
        return None
    return FROM_BACKGROUND if has_background else PER_FOLD


@dataclass
class TargetEmbeddings:
    # Front-end -> store of the whole target's vectors (what an exported model uses).
    whole: dict[str, Path]
    # Front-end -> fold -> store, for front-ends embedded per fold.
    folds: dict[str, dict[int, Path]]
    # run.json's embedding_s.
    timing: dict[str, dict]
    # Front-end -> the precision its vectors were computed in.
    precision: dict[str, str]
    # Where R's input normalisation came from (`input_statistics`), None when R did not run.
    input_statistics: str | None = None

    def path(self, name: str, fold: int) -> Path:
        """The store a (front-end, fold) head is fitted and tested on."""
        return self.folds[name][fold] if name in self.folds else self.whole[name]


def embed_target(frontends: dict[str, FrontEnd], target: TargetData, splits: list[FoldSplit], context: EmbedContext,
                 building: BuildContext, has_background: bool, whole: bool) -> TargetEmbeddings:
    """Every front-end's target vectors; per fold where `per_fold` says so (built again from `building`, the
    fold's training utterances as its background and as its in-domain data), and, with `whole`, also once whole."""
    training = {split.fold: split.training for split in splits}
    out = TargetEmbeddings({}, {}, {}, {}, input_statistics(frontends, has_background))
    n_utterances = max(len(target.segments.utterances), 1)
    for name, frontend in frontends.items():
        runs = []
        if per_fold(name, has_background):
            folds = {fold: build(name, replace(building, background=lambda u=utterances: unlabeled_target(target, u),
                                               in_domain=lambda u=utterances: in_domain_target(target, u)))
                     for fold, utterances in sorted(training.items())}
            runs = [(fold, cached_embeddings(encoder, target.segments, target.key, context))
                    for fold, encoder in folds.items()]
            out.folds[name] = {fold: done.path for fold, done in runs}
        if whole or name not in out.folds:
            done = cached_embeddings(frontend, target.segments, target.key, context)
            out.whole[name] = done.path
            runs.append((None, done))
        seconds = round(sum(done.seconds for _, done in runs), 2)
        out.precision[name] = "/".join(sorted({done.precision for _, done in runs}))
        out.timing[name] = {"seconds": seconds, "cached": all(done.cached for _, done in runs), "dim": frontend.dim,
                            "per_utterance_s": round(seconds / n_utterances, 4)}
        if name in out.folds:
            out.timing[name]["folds"] = len(out.folds[name])
        log.info("embedded %s: %.1f s%s%s", name, seconds, f" ({len(runs)} passes)" if len(runs) > 1 else "",
                 " (cached)" if out.timing[name]["cached"] else "")
    return out
