"""On-disk feature cache: each file's spectrogram computed once, reused until it or the config changes.

Key: <cache>/features/<feature-config hash>/<sha1 of the audio bytes>.npy
(`<sha1>@<start>-<end>.npy` for a window of a long file), so a changed file
or a changed config misses the cache, and an unchanged file is shared
between manifests. Extraction runs over processes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..audio import manifest_windows
from ..configio import config_hash
from ..errors import AudioError, ConfigError
from ..log import SkipLog, get_logger
from ..parallel import map_jobs
from .config import FeatureConfig
from .spectrogram import file_spectrogram


def default_cache_dir() -> Path:
    return Path(os.environ.get("AVSPNET_CACHE", Path.home() / ".cache" / "avspnet"))


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4096)
def _stat_digest(path: str, size: int, mtime_ns: int) -> str:
    return file_digest(path)


def audio_key(path: str | Path, start_s: float | None = None, end_s: float | None = None) -> str:
    """Cache key of an utterance: the file's content hash, and its window if it is one.

    The hash is remembered per (path, size, mtime), so the hundreds of
    windows of one long file hash it once.
    """
    stat = os.stat(path)
    digest = _stat_digest(str(path), stat.st_size, stat.st_mtime_ns)
    if start_s is None and end_s is None:
        return digest
    return f"{digest}@{start_s or 0.0:.6f}-{'end' if end_s is None else f'{end_s:.6f}'}"


def feature_dir(cache_dir: Path, config: FeatureConfig) -> Path:
    return Path(cache_dir) / "features" / config_hash(config)


def _extract_one(job: tuple[str, float | None, float | None, str, FeatureConfig]) -> tuple[str, str | None]:
    """Compute and store one utterance's spectrogram; returns (output path, skip reason or None)."""
    audio_path, start_s, end_s, out_path, config = job
    try:
        spectrogram = file_spectrogram(audio_path, config, start_s, end_s)
    except AudioError as exc:
        return out_path, str(exc)
    tmp = f"{out_path}.{os.getpid()}.tmp.npy"
    np.save(tmp, spectrogram)
    os.replace(tmp, out_path)
    return out_path, None


def whole_array(path: Path, shape: tuple[int | None, ...]) -> bool:
    """True if a cached float32 array of `shape` (None: any length) is whole; a truncated or foreign
    one is named, removed and so recomputed.

    Memory-mapping reads only the header and checks the file holds every
    byte it declares, so this costs no full read.
    """
    if not path.exists():
        return False
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        whole = array.dtype == np.float32 and len(array.shape) == len(shape) and all(
            want is None or have == want for have, want in zip(array.shape, shape))
    except (ValueError, OSError, EOFError):
        whole = False
    if not whole:
        get_logger("cache").warning("cached array unreadable (truncated?), recomputing: %s", path)
        path.unlink(missing_ok=True)
    return whole


@dataclass
class FeatureIndex:
    """Where each utterance's spectrogram lies in the cache (missing = skipped)."""

    paths: dict[str, Path]
    skips: SkipLog
    computed: int
    reused: int


def manifest_shard(manifest: pd.DataFrame, shard: str) -> pd.DataFrame:
    """Rows K, K+N, K+2N, ... of the manifest for shard "K/N".

    Workers on several machines each fill the same (shared) cache with one
    shard; the cache is keyed by file content, so shards never collide and a
    later run over the whole manifest only reuses.
    """
    try:
        index, count = (int(part) for part in shard.split("/"))
    except ValueError:
        raise ConfigError(f"shard must look like K/N (e.g. 0/4), got {shard!r}") from None
    if not 0 <= index < count:
        raise ConfigError(f"shard {shard!r}: need 0 <= K < N")
    return manifest.iloc[index::count]


def extract_features(
    manifest: pd.DataFrame,
    config: FeatureConfig = FeatureConfig(),
    cache_dir: Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> FeatureIndex:
    """Fill the cache for every row of `manifest` and say where each spectrogram is."""
    out_dir = feature_dir(cache_dir or default_cache_dir(), config)
    out_dir.mkdir(parents=True, exist_ok=True)
    skips = SkipLog("features")
    paths: dict[str, Path] = {}
    jobs: list[tuple[str, float | None, float | None, str, FeatureConfig]] = []
    owners: dict[str, list[str]] = {}
    for utt_id, audio_path, start_s, end_s in manifest_windows(manifest):
        if not Path(audio_path).is_file():
            skips.skip(audio_path, "audio file not found")
            continue
        target = out_dir / f"{audio_key(audio_path, start_s, end_s)}.npy"
        paths[utt_id] = target
        if str(target) not in owners and not whole_array(target, (config.n_bins, None)):
            jobs.append((audio_path, start_s, end_s, str(target), config))
        owners.setdefault(str(target), []).append(utt_id)
    reused = len(paths) - sum(len(owners[j[3]]) for j in jobs)
    results = map_jobs(_extract_one, jobs, workers, progress, desc="features")
    for out_path, reason in results:
        if reason is not None:
            for utt_id in owners[out_path]:
                skips.skip(utt_id, reason)
                paths.pop(utt_id, None)
    get_logger("features").info(
        "%d computed, %d reused from %s; %s", len(jobs), reused, out_dir, skips.summary()
    )
    return FeatureIndex(paths=paths, skips=skips, computed=len(jobs), reused=reused)
