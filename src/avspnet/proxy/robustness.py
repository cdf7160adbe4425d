"""Does the proxy arousal rule survive gain normalisation? UAR per corpus x gain version x feature set.

Each corpus is measured once per gain version (as recorded, peak- and
loudness-normalised; cached like every acoustic measure) and re-ranked
for every non-empty subset of the candidate features: ranking is cheap,
Praat is not. A feature set's worst UAR over all versions and corpora is
what a user whose media was normalised in an unknown way can count on.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..markdown import table_head, table_row
from .cache import acoustic_values
from .config import GAINS, ProxyConfig
from .labels import arousal_labels, baseline_keys
from .report import agreement, fmt

CANDIDATES = ("pitch", "intensity", "hf500")
GAIN_NAMES = {"none": "as recorded", "peak": "peak-normalised", "lufs": "-23 LUFS"}


def feature_subsets(features: tuple[str, ...] = CANDIDATES) -> list[tuple[str, ...]]:
    """All non-empty subsets, smallest first, each in the order given."""
    return [subset for size in range(1, len(features) + 1) for subset in combinations(features, size)]


def robustness_table(
    corpora: dict[str, pd.DataFrame],
    config: ProxyConfig = ProxyConfig(),
    gains: tuple[str, ...] = GAINS,
    features: tuple[str, ...] = CANDIDATES,
    cache_dir: Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per corpus, gain and feature set: arousal UAR vs gold, labelled fraction, utterances compared."""
    rows = []
    for name, manifest in corpora.items():
        if not manifest["arousal"].notna().any():
            raise CorpusError(f"{name}: no gold arousal label to compare the proxy labels with")
        manifest = manifest.reset_index(drop=True)
        baselines = baseline_keys(manifest, config.group_by)
        for gain in gains:
            measures, _ = acoustic_values(manifest, replace(config.acoustic, gain=gain), cache_dir, workers, progress)
            for subset in feature_subsets(features):
                arousal = arousal_labels(measures, baselines, replace(config, arousal_features=subset))
                result = agreement(manifest["arousal"], arousal["proxy_arousal"], "arousal")
                rows.append({"corpus": name, "gain": gain, "features": "+".join(subset), "uar": result.uar,
                             "labelled": result.coverage, "compared": result.n_compared})
    return pd.DataFrame(rows, columns=["corpus", "gain", "features", "uar", "labelled", "compared"])


def worst_case(table: pd.DataFrame, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per feature set its lowest UAR over the kept (corpus, gain) cells and where; best worst case first.

    Cells without a UAR (gold has one class) are left out; a set with no
    UAR anywhere ranks last.
    """
    kept = table[~table["corpus"].isin(exclude)]
    rows = []
    for features, group in kept.groupby("features", sort=False):
        scored = group.dropna(subset=["uar"])
        worst = scored.loc[scored["uar"].idxmin()] if len(scored) else None
        rows.append({"features": features, "worst_uar": float("nan") if worst is None else float(worst["uar"]),
                     "worst_at": "" if worst is None else f"{worst['corpus']}, {GAIN_NAMES[worst['gain']]}",
                     "mean_uar": float(scored["uar"].mean()) if len(scored) else float("nan")})
    frame = pd.DataFrame(rows, columns=["features", "worst_uar", "worst_at", "mean_uar"])
    return frame.sort_values("worst_uar", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


def _pivot(table: pd.DataFrame, value: str) -> pd.DataFrame:
    order = list(dict.fromkeys(table["features"]))
    columns = list(dict.fromkeys(zip(table["corpus"], table["gain"])))
    pivot = table.pivot_table(index="features", columns=["corpus", "gain"], values=value, dropna=False)
    return pivot.reindex(index=order, columns=pd.MultiIndex.from_tuples(columns))


def render_markdown(table: pd.DataFrame, exclude: tuple[str, ...] = ()) -> str:
    """UAR and labelled-percentage tables (feature set x corpus/gain), worst cases, and the pick."""
    uar, labelled = _pivot(table, "uar"), _pivot(table, "labelled")
    header = ["features", *(f"{c} {GAIN_NAMES[g]}" for c, g in uar.columns)]
    worst_all = worst_case(table).set_index("features")
    worst_kept = worst_case(table, exclude).set_index("features") if exclude else None
    extra = ["worst", "worst without " + ", ".join(exclude)] if exclude else ["worst"]
    lines = ["## Arousal UAR vs gold", "", *table_head(header + extra)]
    for features, row in uar.iterrows():
        cells = [fmt(v, 3) for v in row]
        cells.append(f"**{fmt(worst_all.loc[features, 'worst_uar'], 3)}**")
        if worst_kept is not None:
            cells.append(fmt(worst_kept.loc[features, "worst_uar"], 3))
        lines.append(table_row([features, *cells]))
    lines += ["", "## Labelled (%)", "", *table_head(header)]
    lines += [table_row([features, *(f"{100 * v:.1f}" for v in row)]) for features, row in labelled.iterrows()]
    lines += ["", f"Best worst case: {_pick(worst_all)}."]
    if worst_kept is not None:
        lines.append(f"Without {', '.join(exclude)}: {_pick(worst_kept)}.")
    return "\n".join(lines) + "\n"


def _pick(worst: pd.DataFrame) -> str:
    top = worst.iloc[0]
    return f"**{worst.index[0]}** (worst UAR {fmt(top['worst_uar'], 3)}, at {top['worst_at']})"
