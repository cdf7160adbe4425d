"""Utterance and segment predictions of a saved recognition model for audio files."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..configio import from_dict
from ..evaluation.vote import majority_vote
from ..features.config import FeatureConfig
from ..features.segments import cut_segments
from ..features.spectrogram import file_spectrogram
from .head import RecognitionModel


@dataclass
class Prediction:
    path: str
    label: str
    probabilities: dict[str, float]
    segment_labels: list[str]
    segment_probabilities: np.ndarray


def predict_file(model: RecognitionModel, metadata: dict, path: str | Path) -> Prediction:
    """Cut the file as in training (short files padded to one segment), embed at the model's precision, vote."""
    features = replace(from_dict(FeatureConfig, metadata["features"], "model features"), short_policy="pad")
    segments = cut_segments(file_spectrogram(path, features), features)
    probs = model.segment_probabilities(segments)
    predicted, mean_probs = majority_vote(probs, np.zeros(len(probs), dtype=np.int64), 1)
    names = metadata["class_names"]
    return Prediction(
        path=str(path), label=names[int(predicted[0])],
        probabilities={name: float(p) for name, p in zip(names, mean_probs[0])},
        segment_labels=[names[i] for i in probs.argmax(axis=1)], segment_probabilities=probs,
    )
