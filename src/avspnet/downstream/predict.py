"""Predictions of a saved recognition model for files, folders, globs, manifest rows and long recordings.

Inputs become `Item`s: a whole file, or a manifest row's window of one. A
whole file longer than `long_s` is a recording (a podcast episode): the
ingest path cuts it (silero VAD, utterances of `min_s`..`max_s` seconds,
resemblyzer voice clusters, no ASR) and each utterance gets its own
prediction with its times and speaker. A shorter file, or a window, is one
utterance: cut into segments as in training (a short one padded to one
segment), embedded by the model's front-end as the grid's vectors were
(whatever its kind), at the model's precision, and voted.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..audio import Window, audio_info, manifest_windows
from ..configio import from_dict
from ..corpora.files import read_table
from ..corpora.manifest import make_manifest
from ..errors import AudioError, ConfigError, CorpusError, ModelFileError
from ..evaluation.vote import majority_vote
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet
from ..features.segments import cut_segments
from ..features.spectrogram import file_spectrogram
from ..frontends.inference import EMBED_BATCH
from ..ingest import IngestConfig, ingest_media
from ..ingest.run import MEDIA_SUFFIXES, find_media
from ..log import SkipLog
from .head import RecognitionModel
from .pooling import SPEAKER_NORMS, speaker_normalise

LONG_S = 30.0
# A CSV given as an input is a list of utterances (a manifest), not audio.
MANIFEST_SUFFIX = ".csv"
GLOB_CHARACTERS = "*?["
# Output column of each class's probability: p_<class name>.
PROBABILITY_PREFIX = "p_"
# The metadata key of a model's per-speaker normalisation (`pooling.SPEAKER_NORMS`; absent: none).
SPEAKER_NORMALISATION = "speaker_normalisation"


@dataclass(frozen=True)
class Item:
    """One input: a whole file (cut into utterances when long) or a manifest row's window of a file."""

    path: str
    start_s: float | None = None
    end_s: float | None = None
    speaker: str = ""

    @property
    def whole(self) -> bool:
        return self.start_s is None and self.end_s is None


@dataclass(frozen=True)
class Utterance:
    """What gets one prediction: the audio to read, where it lies in its file, and who speaks ('' unknown)."""

    window: Window
    start_s: float
    end_s: float
    speaker: str = ""


@dataclass
class Prediction:
    path: str
    label: str
    probabilities: dict[str, float]
    segment_labels: list[str]
    segment_probabilities: np.ndarray
    start_s: float = 0.0
    end_s: float = 0.0
    speaker: str = ""

    @property
    def n_segments(self) -> int:
        return len(self.segment_probabilities)


@dataclass
class Outcome:
    """One item's predictions (several for a long recording), or why it failed."""

    item: Item
    predictions: list[Prediction] = field(default_factory=list)
    error: str = ""
    long: bool = False


def window_segments(metadata: dict, window: Window) -> np.ndarray:
    """The model's input for one window: its spectrogram cut into segments as in training (a short one padded
    to one segment). Reads the audio: an AudioError for a file that cannot be used."""
    features = replace(from_dict(FeatureConfig, metadata["features"], "model features"), short_policy="pad")
    return cut_segments(file_spectrogram(window.path, features, window.start_s, window.end_s), features)


def window_set(windows: Sequence[Window], inputs: Sequence[np.ndarray]) -> SegmentSet:
    """The windows' segments as a corpus, the form every front-end embeds: each window a manifest row (its
    file and span, which front-ends that read audio take their samples from), its segments its rows."""
    kept = [i for i, x in enumerate(inputs) if len(x)]
    utterances = pd.DataFrame({"utt_id": [str(i) for i in kept], "path": [windows[i].path for i in kept],
                               "start_s": [windows[i].start_s for i in kept], "end_s": [windows[i].end_s for i in kept]})
    counts = [len(inputs[i]) for i in kept]
    segments = np.concatenate([inputs[i] for i in kept]) if kept else np.zeros((0, 0, 0), np.float32)
    return SegmentSet(segments, np.repeat(np.arange(len(kept)), counts), utterances, SkipLog("predict"))


def segment_probabilities(model: RecognitionModel, windows: Sequence[Window], inputs: Sequence[np.ndarray],
                          speakers: Sequence[str] = (), speaker_norm: str = "none") -> list[np.ndarray]:
    """(n_segments, n_classes) probabilities per window (its segments in `inputs`), all windows embedded in one
    pass through the model's front-end: the one place `predict` embeds. With `speaker_norm`, the vectors are
    normalised per `speakers` (one per window) before the head, as the head's training vectors were.

    One pass over many windows: an encoder costs about a quarter as much per
    segment in batches of hundreds as per file.
    """
    if not inputs:
        return []
    counts = [len(x) for x in inputs]
    vectors = model.segment_vectors(window_set(windows, inputs))
    if speaker_norm != "none":
        vectors = speaker_normalise(vectors, np.repeat(np.asarray(speakers, dtype=object).astype(str), counts),
                                    speaker_norm)
    return np.split(model.probabilities(vectors), np.cumsum(counts)[:-1])


def voted(metadata: dict, utterance: Utterance, probs: np.ndarray) -> Prediction:
    """An utterance's prediction: the majority of its segments' labels (ties: the mean probabilities)."""
    names = metadata["class_names"]
    predicted, mean_probs = majority_vote(probs, np.zeros(len(probs), dtype=np.int64), 1)
    return Prediction(
        path=utterance.window.path, label=names[int(predicted[0])],
        probabilities={name: float(p) for name, p in zip(names, mean_probs[0])},
        segment_labels=[names[i] for i in probs.argmax(axis=1)], segment_probabilities=probs,
        start_s=utterance.start_s, end_s=utterance.end_s, speaker=utterance.speaker,
    )


def whole_file(path: str | Path, speaker: str = "") -> Utterance:
    """A file as one utterance: from 0 to its duration (from the header)."""
    return Utterance(Window("", str(path), None, None), 0.0, round(audio_info(path).duration_s, 3), speaker)


def model_speaker_norm(metadata: dict) -> str:
    """The speaker normalisation a model's head was trained with ('none' when its metadata names none), or a
    ModelFileError for one this version cannot apply: never predict without it."""
    norm = metadata.get(SPEAKER_NORMALISATION) or "none"
    if norm not in SPEAKER_NORMS:
        raise ModelFileError(f"the model's speaker normalisation {norm!r} is not one this version of predict "
                             f"knows ({', '.join(SPEAKER_NORMS)}); predicting without it would be wrong")
    return norm


def predict_file(model: RecognitionModel, metadata: dict, path: str | Path) -> Prediction:
    """A whole file's prediction, however long (`Predictor` cuts long recordings); a speaker-normalising model
    takes the file as its own speaker."""
    utterance = whole_file(path)
    inputs = [window_segments(metadata, utterance.window)]
    probs = segment_probabilities(model, [utterance.window], inputs, [str(path)], model_speaker_norm(metadata))
    return voted(metadata, utterance, probs[0])


def recording_utterances(path: str, config: IngestConfig, cache_dir: Path | None) -> list[Utterance]:
    """A long recording cut by the ingest path (cached per file and settings); speakers are its voice clusters."""
    manifest = ingest_media([Path(path)], config, asr=False, cache_dir=cache_dir, workers=1, progress=False).manifest
    return [Utterance(Window("", path, window.start_s, window.end_s), window.start_s, window.end_s, speaker)
            for window, speaker in zip(manifest_windows(manifest), manifest["speaker"])]


@dataclass
class _Read:
    """An item read and cut, waiting for its batch to be embedded (or why it could not be read)."""

    item: Item
    utterances: list[Utterance] = field(default_factory=list)
    inputs: list[np.ndarray] = field(default_factory=list)
    long: bool = False
    error: str = ""


@dataclass
class Predictor:
    """A loaded model with the rule for long files; one bad input never stops the others.

    A model whose head was trained on speaker-normalised vectors
    (SPEAKER_NORMALISATION in its metadata) gets them normalised the same way
    between front-end and head: statistics per manifest `speaker` where the
    input gives one, else per input file (each file its own speaker; a long
    recording's utterances together), over all the inputs at once, since a
    speaker's statistics need all their segments.
    """

    model: RecognitionModel
    metadata: dict
    long_s: float = LONG_S
    ingest: IngestConfig = IngestConfig()
    cache_dir: Path | None = None
    batch_segments: int = EMBED_BATCH

    def __post_init__(self) -> None:
        if not self.long_s > 0:
            raise ConfigError(f"--long-s must be a positive number of seconds, got {self.long_s}")
        model_speaker_norm(self.metadata)

    @property
    def speaker_norm(self) -> str:
        return model_speaker_norm(self.metadata)

    def normalisation_note(self, items: Sequence[Item]) -> str:
        """What the output must say of speaker normalisation ('' for a model without it)."""
        if self.speaker_norm == "none":
            return ""
        known = sum(bool(item.speaker) for item in items)
        return (f"speaker normalisation {self.speaker_norm}: statistics per manifest speaker for {known} input(s), "
                f"per input file for {len(items) - known}")

    def utterances(self, item: Item) -> tuple[list[Utterance], bool]:
        """The item's utterances, and whether it was a long recording cut by the ingest path."""
        if item.whole:
            utterance = whole_file(item.path, item.speaker)
            if utterance.end_s > self.long_s:
                return recording_utterances(item.path, self.ingest, self.cache_dir), True
            return [utterance], False
        start = item.start_s or 0.0
        end = item.end_s if item.end_s is not None else round(audio_info(item.path).duration_s, 3)
        return [Utterance(Window("", item.path, item.start_s, item.end_s), start, end, item.speaker)], False

    def read(self, item: Item) -> _Read:
        try:
            utterances, long = self.utterances(item)
            return _Read(item, utterances, [window_segments(self.metadata, u.window) for u in utterances], long)
        except (AudioError, CorpusError) as exc:
            return _Read(item, error=str(exc))

    def outcomes(self, items: Sequence[Item]) -> Iterator[Outcome]:
        """One outcome per item, in order; items are embedded together in batches of about `batch_segments`."""
        pending: list[_Read] = []
        for item in items:
            pending.append(self.read(item))
            if (self.speaker_norm == "none"
                    and sum(len(x) for read in pending for x in read.inputs) >= self.batch_segments):
                yield from self._embedded(pending)
                pending = []
        yield from self._embedded(pending)

    def outcome(self, item: Item) -> Outcome:
        return next(self.outcomes([item]))

    def _embedded(self, reads: list[_Read]) -> Iterator[Outcome]:
        windows = [utterance.window for read in reads for utterance in read.utterances]
        speakers = [f"speaker {read.item.speaker}" if read.item.speaker else f"file {read.item.path}"
                    for read in reads for _ in read.utterances]
        probs = iter(segment_probabilities(self.model, windows, [x for read in reads for x in read.inputs],
                                           speakers, self.speaker_norm))
        for read in reads:
            if read.error:
                yield Outcome(read.item, error=read.error)
            else:
                yield Outcome(read.item, [voted(self.metadata, u, next(probs)) for u in read.utterances],
                              long=read.long)


def gather_inputs(inputs: Sequence[str | Path], skips: SkipLog) -> tuple[list[Item], list[tuple[str, str]]]:
    """Items from files, folders, globs and manifest CSVs, and (input, why) for each input that names nothing.

    A folder is searched recursively for audio and video files by suffix
    (ingest's MEDIA_SUFFIXES; other files are counted skips). A pattern is
    expanded here too (a quoted one reaches us unexpanded; `**` recurses);
    what it matches is taken as a folder or by suffix. A file named outright
    is read whatever its suffix, except a `.csv`, which is a manifest.
    """
    items: list[Item] = []
    failed: list[tuple[str, str]] = []
    for given in map(str, inputs):
        path = Path(given)
        if path.is_file() and path.suffix.lower() == MANIFEST_SUFFIX:
            items += manifest_items(path, skips)
        elif path.exists():
            items += [Item(str(found)) for found in find_media([path], skips)]
        elif any(character in given for character in GLOB_CHARACTERS):
            matches = [Path(match) for match in sorted(glob.glob(given, recursive=True))]
            if not matches:
                failed.append((given, "no file matches this pattern"))
            for match in matches:
                if match.is_file() and match.suffix.lower() not in MEDIA_SUFFIXES:
                    skips.skip(str(match), "not a media file name (ignored)")
                else:
                    items += [Item(str(found)) for found in find_media([match], skips)]
        else:
            failed.append((given, "not found"))
    return list(dict.fromkeys(items)), failed


def manifest_items(table: Path, skips: SkipLog) -> list[Item]:
    """Rows of a CSV with a `path` column and optional `start_s`, `end_s` (a window) and `speaker`, in file order.

    A manifest from `avspnet corpus` or `ingest` is one. Relative paths are
    relative to the CSV's folder. Cells are checked as any manifest's: a
    bad window is an error naming the file, the value and its row (`line N`,
    or the row's `utt_id`). A row without a window is a file like any other
    (cut when long).
    """
    rows = read_table(table, "predict", ("path",), skips)
    records = []
    for row in rows:
        if not row["path"]:
            skips.skip(f"{table}:{row.line}", "empty path")
            continue
        records.append({"utt_id": row.get("utt_id") or f"line {row.line}",
                        "path": str((table.parent / row["path"]).resolve()), "speaker": row.get("speaker", ""),
                        "start_s": row.get("start_s"), "end_s": row.get("end_s"), "raw_line": row.line})
    frame = make_manifest(records, source=table)
    frame = frame.iloc[np.argsort(frame["raw_line"].astype(int).to_numpy(), kind="stable")]
    return [Item(window.path, window.start_s, window.end_s, speaker)
            for window, speaker in zip(manifest_windows(frame), frame["speaker"])]


def prediction_row(prediction: Prediction) -> dict:
    """One output row: where, who, the label, each class's probability (p_<class>), and how many segments voted."""
    return {"path": prediction.path, "start_s": round(prediction.start_s, 3), "end_s": round(prediction.end_s, 3),
            "speaker": prediction.speaker, "label": prediction.label,
            **{f"{PROBABILITY_PREFIX}{name}": p for name, p in prediction.probabilities.items()},
            "n_segments": prediction.n_segments}
