"""Emotion predictions of a saved recognition model for audio and video files, folders, globs and manifests.

Each utterance gets one row: path, start_s, end_s, speaker, label, a
probability per class (p_<class>) and the number of 810 ms segments that
voted. A file longer than --long-s is a recording: it is cut into
utterances (silero VAD, voices clustered with resemblyzer, as `avspnet
ingest` does), each predicted with its times and speaker, and its timeline
is drawn (--timeline, or beside the --csv file). A shorter file is one
utterance from 0 to its duration, speaker empty.

A file that cannot be read fails alone (one log line naming it) and the
others go on. The exit code is 0 when every input was predicted, 1 when any
failed, 2 for a bad model or bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from ..downstream.head import load_recognizer
from ..downstream.predict import (
    LONG_S,
    PROBABILITY_PREFIX,
    Outcome,
    Prediction,
    Predictor,
    gather_inputs,
    prediction_row,
)
from ..errors import CorpusError
from ..ingest import IngestConfig
from ..ingest.run import episode_names
from ..log import SkipLog, get_logger
from ..paths import atomic_path, output_file
from ..reports.timeline import plot_timeline

NAME = "predict"
HELP = "predict emotion labels of audio (files, folders, globs, a manifest CSV; long recordings per utterance)"
COLUMNS = ("path", "start_s", "end_s", "speaker", "label")

log = get_logger("predict")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="model file (runs/<name>/models/<task>.pt)")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="audio or video files (any rate: resampled to 16 kHz), folders (searched recursively), "
                             "glob patterns, or a manifest CSV (a `path` column; optional start_s, end_s, speaker)")
    parser.add_argument("--csv", type=Path, metavar="OUT", help="write one row per utterance to this CSV")
    parser.add_argument("--json", action="store_true", help="one JSON object per utterance on stdout instead of text")
    parser.add_argument("--segments", action="store_true", help="also print each 810 ms segment's prediction")
    parser.add_argument("--long-s", type=float, default=LONG_S,
                        help=f"files longer than this are cut into utterances (default {LONG_S:g} s; inf: never)")
    parser.add_argument("--speakers", type=int,
                        help="speakers per long recording, if known (default: found by clustering; 1: no clustering)")
    parser.add_argument("--timeline", type=Path, metavar="OUT.png",
                        help="draw each long recording's timeline here (default with --csv: <csv stem>.timeline.png)")
    parser.add_argument("--cache-dir", type=Path, help="cache root (default: $AVSPNET_CACHE or ~/.cache/avspnet)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    ingest = IngestConfig() if args.speakers is None else replace(IngestConfig(), speakers=args.speakers)
    if args.csv:
        output_file(args.csv)
    model, metadata = load_recognizer(args.model, args.cache_dir)
    predictor = Predictor(model, metadata, args.long_s, ingest, args.cache_dir)
    skips = SkipLog("predict")
    items, missing = gather_inputs(args.inputs, skips)
    if not items and not missing:
        raise CorpusError(f"no audio or video files in {', '.join(args.inputs)} ({skips.summary()})")
    for given, reason in missing:
        log.error("failed: %s: %s", given, reason)
    rows: list[dict] = []
    recordings: dict[str, list[dict]] = {}
    failed = len(missing)
    with logging_redirect_tqdm():
        for outcome in tqdm(predictor.outcomes(items), total=len(items), desc="predict", unit="file",
                            disable=args.quiet):
            item = outcome.item
            if outcome.error:
                failed += 1
                reason = outcome.error if item.path in outcome.error else f"{item.path}: {outcome.error}"
                log.error("failed: %s", reason)
                continue
            new = [prediction_row(p) for p in outcome.predictions]
            rows += new
            if outcome.long:
                recordings.setdefault(item.path, []).extend(new)
            _show(outcome, args, metadata)
    if args.csv:
        columns = [*COLUMNS, *(f"{PROBABILITY_PREFIX}{name}" for name in metadata["class_names"]), "n_segments"]
        with atomic_path(args.csv) as tmp:
            pd.DataFrame(rows, columns=columns).to_csv(tmp, index=False)
    written = _timelines(recordings, args, metadata)
    files = len({item.path for item in items})
    print(f"predict: {files} file(s), {len(rows)} utterance(s), {failed} failed, {skips.total} skipped"
          + (f"; CSV written to {args.csv}" if args.csv else "")
          + (f"; timeline(s): {', '.join(map(str, written))}" if written else "")
          + (f"; {note}" if (note := predictor.normalisation_note(items)) else ""), file=sys.stderr)
    return 1 if failed else 0


def _show(outcome: Outcome, args: argparse.Namespace, metadata: dict) -> None:
    """Text or JSON lines on stdout; none with --csv alone (the CSV is the output)."""
    if args.csv and not args.json:
        return
    for prediction in outcome.predictions:
        if args.json:
            print(json.dumps(_record(prediction, metadata["task"], args.segments)))
        else:
            _print_text(prediction, metadata, outcome.long, args.segments)


def _record(prediction: Prediction, task: str, segments: bool) -> dict:
    row = prediction_row(prediction)
    record = {**{k: row[k] for k in COLUMNS}, "task": task, "probabilities": prediction.probabilities,
              "n_segments": prediction.n_segments}
    if segments:
        names = list(prediction.probabilities)
        record["segments"] = [dict(zip(names, map(float, probs))) for probs in prediction.segment_probabilities]
    return record


def _print_text(prediction: Prediction, metadata: dict, long: bool, segments: bool) -> None:
    features = metadata["features"]
    step_s = features["segment_hop"] * features["hop_ms"] / 1000
    where = prediction.path
    if long:
        where += f" [{prediction.start_s:.2f}-{prediction.end_s:.2f} s {prediction.speaker}]"
    probs = "  ".join(f"{name} {p:.3f}" for name, p in prediction.probabilities.items())
    tqdm.write(f"{where}\t{metadata['task']}={prediction.label}\t{probs}", file=sys.stdout)
    if segments:
        for i, (label, row) in enumerate(zip(prediction.segment_labels, prediction.segment_probabilities)):
            tqdm.write(f"  segment {i} ({i * step_s:.2f} s)\t{label}\t" + "  ".join(f"{p:.3f}" for p in row),
                       file=sys.stdout)


def _timelines(recordings: dict[str, list[dict]], args: argparse.Namespace, metadata: dict) -> list[Path]:
    """One PNG per long recording: --timeline OUT.png, or <csv stem>.timeline.png beside the CSV; with several
    recordings each name gets the recording's (its file stem, made unique), as OUT.<name>.png or
    <csv stem>.<name>.timeline.png."""
    if not recordings:
        if args.timeline:
            log.info("no file was longer than %g s: no timeline drawn", args.long_s)
        return []
    if args.timeline:
        folder, head, tail = args.timeline.parent, args.timeline.stem, args.timeline.suffix or ".png"
    elif args.csv:
        folder, head, tail = args.csv.parent, args.csv.stem, ".timeline.png"
    else:
        return []
    names = episode_names([Path(path) for path in recordings])
    written = []
    for path, rows in recordings.items():
        out = folder / (f"{head}{tail}" if len(recordings) == 1 else f"{head}.{names[path]}{tail}")
        written.append(plot_timeline(pd.DataFrame(rows), metadata["class_names"],
                                     f"{Path(path).name}: {metadata['task']} per utterance", out))
    return written
