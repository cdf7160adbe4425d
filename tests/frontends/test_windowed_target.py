"""A windowed target (clips joined per speaker, exact start_s/end_s) gives every front-end the vectors of its clips."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from avspnet.corpora.manifest import make_manifest, read_manifest, write_manifest
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import load_segments
from avspnet.frontends import BuildContext, EmbedContext, build, entry
from avspnet.training.device import Runtime
from avspnet.training.pretrain_config import PretrainConfig

RATE = 16000
# (speaker, seconds, f0): two speakers, clips of one to three segments.
CLIPS = [("a", 1.3, 110.0), ("a", 2.1, 150.0), ("b", 1.7, 210.0), ("b", 2.4, 180.0)]
GAP_S = 0.5


def _clip(seconds: float, f0: float, seed: int) -> np.ndarray:
    """A voiced 'utterance': harmonics on a gliding pitch, syllable-like loudness, a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.15 * np.sin(2 * np.pi * 1.3 * t))) / RATE
    wave = sum(np.sin(k * phase) / k for k in range(1, 8)) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2)
    return (0.3 * wave / np.abs(wave).max() + 0.005 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    """(plain manifest of the clips, windowed manifest of the joined files), both as read back from CSV."""
    root = tmp_path_factory.mktemp("windowed")
    plain, windowed, joined = [], [], {}
    for i, (speaker, seconds, f0) in enumerate(CLIPS):
        samples = _clip(seconds, f0, i)
        clip = root / f"clip{i}.flac"
        sf.write(clip, samples, RATE)
        parts = joined.setdefault(speaker, [])
        start = sum(len(p) for p in parts) / RATE
        # The gap holds other sound, so a reader of the whole file (or a shifted span) cannot pass.
        parts += [samples, _clip(GAP_S, 300.0, 100 + i)]
        row = {"utt_id": f"u{i}", "speaker": speaker, "group": speaker, "emotion": "neutral"}
        plain.append({**row, "path": str(clip)})
        windowed.append({**row, "path": str(root / f"{speaker}.flac"), "start_s": start,
                         "end_s": start + len(samples) / RATE})
    for speaker, parts in joined.items():
        sf.write(root / f"{speaker}.flac", np.concatenate(parts), RATE)
    return tuple(read_manifest(write_manifest(make_manifest(rows), root / f"{name}.csv"))
                 for name, rows in (("plain", plain), ("windowed", windowed)))


@pytest.mark.parametrize("name", ["logmel-stats", "egemaps", "whisper-base"])
def test_windowed_target_gives_the_vectors_of_its_clips(targets, name, tmp_path):
    reason = entry(name).unavailable()
    if reason:
        pytest.skip(reason)
    context = EmbedContext(FeatureConfig(), tmp_path / "cache", Runtime.resolve("cpu", "fp32"), workers=1, progress=False)
    plain, windowed = (load_segments(m, context.features, context.cache_dir, 1, False) for m in targets)
    assert windowed.utterances["start_s"].notna().all() and plain.utterances["start_s"].isna().all()
    np.testing.assert_array_equal(windowed.utt_index, plain.utt_index)
    np.testing.assert_allclose(windowed.segments[:], plain.segments[:], atol=1e-5)
    frontend = build(name, BuildContext({"pretrain": PretrainConfig()}, lambda: None, tmp_path, context.runtime,
                                        progress=False))
    expected = frontend.embed(plain, context)
    np.testing.assert_allclose(frontend.embed(windowed, context), expected, rtol=1e-4, atol=1e-4)


def test_whisper_in_worker_processes_gives_the_vectors_of_one_process(targets, tmp_path):
    """workers > 1 encodes utterances in processes of one thread each: the same vectors, in the same rows. Each
    worker stores the utterances it encodes, and a second pass reads them all."""
    reason = entry("whisper-base").unavailable()
    if reason:
        pytest.skip(reason)
    # Eight utterances of distinct audio (clips and windows of the joined files), so the pool really starts
    # (fewer run in-process, and an utterance of the same audio and spans is encoded once).
    both = pd.concat(targets, ignore_index=True).assign(utt_id=[f"u{i}" for i in range(2 * len(CLIPS))])
    one = EmbedContext(FeatureConfig(), tmp_path / "cache", Runtime.resolve("cpu", "fp32"), workers=1, progress=False)
    segments = load_segments(both, one.features, one.cache_dir, 1, False)
    frontend = build("whisper-base", BuildContext({}, lambda: None, tmp_path, one.runtime, progress=False))
    threads = torch.get_num_threads()
    pooled = frontend.stored_pass(segments, replace(one, workers=2))
    assert torch.get_num_threads() == threads and len(pooled.computed) == 8
    alone = replace(one, cache_dir=tmp_path / "another-cache")
    np.testing.assert_allclose(pooled.vectors, frontend.embed(segments, alone), rtol=1e-5, atol=1e-5)
    again = frontend.stored_pass(segments, replace(one, workers=2))
    assert again.computed == () and again.reused == 8
    np.testing.assert_array_equal(again.vectors, pooled.vectors)
