"""Validity of proxy labels: agreement with gold labels where a corpus has them, and the proxy signal any manifest carries.

Reads the manifest and its <stem>.proxy.csv (from `avspnet proxy`). With
gold labels it writes report.md, scores.png and per_speaker.csv and prints
the UARs. Labeled or not, the proxy-signal section (avspnet.proxy.signal:
split-half reliability, within-speaker spread, rankable speakers, a
held-out-speaker probe, lexicon coverage and agreement) goes into report.md,
signal.csv, lexicons.csv and signal.png, and one line says whether the
background carries proxy signal; gold labels never enter it. `--preset`
re-ranks arousal from the measures stored in the proxy CSV (no Praat).
`--robustness` instead measures the manifest as recorded, peak-normalised
and at -23 LUFS and writes the arousal UAR of every subset of pitch,
intensity and HF500 (robustness.md / robustness.csv, by default in
<manifest stem>.proxy-robustness/). A re-run replaces its report folder as a whole.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..corpora.manifest import read_manifest
from ..errors import CorpusError
from ..paths import replaced_folder
from ..proxy import AcousticConfig, ProxyConfig, proxy_path
from ..proxy.acoustic import FEATURE_COLUMNS
from ..proxy.config import AROUSAL_PRESETS, GAINS
from ..proxy.labels import arousal_labels, load_manifest_and_proxy
from ..proxy.report import fmt, has_gold, write_report
from ..proxy.robustness import render_markdown, robustness_table, worst_case
from ..proxy.signal import SignalConfig, background_name, in_use_features, proxy_signal, verdict, write_signal
from . import add_cache_arguments

NAME = "proxy-report"
HELP = "proxy signal of a manifest (split-half reliability, probe) and agreement with gold labels if any"
# What report folders of versions before the output marker held (see paths.replaced_folder).
LEGACY = ("report.md", "scores.png", "per_speaker.csv", "robustness.md", "robustness.csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="manifest CSV, with or without gold labels")
    parser.add_argument("--proxy", type=Path, help="proxy CSV (default: <manifest stem>.proxy.csv beside it)")
    parser.add_argument("-o", "--output", type=Path, help="report folder, replaced as a whole (default: <manifest stem>.proxy-report/, "
                             "with --robustness <manifest stem>.proxy-robustness/)")
    parser.add_argument("--preset", choices=list(AROUSAL_PRESETS),
                        help="re-rank arousal with this feature set from the stored measures")
    parser.add_argument("--robustness", action="store_true",
                        help="arousal UAR per gain version and feature set (measures the audio; no proxy CSV needed)")
    parser.add_argument("--background", help="what the speech is, as the report names it "
                        "(default: its corpora and their kind, e.g. 'commonvoice (read speech)')")
    parser.add_argument("--gain", choices=GAINS, help="the --gain the proxy CSV was measured with "
                        "(default: none); the utterance halves are measured the same way")
    parser.add_argument("--min-utterances", type=int, default=SignalConfig.min_utterances,
                        help="scored utterances a speaker needs to count as rankable (default: %(default)s)")
    parser.add_argument("--no-signal", action="store_true",
                        help="only the agreement with gold labels: skip the proxy-signal section")
    add_cache_arguments(parser, "processes for measuring audio (default: all cores)")


def _rerank(proxy, preset: str):
    """The proxy table with its arousal score and label recomputed for `preset`."""
    config = ProxyConfig(arousal_features=preset)
    needed = ["baseline", *(FEATURE_COLUMNS[f] for f in config.arousal_features)]
    missing = [column for column in needed if column not in proxy.columns]
    if missing:
        raise CorpusError(f"proxy CSV lacks column(s) {missing} needed to re-rank; rerun `avspnet proxy`")
    arousal = arousal_labels(proxy, proxy["baseline"], config)
    return proxy.assign(proxy_arousal_score=arousal["proxy_arousal_score"].to_numpy(),
                        proxy_arousal=arousal["proxy_arousal"].to_numpy())


def _robustness(args: argparse.Namespace) -> int:
    out_dir = args.output or args.manifest.with_name(f"{args.manifest.stem}.proxy-robustness")
    with replaced_folder(out_dir, NAME, LEGACY) as staging:
        manifest = read_manifest(args.manifest)
        table = robustness_table({args.manifest.stem: manifest}, cache_dir=args.cache_dir, workers=args.workers)
        table.to_csv(staging / "robustness.csv", index=False, float_format="%.4f")
        (staging / "robustness.md").write_text(render_markdown(table), encoding="utf-8")
    print(worst_case(table).to_string(index=False, float_format="%.4f"))
    print(f"robustness table written to {out_dir / 'robustness.md'}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.robustness:
        return _robustness(args)
    out_dir = args.output or args.manifest.with_name(f"{args.manifest.stem}.proxy-report")
    with replaced_folder(out_dir, NAME, LEGACY) as staging:
        manifest, proxy = load_manifest_and_proxy(args.manifest, args.proxy or proxy_path(args.manifest),
                                                  args.cache_dir)
        if args.preset:
            proxy = _rerank(proxy, args.preset)
        background = args.background or background_name(manifest, args.manifest.stem)
        section = "" if args.no_signal else _signal(args, manifest, proxy, background, staging)
        if has_gold(manifest):
            results = write_report(args.manifest.stem, manifest, proxy, staging, "\n" + section)
        else:
            results = []
            (staging / "report.md").write_text(f"# Proxy report: {background}\n\n{section}", encoding="utf-8")
    for result in results:
        uar = "n/a (no utterance with both labels and two gold classes)" if result.uar != result.uar else f"{result.uar:.4f}"
        print(f"{result.task}: UAR {uar} on {result.n_compared} utterances; "
              f"proxy-labelled fraction {result.coverage:.3f}")
    if not has_gold(manifest):
        print("no gold labels in the manifest: agreement with gold labels not computed")
    print(f"report written to {out_dir / 'report.md'}")
    return 0


def _signal(args: argparse.Namespace, manifest, proxy, background: str, out_dir: Path) -> str:
    """Compute and write the proxy-signal section, print its rows and verdict, return its Markdown."""
    config = ProxyConfig(arousal_features=args.preset or in_use_features(proxy),
                         acoustic=AcousticConfig(gain=args.gain or "none"))
    report = proxy_signal(manifest, proxy, background, config, SignalConfig(min_utterances=args.min_utterances),
                          args.cache_dir, args.workers)
    section = write_signal(report, out_dir)
    for row in report.rows:
        spread = f"; within-speaker spread {fmt(row.spread, 2)} {row.spread_unit}" if row.spread_unit else ""
        print(f"{row.task} {row.label}: split-half agreement {row.split_half.text()}{spread}; "
              f"probe balanced accuracy {row.probe.text()}")
    print(verdict(report))
    return section
