"""Network sizes; the defaults are the paper's (section 3.1.1), smaller widths serve tests, the demo and CPU studies."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from ..features.config import FeatureConfig


@dataclass(frozen=True)
class ModelConfig:
    n_bins: int = 200
    n_frames: int = 80
    channels: int = 32
    embed_dim: int = 1024
    latent_dim: int = 256
    head_dims: tuple[int, ...] = (512, 128)
    n_classes: int = 2

    def __post_init__(self) -> None:
        if min(self.channels, self.embed_dim, self.latent_dim, self.n_classes, *self.head_dims) < 1:
            raise ConfigError(f"model: every width must be positive, got {self}")
        if self.n_classes < 2:
            raise ConfigError(f"model.n_classes must be >= 2, got {self.n_classes}")
        if min(self.feature_shape[1:]) < 1:
            raise ConfigError(f"model: input {self.n_bins}x{self.n_frames} too small for two conv stages")

    @property
    def stage_shapes(self) -> tuple[tuple[int, int], ...]:
        """(height, width) after each stage's padded conv, unpadded conv and 2x2 pool."""
        shapes, (h, w) = [], (self.n_bins, self.n_frames)
        for _ in range(2):
            shapes += [(h, w), (h - 2, w - 2), ((h - 2) // 2, (w - 2) // 2)]
            h, w = shapes[-1]
        return tuple(shapes)

    @property
    def feature_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of the last pooled feature map: (32, 48, 18) at the paper's size."""
        return (self.channels, *self.stage_shapes[-1])

    @property
    def flat_dim(self) -> int:
        c, h, w = self.feature_shape
        return c * h * w


# Named sizes a config can ask for with `network: NAME`. `narrow` keeps the
# paper's layout (two conv stages, same kernels, pooling and heads) with a
# quarter of the conv channels and a quarter of the dense widths, so a CPU can
# afford pre-training budgets of thousands of steps (benchmarks/bench_network.py).
NETWORKS = {
    "paper": ModelConfig(),
    "narrow": ModelConfig(channels=8, embed_dim=256, latent_dim=64, head_dims=(128, 32)),
}


def network_preset(name: str) -> ModelConfig:
    if name not in NETWORKS:
        raise ConfigError(f"network must be one of {', '.join(NETWORKS)}, got {name!r}")
    return NETWORKS[name]


def network_name(model: ModelConfig) -> str:
    """The preset a model config is (compared on every width), or 'custom'."""
    return next((name for name, preset in NETWORKS.items() if preset == model), "custom")


def input_mismatch(features: FeatureConfig, model: ModelConfig) -> str:
    """How the segments `features` cut differ from the input `model` takes, '' when they fit.

    A mismatch would otherwise fail deep inside torch with a shape error.
    """
    given, wanted = (features.n_bins, features.segment_frames), (model.n_bins, model.n_frames)
    if given == wanted:
        return ""
    return (f"features give {given[0]} bins x {given[1]} frames per segment but the network expects "
            f"{wanted[0]} x {wanted[1]}")
