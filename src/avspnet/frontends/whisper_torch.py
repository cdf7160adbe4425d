"""Whisper-base's encoder in plain PyTorch, its weights read from the CTranslate2 model file.

CTranslate2's `encode` only takes full 30 s windows; the same weights in torch
run on any even number of mel frames (up to 3000), so a 3 s utterance costs a
3 s pass. The model file is read as data (struct + numpy.frombuffer: no
pickle, nothing executed); only the `encoder/` variables are kept.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import ModelFileError

# CTranslate2's DataType ids (model.bin spec format 6).
DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
BFLOAT16 = 5
FORMAT_VERSION = 6


class _Reader:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.offset = data, path, 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.offset + size > len(self.data):
            raise ModelFileError(f"{self.path}: truncated CTranslate2 model file")
        values = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += size
        return values

    def string(self) -> str:
        (length,) = self.take("<H")
        raw = self.take(f"<{length}s")[0]
        return raw.rstrip(b"\0").decode("utf-8", errors="replace")


def read_variables(path: Path, prefix: str = "encoder/") -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 model.bin whose names start with `prefix`, as float32/int arrays."""
    path = Path(path)
    try:
        reader = _Reader(path.read_bytes(), path)
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    (version,) = reader.take("<I")
    if version != FORMAT_VERSION:
        raise ModelFileError(f"{path}: CTranslate2 model format {version}, expected {FORMAT_VERSION}")
    reader.string()  # spec name
    reader.take("<I")  # spec revision
    (count,) = reader.take("<I")
    out = {}
    for _ in range(count):
        name = reader.string()
        (rank,) = reader.take("<B")
        dims = reader.take(f"<{rank}I")
        dtype_id, n_bytes = reader.take("<B")[0], reader.take("<I")[0]
        start = reader.offset
        reader.offset += n_bytes
        if reader.offset > len(reader.data):
            raise ModelFileError(f"{path}: truncated CTranslate2 model file (variable {name})")
        if not name.startswith(prefix):
            continue
        raw = reader.data[start:reader.offset]
        if dtype_id == BFLOAT16:
            array = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif dtype_id in DTYPES:
            array = np.frombuffer(raw, DTYPES[dtype_id])
        else:
            raise ModelFileError(f"{path}: variable {name} has unknown data type id {dtype_id}")
        if array.size != int(np.prod(dims, dtype=np.int64)):
            raise ModelFileError(f"{path}: variable {name} holds {array.size} values for shape {dims}")
        out[name] = array.reshape(dims)
    return out


class _Layer(nn.Module):
    """Pre-LN transformer layer: fused q,k,v self-attention then a GELU MLP, each with a residual."""

    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.heads = heads
        self.attn_norm, self.qkv, self.out = nn.LayerNorm(dim), nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.ffn_norm, self.ffn_in, self.ffn_out = nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, frames, dim = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(batch, frames, 3, self.heads, dim // self.heads).unbind(2)
        attended = nn.functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        x = x + self.out(attended.transpose(1, 2).reshape(batch, frames, dim))
        return x + self.ffn_out(nn.functional.gelu(self.ffn_in(self.ffn_norm(x))))


class WhisperEncoder(nn.Module):
    """conv1+GELU, stride-2 conv2+GELU, positional encodings, pre-LN layers, final LayerNorm."""

    def __init__(self, variables: dict[str, np.ndarray]) -> None:
        super().__init__()
        try:
            conv1 = variables["encoder/conv1/weight"]
            heads = int(variables["encoder/num_heads"])
            positions = variables["encoder/position_encodings/encodings"]
            n_layers = 1 + max(int(name.split("/")[1].split("_")[1]) for name in variables
                               if name.startswith("encoder/layer_") and not name.startswith("encoder/layer_norm"))
            hidden = variables["encoder/layer_0/ffn/linear_0/weight"].shape[0]
        except (KeyError, ValueError, IndexError) as exc:
            raise ModelFileError(f"not a Whisper encoder: missing or malformed variable {exc}") from None
        dim = conv1.shape[0]
        self.conv1 = nn.Conv1d(conv1.shape[1], dim, 3, padding=1)
        self.conv2 = nn.Conv1d(dim, dim, 3, stride=2, padding=1)
        self.register_buffer("positions", torch.zeros(positions.shape))
        self.layers = nn.ModuleList(_Layer(dim, heads, hidden) for _ in range(n_layers))
        self.norm = nn.LayerNorm(dim)
        names = {"conv1": "conv1", "conv2": "conv2", "positions": "position_encodings/encodings", "norm": "layer_norm"}
        for i in range(n_layers):
            names.update({f"layers.{i}.{ours}": f"layer_{i}/{theirs}" for ours, theirs in (
                ("attn_norm", "self_attention/layer_norm"), ("qkv", "self_attention/linear_0"),
                ("out", "self_attention/linear_1"), ("ffn_norm", "ffn/layer_norm"),
                ("ffn_in", "ffn/linear_0"), ("ffn_out", "ffn/linear_1"))})
        suffix = {"weight": ("weight", "gamma"), "bias": ("bias", "beta")}
        state = {}
        for key, param in self.state_dict().items():
            module, _, leaf = key.rpartition(".") if key != "positions" else ("positions", "", "")
            base = "encoder/" + names[module]
            candidates = [f"{base}/{s}" for s in suffix[leaf]] if leaf else [base]
            found = next((variables[c] for c in candidates if c in variables), None)
            if found is None or found.shape != tuple(param.shape):
                raise ModelFileError(f"not a Whisper encoder: {candidates[0]} is missing or not shaped {tuple(param.shape)}")
            state[key] = torch.from_numpy(found.astype(np.float32))
        self.load_state_dict(state)
        self.eval()

    @property
    def max_frames(self) -> int:
        """Mel frames one pass can take: twice the positional table (1500 encoder frames, 30 s)."""
        return 2 * self.positions.shape[0]

    @torch.inference_mode()
    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(batch, n_mels, even frames <= max_frames) log-mel -> (batch, frames / 2, dim)."""
        x = nn.functional.gelu(self.conv1(mel))
        x = nn.functional.gelu(self.conv2(x)).transpose(1, 2)
        x = x + self.positions[:x.shape[1]]
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


def load_encoder(model_dir: Path) -> WhisperEncoder:
    return WhisperEncoder(read_variables(Path(model_dir) / "model.bin"))
