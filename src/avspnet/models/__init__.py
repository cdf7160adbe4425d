"""The AV-SpNET network: convolutional encoder, autoencoder head and proxy arousal/valence head."""

from .avspnet import AVSpNet, Decoder, Encoder, ProxyHead, count_parameters
from .config import ModelConfig

__all__ = ["AVSpNet", "Decoder", "Encoder", "ModelConfig", "ProxyHead", "count_parameters"]
