"""Emotion predictions of a saved recognition model for audio files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..downstream.head import load_recognizer
from ..downstream.predict import predict_file
from ..errors import AudioError
from ..log import SkipLog

NAME = "predict"
HELP = "predict utterance (and segment) labels of audio files with a model from `avspnet experiment`"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="model file (runs/<name>/models/<task>.pt)")
    parser.add_argument("audio", type=Path, nargs="+", help="audio files (.wav/.flac, any rate: resampled to 16 kHz)")
    parser.add_argument("--segments", action="store_true", help="also print each 810 ms segment's prediction")
    parser.add_argument("--json", action="store_true", help="one JSON object per file instead of text")


def run(args: argparse.Namespace) -> int:
    model, metadata = load_recognizer(args.model)
    folders = [path for path in args.audio if path.is_dir()]
    if folders:
        raise AudioError(f"{folders[0]} is a folder; give its audio files (e.g. {folders[0]}/*.wav)")
    skips = SkipLog("predict")
    features = metadata["features"]
    segment_step_s = features["segment_hop"] * features["hop_ms"] / 1000
    for path in args.audio:
        try:
            prediction = predict_file(model, metadata, path)
        except AudioError as exc:
            skips.skip(str(path), str(exc))
            continue
        if args.json:
            record = {"path": prediction.path, "task": metadata["task"], "label": prediction.label,
                      "probabilities": prediction.probabilities}
            if args.segments:
                record["segments"] = [dict(zip(metadata["class_names"], map(float, row)))
                                      for row in prediction.segment_probabilities]
            print(json.dumps(record))
            continue
        probs = "  ".join(f"{name} {p:.3f}" for name, p in prediction.probabilities.items())
        print(f"{prediction.path}\t{metadata['task']}={prediction.label}\t{probs}")
        if args.segments:
            for i, (label, row) in enumerate(zip(prediction.segment_labels, prediction.segment_probabilities)):
                print(f"  segment {i} ({i * segment_step_s:.2f} s)\t{label}\t" + "  ".join(f"{p:.3f}" for p in row))
    if skips.total:
        print(skips.summary())
    return 1 if skips.total == len(args.audio) else 0
