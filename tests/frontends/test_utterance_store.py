"""Whisper's per-utterance store: a pass reads what is stored, computes the rest and stores each as it goes, so an
interrupted pass resumes; vectors of other spans or an unusable entry are never read."""

import logging
from dataclasses import replace

import numpy as np
import pytest

from avspnet.corpora.manifest import make_manifest
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import load_segments
from avspnet.frontends.base import EmbedContext
from avspnet.frontends.utterance_store import ROOT
from avspnet.frontends.whisper import Whisper
from avspnet.training.device import Runtime

# Seconds of each utterance: one to three 810 ms segments.
SECONDS = (1.0, 2.6, 1.9, 2.2)


@pytest.fixture
def target(tmp_path, voice):
    """(segments, context): fp32, one worker, the cache under tmp_path."""
    rows = [{"utt_id": f"u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=s, f0=120 + 30 * i, seed=i)),
             "speaker": "s"} for i, s in enumerate(SECONDS)]
    context = EmbedContext(FeatureConfig(), tmp_path / "cache", Runtime.resolve("cpu", "fp32"), progress=False)
    return load_segments(make_manifest(rows), context.features, context.cache_dir, 1, False), context


@pytest.fixture
def encoded(monkeypatch):
    """How many utterances Whisper.utterance_frames encoded (in this process)."""
    calls = []
    frames = Whisper.utterance_frames

    def counted(self, samples, context):
        calls.append(len(samples))
        return frames(self, samples, context)

    monkeypatch.setattr(Whisper, "utterance_frames", counted)
    return calls


def _stored(context) -> list:
    return sorted((context.cache_dir / ROOT).rglob("*.npy"))


def test_a_second_pass_reads_every_utterance_from_the_store(tiny_whisper, target, encoded):
    segments, context = target
    first = tiny_whisper.stored_pass(segments, context)
    assert first.computed == (0, 1, 2, 3) and first.reused == 0 and len(encoded) == 4
    assert len(_stored(context)) == 4 and first.vectors.shape == (len(segments), 768)
    again = Whisper(tiny_whisper.size).stored_pass(segments, context)
    assert again.computed == () and again.reused == 4 and len(encoded) == 4
    np.testing.assert_array_equal(again.vectors, first.vectors)
    np.testing.assert_array_equal(tiny_whisper.embed(segments, context), first.vectors)


def test_a_timed_pass_neither_reads_nor_fills_the_store(tiny_whisper, target, encoded, tmp_path):
    """What the run's estimate times (`stored=False`) is the encoder's work, wherever a store holds vectors."""
    segments, context = target
    first = tiny_whisper.stored_pass(segments, context)
    timed = tiny_whisper.stored_pass(segments, replace(context, stored=False))
    assert timed.computed == (0, 1, 2, 3) and len(encoded) == 8
    np.testing.assert_array_equal(timed.vectors, first.vectors)
    elsewhere = replace(context, cache_dir=tmp_path / "elsewhere", stored=False)
    tiny_whisper.stored_pass(segments, elsewhere)
    assert not (elsewhere.cache_dir / ROOT).exists()


def test_an_interrupted_pass_resumes_from_what_it_stored(tiny_whisper, target, encoded, monkeypatch):
    segments, context = target
    frames = Whisper.utterance_frames

    def dies_on_the_third(self, samples, context):
        if len(encoded) == 2:
            raise KeyboardInterrupt
        return frames(self, samples, context)

    monkeypatch.setattr(Whisper, "utterance_frames", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        tiny_whisper.stored_pass(segments, context)
    assert len(_stored(context)) == 2
    monkeypatch.setattr(Whisper, "utterance_frames", frames)
    resumed = tiny_whisper.stored_pass(segments, context)
    assert resumed.computed == (2, 3) and resumed.reused == 2 and len(encoded) == 4
    fresh = tiny_whisper.stored_pass(segments, EmbedContext(context.features, context.cache_dir.with_name("fresh"),
                                                            context.runtime, progress=False))
    np.testing.assert_array_equal(resumed.vectors, fresh.vectors)


def test_vectors_of_other_spans_are_not_read(tiny_whisper, target, tmp_path, encoded):
    """Segments of 70 frames instead of 80: as many per utterance as before, of the same audio, but other spans,
    so every utterance is encoded again."""
    segments, context = target
    tiny_whisper.stored_pass(segments, context)
    features = FeatureConfig(segment_frames=70)
    shorter = load_segments(segments.utterances, features, context.cache_dir, 1, False)
    np.testing.assert_array_equal(shorter.utt_index, segments.utt_index)
    other = EmbedContext(features, context.cache_dir, context.runtime, progress=False)
    again = tiny_whisper.stored_pass(shorter, other)
    assert again.computed == (0, 1, 2, 3) and len(encoded) == 8 and len(_stored(context)) == 8
    fresh = tiny_whisper.stored_pass(shorter, EmbedContext(features, tmp_path / "fresh", context.runtime,
                                                           progress=False))
    np.testing.assert_array_equal(again.vectors, fresh.vectors)


@pytest.mark.parametrize("damage", ["truncated", "wrong shape", "not finite", "not an array"])
def test_an_unusable_entry_is_recomputed_and_named(tiny_whisper, target, encoded, damage, caplog):
    segments, context = target
    first = tiny_whisper.stored_pass(segments, context)
    # The three-segment utterance's entry.
    (entry,) = [path for path in _stored(context) if np.load(path).shape[0] == 3]
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:-100])
    elif damage == "wrong shape":
        np.save(entry, np.zeros((2, 768), np.float32))
    elif damage == "not finite":
        np.save(entry, np.full((3, 768), np.nan, np.float32))
    else:
        entry.write_text("not a numpy file")
    with caplog.at_level(logging.WARNING):
        again = Whisper(tiny_whisper.size).stored_pass(segments, context)
    assert again.computed == (1,) and len(encoded) == 5
    assert f"cache entry {entry} is " in caplog.text and "recomputing it" in caplog.text
    np.testing.assert_array_equal(again.vectors, first.vectors)
    assert np.load(entry).shape == (3, 768)


def test_utterances_of_one_audio_and_spans_are_encoded_once(tiny_whisper, target, encoded):
    import pandas as pd

    segments, context = target
    twice = pd.concat([segments.utterances, segments.utterances.assign(utt_id=lambda m: m["utt_id"] + "b")],
                      ignore_index=True)
    doubled = load_segments(twice, context.features, context.cache_dir, 1, False)
    done = tiny_whisper.stored_pass(doubled, context)
    assert done.computed == (0, 1, 2, 3) and done.reused == 4 and len(encoded) == 4
    half = len(doubled) // 2
    np.testing.assert_array_equal(done.vectors[:half], done.vectors[half:])
