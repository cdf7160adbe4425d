"""Model files come from others, so they are data: read with `weights_only=True`, never unpickled as code.

What avspnet saves is plain tensors and config dicts, which the restricted
unpickler accepts; anything else (a crafted pickle, random bytes, a
truncated file, another tool's checkpoint) is refused with one line.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import ModelFileError
from ..paths import file_problem


def not_ours(path: Path, reason: str) -> ModelFileError:
    return ModelFileError(f"not an avspnet model: {path} ({reason})")


def read_model_file(path: str | Path, required: tuple[str, ...]) -> dict:
    """The saved dict, which must hold the `required` keys."""
    path = Path(path)
    if problem := file_problem(path, "model file"):
        raise ModelFileError(problem)
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - whatever the unpickler trips on, the file is not ours
        raise not_ours(path, f"unreadable or unsafe content: {type(exc).__name__}") from None
    if not isinstance(saved, dict):
        raise not_ours(path, f"holds a {type(saved).__name__}, not a dict")
    missing = [key for key in required if key not in saved]
    if missing:
        raise not_ours(path, f"lacks {', '.join(missing)}")
    return saved


def load_weights(module: nn.Module, state: dict, path: str | Path) -> None:
    """Load saved weights into the network the same file's settings build; weights that do not fit those
    settings (an edited config, a changed size) are a one-line ModelFileError, not a torch traceback."""
    try:
        module.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError, KeyError, ValueError) as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        detail = lines[1] if len(lines) > 1 else lines[0] if lines else type(exc).__name__
        raise ModelFileError(f"model {path}: its weights do not fit the network its settings describe "
                             f"({detail})") from None
