"""Where and in what precision training runs: CUDA when present, bf16 only where the hardware does it natively.

bf16 autocast on a CPU without AVX-512 bf16 / AMX is emulated and slower
than fp32, so "auto" picks it only on CUDA or on such a CPU.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")
# What `auto` resolves to; the precision a run really ran at is one of these.
RESOLVED_PRECISIONS = ("fp32", "bf16")
PRECISIONS = ("auto", *RESOLVED_PRECISIONS)
_BF16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}


SIMD_PREFIXES = ("sse", "ssse", "avx", "fma", "f16c", "amx")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> list[str]:
    """The CPU's SIMD flags (which kernels can run, e.g. AVX2 but no AVX-512); empty off Linux."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return []
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return sorted({flag for flag in line.partition(":")[2].split() if flag.startswith(SIMD_PREFIXES)})


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    if torch.backends.cpu.get_cpu_capability() == "AVX512_BF16":
        return True
    return bool(_BF16_CPU_FLAGS & set(cpu_flags(cpuinfo)))


def resolve_device(name: str = "auto") -> torch.device:
    if name not in DEVICES and not name.startswith("cuda:"):
        raise ConfigError(f"device must be one of {DEVICES} (or cuda:N), got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} asked for, but CUDA is not available")
    return torch.device(name)


def resolve_precision(name: str, device: torch.device) -> str:
    if name not in PRECISIONS:
        raise ConfigError(f"precision must be one of {PRECISIONS}, got {name!r}")
    if name != "auto":
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_native_bf16() else "fp32"


def autocast(device_type: str, precision: str) -> contextlib.AbstractContextManager:
    """bf16 autocast for ops on `device_type` where `precision` is bf16, else nothing (fp32)."""
    if precision == "bf16":
        return torch.autocast(device_type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


@dataclass(frozen=True)
class Runtime:
    """The resolved device, precision and memory layout of one run."""

    device: torch.device
    precision: str
    channels_last: bool

    @classmethod
    def resolve(cls, device: str = "auto", precision: str = "auto", channels_last: str | bool = "auto") -> Runtime:
        dev = resolve_device(device)
        # channels-last convolutions: about 1.1x per paper-size step on this
        # project's 2-core AVX2 CPU (interleaved A/B), and the layout CUDA
        # tensor cores want.
        return cls(dev, resolve_precision(precision, dev), channels_last == "auto" or bool(channels_last))

    def autocast(self) -> contextlib.AbstractContextManager:
        return autocast(self.device.type, self.precision)

    def prepare(self, module: torch.nn.Module) -> torch.nn.Module:
        module = module.to(self.device)
        return module.to(memory_format=torch.channels_last) if self.channels_last else module
