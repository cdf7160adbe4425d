"""Gain robustness of the proxy arousal rule on the shared corpora: which feature set to default to.

Measures RAVDESS, CASIA and URDU as recorded, peak-normalised per file and
loudness-normalised to -23 LUFS (each version once, cached), evaluates all
7 non-empty subsets of pitch, intensity and HF500 against the gold arousal
labels, writes results/proxy_robustness.{md,csv} and prints the set with
the highest worst-case UAR, over all corpora and without URDU (3 of its 29
speakers have both gold arousal classes, so any set is near chance there).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from avspnet.corpora import load_corpus
from avspnet.proxy.robustness import render_markdown, robustness_table, worst_case

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPORA = {"RAVDESS": "ravdess", "CASIA": "casia", "URDU": "urdu"}
OUT = Path(__file__).resolve().parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding ravdess/, casia/, urdu/")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache-dir", type=Path, help="cache root (default: $AVSPNET_CACHE or ~/.cache/avspnet)")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()
    corpora = {name: load_corpus(key, args.data / key) for name, key in CORPORA.items() if (args.data / key).is_dir()}
    if not corpora:
        print(f"skipped: no corpus under {args.data}")
        return 0
    start = time.perf_counter()
    table = robustness_table(corpora, cache_dir=args.cache_dir, workers=args.workers, progress=False)
    seconds = time.perf_counter() - start
    args.output.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.output / "proxy_robustness.csv", index=False, float_format="%.4f")
    exclude = ("URDU",) if "URDU" in corpora and len(corpora) > 1 else ()
    text = render_markdown(table, exclude)
    (args.output / "proxy_robustness.md").write_text(text, encoding="utf-8")
    print(text)
    for label, skip in (("all corpora", ()), ("without URDU", exclude)):
        if label == "without URDU" and not skip:
            continue
        print(f"worst case, {label}:")
        print(worst_case(table, skip).to_string(index=False, float_format="%.4f"))
    sizes = ", ".join(f"{name} {len(m)}" for name, m in corpora.items())
    print(f"utterances: {sizes}; {seconds:.1f} s with {args.workers} processes (cached measures are reused)")
    print(f"written to {args.output / 'proxy_robustness.md'} and .csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
