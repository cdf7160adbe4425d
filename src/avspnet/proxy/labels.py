"""Proxy arousal (voice) and valence (words) labels for every utterance of a manifest.

Arousal: each selected vocal feature is rank-transformed against the
utterance's baseline (its speaker, or speaker within group), and the
utterance score is the mean over the features that could be measured.
Valence: the raw lexicon sum goes through the same rank transform.
Scores above the threshold label 1, below 0, anything else <NA>.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from ..corpora.manifest import read_manifest
from ..log import get_logger
from .acoustic import FEATURE_COLUMNS
from .cache import acoustic_values
from .config import ProxyConfig
from .lexicons import load_lexicon
from .rank import binary_labels, mean_score, rank_scores
from .store import manifest_proxy
from .tokens import language_key
from .valence import raw_valence

log = get_logger("proxy")


def baseline_keys(manifest: pd.DataFrame, group_by: str) -> pd.Series:
    if group_by == "speaker_group":
        return manifest["speaker"].astype(str) + "|" + manifest["group"].astype(str)
    return manifest["speaker"].astype(str)


def _warn_single(baselines: pd.Series) -> None:
    sizes = baselines.value_counts()
    single = sorted(sizes.index[sizes == 1])
    if single:
        log.warning("%d baseline(s) with a single utterance get a neutral score 0 (e.g. %s)",
                    len(single), single[0])


def arousal_labels(frame: pd.DataFrame, baselines: pd.Series, config: ProxyConfig) -> pd.DataFrame:
    """Arousal score, label and per-feature scores from the measure columns of `frame` (cheap: ranks only)."""
    scores = {}
    for feature in config.arousal_features:
        scores[f"arousal_{feature}_score"] = rank_scores(frame[FEATURE_COLUMNS[feature]], baselines)
    mean, available = mean_score(list(scores.values()))
    partial = int(np.sum((available > 0) & (available < len(scores))))
    if partial:
        log.warning("%d utterance(s) scored on fewer than %d arousal features (unmeasurable values)",
                    partial, len(scores))
    return pd.DataFrame({
        "proxy_arousal_score": mean,
        "proxy_arousal": binary_labels(mean, config.threshold),
        "n_arousal_features": pd.array(available, dtype="Int64"),
        **scores,
    })


def _valence(manifest: pd.DataFrame, baselines: pd.Series, config: ProxyConfig) -> pd.DataFrame:
    results = [raw_valence(t, lang, config.lexicons) for t, lang in zip(manifest["transcript"], manifest["language"])]
    raw = np.array([r.raw for r in results], dtype="float64")
    n_words = np.array([r.n_lexicon_words for r in results])
    notes = [r.note for r in results]
    if config.min_lexicon_words > 0:
        few = ~np.isnan(raw) & (n_words < config.min_lexicon_words)
        raw[few] = np.nan
        notes = [f"fewer than {config.min_lexicon_words} lexicon word(s)" if f else n for f, n in zip(few, notes)]
    score = rank_scores(raw, baselines)
    unscored = Counter(n for n in notes if n)
    if unscored:
        log.info("valence: no label for %s", ", ".join(f"{k} ({v})" for k, v in sorted(unscored.items())))
    return pd.DataFrame({
        "proxy_valence_score": score,
        "proxy_valence": binary_labels(score, config.threshold),
        "valence_raw": [r.raw for r in results],
        "n_tokens": pd.array([r.n_tokens for r in results], dtype="Int64"),
        "n_lexicon_words": pd.array(n_words, dtype="Int64"),
        "valence_note": notes,
    })


def _load_lexicons(manifest: pd.DataFrame, config: ProxyConfig) -> None:
    """Read the lexicons the manifest's languages need up front, so a missing one fails before the slow part."""
    for language in {language_key(lang) for lang in manifest["language"]}:
        for name in config.lexicons.get(language, ()):
            load_lexicon(name)


def compute_proxy_labels(
    manifest: pd.DataFrame,
    config: ProxyConfig = ProxyConfig(),
    cache_dir: Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per manifest utterance: scores in [-1, 1], Int64 labels, and the raw values behind them."""
    manifest = manifest.reset_index(drop=True)
    _load_lexicons(manifest, config)
    baselines = baseline_keys(manifest, config.group_by)
    _warn_single(baselines)
    acoustic, _ = acoustic_values(manifest, config.acoustic, cache_dir, workers, progress)
    head = pd.DataFrame({"utt_id": manifest["utt_id"], "speaker": manifest["speaker"], "baseline": baselines})
    return pd.concat([
        head,
        arousal_labels(acoustic, baselines, config),
        _valence(manifest, baselines, config),
        acoustic.drop(columns="utt_id"),
    ], axis=1)


def label_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Utterances per proxy class, as in the paper's Table 1 (task, class, utterances)."""
    rows = []
    for task, names in (("arousal", ("low", "high")), ("valence", ("negative", "positive"))):
        labels = frame[f"proxy_{task}"]
        rows += [
            {"task": task, "class": names[1], "utterances": int((labels == 1).sum())},
            {"task": task, "class": names[0], "utterances": int((labels == 0).sum())},
            {"task": task, "class": "unlabelled", "utterances": int(labels.isna().sum())},
        ]
    return pd.DataFrame(rows)


def load_manifest_and_proxy(manifest_path: Path, proxy_csv: Path,
                            cache_dir: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A manifest and its proxy table, aligned on utt_id (`store.manifest_proxy` checks they belong together)."""
    manifest = read_manifest(manifest_path)
    return manifest, manifest_proxy(manifest, proxy_csv, cache_dir)
