"""AV-SpNET (Lu, Li and Lee, AVEC 2018, section 3.1.1), layer for layer.

Encoder: two stages of [conv 3x3 + batch norm + ReLU] x 2 and a 2x2 max-pool,
only the first conv of each stage padded (200x80 -> 48x18 at the paper's
size), flatten, dense `embed_dim`. The autoencoder head mirrors it with
transposed convolutions and nearest-neighbour unpooling back to exactly the
input size; the proxy head is a small MLP classifier.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from .config import ModelConfig


def _conv_block(conv: nn.Module, channels: int) -> list[nn.Module]:
    return [conv, nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]


def _mlp(dims: tuple[int, ...]) -> nn.Sequential:
    """Dense layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(dims, dims[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(dims) - 2:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def set_statistics(module: nn.Module, mean, std, unit: str) -> None:
    """Copy input statistics into `module`'s `mean`/`std` buffers (one value per `unit`; std floored at 1e-6)."""
    mean = torch.as_tensor(np.asarray(mean), dtype=torch.float32).reshape(-1)
    std = torch.as_tensor(np.asarray(std), dtype=torch.float32).reshape(-1)
    if mean.shape != module.mean.shape or std.shape != module.std.shape:
        raise ConfigError(f"normalisation needs {module.mean.numel()} values per {unit}, got {tuple(mean.shape)}")
    module.mean.copy_(mean)
    module.std.copy_(torch.clamp(std, min=1e-6))


class Encoder(nn.Module):
    """Raw log-spectrogram segment (B, n_bins, n_frames) -> embedding (B, embed_dim).

    It owns the per-frequency-bin normalisation (mean/std buffers set from the
    pre-training data), so a saved encoder takes raw segments anywhere.
    """

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        c = config.channels
        layers: list[nn.Module] = []
        for stage in range(2):
            layers += _conv_block(nn.Conv2d(1 if stage == 0 else c, c, 3, padding=1), c)
            layers += _conv_block(nn.Conv2d(c, c, 3), c)
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(config.flat_dim, config.embed_dim), nn.ReLU(inplace=True))
        self.register_buffer("mean", torch.zeros(config.n_bins))
        self.register_buffer("std", torch.ones(config.n_bins))

    def set_normalisation(self, mean, std) -> None:
        set_statistics(self, mean, std, "bin")

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean[:, None]) / self.std[:, None]

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n_bins, n_frames) -> last pooled map (B, channels, 48, 18)."""
        return self.features(self.normalise(x).unsqueeze(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(self.feature_map(x))


class Decoder(nn.Module):
    """Autoencoder head: embedding -> latent -> the encoder's mirror -> (B, n_bins, n_frames).

    Unpooling is nearest-neighbour upsampling to the exact pre-pool size
    (pooling floors odd sizes), so the output always matches the input.
    """

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        c = config.channels
        self.dense = nn.Sequential(
            nn.Linear(config.embed_dim, config.latent_dim), nn.ReLU(inplace=True),
            nn.Linear(config.latent_dim, config.embed_dim), nn.ReLU(inplace=True),
            nn.Linear(config.embed_dim, config.flat_dim), nn.ReLU(inplace=True),
        )
        shapes = config.stage_shapes
        layers: list[nn.Module] = []
        for stage in (1, 0):
            padded, unpadded, _ = shapes[3 * stage: 3 * stage + 3]
            layers.append(nn.Upsample(size=unpadded, mode="nearest"))
            layers += _conv_block(nn.ConvTranspose2d(c, c, 3), c)
            layers += _conv_block(nn.ConvTranspose2d(c, c, 3, padding=1), c)
        self.mirror = nn.Sequential(*layers, nn.Conv2d(c, 1, 1))

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        maps = self.dense(embedding).view(-1, *self.config.feature_shape)
        return self.mirror(maps).squeeze(1)


class ProxyHead(nn.Module):
    """Embedding -> proxy arousal or valence logits (dense 512, 128, output)."""

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.net = _mlp((config.embed_dim, *config.head_dims, config.n_classes))

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        return self.net(embedding)


class AVSpNet(nn.Module):
    """Encoder with both heads; forward -> (reconstruction, logits).

    The reconstruction is in the encoder's normalised units: compare it with
    `reconstruction_target(x)`.
    """

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.proxy = ProxyHead(config)

    def reconstruction_target(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder.normalise(x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.encoder(x)
        return self.decoder(embedding), self.proxy(embedding)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
