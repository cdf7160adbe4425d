"""On-disk feature cache: each file's spectrogram computed once, reused until it or the config changes.

Key: <cache>/features/<feature-config hash>/<audio key>.npy, the audio key
being the sha1 of the audio bytes (`<sha1>@<start>-<end>` for a window of a
long file; see avspnet.content), so a changed file or a changed config
misses the cache, and an unchanged file is shared between manifests. A
truncated entry is logged and recomputed. Extraction runs over processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..audio import manifest_windows
from ..configio import config_hash
from ..content import default_cache_dir, manifest_audio_keys, save_npy, whole_array
from ..errors import AudioError, ConfigError
from ..log import SkipLog, get_logger
from ..parallel import map_jobs
from .config import FeatureConfig
from .spectrogram import file_spectrogram


def feature_dir(cache_dir: Path, config: FeatureConfig) -> Path:
    return Path(cache_dir) / "features" / config_hash(config)


def _extract_one(job: tuple[str, float | None, float | None, str, FeatureConfig]) -> tuple[str, str | None]:
    """Compute and store one utterance's spectrogram; returns (output path, skip reason or None)."""
    audio_path, start_s, end_s, out_path, config = job
    try:
        spectrogram = file_spectrogram(audio_path, config, start_s, end_s)
    except AudioError as exc:
        return out_path, str(exc)
    save_npy(Path(out_path), spectrogram)
    return out_path, None




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
    keys = manifest_audio_keys(manifest, cache_dir)
    for (utt_id, audio_path, start_s, end_s), key in zip(manifest_windows(manifest), keys):
        if key is None:
            skips.skip(audio_path, "audio file not found or unreadable")
            continue
        target = out_dir / f"{key}.npy"
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
