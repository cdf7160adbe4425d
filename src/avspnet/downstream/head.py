"""The recognition model: a frozen front-end encoder with a trainable dense head.

The head standardises its input with statistics of the training embeddings,
so one learning rate works for every front-end whatever the scale of its
embedding (a random encoder's differs from a trained one's by orders).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..configio import from_dict
from ..errors import AvspnetError, ModelFileError
from ..features.config import FeatureConfig
from ..frontends.inference import embed
from ..log import get_logger
from ..models.avspnet import Encoder
from ..models.config import ModelConfig, input_mismatch
from ..models.safeload import load_weights, not_ours, read_model_file
from ..training import checkpoint
from ..training.device import RESOLVED_PRECISIONS, Runtime, autocast

log = get_logger("predict")


class Head(nn.Module):
    """Dense layers (e.g. 1024, 512, 128), dropout, output (the paper's section 3.2)."""

    def __init__(self, in_dim: int, n_classes: int, hidden: tuple[int, ...] = (1024, 512, 128), dropout: float = 0.5):
        super().__init__()
        self.register_buffer("input_mean", torch.zeros(in_dim))
        self.register_buffer("input_std", torch.ones(in_dim))
        layers: list[nn.Module] = []
        width = in_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers += [nn.Dropout(dropout), nn.Linear(width, n_classes)]
        self.layers = nn.Sequential(*layers)

    def set_normalisation(self, embeddings: np.ndarray) -> None:
        mean = embeddings.mean(axis=0)
        std = embeddings.std(axis=0)
        self.input_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.input_std.copy_(torch.as_tensor(np.where(std > 1e-6, std, 1.0), dtype=torch.float32))

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.layers((embeddings - self.input_mean) / self.input_std)


class RecognitionModel(nn.Module):
    """Segments in, class logits out; what `avspnet predict` loads.

    `precision` is that of the embeddings its head was trained on; the
    encoder runs at it, so the head is served the kind of vectors it learnt.
    """

    def __init__(self, encoder: nn.Module, head: Head, precision: str):
        super().__init__()
        if precision not in RESOLVED_PRECISIONS:
            raise ValueError(f"precision must be one of {RESOLVED_PRECISIONS}, got {precision!r}")
        self.encoder = encoder
        self.head = head
        self.precision = precision

    def forward(self, segments: torch.Tensor) -> torch.Tensor:
        with autocast(segments.device.type, self.precision):
            embeddings = self.encoder(segments)
        return self.head(embeddings.float())

    @torch.no_grad()
    def segment_probabilities(self, segments: np.ndarray) -> np.ndarray:
        """Class probabilities per segment, the encoder run as for the cached embeddings (same precision, same
        inference path: `frontends.inference.embed`)."""
        vectors = embed(self.encoder, segments, Runtime.resolve("auto", self.precision))
        return torch.softmax(self.head(torch.from_numpy(vectors)), dim=1).numpy()


def save_recognizer(path: Path, encoder: nn.Module, encoder_config: dict, head: Head, head_config: dict,
                    metadata: dict, precision: str) -> Path:
    """Everything prediction needs: both state dicts, their configs, class names, feature config, and the
    precision of the embeddings the head was trained on (`predict` embeds at it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.save({
        "encoder_state": encoder.state_dict(), "encoder_config": encoder_config,
        "head_state": head.state_dict(), "head_config": head_config, "metadata": {**metadata, "precision": precision},
    }, path)
    return path


def load_recognizer(path: Path) -> tuple[RecognitionModel, dict]:
    """The saved model and its metadata; a file avspnet did not write, or whose parts do not fit together
    (feature settings vs encoder input, encoder vs head, weights vs settings), is a one-line ModelFileError."""
    path = Path(path)
    saved = read_model_file(path, ("encoder_state", "encoder_config", "head_state", "head_config", "metadata"))
    try:
        model_config = from_dict(ModelConfig, saved["encoder_config"], "encoder_config")
        head = Head(**saved["head_config"])
        metadata = saved["metadata"]
        features = from_dict(FeatureConfig, metadata["features"], "features")
        if len(metadata["class_names"]) != head.layers[-1].out_features or not isinstance(metadata["task"], str):
            raise ValueError("class names do not match the head")
    except (AvspnetError, KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise not_ours(path, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    mismatch = input_mismatch(features, model_config)
    if mismatch:
        raise ModelFileError(f"model {path}: its {mismatch}; the file's feature settings do not fit its encoder")
    if head.input_mean.numel() != model_config.embed_dim:
        raise ModelFileError(f"model {path}: its head takes {head.input_mean.numel()} inputs but its encoder gives "
                             f"{model_config.embed_dim}")
    precision = metadata.get("precision")
    if precision is None:
        log.warning("model %s does not record the precision its head was trained on (an older file); "
                    "predicting in fp32", path)
        precision = "fp32"
    if precision not in RESOLVED_PRECISIONS:
        raise ModelFileError(f"model {path}: precision {precision!r} is not one of {', '.join(RESOLVED_PRECISIONS)}")
    encoder = Encoder(model_config)
    load_weights(encoder, saved["encoder_state"], path)
    load_weights(head, saved["head_state"], path)
    return RecognitionModel(encoder, head, precision).eval(), metadata
