"""Who speaks: resemblyzer GE2E embeddings of each utterance, clustered within an episode.

The encoder's weights ship in the resemblyzer wheel and are read with
torch.load's default weights_only=True (torch >= 2.6): plain tensors, no code.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np

from .config import IngestConfig

MIN_EMBED_S = 0.5


@lru_cache(maxsize=1)
def speaker_encoder():
    with warnings.catch_warnings():
        # resemblyzer imports webrtcvad, which still imports pkg_resources, and an old scipy namespace.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from resemblyzer import VoiceEncoder
    return VoiceEncoder("cpu", verbose=False)


def embed(samples: np.ndarray) -> np.ndarray:
    """One unit-length 256-d GE2E embedding of 16 kHz speech (volume-normalised, long silences cut)."""
    encoder = speaker_encoder()  # first: it imports resemblyzer with webrtcvad's warning silenced
    from resemblyzer.audio import preprocess_wav

    cleaned = preprocess_wav(samples.astype(np.float32))
    if len(cleaned) < MIN_EMBED_S * 16000:
        cleaned = samples.astype(np.float32)
    return encoder.embed_utterance(cleaned)


def cluster(embeddings: np.ndarray, config: IngestConfig) -> np.ndarray:
    """Cluster index per utterance, numbered by first appearance (0 = the first voice heard)."""
    count = len(embeddings)
    if count < 2 or config.speakers == 1:
        return np.zeros(count, dtype=np.int64)
    from sklearn.cluster import AgglomerativeClustering

    if config.speakers:
        model = AgglomerativeClustering(n_clusters=min(config.speakers, count), metric="cosine", linkage="complete")
    else:
        model = AgglomerativeClustering(n_clusters=None, distance_threshold=config.cluster_threshold,
                                        metric="cosine", linkage="complete")
    labels = model.fit_predict(embeddings)
    order = {label: index for index, label in enumerate(dict.fromkeys(labels))}
    return np.array([order[label] for label in labels], dtype=np.int64)
