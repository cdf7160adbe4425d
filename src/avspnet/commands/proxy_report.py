"""Validity of proxy labels on a corpus with gold labels: UAR, coverage, per speaker, score plots.

Reads the manifest and its <stem>.proxy.csv (from `avspnet proxy`), writes
report.md, scores.png and per_speaker.csv, and prints the UARs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..proxy import proxy_path
from ..proxy.labels import load_manifest_and_proxy
from ..proxy.report import write_report

NAME = "proxy-report"
HELP = "agreement of proxy labels with gold labels (UAR, plots, per speaker)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="manifest CSV with gold labels")
    parser.add_argument("--proxy", type=Path, help="proxy CSV (default: <manifest stem>.proxy.csv beside it)")
    parser.add_argument("-o", "--output", type=Path, help="report folder (default: <manifest stem>.proxy-report/)")


def run(args: argparse.Namespace) -> int:
    proxy_csv = args.proxy or proxy_path(args.manifest)
    manifest, proxy = load_manifest_and_proxy(args.manifest, proxy_csv)
    out_dir = args.output or args.manifest.with_name(f"{args.manifest.stem}.proxy-report")
    for result in write_report(args.manifest.stem, manifest, proxy, out_dir):
        uar = "n/a (no utterance with both labels and two gold classes)" if result.uar != result.uar else f"{result.uar:.4f}"
        print(f"{result.task}: UAR {uar} on {result.n_compared} utterances; "
              f"proxy-labelled fraction {result.coverage:.3f}")
    print(f"report written to {out_dir / 'report.md'}")
    return 0
