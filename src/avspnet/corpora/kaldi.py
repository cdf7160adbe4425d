"""Kaldi data directories: wav.scp, utt2spk, text, optional segments, spk2gender, spk2age.

`root` is one data directory (it holds wav.scp) or a folder whose data
directories lie anywhere below it (`speechocean762/` -> train/, test/), read
together as one corpus. wav.scp entries must be plain paths, absolute or
relative to the data directory's parent (`speechocean762/train` ->
`speechocean762/`) or, failing that, its grandparent (a recipe's
`s5/data/train` -> `s5/`, where Kaldi scripts run); a piped
command (`sox ... |`) is refused with one line naming the file, since
loading never runs code from data. With `segments`, each utterance is a
window (`start_s`/`end_s`) of its recording, and the recording is the group;
without it, the utterance is the whole file and the speaker is the group. A
segments window that does not parse, starts before 0 or at/past the end of
its recording, or does not end after it starts is refused naming the line.
wav.scp paths may point anywhere (Kaldi's own often lead out with `../` or
are absolute): the data dir, not the file, says which audio belongs to it.

Speaker and utterance ids are used as given (`utt_id` = `kaldi/<utt>`); an
utterance id met twice is a counted skip. `text` is optional (missing ->
empty transcript); a `text` or `segments` line whose utterance or recording
has no wav.scp / utt2spk entry is a counted skip naming the file. Language:
`zh` where the transcript holds CJK characters, else `en` (Kaldi records no
language; speechocean762 is English).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..log import SkipLog
from .files import audio_duration, finish_manifest, folders_holding, require_dir, resolve_audio
from .text import read_text

MAX_OVERSHOOT_S = 0.5
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def read_lines(path: Path, skips: SkipLog, required: bool = True) -> list[tuple[int, str, str]]:
    """A Kaldi `key value...` table as (line number, key, rest of line); a key-only or repeated line is a counted skip."""
    if not path.is_file():
        if required:
            raise CorpusError(f"kaldi: table not found: {path}")
        return []
    lines, keys = [], set()
    for number, line in enumerate(read_text(path, "kaldi").splitlines(), start=1):
        fields = line.split(maxsplit=1)
        if not fields:
            continue
        key, value = fields[0], fields[1].strip() if len(fields) > 1 else ""
        if key in keys:
            skips.skip(f"{path}:{number}", "repeated key")
        elif not value and path.name != "text":
            skips.skip(f"{path}:{number}", "line without a value")
        else:
            keys.add(key)
            lines.append((number, key, value))
    return lines


def read_map(path: Path, skips: SkipLog, required: bool = True) -> dict[str, str]:
    """A Kaldi `key value...` table as {key: rest of line} (see `read_lines`)."""
    return {key: value for _, key, value in read_lines(path, skips, required)}


def find_entry(folder: Path, entry: Path) -> Path | None:
    """An absolute path, or one relative to the data dir's parent or, for recipes' `data/<name>`, grandparent."""
    if entry.is_absolute():
        return resolve_audio(entry)
    for base in (folder.parent, folder.parent.parent):
        found = resolve_audio(base / entry)
        if found is not None:
            return found
    return None


def recording_paths(folder: Path, skips: SkipLog) -> dict[str, tuple[Path, float]]:
    """wav.scp as {recording: (audio path, duration)}; refuses piped commands, counts missing files."""
    scp = folder / "wav.scp"
    recordings = {}
    for recording, entry in read_map(scp, skips).items():
        if entry.endswith("|"):
            raise CorpusError(f"kaldi: {scp}: recording {recording!r} is a piped command; "
                              "only plain audio paths are read (convert the audio to files first)")
        path = find_entry(folder, Path(entry))
        if path is None:
            skips.skip(f"{scp} {recording}", "audio file missing")
            continue
        duration = audio_duration(path, skips)
        if duration is not None:
            recordings[recording] = (path, duration)
    return recordings


def windows(folder: Path, recordings: dict, skips: SkipLog) -> dict[str, tuple[str, float | None, float | None]]:
    """{utterance: (recording, start_s, end_s)} from `segments`, or one whole-file utterance per recording.

    A line with too few fields or an unknown recording is a counted skip; a
    window that does not parse or lies outside its recording is an error
    naming the line: read as the whole file or cut short, it would give
    wrong vectors without a word.
    """
    segments = folder / "segments"
    if not segments.is_file():
        return {recording: (recording, None, None) for recording in recordings}
    out = {}
    for number, utt, rest in read_lines(segments, skips):
        fields = rest.split()
        if len(fields) < 3:
            skips.skip(f"{segments}:{number}", "segments line is not <utt> <recording> <start> <end>")
            continue
        if fields[0] not in recordings:
            skips.skip(f"{segments}:{number}", "recording not in wav.scp")
            continue
        recording = fields[0]
        start, end = segment_window(f"{segments}:{number}", fields[1], fields[2], recordings[recording][1])
        out[utt] = (recording, start, end)
    return out


def segment_window(line: str, start_text: str, end_text: str, file_duration: float) -> tuple[float, float | None]:
    """(start, end; None for a negative end: to the recording's end) of one segments line, or an error naming it.

    As Kaldi's extract-segments does, an end up to MAX_OVERSHOOT_S past the
    recording means its end; further is an error.
    """
    try:
        start, end = float(start_text), float(end_text)
    except ValueError:
        start = end = math.nan
    problems = (
        (not (math.isfinite(start) and math.isfinite(end)), "is not two numbers of seconds"),
        (start < 0, "starts before 0"),
        (start >= file_duration, f"starts at or past the end of its recording ({file_duration:.3f} s)"),
        (0 <= end <= start, "does not end after it starts"),
        (end > file_duration + MAX_OVERSHOOT_S, f"ends past the end of its recording ({file_duration:.3f} s)"),
    )
    problem = next((text for failed, text in problems if failed), None)
    if problem:
        raise CorpusError(f"kaldi: {line}: window {start_text} {end_text} {problem}")
    return start, None if end < 0 else end


def dir_rows(root: Path, folder: Path, skips: SkipLog, seen: set[str]) -> list[dict]:
    recordings = recording_paths(folder, skips)
    utterances = windows(folder, recordings, skips)
    speakers = read_map(folder / "utt2spk", skips)
    texts = read_map(folder / "text", skips, required=False)
    genders = read_map(folder / "spk2gender", skips, required=False)
    ages = read_map(folder / "spk2age", skips, required=False)
    for utt in sorted(set(texts) - set(utterances)):
        skips.skip(f"{folder / 'text'} {utt}", "text line without a wav.scp (or segments) entry")
    rows = []
    for utt, (recording, start, end) in sorted(utterances.items()):
        if utt not in speakers:
            skips.skip(f"{folder / 'utt2spk'} {utt}", "utterance not in utt2spk")
            continue
        if utt in seen:
            skips.skip(f"{folder} {utt}", "utterance id met twice")
            continue
        seen.add(utt)
        path, file_duration = recordings[recording]
        speaker, transcript = speakers[utt], texts.get(utt, "")
        windowed = start is not None
        rows.append({
            "utt_id": f"kaldi/{utt}", "path": str(path.resolve()), "speaker": speaker,
            "group": recording if windowed else speaker,
            "duration_s": (min(end or file_duration, file_duration) - start) if windowed else file_duration,
            "language": "zh" if _CJK.search(transcript) else "en", "transcript": transcript,
            "start_s": start, "end_s": end if windowed else None,
            "raw_data_dir": str(folder.relative_to(root)) if folder != root else folder.name,
            "raw_recording": recording,
            "raw_gender": genders.get(speaker, ""), "raw_age": ages.get(speaker, ""),
        })
    return rows


def load(root: Path) -> pd.DataFrame:
    root = require_dir(root, "kaldi")
    skips = SkipLog("corpora.kaldi")
    seen: set[str] = set()
    folders = folders_holding(root, "wav.scp", "kaldi", "**")
    rows = [row for folder in folders for row in dir_rows(root, folder, skips, seen)]
    return finish_manifest("kaldi", root, rows, skips, {}, "a data dir with wav.scp, utt2spk (text, segments)")
