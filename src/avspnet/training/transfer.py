"""Embedding target segments with a frozen spectrogram encoder.

The encoder is frozen during transfer, so its output for a segment never
changes: computing embeddings once per (encoder, corpus) and training every
head of the grid on them gives the same heads as running the encoder inside
each head's forward pass, at a fraction of the cost. The front-end registry
(`avspnet.frontends`) calls this for every AV-SpNET front-end and caches the result.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch
from torch import nn


@torch.no_grad()
def embed(encoder: nn.Module, segments: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Frozen-encoder embeddings of (N, bins, frames) segments, float32 (N, dim)."""
    encoder.eval()
    blocks = [encoder(torch.from_numpy(np.ascontiguousarray(segments[i:i + batch_size]))).float().numpy()
              for i in range(0, len(segments), batch_size)]
    return np.concatenate(blocks).astype(np.float32)


def module_digest(module: nn.Module) -> str:
    """Hash of every parameter and buffer: the identity of a frozen encoder."""
    digest = hashlib.sha1()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]
