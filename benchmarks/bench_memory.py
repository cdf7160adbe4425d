"""Peak RSS of `avspnet pretrain` (same steps) with about 1 h and about 12 h of real background speech.

Background: Common Voice Mandarin (`$AVSPNET_CV_ZH`, a folder with
`clips/*.mp3` and `validated.tsv` / `invalidated.tsv`); skipped when unset
or absent. The script builds two manifests from the TSVs (the first clips,
sorted by file name, up to about 1 h; and every clip, about 12.7 h), fills
the feature and proxy caches (slow the first time: run it once, then it only
reuses), and runs `avspnet pretrain` on each with the same number of steps,
once as one process and once as a 2-process DDP run (torchrun, gloo).
Peak RSS is the largest single process (getrusage of the waited children)
and the summed RSS of the process tree (sampled every 0.1 s).

  AVSPNET_CV_ZH=/work/data/commonvoice/zh-CN python benchmarks/bench_memory.py [--work DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import soundfile as sf

from avspnet.corpora.manifest import make_manifest, write_manifest

TSVS = ("validated.tsv", "invalidated.tsv")


def clip_rows(root: Path) -> list[dict]:
    """One manifest row per clip listed in the TSVs (speaker = client id, language zh), sorted by file name."""
    rows: dict[str, dict] = {}
    for name in TSVS:
        table = root / name
        if not table.is_file():
            continue
        with table.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                path = root / "clips" / record["path"]
                if path.is_file():
                    speaker = record["client_id"][:16]
                    rows[record["path"]] = {"utt_id": f"cv-zh/{Path(record['path']).stem}", "path": str(path),
                                            "speaker": speaker, "group": speaker, "language": "zh",
                                            "transcript": record["sentence"]}
    return [rows[k] for k in sorted(rows)]


def build_manifests(root: Path, work: Path, hours: tuple[float, ...]) -> dict[float, tuple[Path, float]]:
    """Manifests of the first clips up to each number of hours (inf = all): {hours: (path, actual hours)}."""
    rows, total, out = clip_rows(root), 0.0, {}
    for row in rows:
        info = sf.info(row["path"])
        row["duration_s"] = info.frames / info.samplerate
    for limit in hours:
        chosen, total = [], 0.0
        for row in rows:
            if total >= limit * 3600:
                break
            chosen.append(row)
            total += row["duration_s"]
        label = "all" if limit == float("inf") else f"{limit:g}h"
        out[limit] = (write_manifest(make_manifest(chosen), work / f"cv-zh-{label}.csv"), total / 3600)
    return out


def _tree_rss(pid: int) -> int:
    """Summed RSS (bytes) of `pid` and its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


# Runs one command and prints the peak RSS (KiB) of its largest descendant: a fresh
# parent per measurement, since RUSAGE_CHILDREN keeps the maximum over all children.
_WRAP = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
         "print('maxrss', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def peak_rss(command: list[str], env: dict) -> tuple[float, float, float]:
    """(largest single-process peak GB, peak summed tree RSS GB, seconds) of one command."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", _WRAP, *command], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    sampler.join()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{output[-2000:]}")
    single = int(output.strip().splitlines()[-1].split()[1])
    return single * 1024 / 1e9, peak[0] / 1e9, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "avspnet-bench-memory")
    parser.add_argument("--steps", type=int, default=4, help="optimiser steps per run (same for every size)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--prepare-only", action="store_true", help="build manifests and fill the caches, no runs")
    args = parser.parse_args()
    root = Path(os.environ.get("AVSPNET_CV_ZH", ""))
    if not os.environ.get("AVSPNET_CV_ZH") or not (root / "clips").is_dir():
        print("skipped: set AVSPNET_CV_ZH to a Common Voice zh-CN folder (clips/ + validated.tsv)")
        return
    args.work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    avs = [sys.executable, "-m", "avspnet"]
    manifests = build_manifests(root, args.work, (1.0, float("inf")))
    for manifest, hours in manifests.values():
        print(f"{manifest.name}: {hours:.2f} h", flush=True)
        for stage in ("proxy", "features"):
            started = time.perf_counter()
            subprocess.run([*avs, stage, str(manifest), "--workers", str(args.workers)], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            print(f"  {stage}: {time.perf_counter() - started:.1f} s", flush=True)
    if args.prepare_only:
        return
    steps = ["--max-steps", str(args.steps), "--epochs", "1", "--frontend", "AVSpNET_a", "--no-progress",
             "--device", "cpu"]
    print(f"peak RSS of `avspnet pretrain` ({args.steps} steps, paper-size network, batch 32):")
    results = {}
    for procs in (1, 2):
        for limit, (manifest, hours) in manifests.items():
            out = args.work / f"fe-{procs}-{manifest.stem}"
            subprocess.run(["rm", "-rf", str(out)], check=True)
            launch = avs if procs == 1 else [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                                             "--master_port", str(29500 + os.getpid() % 1000), "-m", "avspnet"]
            single, tree, seconds = peak_rss([*launch, "pretrain", "--manifest", str(manifest), "--out", str(out),
                                              *steps], env)
            results[procs, limit] = single
            print(f"  {procs} process(es), {hours:5.2f} h: peak RSS {single:.2f} GB per process, "
                  f"{tree:.2f} GB summed over the process tree, {seconds:.0f} s", flush=True)
        small, large = results[procs, 1.0], results[procs, float("inf")]
        print(f"  {procs} process(es): larger / smaller = {large / small:.2f}x "
              f"({'ok' if large <= 1.3 * small and large < 3 else 'NOT met'}: target <= 1.3x and < 3 GB)")


if __name__ == "__main__":
    main()
