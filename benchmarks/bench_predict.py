"""`avspnet predict` throughput: a folder of short clips, and the real-time factor on a long recording.

Model: a paper-size AV-SpNET encoder (the R front-end: seeded random
weights; the cost does not depend on them), or with --frontend a fixed
front-end (logmel-stats, egemaps, whisper-base), with a paper-size head,
saved and loaded as `avspnet experiment` exports one, embedding at fp32
and, for a network where the CPU does bf16 natively, at bf16 (a model
records the precision its head was trained on; `auto` picks bf16 on such CPUs).

Short clips: RAVDESS clips (3-5 s) predicted in-process, one embedding pass
per file (the reference: how `predict` ran before batching) beside the
shipped path (files read one by one, their segments embedded together in
batches of about 512). Paths alternate, so load on the machine hits both.

Long recording: about 10 minutes of clips of all actors with 0.5-2 s
pauses as 44.1 kHz stereo MP3 (how podcasts come; `bench_ingest.build_hour`).
First `avspnet predict --csv` in a child process with an empty cache (wall
time from start-up to the CSV and timeline: what a user waits), then the
stages in-process: cutting (silero VAD + resemblyzer voice clusters),
reading the utterances' windows, embedding and voting.

  python benchmarks/bench_predict.py [--clips 120] [--minutes 10] [--frontend R]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf
import torch

from avspnet.configio import to_dict
from avspnet.downstream.head import Head, load_recognizer, save_recognizer
from avspnet.downstream.predict import (
    Item,
    Predictor,
    recording_utterances,
    segment_probabilities,
    voted,
    window_segments,
)
from avspnet.features.config import FeatureConfig
from avspnet.frontends import build_by_name
from avspnet.frontends.encoder import EncoderFrontEnd
from avspnet.ingest import IngestConfig
from avspnet.models.avspnet import Encoder
from avspnet.models.config import ModelConfig
from avspnet.training.device import cpu_flags, cpu_has_native_bf16
from bench_features import DEFAULT_ROOT  # the script's own folder is on sys.path
from bench_ingest import build_hour


def save_model(path: Path, precision: str, frontend_name: str = "R") -> Path:
    """A model of `frontend_name`: R is a paper-size encoder with seeded random weights, any other name a fixed
    front-end from the registry (saved by name), each with a paper-size head."""
    torch.manual_seed(0)
    if frontend_name == "R":
        config = ModelConfig()
        frontend = EncoderFrontEnd("R", Encoder(config), to_dict(config))
    else:
        frontend = build_by_name(frontend_name)
    head = Head(frontend.dim, 2)
    return save_recognizer(path, frontend, head, {"in_dim": frontend.dim, "n_classes": 2, "hidden": [1024, 512, 128]},
                           {"task": "arousal", "class_names": ["low", "high"], "features": to_dict(FeatureConfig())},
                           precision)


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def short_clips(model_path: Path, clips: list[Path], audio_s: float) -> None:
    model, metadata = load_recognizer(model_path)
    items = [Item(str(p)) for p in clips]
    list(Predictor(model, metadata, batch_segments=1).outcomes(items[:2]))  # warm-up: threads, oneDNN kernels
    seconds = {"per file": 0.0, "batched": 0.0}
    for _ in range(2):
        for name, batch in (("per file", 1), ("batched", 512)):
            start = time.perf_counter()
            outcomes = list(Predictor(model, metadata, batch_segments=batch).outcomes(items))
            seconds[name] += (time.perf_counter() - start) / 2
            assert not any(o.error for o in outcomes)
    segments = sum(o.predictions[0].n_segments for o in outcomes)
    print(f"\n{model.frontend.name}, {model.precision}: {len(items)} RAVDESS clips, {audio_s:.0f} s of audio, {segments} segments; {load()}")
    print("| path | seconds | files/s | ms/file | real-time factor |")
    print("|---|---|---|---|---|")
    for name, value in seconds.items():
        print(f"| {name} | {value:.2f} | {len(items) / value:.1f} | {1000 * value / len(items):.0f} | "
              f"{value / audio_s:.4f} |")
    print(f"batched / per file: {seconds['per file'] / seconds['batched']:.2f}x")


def long_recording(model_path: Path, path: Path, audio_s: float, tmp: Path) -> None:
    out = tmp / "long.csv"
    command = [sys.executable, "-m", "avspnet", "predict", str(model_path), str(path), "--csv", str(out), "--quiet",
               "--cache-dir", str(tmp / "cold-cache")]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    rows = sum(1 for _ in out.open()) - 1
    print(f"\nlong recording ({audio_s:.0f} s, 44.1 kHz stereo MP3), `avspnet predict --csv` in a child process, "
          f"empty cache: {wall:.1f} s wall, real-time factor {wall / audio_s:.4f}, {rows} utterances; {load()}")
    model, metadata = load_recognizer(model_path)
    stages = {}
    start = time.perf_counter()
    utterances = recording_utterances(str(path), IngestConfig(), tmp / "stage-cache")
    stages["cut: VAD + voice clusters"] = time.perf_counter() - start
    start = time.perf_counter()
    inputs = [window_segments(metadata, u.window) for u in utterances]
    stages["read windows + spectrograms"] = time.perf_counter() - start
    start = time.perf_counter()
    probs = segment_probabilities(model, [u.window for u in utterances], inputs)
    [voted(metadata, u, p) for u, p in zip(utterances, probs)]
    stages[f"embed + vote ({sum(map(len, inputs))} segments)"] = time.perf_counter() - start
    print(f"in-process stages, {len(utterances)} utterances ({model.precision}):")
    print("| stage | seconds | real-time factor |")
    print("|---|---|---|")
    for name, value in stages.items():
        print(f"| {name} | {value:.1f} | {value / audio_s:.4f} |")
    total = sum(stages.values())
    print(f"| all | {total:.1f} | {total / audio_s:.4f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--clips", type=int, default=120, help="short clips (RAVDESS, in actor order)")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the long recording")
    parser.add_argument("--frontend", default="R", help="R (a paper-size encoder) or a fixed front-end's name")
    args = parser.parse_args()
    if not args.root.is_dir():
        print(f"skipped: {args.root} not found")
        return 0
    print(f"{os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads; CPU SIMD flags: "
          f"{' '.join(cpu_flags())}; bf16 native: {cpu_has_native_bf16()}; {load()}")
    clips = sorted(args.root.glob("Actor_*/*.flac"))[: args.clips]
    audio_s = sum(sf.info(p).duration for p in clips)
    network = args.frontend in ("R", "whisper-base")
    precisions = ["fp32", "bf16"] if cpu_has_native_bf16() and network else ["fp32"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        models = {p: save_model(tmp / f"{p}.pt", p, args.frontend) for p in precisions}
        for precision in precisions:
            short_clips(models[precision], clips, audio_s)
        recording = tmp / "long.mp3"
        long_s = build_hour(args.root, recording, 60 * args.minutes)
        long_recording(models[precisions[-1]], recording, long_s, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
