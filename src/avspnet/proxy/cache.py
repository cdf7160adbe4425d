"""On-disk cache of acoustic measures: each file measured once per acoustic config.

Key: <cache>/proxy/<acoustic-config hash>/<audio key>.json (the sha1 of the
audio bytes, plus the window for a window of a long file), the same scheme
as the feature cache, so renamed or shared files are measured once and a
changed file or config misses; an unreadable entry is logged and measured
again. Files are measured in parallel over processes: Praat's pitch tracker
is the slow part.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from ..audio import manifest_windows
from ..configio import config_hash
from ..content import default_cache_dir, manifest_audio_keys
from ..log import SkipLog, get_logger
from ..parallel import map_jobs
from ..paths import write_text_atomic
from .acoustic import MEASURES, measure_file
from .config import AcousticConfig

NOTE = "acoustic_note"


def acoustic_dir(cache_dir: Path, config: AcousticConfig) -> Path:
    return Path(cache_dir) / "proxy" / config_hash(config)


def _measure_to_cache(job: tuple[str, float | None, float | None, str, AcousticConfig]) -> None:
    audio_path, start_s, end_s, out_path, config = job
    values, note = measure_file(audio_path, config, start_s, end_s)
    write_text_atomic(out_path, json.dumps({"values": values, "note": note}))


def _cached_record(path: Path) -> dict | None:
    """A cached measurement, or None when absent; a truncated or malformed one is named and removed."""
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict) or not isinstance(record.get("note"), str):
            raise ValueError("not a measurement record")
        record["values"] = {m: float(record["values"][m]) for m in MEASURES}
        return record
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, OSError):
        get_logger("proxy.acoustic").warning("cached acoustic measures unreadable (truncated?), recomputing: %s", path)
        path.unlink(missing_ok=True)
        return None


def acoustic_values(
    manifest: pd.DataFrame,
    config: AcousticConfig = AcousticConfig(),
    cache_dir: Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> tuple[pd.DataFrame, SkipLog]:
    """One row per manifest utterance: utt_id, the MEASURES (NaN when unmeasurable) and a note."""
    out_dir = acoustic_dir(cache_dir or default_cache_dir(), config)
    out_dir.mkdir(parents=True, exist_ok=True)
    skips = SkipLog("proxy.acoustic")
    targets: dict[str, Path | None] = {}
    jobs: dict[str, tuple[str, float | None, float | None, str, AcousticConfig]] = {}
    records: dict[str, dict] = {}
    keys = manifest_audio_keys(manifest, cache_dir)
    for (utt_id, audio_path, start_s, end_s), key in zip(manifest_windows(manifest), keys):
        if key is None:
            targets[utt_id] = None
            continue
        target = out_dir / f"{key}.json"
        targets[utt_id] = target
        if str(target) not in records and str(target) not in jobs:
            record = _cached_record(target)
            if record is None:
                jobs[str(target)] = (audio_path, start_s, end_s, str(target), config)
            else:
                records[str(target)] = record
    map_jobs(_measure_to_cache, list(jobs.values()), workers, progress, desc="acoustic")
    rows = []
    for utt_id, target in targets.items():
        record = (records.get(str(target)) or _cached_record(target)) if target else {
            "values": dict.fromkeys(MEASURES, math.nan), "note": "audio file not found"}
        if all(math.isnan(record["values"][m]) for m in MEASURES):
            skips.skip(utt_id, record["note"])
        rows.append({"utt_id": utt_id, **record["values"], NOTE: record["note"]})
    reused = sum(1 for t in targets.values() if t is not None and str(t) not in jobs)
    get_logger("proxy.acoustic").info("%d files measured, %d utterances reused from %s; %s",
                                      len(jobs), reused, out_dir, skips.summary())
    return pd.DataFrame(rows, columns=["utt_id", *MEASURES, NOTE]), skips
