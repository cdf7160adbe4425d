"""Background (pre-training) data from manifests and their proxy labels; gold labels are never read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..corpora.manifest import manifest_hash, read_manifest
from ..features.config import FeatureConfig
from ..features.dataset import load_segments
from ..features.store import SegmentStore
from ..log import get_logger
from ..proxy.store import proxy_path, read_proxy

log = get_logger("pretrain")


@dataclass
class Background:
    segments: SegmentStore
    speakers: np.ndarray
    proxy_arousal: np.ndarray
    proxy_valence: np.ndarray
    metadata: dict


def segment_proxy_labels(segment_set, proxy: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per-segment proxy arousal and valence of a SegmentSet, -1 where the utterance has none."""
    by_utt = proxy.set_index("utt_id")
    utt_ids = segment_set.labels("utt_id")
    arousal, valence = (by_utt[column].reindex(utt_ids).fillna(-1).to_numpy(dtype=np.int64)
                        for column in ("proxy_arousal", "proxy_valence"))
    return arousal, valence


def load_background(manifests: list[Path], features: FeatureConfig = FeatureConfig(), cache_dir: Path | None = None,
                    workers: int | None = None, progress: bool = True) -> Background:
    """Segments of every manifest with the proxy labels of `<stem>.proxy.csv` beside it.

    Speakers are prefixed by the manifest's position so two corpora's
    'speaker 1' stay apart in the validation split. Utterances without a
    proxy row count as unlabelled (-1).
    """
    parts, digests, sources = [], [], []
    for position, path in enumerate(map(Path, manifests)):
        manifest, labels_path = read_manifest(path), proxy_path(path)
        segment_set = load_segments(manifest.drop(columns=["arousal", "valence", "emotion4", "emotion"], errors="ignore"),
                                    features, cache_dir, workers, progress)
        labels = segment_proxy_labels(segment_set, read_proxy(labels_path))
        unlabelled = int((labels[0] < 0).sum())
        log.info("%s: %d segments, %d without a proxy arousal label", path, len(segment_set), unlabelled)
        speakers = np.char.add(f"{position}:", segment_set.labels("speaker").astype(str))
        parts.append((segment_set.segments, speakers, *labels))
        digests.append(manifest_hash(manifest, cache_dir) + hashlib.sha1(labels_path.read_bytes()).hexdigest())
        sources.append({"manifest": str(path), "proxy": str(labels_path)})
    stores, speakers, arousal, valence = zip(*parts)
    segments = SegmentStore.concat(list(stores))
    speakers, arousal, valence = (np.concatenate(column) for column in (speakers, arousal, valence))
    data_hash = hashlib.sha256("".join(digests).encode()).hexdigest()[:16]
    return Background(segments, speakers, arousal, valence,
                      {"sources": sources, "data_hash": data_hash, "n_segments": len(segments)})
