"""The recognition model: a frozen front-end (any kind) with a trainable dense head.

The head standardises its input with statistics of the training embeddings,
so one learning rate works for every front-end whatever the scale of its
embedding (a random encoder's differs from a trained one's by orders).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..configio import from_dict
from ..content import default_cache_dir
from ..errors import AvspnetError, ModelFileError
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet
from ..frontends import EmbedContext, FrontEnd, FrontEndUnavailable
from ..frontends.saved import encoder_record, frontend_from_record, frontend_record
from ..log import get_logger
from ..models.safeload import load_weights, not_ours, read_model_file
from ..paths import atomic_path
from ..training.device import RESOLVED_PRECISIONS, Runtime

log = get_logger("predict")
# Model file layout: 1 held an AV-SpNET encoder (encoder_state, encoder_config), 2 a front-end record of any kind.
FORMAT = 2


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


@dataclass
class RecognitionModel:
    """Segments in, class probabilities out; what `avspnet predict` loads.

    The front-end embeds through its own `embed` (the path that made the
    grid's vectors) with the feature settings and at the precision of the
    vectors the head was trained on, so the head is served what it learnt.
    `cache_dir` is where a front-end finds its cached parts (Whisper's weights).
    """

    frontend: FrontEnd
    head: Head
    precision: str
    features: FeatureConfig
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.precision not in RESOLVED_PRECISIONS:
            raise ValueError(f"precision must be one of {RESOLVED_PRECISIONS}, got {self.precision!r}")
        self.head.eval()

    def segment_vectors(self, segments: SegmentSet) -> np.ndarray:
        """(len(segments), dim): the front-end's vector of each segment."""
        context = EmbedContext(self.features, Path(self.cache_dir or default_cache_dir()),
                               Runtime.resolve("auto", self.precision), progress=False)
        return np.asarray(self.frontend.embed(segments, context), dtype=np.float32)

    @torch.no_grad()
    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(len(vectors), n_classes): the head's class probabilities for each vector."""
        return torch.softmax(self.head(torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))),
                             dim=1).numpy()

    def segment_probabilities(self, segments: SegmentSet) -> np.ndarray:
        """(len(segments), n_classes): the front-end's vectors of each segment through the head."""
        return self.probabilities(self.segment_vectors(segments))


def save_recognizer(path: Path, frontend: FrontEnd, head: Head, head_config: dict, metadata: dict,
                    precision: str) -> Path:
    """Everything prediction needs, as data: the front-end's record (`frontends.saved`), the head's weights and
    config, class names, feature config, and the precision of the embeddings the head was trained on."""
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "frontend": frontend_record(frontend), "head_state": head.state_dict(),
                    "head_config": head_config, "metadata": {**metadata, "precision": precision}}, tmp)
    return path


def load_recognizer(path: Path, cache_dir: Path | None = None) -> tuple[RecognitionModel, dict]:
    """The saved model and its metadata. A file avspnet did not write, or whose parts do not fit together
    (feature settings vs encoder input, front-end vs head, weights vs settings), is a one-line ModelFileError;
    a front-end this installation cannot rebuild as it was (a missing extra, other package versions) is one
    line saying what to install. Files of format 1 (an AV-SpNET encoder and a head) still load."""
    path = Path(path)
    saved = read_model_file(path, ("head_state", "head_config", "metadata"))
    version = saved.get("format", 1)
    if not isinstance(version, int) or version > FORMAT:
        raise ModelFileError(f"model {path}: file format {version!r} is newer than this version of avspnet reads "
                             f"({FORMAT}); upgrade avspnet to use it")
    try:
        head = Head(**saved["head_config"])
        metadata = saved["metadata"]
        features = from_dict(FeatureConfig, metadata["features"], "features")
        if len(metadata["class_names"]) != head.layers[-1].out_features or not isinstance(metadata["task"], str):
            raise ValueError("class names do not match the head")
        record = saved["frontend"] if version >= 2 else encoder_record(
            metadata.get("frontend", "encoder"), saved["encoder_config"], saved["encoder_state"], None)
        frontend = frontend_from_record(record, features, path, cache_dir)
    except (ModelFileError, FrontEndUnavailable):
        raise
    except (AvspnetError, KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise not_ours(path, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    if head.input_mean.numel() != frontend.dim:
        raise ModelFileError(f"model {path}: its head takes {head.input_mean.numel()} inputs but its front-end "
                             f"{frontend.name} gives {frontend.dim}")
    precision = metadata.get("precision")
    if precision is None:
        log.warning("model %s does not record the precision its head was trained on (an older file); "
                    "predicting in fp32", path)
        precision = "fp32"
    if precision not in RESOLVED_PRECISIONS:
        raise ModelFileError(f"model {path}: precision {precision!r} is not one of {', '.join(RESOLVED_PRECISIONS)}")
    load_weights(head, saved["head_state"], path)
    return RecognitionModel(frontend, head, precision, features, cache_dir), metadata
