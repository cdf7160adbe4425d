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

from ..errors import AvspnetError
from ..models.safeload import not_ours, read_model_file


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
    """Segments in, class logits out; what `avspnet predict` loads."""

    def __init__(self, encoder: nn.Module, head: Head):
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, segments: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(segments))


def save_recognizer(path: Path, encoder: nn.Module, encoder_config: dict, head: Head, head_config: dict,
                    metadata: dict) -> Path:
    """Everything prediction needs: both state dicts, their configs, class names, feature config."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({
        "encoder_state": encoder.state_dict(), "encoder_config": encoder_config,
        "head_state": head.state_dict(), "head_config": head_config, "metadata": metadata,
    }, path)
    return path


def load_recognizer(path: Path) -> tuple[RecognitionModel, dict]:
    from ..configio import from_dict
    from ..features.config import FeatureConfig
    from ..models.avspnet import Encoder
    from ..models.config import ModelConfig

    path = Path(path)
    saved = read_model_file(path, ("encoder_state", "encoder_config", "head_state", "head_config", "metadata"))
    try:
        encoder = Encoder(from_dict(ModelConfig, saved["encoder_config"], "encoder_config"))
        encoder.load_state_dict(saved["encoder_state"])
        head = Head(**saved["head_config"])
        head.load_state_dict(saved["head_state"])
        metadata = saved["metadata"]
        from_dict(FeatureConfig, metadata["features"], "features")
        if len(metadata["class_names"]) != head.layers[-1].out_features or not isinstance(metadata["task"], str):
            raise ValueError("class names do not match the head")
    except (AvspnetError, KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise not_ours(path, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    return RecognitionModel(encoder, head).eval(), metadata
