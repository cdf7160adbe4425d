"""Utterance cutting and speaker clustering on generated inputs (no models)."""

import numpy as np
import pytest

from avspnet.errors import ConfigError
from avspnet.ingest.config import IngestConfig
from avspnet.ingest.speakers import cluster
from avspnet.ingest.utterances import Utterance, join_close, split_long, split_words, vad_utterances
from avspnet.ingest.vad import CHUNK, SAMPLE_RATE, speech_regions

STEP = CHUNK / SAMPLE_RATE


def _probabilities(spans, total_s):
    p = np.full(int(total_s / STEP), 0.05, np.float32)
    for start, end in spans:
        p[int(start / STEP):int(end / STEP)] = 0.95
    return p


def test_regions_follow_speech_with_hysteresis_and_padding():
    config = IngestConfig(speech_pad_s=0.1, min_silence_s=0.3, min_speech_s=0.25)
    p = _probabilities([(1.0, 3.0), (3.2, 4.0), (6.0, 6.1), (8.0, 10.0)], 12.0)
    regions = speech_regions(p, config)
    # the 0.2 s gap is bridged, the 0.1 s burst is noise
    assert len(regions) == 2
    (a, b), (c, d) = regions
    assert abs(a - 0.9) < 0.05 and abs(b - 4.1) < 0.05 and abs(c - 7.9) < 0.05 and abs(d - 10.1) < 0.05


def test_long_stretches_split_at_the_deepest_pause():
    config = IngestConfig(min_s=1.0, max_s=15.0)
    p = _probabilities([(0.0, 40.0)], 40.0)
    p[int(12.0 / STEP)] = 0.0  # the only dip
    parts = split_long((0.0, 40.0), p, STEP, config)
    assert all(config.min_s <= u.duration <= config.max_s for u in parts)
    assert any(abs(u.end_s - 12.0) < 0.05 for u in parts)
    assert abs(parts[0].start_s) < 1e-9 and abs(parts[-1].end_s - 40.0) < 1e-9


def test_close_neighbours_join_up_to_max():
    config = IngestConfig(merge_gap_s=0.5, max_s=5.0)
    pieces = [Utterance(0, 2), Utterance(2.3, 4), Utterance(4.2, 6), Utterance(8, 9)]
    joined = join_close(pieces, config)
    assert [(u.start_s, u.end_s) for u in joined] == [(0, 4), (4.2, 6), (8, 9)]
    regions = speech_regions(_probabilities([(1, 2), (2.3, 3.5)], 6.0), IngestConfig(min_silence_s=0.1))
    assert len(vad_utterances(regions, np.zeros(1), STEP, IngestConfig(min_silence_s=0.1))) == 1


def test_asr_segments_split_at_the_widest_word_gap():
    words = [(f" w{i}", i * 1.0, i * 1.0 + 0.8) for i in range(20)]
    words[9] = (" w9", 9.0, 9.2)  # the widest gap follows w9
    utterance = Utterance(0.0, 19.8, "".join(w for w, _, _ in words).strip(), words)
    parts = split_words(utterance, IngestConfig(max_s=15.0))
    assert len(parts) == 2 and parts[0].end_s == 9.2 and parts[1].start_s == 10.0
    assert parts[0].text.startswith("w0") and parts[1].text.startswith("w10")


def test_clusters_unknown_and_fixed_count():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 256))
    embeddings = np.concatenate([c + 0.15 * rng.standard_normal((6, 256)) for c in centres])[rng.permutation(18)]
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    labels = cluster(embeddings, IngestConfig())
    assert len(set(labels)) == 3 and labels[0] == 0
    assert len(set(cluster(embeddings, IngestConfig(speakers=2)))) == 2
    assert list(cluster(embeddings[:1], IngestConfig())) == [0]


def test_config_is_validated():
    with pytest.raises(ConfigError, match="min_s < max_s"):
        IngestConfig(min_s=5, max_s=2)
    with pytest.raises(ConfigError, match="asr"):
        IngestConfig(asr="maybe")


def test_asr_segments_cut_at_vad_pauses_and_take_region_edges():
    from avspnet.ingest.asr import align

    pieces = [Utterance(1.0, 3.0), Utterance(5.0, 8.0)]
    # one Whisper segment runs over the pause; its word times are loose
    segments = [[(" kids", 0.6, 1.4), (" talk", 1.5, 2.6), (" dogs", 4.8, 5.6)], [(" sit", 6.0, 6.5), (" here", 6.6, 7.0)]]
    out = align(segments, pieces)
    assert [(u.start_s, u.end_s, u.text) for u in out] == [(1.0, 3.0, "kids talk"), (5.0, 5.6, "dogs"),
                                                           (6.0, 8.0, "sit here")]
