"""The proxy-signal report on every background of the study and on the shared corpora: results/proxy-signal/.

Per background: its manifest (gold labels hidden where the name says so; the
affect-varied ones concatenate emotional corpora, each speaker ranked within
its own corpus as an experiment's background list does), `avspnet proxy`,
then `avspnet proxy-report` into results/proxy-signal/<name>/ (report.md,
signal.csv, signal.png, ...). Then summary.md / summary.csv, one row per
background. Resumable: every measure is cached (AVSPNET_CACHE), so a rerun
only ranks, probes and writes; a background whose data is absent is skipped
and named. Usage: benchmarks/run_proxy_signal.py [NAME ...] [--summary-only].
Env: AVSPNET_ASED, AVSPNET_CV_ZH (see ../shared/README.md), AVSPNET_CACHE.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from avspnet.cli import main as avspnet
from avspnet.corpora import load_corpus
from avspnet.corpora.manifest import read_manifest, write_manifest
from avspnet.markdown import table_head, table_row
from avspnet.proxy.report import fmt
from avspnet.training.background import hide_gold_labels

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "results" / "proxy-signal"
MANIFESTS = ROOT / "manifests" / "proxy-signal"
AFFECT = ("ased", "casia", "ravdess", "urdu")


def corpus_root(name: str) -> Path | None:
    roots = {"ravdess": SHARED / "ravdess", "casia": SHARED / "casia", "urdu": SHARED / "urdu",
             "ased": os.environ.get("AVSPNET_ASED"), "commonvoice-all": os.environ.get("AVSPNET_CV_ZH"),
             "commonvoice": SHARED / "commonvoice" / "zh-CN"}
    root = roots[name]
    return Path(root) if root and Path(root).is_dir() else None


@dataclass(frozen=True)
class Background:
    name: str
    corpora: tuple[str, ...]
    hide_gold: bool
    text: str  # what the report calls it


def _affect(without: str | None) -> Background:
    corpora = tuple(c for c in AFFECT if c != without)
    name = f"affect-varied-no-{without}" if without else "affect-varied"
    upper = " + ".join(c.upper() for c in corpora)
    target = f", for target {without.upper()} (left out)" if without else ""
    return Background(name, corpora, True, f"affect-varied: {upper}, gold labels hidden (acted emotional speech"
                      f"{' + TV talk-show speech' if 'urdu' in corpora else ''}){target}")


BACKGROUNDS = [
    Background("ravdess", ("ravdess",), False, "RAVDESS (acted emotional speech, English)"),
    Background("casia", ("casia",), False, "CASIA (acted emotional speech, Mandarin)"),
    Background("urdu", ("urdu",), False, "URDU (emotional speech cut from TV talk shows, Urdu)"),
    Background("ased", ("ased",), True, "ASED, gold labels hidden (acted emotional speech, Amharic)"),
    Background("cv-zh-sample", ("commonvoice",), False, "Common Voice zh-CN, shared 100-clip sample (read speech)"),
    Background("cv-zh-all", ("commonvoice-all",), False, "Common Voice zh-CN, 12.7 h (read speech)"),
    _affect(None), *(_affect(c) for c in ("ravdess", "casia", "ased")),
]


def build_manifest(background: Background, folder: Path) -> Path | None:
    roots = {c: corpus_root(c) for c in background.corpora}
    absent = [c for c, root in roots.items() if root is None]
    if absent:
        print(f"{background.name}: skipped, no data for {absent} (see ../shared/README.md)")
        return None
    parts = [load_corpus(c, root) for c, root in roots.items()]
    if background.hide_gold:
        parts = [hide_gold_labels(p) for p in parts]
    manifest = pd.concat(parts, ignore_index=True)
    return write_manifest(manifest, folder / f"{background.name}.csv")


def run(background: Background, workers: int) -> bool:
    manifest = build_manifest(background, MANIFESTS)
    if manifest is None:
        return False
    start = time.perf_counter()
    for command in (["proxy", str(manifest)],
                    ["proxy-report", str(manifest), "-o", str(OUT / background.name), "--background", background.text]):
        if avspnet([*command, "--workers", str(workers)]) != 0:
            raise SystemExit(f"{background.name}: `avspnet {command[0]}` failed")
    print(f"{background.name}: done in {time.perf_counter() - start:.0f} s")
    return True


def _pick(table: pd.DataFrame, task: str, label: str | None = None) -> pd.Series | None:
    rows = table[(table["task"] == task) & (table["label"] == label if label else table["in_use"])]
    return rows.iloc[0] if len(rows) else None


def _interval(row: pd.Series | None, column: str) -> str:
    if row is None or pd.isna(row[column]):
        return "n/a"
    low, high = row[f"{column}_low"], row[f"{column}_high"]
    return fmt(row[column], 2) + ("" if pd.isna(low) else f" [{fmt(low, 2)}, {fmt(high, 2)}]")


def summary() -> pd.DataFrame:
    rows = []
    for background in BACKGROUNDS:
        path = OUT / background.name / "signal.csv"
        if not path.is_file():
            continue
        table = pd.read_csv(path, keep_default_na=True)
        manifest = read_manifest(MANIFESTS / f"{background.name}.csv")
        pitch, intensity = _pick(table, "arousal", "pitch"), _pick(table, "arousal", "intensity")
        pair, used, valence = _pick(table, "arousal", "pitch+intensity"), _pick(table, "arousal"), _pick(table, "valence")
        rows.append({
            "background": background.text, "folder": background.name, "utterances": len(manifest),
            "hours": manifest["duration_s"].sum() / 3600, "speakers": manifest["speaker"].nunique(),
            "rankable_speakers": f"{used['rankable_speakers']}/{used['speakers']}",
            "split_half_pitch": _interval(pitch, "split_half"), "spread_pitch_st": fmt(pitch["spread"], 1),
            "split_half_intensity": _interval(intensity, "split_half"), "spread_intensity_db": fmt(intensity["spread"], 1),
            "split_half_pitch_intensity": _interval(pair, "split_half"),
            "arousal_in_use": used["label"], "probe_arousal": _interval(used, "probe"),
            "probe_pitch_intensity": _interval(pair, "probe"),
            "arousal_signal": "yes" if used["carries_signal"] else "no",
            "split_half_valence": _interval(valence, "split_half"),
            "lexicon_coverage": "n/a" if valence is None else fmt(valence["lexicon_coverage"], 2),
            "probe_valence": _interval(valence, "probe"),
        })
    return pd.DataFrame(rows)


def render(table: pd.DataFrame) -> str:
    lines = ["# Proxy signal of each background", "",
             "Made by `benchmarks/run_proxy_signal.py` (`avspnet proxy-report` per background; each folder holds "
             "its report.md, signal.csv and signal.png). Arousal label in use: the default `gain-robust` preset "
             "(median pitch). Split-half: share of utterances whose two halves get the same proxy label; probe: "
             "balanced accuracy of a logistic regression on the speaker-centred log-spectrogram mean and standard "
             "deviation, validated on held-out speakers; [95 % speaker-bootstrap intervals]. Signal: split-half "
             ">= 0.70 and the probe's interval above 0.5.", "",
             *table_head(["background", "utt.", "hours", "rankable speakers", "split-half pitch", "pitch spread (st)",
                          "split-half intensity", "intensity spread (dB)", "split-half pitch+intensity",
                          "probe (pitch)", "probe (pitch+intensity)", "arousal signal", "split-half valence",
                          "lexicon coverage", "probe (valence)"])]
    for r in table.itertuples():
        lines.append(table_row([
            f"[{r.background}]({r.folder}/report.md)", r.utterances, f"{r.hours:.2f}", r.rankable_speakers,
            r.split_half_pitch, r.spread_pitch_st, r.split_half_intensity, r.spread_intensity_db,
            r.split_half_pitch_intensity, r.probe_arousal, r.probe_pitch_intensity, r.arousal_signal,
            r.split_half_valence, r.lexicon_coverage, r.probe_valence]))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"backgrounds (default: all): {', '.join(b.name for b in BACKGROUNDS)}")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--summary-only", action="store_true", help="only rebuild summary.md / summary.csv")
    args = parser.parse_args()
    unknown = set(args.names) - {b.name for b in BACKGROUNDS}
    if unknown:
        parser.error(f"unknown background(s) {sorted(unknown)}")
    if not args.summary_only:
        for background in BACKGROUNDS:
            if not args.names or background.name in args.names:
                run(background, args.workers)
    table = summary()
    OUT.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT / "summary.csv", index=False, float_format="%.4f")
    (OUT / "summary.md").write_text(render(table), encoding="utf-8")
    print(render(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
