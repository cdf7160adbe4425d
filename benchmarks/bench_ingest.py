"""`avspnet ingest` on long-form episodes built from real RAVDESS clips, where boundaries and speakers are known.

Accuracy: episodes of 3-4 actors, clips joined with pauses and written as
MP3. A true utterance spans the clip's speech (10 ms frames within 30 dB of
the clip's loudest: RAVDESS breaths sit 33-40 dB down); boundary recall is the share of true starts and ends
with a found start / end within 0.3 s; speaker purity is, over the found
clusters, the share of utterances that belong to their cluster's majority
actor (each found utterance matched to the true one it overlaps most). The
number of speakers is not given.

Cost: one hour built from the clips (44.1 kHz stereo MP3, as podcasts come),
ingested without ASR in a child process: wall time, real-time factor and
peak resident memory. With --asr the accuracy episodes also run with
Whisper-base and its real-time factor is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from avspnet.ingest import IngestConfig, ingest_media
from bench_features import DEFAULT_ROOT  # the script's own folder is on sys.path

RATE = 16000
TOLERANCE_S = 0.3
EPISODES = {"episode01": (1, 2, 4), "episode02": (5, 6, 7, 8), "episode03": (9, 10, 11)}


def speech_span(samples: np.ndarray) -> tuple[float, float]:
    """First and last 10 ms frame within 30 dB of the clip's loudest, in seconds."""
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(level > level.max() - 30)
    return loud[0] * 0.01, (loud[-1] + 1) * 0.01


def build_episode(root: Path, actors: tuple[int, ...], count: int, path: Path, pause_s: float = 1.2,
                  seed: int = 0) -> list[dict]:
    """Clips of `actors` in a shuffled order joined with pauses, written to `path`; returns the truth."""
    rng = np.random.default_rng(seed)
    order = rng.permutation([actors[i % len(actors)] for i in range(count)])
    parts, truth, at = [], [], 0.0
    for index, actor in enumerate(order):
        clips = sorted((root / f"Actor_{actor:02d}").glob("*.flac"))
        samples, rate = sf.read(clips[(index * 7 + seed) % len(clips)], dtype="float32")
        assert rate == RATE
        start, end = speech_span(samples)
        truth.append({"start_s": at + start, "end_s": at + end, "speaker": int(actor)})
        parts += [samples, np.zeros(int(pause_s * RATE), np.float32)]
        at += (len(samples) + int(pause_s * RATE)) / RATE
    sf.write(path, np.concatenate(parts), RATE, format="MP3")
    return truth


def boundary_recall(truth: list[dict], found: list[dict]) -> float:
    starts = np.array([u["start_s"] for u in found])
    ends = np.array([u["end_s"] for u in found])
    hits = sum(np.any(np.abs(starts - t["start_s"]) <= TOLERANCE_S) for t in truth)
    hits += sum(np.any(np.abs(ends - t["end_s"]) <= TOLERANCE_S) for t in truth)
    return hits / (2 * len(truth))


def purity(truth: list[dict], found: list[dict]) -> float:
    """Share of found utterances in their cluster's majority true speaker."""
    members: dict[str, list[int]] = {}
    for utt in found:
        overlaps = [min(utt["end_s"], t["end_s"]) - max(utt["start_s"], t["start_s"]) for t in truth]
        members.setdefault(utt["speaker"], []).append(truth[int(np.argmax(overlaps))]["speaker"])
    return sum(np.bincount(m).max() for m in members.values()) / max(1, len(found))


def score(manifest, truths: dict[str, list[dict]]) -> dict[str, dict]:
    out = {}
    for name, truth in truths.items():
        found = manifest[manifest["group"] == name].to_dict("records")
        out[name] = {"true": len(truth), "found": len(found), "speakers_true": len({t["speaker"] for t in truth}),
                     "speakers_found": len({u["speaker"] for u in found}),
                     "boundary_recall": boundary_recall(truth, found), "purity": purity(truth, found)}
    return out


def build_hour(root: Path, path: Path, seconds: float = 3600.0) -> float:
    """About `seconds` of clips of every actor with 0.5-2 s pauses, as 44.1 kHz stereo MP3, written block-wise."""
    rng = np.random.default_rng(1)
    clips = sorted(root.glob("Actor_*/*.flac"))
    total = 0.0
    with sf.SoundFile(path, "w", samplerate=44100, channels=2, format="MP3") as out:
        while total < seconds:
            samples, rate = sf.read(clips[rng.integers(len(clips))], dtype="float32")
            block = np.concatenate([samples, np.zeros(int(rng.uniform(0.5, 2.0) * rate), np.float32)])
            wide = soxr.resample(block, rate, 44100)
            out.write(np.stack([wide, wide], axis=1))
            total += len(block) / rate
    return total


def run_hour(path: Path, cache: Path, out: Path, asr: str = "off") -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in GB) of `avspnet ingest` on `path` in a child process.

    CPU time is printed beside wall time: on a shared machine the wall clock
    also counts other jobs' turns on the cores.
    """
    command = [sys.executable, "-m", "avspnet", "ingest", str(path), "-o", str(out), "--asr", asr,
               "--cache-dir", str(cache)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, after.ru_maxrss / 1024**2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--hour", action="store_true", help="also time a one-hour recording (several minutes)")
    parser.add_argument("--asr", action="store_true", help="also run the episodes with Whisper-base")
    args = parser.parse_args()
    if not args.root.is_dir():
        print(f"skipped: {args.root} not found")
        return 0
    flags = sorted({f for line in open("/proc/cpuinfo") if line.startswith("flags") for f in line.split()}
                   & {"avx2", "avx512f", "amx_tile"})
    print(f"{os.cpu_count()} cores, CPU flags: {', '.join(flags)}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "episodes"
        folder.mkdir()
        truths = {name: build_episode(args.root, actors, 6 * len(actors), folder / f"{name}.mp3", seed=i)
                  for i, (name, actors) in enumerate(EPISODES.items())}
        audio_s = sum(sf.info(p).duration for p in folder.iterdir())
        modes = [False, True] if args.asr else [False]
        for asr in modes:
            start = time.perf_counter()
            result = ingest_media([folder], IngestConfig(), asr=asr, cache_dir=tmp / f"cache{asr}", progress=False)
            seconds = time.perf_counter() - start
            print(f"\nASR {'on' if asr else 'off'}: {audio_s:.0f} s of episodes in {seconds:.1f} s "
                  f"(real-time factor {seconds / audio_s:.3f}, models loaded once)")
            print("| episode | utterances true / found | speakers true / found | boundary recall (0.3 s) | purity |")
            print("|---|---|---|---|---|")
            scores = score(result.manifest, truths)
            for name, s in scores.items():
                print(f"| {name} | {s['true']} / {s['found']} | {s['speakers_true']} / {s['speakers_found']} | "
                      f"{s['boundary_recall']:.3f} | {s['purity']:.3f} |")
            true, found = (sum(s[k] for s in scores.values()) for k in ("true", "found"))
            recall = sum(s["boundary_recall"] * s["true"] for s in scores.values()) / true
            print(f"| all | {true} / {found} | | {recall:.3f} | "
                  f"{sum(s['purity'] * s['found'] for s in scores.values()) / found:.3f} |")
        if args.hour:
            hour = tmp / "hour.mp3"
            audio = build_hour(args.root, hour)
            wall, cpu, rss = run_hour(hour, tmp / "hour-cache", tmp / "hour.csv")
            print(f"\none hour ({audio:.0f} s, 44.1 kHz stereo MP3), VAD + speaker embeddings, no ASR: "
                  f"{wall:.1f} s wall (real-time factor {wall / audio:.4f}), {cpu:.1f} s CPU "
                  f"(CPU-time RTF {cpu / audio:.4f}), peak RSS {rss:.2f} GB; load average {os.getloadavg()[0]:.1f}")
            print(json.dumps({"hour_s": audio, "wall_s": wall, "cpu_s": cpu, "rtf": wall / audio, "peak_rss_gb": rss}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
