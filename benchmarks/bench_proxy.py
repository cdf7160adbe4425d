"""Proxy-labelling speed on the real RAVDESS copy: one process vs all cores, cold and warm cache.

Prints seconds and the real-time factor (seconds of compute per second of
audio; lower is faster) of compute_proxy_labels with the default
config. The cold runs measure pitch, intensity and the optional Bone et
al. features of every file with Praat; the warm run only hashes files and
rank-transforms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from avspnet.corpora import load_corpus
from avspnet.proxy import compute_proxy_labels
from bench_features import DEFAULT_ROOT, timed  # the script's own folder is on sys.path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args()
    if not args.root.is_dir():
        print(f"skipped: {args.root} not found")
        return 0
    manifest = load_corpus("ravdess", args.root)
    audio_s = float(manifest["duration_s"].sum())
    cores = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as every:
        rows.append(("cold cache, 1 process", timed(
            lambda: compute_proxy_labels(manifest, cache_dir=Path(one), workers=1, progress=False))))
        rows.append((f"cold cache, {cores} processes", timed(
            lambda: compute_proxy_labels(manifest, cache_dir=Path(every), workers=cores, progress=False))))
        rows.append(("warm cache (hash + lookup + rank)", timed(
            lambda: compute_proxy_labels(manifest, cache_dir=Path(every), progress=False))))
    print(f"RAVDESS: {len(manifest)} files, {audio_s / 3600:.2f} h of audio, {cores} cores")
    print("| run | seconds | real-time factor | speed-up vs 1 process |")
    print("|---|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / audio_s:.5f} | {rows[0][1] / seconds:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
