"""Tiny CTranslate2 model files for tests: the format-6 model.bin layout, and a small Whisper encoder in it."""

import json
import struct

import numpy as np


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def model_file(path, variables, version=6):
    """A CTranslate2 model.bin (format 6) holding `variables`: name -> (dtype id, array)."""
    blob = struct.pack("<I", version) + _string("WhisperSpec") + struct.pack("<II", 3, len(variables))
    for name, (dtype_id, array) in variables.items():
        raw = array.tobytes()
        blob += _string(name) + struct.pack(f"<B{array.ndim}I", array.ndim, *array.shape)
        blob += struct.pack("<BI", dtype_id, len(raw)) + raw
    path.write_bytes(blob + struct.pack("<I", 0))
    return path


def whisper_model(folder, dim: int, n_mels: int = 80, heads: int = 4, hidden: int = 8, positions: int = 100,
                  seed: int = 0):
    """A one-layer Whisper encoder of width `dim` (float16, seeded weights) as a CTranslate2 folder."""
    rng = np.random.default_rng(seed)

    def weights(*shape):
        return 4, (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float16)

    def norm():
        return {"gamma": (4, np.ones(dim, np.float16)), "beta": (4, np.zeros(dim, np.float16))}

    variables = {"encoder/num_heads": (2, np.array(heads, np.int16)),
                 "encoder/conv1/weight": weights(dim, n_mels, 3), "encoder/conv1/bias": weights(dim),
                 "encoder/conv2/weight": weights(dim, dim, 3), "encoder/conv2/bias": weights(dim),
                 "encoder/position_encodings/encodings": weights(positions, dim)}
    layer = {"self_attention/linear_0": (3 * dim, dim), "self_attention/linear_1": (dim, dim),
             "ffn/linear_0": (hidden, dim), "ffn/linear_1": (dim, hidden)}
    for name, shape in layer.items():
        variables[f"encoder/layer_0/{name}/weight"] = weights(*shape)
        variables[f"encoder/layer_0/{name}/bias"] = weights(shape[0])
    for name in ("encoder/layer_0/self_attention/layer_norm", "encoder/layer_0/ffn/layer_norm", "encoder/layer_norm"):
        variables.update({f"{name}/{leaf}": value for leaf, value in norm().items()})
    folder.mkdir(parents=True, exist_ok=True)
    model_file(folder / "model.bin", variables)
    (folder / "config.json").write_text(json.dumps({"num_mel_bins": n_mels}))
    return folder
