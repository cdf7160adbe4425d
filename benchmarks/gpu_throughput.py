"""Pre-training and embedding throughput on one device: paper-size network, fp32 vs bf16, batch 32 and 256.

Synthetic log-spectrogram-like segments (throughput does not depend on the
values). Each configuration runs warm-up steps first, then timed steps with
the device synchronised around them. `--smoke` swaps in a tiny network and
small batches so the script's code paths run in seconds on a CPU.

  python benchmarks/gpu_throughput.py                 # CUDA if present (device auto)
  python benchmarks/gpu_throughput.py --device cpu --smoke
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from avspnet.frontends.inference import embedding_blocks
from avspnet.models import AVSpNet
from avspnet.models.avspnet import Encoder
from avspnet.models.config import ModelConfig
from avspnet.training.device import Runtime, cpu_has_native_bf16
from avspnet.training.pretrain import PhaseModule, make_optimizer, train_step
from avspnet.training.pretrain_config import phases

JOINT = phases("AVSpNET_a")[0]
SMOKE = ModelConfig(channels=4, embed_dim=32, latent_dim=8, head_dims=(16,))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def pretrain_rate(runtime: Runtime, model_config: ModelConfig, batch: int, warmup: int, steps: int) -> float:
    """Segments per second of joint (autoencoder + proxy head) training steps."""
    torch.manual_seed(0)
    model = AVSpNet(model_config)
    module = runtime.prepare(PhaseModule(model, JOINT))
    optimizer = make_optimizer(module, 1e-3)
    x = (torch.randn(batch, model_config.n_bins, model_config.n_frames) * 2 - 4).to(runtime.device)
    y = torch.randint(0, 2, (batch,)).to(runtime.device)
    for _ in range(warmup):
        train_step(module, model.encoder, optimizer, JOINT, 0.5, x, y, runtime)
    _sync(runtime.device)
    start = time.perf_counter()
    for _ in range(steps):
        train_step(module, model.encoder, optimizer, JOINT, 0.5, x, y, runtime)
    _sync(runtime.device)
    return steps * batch / (time.perf_counter() - start)


def embed_rate(runtime: Runtime, model_config: ModelConfig, n: int, batch: int) -> float:
    """Segments per second through the shipped embedding path (one warm-up pass)."""
    encoder = Encoder(model_config).eval()
    segments = np.random.default_rng(0).standard_normal((n, model_config.n_bins, model_config.n_frames), np.float32)
    for _ in embedding_blocks(encoder, segments[:batch], runtime, batch):
        pass
    start = time.perf_counter()
    for _ in embedding_blocks(encoder, segments, runtime, batch):
        pass
    _sync(runtime.device)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--smoke", action="store_true", help="tiny network and batches: checks the script, not the speed")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    model_config = SMOKE if args.smoke else ModelConfig()
    batches = (4, 8) if args.smoke else (32, 256)
    steps, warmup = (2, 1) if args.smoke else (args.steps, 3)
    device = Runtime.resolve(args.device).device
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    native_bf16 = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_native_bf16()
    print(f"device {device} ({name}); torch {torch.__version__}; native bf16: {native_bf16}; "
          f"{'SMOKE (tiny network)' if args.smoke else 'paper-size network'}")
    precisions = ("fp32", "bf16") if native_bf16 or args.smoke else ("fp32",)
    for batch in batches:
        rates = {}
        for precision in precisions:
            runtime = Runtime(device, precision, channels_last=True)
            rates[precision] = pretrain_rate(runtime, model_config, batch, warmup, steps)
            print(f"pre-training, batch {batch:4d}, {precision}: {rates[precision]:9.1f} segments/s", flush=True)
        if "bf16" in rates:
            print(f"pre-training, batch {batch:4d}: bf16 / fp32 = {rates['bf16'] / rates['fp32']:.2f}x")
    runtime = Runtime.resolve(args.device)
    n = 64 if args.smoke else 8192
    print(f"embedding ({runtime.precision}, batch 512, {n} segments): "
          f"{embed_rate(runtime, model_config, n, 512):.1f} segments/s")


if __name__ == "__main__":
    main()
