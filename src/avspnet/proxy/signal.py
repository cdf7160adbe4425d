"""How much proxy signal an unlabeled manifest carries, measured before anyone spends compute on it.

A proxy label is only worth pre-training on if it is (a) reliable: the
two halves of one utterance, each measured and ranked within its speaker
as the proxy ranks whole utterances, get the same binary label well above
the 50 % of a coin; (b) backed by enough variation within a speaker
(semitones of median F0, dB of median intensity) and enough utterances
per speaker to rank; and (c) learnable: a linear probe on a cheap frozen
representation (utterance mean and standard deviation of the paper's log
spectrogram), trained on some speakers and validated on held-out ones,
predicts it above chance. Gold labels are never read: the functions here
see only audio, speakers, transcripts and the proxy table.

Half measures go through the acoustic cache (each half is a window of the
utterance, or of the utterance's own window), the representation through
the feature cache, so a rerun or an interrupted run costs only what is new.
Intervals are 95 % percentile bootstraps over speakers (whole speakers
resampled), since utterances of one speaker are not independent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ..audio import audio_info
from ..errors import AudioError, ConfigError, CorpusError
from ..features.cache import extract_features
from ..features.config import FeatureConfig
from ..log import get_logger
from ..markdown import table_head, table_row
from .acoustic import FEATURE_COLUMNS, MEASURES
from .cache import acoustic_values
from .config import AROUSAL_PRESETS, AcousticConfig, ProxyConfig
from .labels import arousal_labels
from .lexicons import load_lexicon
from .rank import binary_labels, rank_scores
from .report import fmt, has_gold
from .tokens import language_key, tokenize
from .valence import token_valence

# The paper's two arousal cues: always reported, whatever feature set is in use.
PAPER_FEATURES = AROUSAL_PRESETS["paper"]
# Within-speaker spread per feature: a transform to a unit in which a difference is perceptual.
SPREAD_UNITS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "pitch": ("semitones", lambda hz: 12.0 * np.log2(hz)),
    "intensity": ("dB", lambda db: db),
}
# What each corpus layout's speech is, so every report names its background for what it is.
SPEECH_KINDS = {
    "commonvoice": "read speech", "ljspeech": "read speech, one reader", "kaldi": "speech from a Kaldi data dir",
    "ravdess": "acted emotional speech", "casia": "acted emotional speech", "ased": "acted emotional speech",
    "cremad": "acted emotional speech", "emodb": "acted emotional speech", "iemocap": "acted emotional dialogue",
    "urdu": "emotional speech cut from TV talk shows", "msppodcast": "podcast speech", "media": "user media",
    "synthetic": "synthetic test audio",
}
log = get_logger("proxy.signal")


@dataclass(frozen=True)
class SignalConfig:
    # A speaker (baseline) with at least this many scored utterances counts as rankable.
    min_utterances: int = 5
    # The verdict: split-half agreement of the label in use at least this, and
    # the probe's 95 % interval above chance (0.5 balanced accuracy).
    min_agreement: float = 0.7
    folds: int = 5
    bootstrap: int = 1000
    probe_c: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.min_utterances < 2:
            raise ConfigError(f"signal: min_utterances must be >= 2 (one utterance cannot be ranked), got {self.min_utterances}")
        if not 0.5 <= self.min_agreement <= 1:
            raise ConfigError(f"signal: min_agreement must lie in [0.5, 1], got {self.min_agreement}")
        if self.folds < 2 or self.bootstrap < 1 or self.probe_c <= 0:
            raise ConfigError("signal: need folds >= 2, bootstrap >= 1 and probe_c > 0")


@dataclass(frozen=True)
class Estimate:
    """A point value and its 95 % speaker-bootstrap interval (NaN where it cannot be computed)."""

    value: float = math.nan
    low: float = math.nan
    high: float = math.nan

    def text(self) -> str:
        if math.isnan(self.value):
            return "n/a"
        interval = "" if math.isnan(self.low) else f" [{fmt(self.low, 2)}, {fmt(self.high, 2)}]"
        return f"{fmt(self.value, 2)}{interval}"


@dataclass(frozen=True)
class SignalRow:
    """The signal of one proxy label: an arousal feature set, or the lexicon valence."""

    task: str
    label: str
    in_use: bool
    labelled: int  # utterances with a whole-utterance proxy label
    split_half: Estimate  # share of utterances whose two halves get the same label
    halves_compared: int
    kappa: float  # Cohen's kappa between the half labels
    half_spearman: float  # rank correlation of the two halves' scores
    spearman_brown: float  # 2r / (1 + r): the whole utterance's score reliability from the halves'
    spread: float  # median over rankable speakers of the within-speaker standard deviation
    spread_unit: str
    speakers: int
    rankable_speakers: int
    rankable_utterances: float  # share of all utterances whose speaker is rankable
    probe: Estimate  # balanced accuracy, representation centred per speaker
    probe_raw: Estimate  # balanced accuracy, representation as is
    lexicon_coverage: float = math.nan  # valence: transcribed utterances with any lexicon word

    def carries_signal(self, config: SignalConfig) -> bool:
        return self.split_half.value >= config.min_agreement and self.probe.low > 0.5

    def flat(self) -> dict:
        row = {}
        for key, value in asdict(self).items():
            if isinstance(value, dict):
                row.update({key: value["value"], f"{key}_low": value["low"], f"{key}_high": value["high"]})
            else:
                row[key] = value
        return row


@dataclass
class SignalReport:
    background: str
    utterances: int
    speakers: int
    gold: bool  # the manifest has gold labels (never used here; the agreement section uses them)
    rows: list[SignalRow]
    lexicon_pairs: pd.DataFrame
    speaker_spread: pd.DataFrame  # baseline, feature, spread (unit of SPREAD_UNITS)
    config: SignalConfig
    notes: list[str] = field(default_factory=list)

    def in_use(self, task: str) -> SignalRow | None:
        return next((r for r in self.rows if r.task == task and r.in_use), None)


def background_name(manifest: pd.DataFrame, unnamed: str = "manifest") -> str:
    """'commonvoice (read speech)', 'casia + ravdess (acted emotional speech) + urdu (...)' from the utt_ids'
    corpus prefixes (<corpus>/<id>, as every loader writes them); ids without one count as `unnamed`."""
    ids = manifest["utt_id"].astype(str)
    corpora = sorted(set(np.where(ids.str.contains("/"), ids.str.split("/", n=1).str[0], unnamed)))
    kinds: dict[str, list[str]] = {}
    for corpus in corpora:
        kinds.setdefault(SPEECH_KINDS.get(corpus, "speech of unknown kind"), []).append(corpus)
    return " + ".join(f"{' + '.join(names)} ({kind})" for kind, names in kinds.items())


def _lengths(manifest: pd.DataFrame, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Seconds in each row's window or file: end - start, else the manifest's duration, else the file header's."""
    lengths = np.where(np.isnan(ends), manifest["duration_s"].astype(float).to_numpy(), ends - starts)
    for row in np.flatnonzero(np.isnan(lengths)):
        try:
            lengths[row] = audio_info(manifest["path"].iloc[row]).duration_s - starts[row]
        except AudioError:
            pass  # stays NaN: the utterance is not split, and counted
    return lengths


def half_windows(manifest: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """First halves of the splittable utterances, then their second halves (each a window of the row's own
    window or file), and which rows are splittable (a known, positive length)."""
    starts = manifest["start_s"].astype(float).fillna(0.0).to_numpy() if "start_s" in manifest else np.zeros(len(manifest))
    ends = manifest["end_s"].astype(float).to_numpy() if "end_s" in manifest else np.full(len(manifest), np.nan)
    lengths = _lengths(manifest, starts, ends)
    valid = lengths > 0
    middle = (starts + lengths / 2)[valid]
    ids = manifest["utt_id"].astype(str)[valid]
    paths = manifest["path"][valid]
    first = pd.DataFrame({"utt_id": ids + "#1", "path": paths, "start_s": starts[valid], "end_s": middle})
    second = pd.DataFrame({"utt_id": ids + "#2", "path": paths, "start_s": middle, "end_s": ends[valid]})
    return pd.concat([first, second], ignore_index=True), valid


def half_measures(manifest: pd.DataFrame, acoustic: AcousticConfig, cache_dir: Path | None, workers: int | None,
                  progress: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The acoustic measures of each utterance's first and second half (cached like whole files; NaN if unsplit)."""
    halves, valid = half_windows(manifest)
    if not valid.all():
        log.warning("%d utterance(s) of unknown length (unreadable?) not split into halves", int((~valid).sum()))
    values, _ = acoustic_values(halves, acoustic, cache_dir, workers, progress)
    n = int(valid.sum())
    parts = []
    for part in (values.iloc[:n], values.iloc[n:]):
        full = pd.DataFrame(np.nan, index=range(len(manifest)), columns=MEASURES)
        full.loc[np.flatnonzero(valid), list(MEASURES)] = part[list(MEASURES)].to_numpy()
        parts.append(full)
    return parts[0], parts[1]


def spectral_stats(manifest: pd.DataFrame, cache_dir: Path | None, workers: int | None, progress: bool) -> np.ndarray:
    """(utterances, 2 * bins): mean and standard deviation over frames of the paper's log spectrogram; NaN if skipped."""
    config = FeatureConfig()
    index = extract_features(manifest, config, cache_dir, workers, progress)
    stats = np.full((len(manifest), 2 * config.n_bins), np.nan)
    for row, utt_id in enumerate(manifest["utt_id"]):
        path = index.paths.get(utt_id)
        if path is not None:
            spectrogram = np.load(path)
            stats[row] = np.concatenate([spectrogram.mean(axis=1), spectrogram.std(axis=1)])
    return stats


def centred(values: np.ndarray, baselines: pd.Series) -> np.ndarray:
    """Each row minus its baseline's mean row: the speaker-normalised representation (uses no label)."""
    frame = pd.DataFrame(values)
    return (frame - frame.groupby(baselines.to_numpy()).transform("mean")).to_numpy()


def speaker_interval(groups: np.ndarray, counts: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray],
                     config: SignalConfig) -> Estimate:
    """A statistic of summed per-row `counts` (rows x k), and its 95 % interval over bootstrap resamples of whole
    groups (speakers). `statistic` maps sums (..., k) to values (...); resamples are group weights, so 1000 draws
    cost one matrix product."""
    codes, uniques = pd.factorize(pd.Series(groups))
    sums = np.zeros((len(uniques), counts.shape[1]))
    np.add.at(sums, codes, counts)
    value = float(statistic(sums.sum(axis=0)))
    if len(uniques) < 2 or math.isnan(value):
        return Estimate(value)
    picks = np.random.default_rng(config.seed).integers(len(uniques), size=(config.bootstrap, len(uniques)))
    weights = np.zeros((config.bootstrap, len(uniques)))
    np.add.at(weights, (np.arange(config.bootstrap)[:, None], picks), 1.0)
    low, high = np.nanpercentile(statistic(weights @ sums), [2.5, 97.5])
    return Estimate(value, float(low), float(high))


def agreement_counts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(a)), a == b])


def share(sums: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums[..., 1] / sums[..., 0]


def recall_counts(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Per row: is class 0, is a correct 0, is class 1, is a correct 1 (for balanced accuracy)."""
    return np.column_stack([truth == 0, (truth == 0) & (predicted == 0), truth == 1, (truth == 1) & (predicted == 1)])


def balanced_accuracy(sums: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present (NaN if none): 0.5 is chance for two classes."""
    recalls = np.stack([share(sums[..., :2]), share(sums[..., 2:])])
    present = ~np.isnan(recalls)
    return np.where(present.any(axis=0), np.nansum(recalls, axis=0) / np.maximum(present.sum(axis=0), 1), np.nan)


def probe(representation: np.ndarray, labels: pd.Series, baselines: pd.Series, config: SignalConfig) -> Estimate:
    """Balanced accuracy of a logistic regression predicting `labels`, out of fold on held-out speakers."""
    usable = (labels.notna().to_numpy() & np.all(np.isfinite(representation), axis=1))
    x = representation[usable]
    y = labels[usable].astype(int).to_numpy()
    groups = baselines[usable].to_numpy()
    n_groups = len(set(groups))
    if n_groups < 2 or len(set(y)) < 2:
        return Estimate()
    predicted = np.empty_like(y)
    # One BLAS thread: these fits are small, and threads contending on a loaded machine make them 10x slower.
    with threadpool_limits(1):
        for train, test in GroupKFold(n_splits=min(config.folds, n_groups)).split(x, y, groups):
            if len(set(y[train])) < 2:
                predicted[test] = y[train][0]
                continue
            model = make_pipeline(StandardScaler(), LogisticRegression(C=config.probe_c, class_weight="balanced",
                                                                       max_iter=2000))
            predicted[test] = model.fit(x[train], y[train]).predict(x[test])
    return speaker_interval(groups, recall_counts(y, predicted), balanced_accuracy, config)


def split_half(first: pd.DataFrame, second: pd.DataFrame, baselines: pd.Series,
               config: SignalConfig) -> tuple[Estimate, int, float, float, float]:
    """Agreement of the half labels (with interval), pairs compared, kappa, half rank correlation, Spearman-Brown.

    `first` / `second` hold each half's score and label, ranked within its speaker among the same halves.
    """
    labelled = (first["label"].notna() & second["label"].notna()).to_numpy()
    a = first["label"][labelled].astype(int).to_numpy()
    b = second["label"][labelled].astype(int).to_numpy()
    if not labelled.any():
        return Estimate(), 0, math.nan, math.nan, math.nan
    agreement = speaker_interval(baselines[labelled].to_numpy(), agreement_counts(a, b), share, config)
    kappa = float(cohen_kappa_score(a, b)) if len(set(a) | set(b)) > 1 else math.nan
    scored = (first["score"].notna() & second["score"].notna()).to_numpy()
    r = math.nan
    if scored.sum() > 2 and first["score"][scored].nunique() > 1 and second["score"][scored].nunique() > 1:
        r = float(spearmanr(first["score"][scored], second["score"][scored]).statistic)
    brown = 2 * r / (1 + r) if r > -1 else math.nan
    return agreement, int(labelled.sum()), kappa, r, brown


def _scored(frame: pd.DataFrame, baselines: pd.Series, features: tuple[str, ...], threshold: float) -> pd.DataFrame:
    labels = arousal_labels(frame, baselines, ProxyConfig(arousal_features=features, threshold=threshold))
    return pd.DataFrame({"score": labels["proxy_arousal_score"], "label": labels["proxy_arousal"]})


def _rankable(scores: pd.Series, baselines: pd.Series, config: SignalConfig) -> tuple[int, int, float]:
    """Speakers, speakers with at least min_utterances scored utterances, and the share of utterances they hold."""
    counts = scores.notna().groupby(baselines.to_numpy()).sum()
    rankable = set(counts.index[counts >= config.min_utterances])
    return len(counts), len(rankable), float(baselines.isin(rankable).mean()) if len(baselines) else math.nan


def speaker_spread(measures: pd.DataFrame, baselines: pd.Series, config: SignalConfig) -> pd.DataFrame:
    """Per rankable speaker and feature of SPREAD_UNITS: the standard deviation of its utterances' values."""
    parts = []
    for feature, (unit, transform) in SPREAD_UNITS.items():
        values = pd.Series(transform(measures[FEATURE_COLUMNS[feature]].to_numpy(dtype=float)))
        grouped = values.groupby(baselines.to_numpy())
        table = pd.DataFrame({"n": grouped.count(), "spread": grouped.std()})
        table = table[table["n"] >= config.min_utterances]
        parts.append(pd.DataFrame({"baseline": table.index, "feature": feature, "unit": unit,
                                   "spread": table["spread"].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def feature_sets(in_use: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Each of the paper's features and of the features in use alone, the paper's pair, and the set in use."""
    sets = {f: (f,) for f in dict.fromkeys((*PAPER_FEATURES, *in_use))}
    sets["+".join(PAPER_FEATURES)] = PAPER_FEATURES
    sets["+".join(in_use)] = tuple(in_use)
    return sets


def _probes(representation: np.ndarray, centred_representation: np.ndarray, labels: pd.Series,
            baselines: pd.Series, config: SignalConfig) -> tuple[Estimate, Estimate]:
    return (probe(centred_representation, labels, baselines, config),
            probe(representation, labels, baselines, config))


def arousal_rows(proxy: pd.DataFrame, halves: tuple[pd.DataFrame, pd.DataFrame], in_use: tuple[str, ...],
                 representations: tuple[np.ndarray, np.ndarray], spreads: pd.DataFrame, threshold: float,
                 config: SignalConfig) -> list[SignalRow]:
    baselines = proxy["baseline"].astype(str)
    rows = []
    for name, features in feature_sets(in_use).items():
        whole = _scored(proxy, baselines, features, threshold)
        first, second = (_scored(h, baselines, features, threshold) for h in halves)
        agreement, compared, kappa, r, brown = split_half(first, second, baselines, config)
        speakers, rankable, share = _rankable(whole["score"], baselines, config)
        unit = SPREAD_UNITS[features[0]][0] if len(features) == 1 and features[0] in SPREAD_UNITS else ""
        spread = float(spreads.loc[spreads["feature"] == features[0], "spread"].median()) if unit else math.nan
        centred_probe, raw_probe = _probes(*representations, whole["label"], baselines, config)
        rows.append(SignalRow("arousal", name, features == tuple(in_use), int(whole["label"].notna().sum()), agreement,
                              compared, kappa, r, brown, spread, unit, speakers, rankable, share, centred_probe,
                              raw_probe))
    return rows


def _tokens(manifest: pd.DataFrame) -> list[list[str]]:
    return [tokenize(t, lang) if t.strip() else [] for t, lang in zip(manifest["transcript"], manifest["language"])]


def _lexicon_raw(tokens: list[list[str]], languages: pd.Series, lexicons: dict[str, tuple[str, ...]],
                 names_of: Callable[[tuple[str, ...]], tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Raw valence per utterance from the lexicons `names_of(language's lexicons)` picks (NaN: none or no words)."""
    raw = np.full(len(tokens), np.nan)
    hits = np.zeros(len(tokens), dtype=int)
    for row, (words, language) in enumerate(zip(tokens, languages)):
        names = names_of(lexicons.get(language_key(language), ()))
        if words and names:
            raw[row], hits[row] = token_valence(words, [load_lexicon(n) for n in names])
    return raw, hits


def _labels_of(raw: np.ndarray, baselines: pd.Series, threshold: float) -> pd.DataFrame:
    score = rank_scores(raw, baselines)
    return pd.DataFrame({"score": score, "label": binary_labels(score, threshold)})


def lexicon_agreement(tokens: list[list[str]], manifest: pd.DataFrame, baselines: pd.Series,
                      config: ProxyConfig) -> pd.DataFrame:
    """Per pair of lexicons of one language: utterances labelled by both, label agreement and kappa."""
    labels, coverage = {}, {}
    for name in dict.fromkeys(n for names in config.lexicons.values() for n in names):
        raw, hits = _lexicon_raw(tokens, manifest["language"], config.lexicons,
                                 lambda names, n=name: (n,) if n in names else ())
        if np.isnan(raw).all():
            continue
        labels[name] = _labels_of(raw, baselines, config.threshold)["label"]
        coverage[name] = float(np.mean(hits[~np.isnan(raw)] > 0))
    rows = []
    for one, two in combinations(labels, 2):
        both = (labels[one].notna() & labels[two].notna()).to_numpy()
        if not both.any():
            continue
        a, b = labels[one][both].astype(int).to_numpy(), labels[two][both].astype(int).to_numpy()
        kappa = float(cohen_kappa_score(a, b)) if len(set(a) | set(b)) > 1 else math.nan
        rows.append({"lexicon_a": one, "lexicon_b": two, "coverage_a": coverage[one], "coverage_b": coverage[two],
                     "compared": int(both.sum()), "agreement": float(np.mean(a == b)), "kappa": kappa})
    return pd.DataFrame(rows, columns=["lexicon_a", "lexicon_b", "coverage_a", "coverage_b", "compared",
                                       "agreement", "kappa"])


def valence_row(manifest: pd.DataFrame, proxy: pd.DataFrame, tokens: list[list[str]],
                representations: tuple[np.ndarray, np.ndarray], config: ProxyConfig,
                signal: SignalConfig) -> SignalRow | None:
    """The lexicon valence in use: split-half over the two halves of each transcript's tokens; None if nothing is scored."""
    baselines = proxy["baseline"].astype(str)
    whole, hits = _lexicon_raw(tokens, manifest["language"], config.lexicons, lambda names: names)
    if np.isnan(whole).all():
        return None
    halves = []
    for part in (0, 1):
        cut = [(w[:(len(w) + 1) // 2] if part == 0 else w[(len(w) + 1) // 2:]) if len(w) >= 2 else []
               for w in tokens]
        raw, _ = _lexicon_raw(cut, manifest["language"], config.lexicons, lambda names: names)
        halves.append(_labels_of(raw, baselines, config.threshold))
    agreement, compared, kappa, r, brown = split_half(*halves, baselines, signal)
    labels = proxy["proxy_valence"]
    speakers, rankable, share = _rankable(proxy["proxy_valence_score"], baselines, signal)
    centred_probe, raw_probe = _probes(*representations, labels, baselines, signal)
    languages = {language_key(lang) for lang, words in zip(manifest["language"], tokens) if words}
    names = "+".join(dict.fromkeys(n for lang in sorted(languages) for n in config.lexicons.get(lang, ())))
    return SignalRow("valence", f"lexicons: {names}", True, int(labels.notna().sum()), agreement, compared, kappa, r,
                     brown, math.nan, "", speakers, rankable, share, centred_probe, raw_probe,
                     float(np.mean(hits[~np.isnan(whole)] > 0)))


def in_use_features(proxy: pd.DataFrame) -> tuple[str, ...]:
    """The arousal features the proxy table was ranked on, from its arousal_<feature>_score columns."""
    used = tuple(f for f in FEATURE_COLUMNS if f"arousal_{f}_score" in proxy.columns)
    return used or tuple(ProxyConfig().arousal_features)


def proxy_signal(manifest: pd.DataFrame, proxy: pd.DataFrame, background: str, config: ProxyConfig = ProxyConfig(),
                 signal: SignalConfig = SignalConfig(), cache_dir: Path | None = None, workers: int | None = None,
                 progress: bool = True) -> SignalReport:
    """The signal table of a manifest and its (aligned) proxy table; reads audio, speakers, transcripts only."""
    needed = ["baseline", "proxy_arousal_score", "proxy_valence_score",
              *(FEATURE_COLUMNS[f] for f in dict.fromkeys((*PAPER_FEATURES, *config.arousal_features)))]
    missing = [c for c in needed if c not in proxy.columns]
    if missing:
        raise CorpusError(f"proxy table lacks column(s) {missing} the signal report needs; rerun `avspnet proxy`")
    manifest = manifest.reset_index(drop=True)
    proxy = proxy.reset_index(drop=True)
    baselines = proxy["baseline"].astype(str)
    halves = half_measures(manifest, config.acoustic, cache_dir, workers, progress)
    stats = spectral_stats(manifest, cache_dir, workers, progress)
    representations = (centred(stats, baselines), stats)
    spreads = speaker_spread(proxy, baselines, signal)
    rows = arousal_rows(proxy, halves, tuple(config.arousal_features), representations, spreads, config.threshold,
                        signal)
    tokens = _tokens(manifest)
    notes = []
    valence = valence_row(manifest, proxy, tokens, representations, config, signal)
    if valence is None:
        notes.append("valence: no utterance has a transcript in a language with a lexicon, so no valence proxy")
    else:
        rows.append(valence)
    return SignalReport(background, len(manifest), int(baselines.nunique()), has_gold(manifest), rows,
                        lexicon_agreement(tokens, manifest, baselines, config), spreads, signal, notes)


def verdict(report: SignalReport) -> str:
    """One plain line: does this background carry proxy signal, by the stated rule."""
    rule = (f"rule: split-half agreement >= {report.config.min_agreement:.2f} and the held-out-speaker probe's "
            "95 % interval above 0.5")
    parts = []
    for task in ("arousal", "valence"):
        row = report.in_use(task)
        if row is None:
            parts.append(f"{task}: n/a (no transcript in a language with a lexicon)")
            continue
        if row.labelled == 0:
            parts.append(f"{task} ({row.label}) no: no utterance gets a proxy label")
            continue
        answer = "yes" if row.carries_signal(report.config) else "no"
        parts.append(f"{task} ({row.label}) {answer}: split-half agreement {row.split_half.text()}, "
                     f"probe balanced accuracy {row.probe.text()}")
    return f"Proxy signal of {report.background}: " + "; ".join(parts) + f" ({rule})."


def signal_table(report: SignalReport) -> pd.DataFrame:
    table = pd.DataFrame([r.flat() for r in report.rows])
    table.insert(0, "background", report.background)
    table["carries_signal"] = [r.carries_signal(report.config) for r in report.rows]
    return table


def signal_plot(report: SignalReport, path: Path) -> Path:
    """Split-half agreement and probe accuracy per label with intervals; per-speaker spread of pitch and intensity."""
    fig = Figure(figsize=(13, 3.8))
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [2, 2, 1.6]})
    names = [f"{r.task[:3]}: {r.label.removeprefix('lexicons: ')[:24]}" for r in report.rows]
    x = np.arange(len(report.rows))
    panels = [(axes[0], [("split-half agreement", "split_half", 0.0)], report.config.min_agreement),
              (axes[1], [("speaker-centred", "probe", -0.18), ("raw", "probe_raw", 0.18)], None)]
    for ax, series, rule in panels:
        for label, attr, shift in series:
            values = [getattr(r, attr) for r in report.rows]
            mid = np.array([v.value for v in values])
            err = np.array([[v.value - v.low, v.high - v.value] for v in values]).T
            ax.bar(x + shift, mid, width=0.36 if shift else 0.6, label=label,
                   yerr=np.nan_to_num(err), capsize=3, alpha=0.8)
        ax.axhline(0.5, color="grey", ls="--", lw=1, label="chance")
        if rule is not None:
            ax.axhline(rule, color="red", ls=":", lw=1, label=f"rule {rule:.2f}")
        ax.set_xticks(x, names, rotation=25, ha="right", fontsize=8)
        ax.set_ylim(0.3, 1.0)
        ax.legend(fontsize=7)
    axes[0].set(title="half vs half: same proxy label", ylabel="share of utterances")
    axes[1].set(title="probe on held-out speakers", ylabel="balanced accuracy")
    spread = report.speaker_spread
    for feature, (unit, _) in SPREAD_UNITS.items():
        values = spread.loc[spread["feature"] == feature, "spread"].dropna()
        if len(values):
            axes[2].hist(values, bins=20, alpha=0.6, label=f"{feature} ({unit}), median {np.median(values):.1f}")
    axes[2].set(title="within-speaker spread", xlabel="standard deviation", ylabel="speakers")
    if axes[2].get_legend_handles_labels()[0]:
        axes[2].legend(fontsize=7)
    fig.suptitle(report.background, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def render_signal(report: SignalReport, plot: str, csv: str) -> str:
    c = report.config
    gold = ("present in the manifest but never read here (the agreement with them is above)" if report.gold
            else "none: the signal needs none")
    lines = [f"## Proxy signal: {report.background}", "",
             f"{report.utterances} utterances, {report.speakers} speakers; gold labels: {gold}.", "",
             *table_head(["task", "proxy label", "in use", "labelled", "split-half agreement [95% CI]", "kappa",
                          "half r", "Spearman-Brown", "within-speaker spread", "rankable speakers",
                          "probe BA, speaker-centred [95% CI]", "probe BA, raw [95% CI]", "lexicon coverage",
                          "signal"])]
    for r in report.rows:
        spread = f"{fmt(r.spread, 2)} {r.spread_unit}" if r.spread_unit else "n/a"
        lines.append(table_row([
            r.task, r.label, "yes" if r.in_use else "", r.labelled, f"{r.split_half.text()} (n={r.halves_compared})",
            fmt(r.kappa, 2), fmt(r.half_spearman, 2), fmt(r.spearman_brown, 2), spread,
            f"{r.rankable_speakers}/{r.speakers} ({r.rankable_utterances:.0%} of utt.)", r.probe.text(),
            r.probe_raw.text(), fmt(r.lexicon_coverage, 2), "yes" if r.carries_signal(c) else "no"]))
    lines += ["", verdict(report), "",
              "Split-half: each utterance's two halves are measured, ranked within the speaker among the same "
              "halves and binarised as the proxy does (valence: the two halves of the transcript's words); "
              "agreement is the share of utterances whose halves get the same label (0.5 = coin), kappa corrects "
              "it for chance, half r is the rank correlation of the half scores and Spearman-Brown 2r/(1+r) "
              "estimates the whole utterance's score reliability. Spread: median over rankable speakers of the "
              "standard deviation of their utterances' median F0 (semitones) or median intensity (dB). Rankable: "
              f"at least {c.min_utterances} scored utterances. Probe: logistic regression (C={c.probe_c}) on the "
              "utterance mean and standard deviation of the paper's log spectrogram, raw or centred per speaker "
              f"(no label used), predicting the whole-utterance proxy label; {c.folds}-fold cross-validation "
              "with held-out speakers, balanced accuracy (0.5 = chance). Intervals: 95 % bootstrap over speakers "
              f"({c.bootstrap} resamples).", ""]
    if len(report.lexicon_pairs):
        lines += ["### Agreement between lexicons (valence labels from each lexicon alone)", "",
                  *table_head(["lexicon A", "lexicon B", "coverage A", "coverage B", "compared", "agreement",
                               "kappa"])]
        lines += [table_row([p.lexicon_a, p.lexicon_b, fmt(p.coverage_a, 2), fmt(p.coverage_b, 2), p.compared,
                             fmt(p.agreement, 2), fmt(p.kappa, 2)]) for p in report.lexicon_pairs.itertuples()]
        lines.append("")
    lines += [*(f"Note: {n}." for n in report.notes), "", f"![proxy signal]({plot})", "", f"Table: [{csv}]({csv})", ""]
    return "\n".join(lines)


def write_signal(report: SignalReport, out_dir: Path) -> str:
    """signal.csv, lexicons.csv and signal.png in `out_dir`; returns the Markdown section."""
    out_dir.mkdir(parents=True, exist_ok=True)
    signal_table(report).to_csv(out_dir / "signal.csv", index=False, float_format="%.4f")
    report.lexicon_pairs.to_csv(out_dir / "lexicons.csv", index=False, float_format="%.4f")
    signal_plot(report, out_dir / "signal.png")
    return render_signal(report, "signal.png", "signal.csv")
