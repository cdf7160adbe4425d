"""How well proxy labels agree with a corpus' gold labels: UAR, coverage, per speaker, plots.

UAR is sklearn's balanced accuracy over the utterances that have both a
gold and a proxy label; coverage says what fraction got a proxy label at
all, so a high UAR on few utterances is visible as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import balanced_accuracy_score

from ..markdown import table_head, table_row

TASKS = {"arousal": ("low", "high"), "valence": ("negative", "positive")}


@dataclass(frozen=True)
class Agreement:
    task: str
    uar: float  # NaN when no utterance has both labels, or gold has one class only
    accuracy: float  # NaN when no utterance has both labels
    n_compared: int
    n_gold: int
    coverage: float  # proxy-labelled fraction of all utterances


def agreement(gold: pd.Series, proxy: pd.Series, task: str) -> Agreement:
    both = (gold.notna() & proxy.notna()).to_numpy()
    y_true = gold[both].astype(int).to_numpy()
    y_pred = proxy[both].astype(int).to_numpy()
    uar = balanced_accuracy_score(y_true, y_pred) if len(set(y_true)) > 1 else math.nan
    accuracy = float(np.mean(y_true == y_pred)) if len(y_true) else math.nan
    coverage = float(proxy.notna().mean()) if len(proxy) else 0.0
    return Agreement(task, float(uar), accuracy, int(both.sum()), int(gold.notna().sum()), coverage)


def per_speaker(manifest: pd.DataFrame, proxy: pd.DataFrame) -> pd.DataFrame:
    """Per speaker and task: utterances compared, accuracy and UAR (NaN with one gold class)."""
    rows = []
    for speaker, index in manifest.groupby("speaker", sort=True).groups.items():
        row = {"speaker": speaker, "utterances": len(index)}
        for task in TASKS:
            result = agreement(manifest.loc[index, task], proxy.loc[index, f"proxy_{task}"], task)
            row.update({f"{task}_compared": result.n_compared, f"{task}_accuracy": result.accuracy,
                        f"{task}_uar": result.uar, f"{task}_coverage": result.coverage})
        rows.append(row)
    return pd.DataFrame(rows)


def score_plot(manifest: pd.DataFrame, proxy: pd.DataFrame, path: Path) -> Path:
    """Histograms of each task's proxy score, one colour per gold class."""
    fig = Figure(figsize=(10, 3.6))  # no pyplot: no GUI backend, no global figure state
    axes = fig.subplots(1, len(TASKS))
    bins = np.linspace(-1, 1, 21)
    for ax, (task, names) in zip(axes, TASKS.items()):
        scores = proxy[f"proxy_{task}_score"]
        for value, name in enumerate(names):
            chosen = scores[(manifest[task] == value).fillna(False).to_numpy()].dropna()
            if len(chosen):
                ax.hist(chosen, bins=bins, alpha=0.55, label=f"gold {name} (n={len(chosen)})")
        ax.set(title=f"proxy {task} score", xlabel="score (speaker-rank, -1..1)", ylabel="utterances")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no scored utterance with a gold label", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def emotion_means(manifest: pd.DataFrame, proxy: pd.DataFrame) -> pd.DataFrame:
    """Mean proxy scores per gold emotion category: the finest view of what the proxy tracks."""
    frame = pd.DataFrame({"emotion": manifest["emotion"].replace("", "(none)"),
                          "arousal_score": proxy["proxy_arousal_score"],
                          "valence_score": proxy["proxy_valence_score"]})
    table = frame.groupby("emotion").agg(utterances=("emotion", "size"), arousal_score=("arousal_score", "mean"),
                                         valence_score=("valence_score", "mean"))
    return table.reset_index()


def fmt(value: float, digits: int = 4) -> str:
    """A score for a table: fixed decimals, "n/a" for None / NaN, no negative zero."""
    if value is None or math.isnan(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def render_markdown(name: str, results: list[Agreement], emotions: pd.DataFrame, plot: str, speakers: str) -> str:
    lines = [f"# Proxy-label validity: {name}", "",
             *table_head(["task", "UAR vs gold", "utterances compared", "with gold label", "proxy-labelled fraction"])]
    lines += [table_row([r.task, fmt(r.uar), r.n_compared, r.n_gold, f"{r.coverage:.3f}"]) for r in results]
    lines += ["", "UAR = balanced accuracy over utterances with both a gold and a proxy label.", "",
              "## Mean proxy score per gold emotion", "",
              *table_head(["emotion", "utterances", "arousal score", "valence score"])]
    lines += [table_row([r.emotion, r.utterances, fmt(r.arousal_score), fmt(r.valence_score)])
              for r in emotions.itertuples()]
    lines += ["", f"![score distributions per gold class]({plot})", "", f"Per-speaker agreement: [{speakers}]({speakers})", ""]
    return "\n".join(lines)


def has_gold(manifest: pd.DataFrame) -> bool:
    """Whether any utterance has a gold arousal or valence label to agree with."""
    return any(task in manifest.columns and manifest[task].notna().any() for task in TASKS)


def write_report(name: str, manifest: pd.DataFrame, proxy: pd.DataFrame, out_dir: Path,
                 sections: str = "") -> list[Agreement]:
    """report.md (with `sections` appended), scores.png and per_speaker.csv in `out_dir`; returns the agreement."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [agreement(manifest[t], proxy[f"proxy_{t}"], t) for t in TASKS]
    per_speaker(manifest, proxy).to_csv(out_dir / "per_speaker.csv", index=False)
    score_plot(manifest, proxy, out_dir / "scores.png")
    text = render_markdown(name, results, emotion_means(manifest, proxy), "scores.png", "per_speaker.csv")
    (out_dir / "report.md").write_text(text + sections, encoding="utf-8")
    return results
