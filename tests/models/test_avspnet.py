"""The network at the paper's size: every layer's output shape and the exact parameter count."""

import pytest
import torch
from torch import nn

from avspnet.errors import ConfigError
from avspnet.models import AVSpNet, Encoder, ModelConfig, count_parameters

PAPER_PARAMETERS = 57_833_667


def layer_shapes(module: nn.Module, x: torch.Tensor) -> list[tuple[str, tuple]]:
    shapes = []
    hooks = [m.register_forward_hook(lambda m, i, o, n=name: shapes.append((n, tuple(o.shape))))
             for name, m in module.named_modules() if not list(m.children())]
    module(x)
    for hook in hooks:
        hook.remove()
    return shapes


def test_every_layer_shape_at_paper_size():
    with torch.device("meta"):
        model = AVSpNet()
        shapes = dict(layer_shapes(model, torch.empty(2, 200, 80)))
    c = 32
    expected = {
        "encoder.features.0": (2, c, 200, 80), "encoder.features.3": (2, c, 198, 78),
        "encoder.features.6": (2, c, 99, 39), "encoder.features.7": (2, c, 99, 39),
        "encoder.features.10": (2, c, 97, 37), "encoder.features.13": (2, c, 48, 18),
        "encoder.embed.0": (2, 27648), "encoder.embed.1": (2, 1024),
        "decoder.dense.0": (2, 256), "decoder.dense.2": (2, 1024), "decoder.dense.4": (2, 27648),
        "decoder.mirror.0": (2, c, 97, 37), "decoder.mirror.1": (2, c, 99, 39), "decoder.mirror.4": (2, c, 99, 39),
        "decoder.mirror.7": (2, c, 198, 78), "decoder.mirror.8": (2, c, 200, 80),
        "decoder.mirror.11": (2, c, 200, 80), "decoder.mirror.14": (2, 1, 200, 80),
        "proxy.net.0": (2, 512), "proxy.net.2": (2, 128), "proxy.net.4": (2, 2),
    }
    for name, shape in expected.items():
        assert shapes[name] == shape, name


def test_parameter_count_and_outputs():
    with torch.device("meta"):
        model = AVSpNet()
        reconstruction, logits = model(torch.empty(3, 200, 80))
    assert count_parameters(model) == PAPER_PARAMETERS
    assert count_parameters(model.encoder) == 28_340_896
    assert reconstruction.shape == (3, 200, 80) and logits.shape == (3, 2)


def test_encoder_normalises_raw_input():
    config = ModelConfig(n_bins=20, n_frames=16, channels=2, embed_dim=8, latent_dim=4, head_dims=(4,))
    torch.manual_seed(0)
    encoder = Encoder(config).eval()
    x = torch.randn(4, 20, 16)
    reference = encoder(x)
    mean, std = torch.linspace(-3, 3, 20), torch.linspace(0.5, 2, 20)
    encoder.set_normalisation(mean, std)
    torch.testing.assert_close(encoder(x * std[:, None] + mean[:, None]), reference)
    assert "mean" in encoder.state_dict() and "std" in encoder.state_dict()
    with pytest.raises(ConfigError, match="20 values per bin"):
        encoder.set_normalisation(mean[:5], std[:5])


def test_odd_sizes_reconstruct_exactly():
    config = ModelConfig(n_bins=23, n_frames=17, channels=2, embed_dim=8, latent_dim=4, head_dims=(4,), n_classes=3)
    reconstruction, logits = AVSpNet(config)(torch.randn(2, 23, 17))
    assert reconstruction.shape == (2, 23, 17) and logits.shape == (2, 3)


def test_too_small_input_is_a_config_error():
    with pytest.raises(ConfigError, match="too small"):
        ModelConfig(n_bins=8, n_frames=8)
