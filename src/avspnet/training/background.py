"""Background (pre-training) data: segments with proxy labels, the corpora's gold labels hidden first.

The background stands in for unlabeled media, so whatever corpus is put
there, its gold label columns are blanked before anything (the proxy
labeller, the feature loader) sees the manifest: pre-training can only ever
use proxy labels. `avspnet pretrain` and `avspnet experiment` both build
their background here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..configio import config_hash
from ..corpora.manifest import LABEL_COLUMNS, RATING_COLUMNS, RAW_PREFIX, manifest_hash, read_manifest
from ..errors import CorpusError
from ..features.config import FeatureConfig
from ..features.dataset import SegmentSet, load_segments
from ..features.store import SegmentStore
from ..log import get_logger
from ..proxy.store import aligned_proxy, manifest_proxy, proxy_path

log = get_logger("pretrain")

# (corpus name, manifest with gold labels hidden) -> proxy-label table with utt_id, proxy_arousal, proxy_valence
ProxyLabeller = Callable[[str, pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class BackgroundPart:
    """One corpus of a background as its segments were cut (a SegmentSet of its hidden manifest, keyed by audio
    and features, so a front-end's cached vectors of it are those of a target run of that corpus) and the rows
    of it the background uses (None: all)."""

    name: str
    segments: SegmentSet
    rows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.segments) if self.rows is None else len(self.rows)


@dataclass
class Background:
    # Read lazily from the on-disk segment stores of the corpora.
    segments: SegmentStore
    speakers: np.ndarray
    proxy_arousal: np.ndarray
    proxy_valence: np.ndarray
    manifest_hashes: dict[str, str]
    proxy_counts: dict[str, dict[str, int]]
    # Identifies the data: hidden manifests, proxy labels and feature config.
    key: str
    # Hours of audio in the manifests (before segmenting) and their speakers.
    hours: float = 0.0
    n_speakers: int = 0
    # The corpora in order: their rows, concatenated, are `segments` and line up with speakers and proxy labels.
    parts: tuple[BackgroundPart, ...] = ()
    # The feature settings that cut the parts' segments (what a front-end embedding them needs).
    features: FeatureConfig | None = None

    @property
    def metadata(self) -> dict:
        """What a checkpoint records about its pre-training data."""
        return {"background": self.manifest_hashes, "proxy_counts": self.proxy_counts, "data_hash": self.key,
                "n_segments": len(self.segments)}


def hide_gold_labels(manifest: pd.DataFrame) -> pd.DataFrame:
    """The manifest as unlabeled media: no emotion, no gold arousal/valence, no ratings, no raw label fields.

    Ratings are dropped, not blanked, so a corpus' hidden manifest (and the
    pre-training cached under its hash) is the same with or without them.
    """
    hidden = manifest.drop(columns=[c for c in manifest.columns
                                    if c.startswith(RAW_PREFIX) or c in RATING_COLUMNS]).copy()
    hidden["emotion"] = ""
    hidden["emotion4"] = ""
    for column in set(LABEL_COLUMNS) - {"emotion4"}:
        hidden[column] = pd.array([pd.NA] * len(hidden), dtype="Int64")
    return hidden


def segment_proxy_labels(segment_set, proxy: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per-segment proxy arousal and valence of a SegmentSet, -1 where the utterance has none."""
    by_utt = proxy.set_index("utt_id")
    utt_ids = segment_set.labels("utt_id")
    arousal, valence = (by_utt[column].reindex(utt_ids).fillna(-1).to_numpy(dtype=np.int64)
                        for column in ("proxy_arousal", "proxy_valence"))
    return arousal, valence


def build_background(corpora: list[tuple[str, pd.DataFrame]], proxy_labels: ProxyLabeller,
                     features: FeatureConfig = FeatureConfig(), cache_dir: Path | None = None,
                     workers: int | None = None, progress: bool = True) -> Background:
    """Segments of every (name, manifest) with per-segment proxy labels (-1 = none).

    Speakers are prefixed by the corpus' position so two corpora's
    'speaker 1' stay apart in the validation split.
    """
    parts, sets, hashes, counts, digests = [], [], {}, {}, []
    seconds, n_speakers = 0.0, 0
    for position, (name, manifest) in enumerate(corpora):
        manifest = hide_gold_labels(manifest)
        labels = aligned_proxy(manifest, proxy_labels(name, manifest), f"background {name}")
        segment_set = load_segments(manifest, features, cache_dir, workers, progress)
        speakers = np.char.add(f"{position}:", segment_set.labels("speaker").astype(str))
        parts.append((segment_set.segments, speakers, *segment_proxy_labels(segment_set, labels)))
        sets.append(BackgroundPart(name, segment_set))
        hashes[name] = manifest_hash(manifest, cache_dir)
        counts[name] = {f"{column}={value}": int(n) for column in ("proxy_arousal", "proxy_valence")
                        for value, n in labels[column].value_counts(dropna=False).items()}
        table = labels[["utt_id", "proxy_arousal", "proxy_valence"]].astype(str).to_csv(index=False)
        digests.append(hashes[name] + hashlib.sha1(table.encode()).hexdigest())
        seconds += float(manifest["duration_s"].sum())
        n_speakers += manifest["speaker"].nunique()
        log.info("background %s: %.2f h, %d speakers, %d segments, proxy labels %s", name,
                 manifest["duration_s"].sum() / 3600, manifest["speaker"].nunique(), len(segment_set), counts[name])
    if not parts:
        raise CorpusError("no background corpus given")
    stores, speakers, arousal, valence = zip(*parts)
    segments = SegmentStore.concat(list(stores))
    speakers, arousal, valence = (np.concatenate(column) for column in (speakers, arousal, valence))
    key = config_hash({"data": digests, "features": config_hash(features)})
    return Background(segments, speakers, arousal, valence, hashes, counts, key, seconds / 3600, n_speakers,
                      tuple(sets), features)


def load_background(manifests: list[Path], features: FeatureConfig = FeatureConfig(), cache_dir: Path | None = None,
                    workers: int | None = None, progress: bool = True) -> Background:
    """Background from manifest CSVs with the proxy labels of `<stem>.proxy.csv` beside each (checked to match)."""
    paths = {str(path): Path(path) for path in manifests}
    return build_background([(name, read_manifest(path)) for name, path in paths.items()],
                            lambda name, hidden: manifest_proxy(hidden, proxy_path(paths[name]), cache_dir),
                            features, cache_dir, workers, progress)
