"""The ingest pipeline: files and folders in, one utterance manifest out, each file cached and resumable.

Per file: decode to 16 kHz mono, find speech (silero-vad), cut utterances
(or follow Whisper's segments with the `asr` extra), embed each utterance
(GE2E) and cluster the voices of the episode. A file's result is cached
under <cache>/ingest/<config hash>/<audio key>.json, so an interrupted run
resumes where it stopped and a re-run with the same settings only reads.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..audio import audio_info, load_audio
from ..configio import config_hash
from ..content import audio_key, default_cache_dir, unreadable
from ..corpora.files import drop_twins
from ..corpora.manifest import make_manifest
from ..errors import AudioError, CorpusError
from ..log import SkipLog, get_logger
from ..parallel import map_jobs
from ..paths import write_text_atomic
from .config import IngestConfig

SAMPLE_RATE = 16000
# Part of the cache key of ASR results: 2 keeps speech without recognised words and drops impossible
# transcripts, so episodes cached by the version that lost them are recomputed.
ASR_VERSION = 2
# In order of preference where two files of one name share a folder (`corpora.files.drop_twins`):
# the loaders' .wav before .flac, then other lossless audio, lossy audio, video.
MEDIA_SUFFIXES = (
    ".wav", ".flac", ".aif", ".aiff", ".caf", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma",
    ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".ts", ".3gp",
)


@dataclass
class Episode:
    """One file's outcome, as cached: utterances with cluster indices, or why there are none."""

    path: str
    duration_s: float = 0.0
    utterances: list[dict] = field(default_factory=list)
    language: str = ""
    notes: list[str] = field(default_factory=list)
    skip: str = ""

    @property
    def speech_s(self) -> float:
        return sum(u["end_s"] - u["start_s"] for u in self.utterances)

    @property
    def speakers(self) -> int:
        return len({u["cluster"] for u in self.utterances})


@dataclass
class IngestResult:
    manifest: pd.DataFrame
    episodes: dict[str, Episode]
    skips: SkipLog


def find_media(inputs: list[Path], skips: SkipLog) -> list[Path]:
    """Files named, and media files under folders named; unreadable folders, missing paths and twins are counted.

    Two files of one name in one folder (`ep.wav`, `ep.flac`) would be one
    episode twice under one name: the loaders' rule keeps one, up front.
    """
    found: list[Path] = []
    for item in inputs:
        if item.is_file():
            found.append(item)
        elif item.is_dir():
            if not os.access(item, os.R_OK | os.X_OK):
                skips.skip(str(item), "unreadable folder")
                continue
            for root, dirs, files in os.walk(item, onerror=lambda exc: skips.skip(exc.filename, "unreadable folder")):
                dirs.sort()
                for name in sorted(files):
                    path = Path(root) / name
                    if path.suffix.lower() in MEDIA_SUFFIXES:
                        found.append(path)
                    elif not name.startswith("."):
                        skips.skip(str(path), "not a media file name (ignored)")
        else:
            skips.skip(str(item), "not found")
    return drop_twins(list(dict.fromkeys(p.resolve() for p in found)), MEDIA_SUFFIXES, skips)


def _notes(path: Path) -> list[str]:
    info = audio_info(path)
    notes = []
    if info.sample_rate < SAMPLE_RATE:
        notes.append(f"{info.sample_rate} Hz audio upsampled to {SAMPLE_RATE} Hz (narrow-band: no energy above "
                     f"{info.sample_rate // 2} Hz)")
    elif info.sample_rate != SAMPLE_RATE:
        notes.append(f"{info.sample_rate} Hz resampled to {SAMPLE_RATE} Hz")
    if info.channels > 1:
        notes.append(f"{info.channels} channels down-mixed")
    return notes


def process_file(path: Path, config: IngestConfig, asr: bool, cache_dir: Path | None = None,
                 progress: bool = False, asr_threads: int = 0) -> Episode:
    """One file through VAD, utterance cutting, ASR (optional) and speaker clustering."""
    from .speakers import cluster, embed
    from .utterances import vad_utterances
    from .vad import CHUNK, speech_probabilities, speech_regions

    episode = Episode(str(path))
    try:
        episode.notes = _notes(path)
        samples = load_audio(path, SAMPLE_RATE)
    except AudioError as exc:
        episode.skip = str(exc)
        return episode
    episode.duration_s = len(samples) / SAMPLE_RATE
    bar = tqdm(total=4, desc=path.name, unit="stage", disable=not progress, leave=False)
    probabilities = speech_probabilities(samples)
    regions = speech_regions(probabilities, config)
    bar.update()
    pieces = vad_utterances(regions, probabilities, CHUNK / SAMPLE_RATE, config)
    if asr and pieces:
        from ..proxy.transcribe import load_model
        from .asr import transcribe_speech

        heard = transcribe_speech(load_model(cache_dir, asr_threads), samples, pieces, config)
        pieces, episode.language = heard.utterances, heard.language
        if heard.unheard:
            episode.notes.append(f"{heard.unheard} speech stretch(es) without recognised words kept with an "
                                 "empty transcript")
        if heard.implausible:
            episode.notes.append(f"{heard.implausible} transcript(s) dropped: more words per second than anyone "
                                 "speaks (utterances kept, transcript empty)")
    bar.update()
    kept = [p for p in pieces if p.duration >= config.min_s]
    if len(kept) < len(pieces):
        episode.notes.append(f"{len(pieces) - len(kept)} utterance(s) shorter than {config.min_s:g} s dropped")
    if not kept:
        episode.skip = "no speech found"
        bar.close()
        return episode
    embeddings = np.stack([embed(samples[round(p.start_s * SAMPLE_RATE): round(p.end_s * SAMPLE_RATE)])
                           for p in kept])
    bar.update()
    labels = cluster(embeddings, config)
    bar.update()
    bar.close()
    episode.language = episode.language or config.language
    episode.utterances = [
        {"start_s": round(p.start_s, 3), "end_s": round(p.end_s, 3), "text": p.text, "cluster": int(label),
         "words": [[w, round(a, 3), round(b, 3)] for w, a, b in p.words]}
        for p, label in zip(kept, labels)
    ]
    return episode


def cached_episode(target: Path) -> Episode | None:
    """A file's cached outcome, or None when absent; a truncated or malformed entry is named, removed, redone."""
    if not target.is_file():
        return None
    try:
        episode = Episode(**json.loads(target.read_text(encoding="utf-8")))
        for utt in episode.utterances:
            if not (float(utt["start_s"]) < float(utt["end_s"]) and isinstance(utt["text"], str)
                    and int(utt["cluster"]) >= 0 and isinstance(utt["words"], list)):
                raise ValueError("not an utterance")
        if not isinstance(episode.notes, list) or not isinstance(episode.skip, str):
            raise ValueError("not an episode")
        return episode
    except (OSError, ValueError, TypeError, KeyError):  # JSONDecodeError is a ValueError
        unreadable(target)
        return None


def _ingest_job(job: tuple[str, IngestConfig, bool, str, int, bool]) -> Episode:
    """Worker: the cached result of one file, computing it on a miss.

    Torch runs on one thread: the VAD and speaker models make many small
    calls, which extra threads slow down (badly on a shared machine); files
    run in parallel instead. Whisper gets the worker's share of the cores.
    A single file runs in the caller's process, whose thread count is put
    back afterwards (`predict` embeds with all cores after cutting a file).
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _cached_episode(*job)
    finally:
        torch.set_num_threads(threads)


def _cached_episode(path: str, config: IngestConfig, asr: bool, cache_dir: str, threads: int,
                    progress: bool) -> Episode:
    settings = {**asdict(config), "asr": asr, **({"asr_version": ASR_VERSION} if asr else {})}
    try:
        target = Path(cache_dir) / "ingest" / config_hash(settings) / f"{audio_key(path, cache_dir=Path(cache_dir))}.json"
    except OSError as exc:
        return Episode(path, skip=f"unreadable file ({exc.strerror})")
    episode = cached_episode(target)
    if episode is not None:
        episode.path = path
        return episode
    episode = process_file(Path(path), config, asr, Path(cache_dir), progress, threads)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, json.dumps(asdict(episode)))
    return episode


def episode_names(paths: list[Path]) -> dict[str, str]:
    """File stem per path; stems shared by several files get their folder names prefixed until unique
    (then a number), so utterance ids never collide."""
    names = {str(p): p.stem for p in paths}
    depth = 1
    while len(set(names.values())) < len(names) and depth < 8:
        counts = pd.Series(list(names.values())).value_counts()
        names = {str(p): ("_".join([*p.parent.parts[-depth:], p.stem]) if counts[names[str(p)]] > 1 else names[str(p)])
                 for p in paths}
        depth += 1
    seen: dict[str, int] = {}
    for path, name in names.items():
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            names[path] = f"{name}_{seen[name]}"
    return names


def ingest_media(inputs: list[Path], config: IngestConfig = IngestConfig(), asr: bool = False,
                 cache_dir: Path | None = None, workers: int | None = None, progress: bool = True) -> IngestResult:
    """All media under `inputs` as one utterance manifest (speaker = episode + voice cluster, group = episode)."""
    skips = SkipLog("ingest")
    files = find_media([Path(p) for p in inputs], skips)
    if not files:
        raise CorpusError(f"ingest: no media files found in {', '.join(map(str, inputs))} ({skips.summary()})")
    workers = max(1, min(workers or os.cpu_count() or 1, len(files)))
    threads = max(1, (os.cpu_count() or 1) // workers)
    names = episode_names(files)
    cache = str(cache_dir or default_cache_dir())
    jobs = [(str(p), config, asr, cache, threads, progress and workers == 1) for p in files]
    done = map_jobs(_ingest_job, jobs, workers, progress, desc="ingest", chunksize=1, spawn=True, min_parallel=2)
    episodes, rows = {}, []
    log = get_logger("ingest")
    for episode in done:
        name = names[episode.path]
        episodes[name] = episode
        for note in episode.notes:
            log.info("%s: %s", episode.path, note)
        if episode.skip:
            skips.skip(episode.path, episode.skip)
            continue
        for index, utt in enumerate(episode.utterances):
            rows.append({
                "utt_id": f"{name}/{index:05d}", "path": episode.path, "speaker": f"{name}_spk{utt['cluster'] + 1}",
                "group": name, "duration_s": utt["end_s"] - utt["start_s"], "language": episode.language,
                "transcript": utt["text"], "start_s": utt["start_s"], "end_s": utt["end_s"],
                **({"raw_words": json.dumps(utt["words"], ensure_ascii=False)} if asr else {}),
            })
    if not rows:
        raise CorpusError(f"ingest: no speech found in {len(files)} file(s) ({skips.summary()})")
    return IngestResult(make_manifest(rows), episodes, skips)
