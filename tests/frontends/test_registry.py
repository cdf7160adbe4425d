"""The front-end registry: every entry's output shape and determinism, bad names, missing extras, leak-free baselines."""

import importlib.util
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from avspnet.cli import main
from avspnet.configio import to_dict
from avspnet.corpora.manifest import write_manifest
from avspnet.downstream.fit import transfer_preset
from avspnet.downstream.grid import GridJob, run_job
from avspnet.downstream.head import Head
from avspnet.downstream.splits import FoldSplit, FractionSplit
from avspnet.errors import AvspnetError, ConfigError, ModelFileError
from avspnet.evaluation.tasks import get_task
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import SegmentSet, load_segments
from avspnet.features.segments import cut_segments, segment_sample_spans
from avspnet.features.spectrogram import log_spectrogram
from avspnet.features.store import SegmentStore
from avspnet.frontends import (
    BuildContext,
    EmbedContext,
    FrontEndUnavailable,
    build,
    cached_embeddings,
    check,
    entries,
    entry,
    whisper,
)
from avspnet.frontends.base import embedding_seconds
from avspnet.frontends.encoder import EncoderFrontEnd
from avspnet.frontends.logmel import mel_filterbank
from avspnet.models.avspnet import AVSpNet
from avspnet.models.config import ModelConfig
from avspnet.training import checkpoint
from avspnet.training.background import Background
from avspnet.training.device import Runtime
from avspnet.training.pretrain_config import PretrainConfig

TINY = ModelConfig(channels=2, embed_dim=16, latent_dim=4, head_dims=(8, 4))
# Every embedding here is fp32, whatever the host would pick (test_transfer covers bf16).
FP32 = Runtime.resolve("cpu", "fp32")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three utterances (2.0, 1.0 and 2.6 s) as a SegmentSet, plus the context that cut it."""
    from tests.conftest import write_voice

    root = tmp_path_factory.mktemp("fe")
    rows = [{"utt_id": f"u{i}", "path": str(write_voice(root / f"u{i}.wav", seconds=s, f0=f0, seed=i)),
             "speaker": f"s{i}", "group": "g", "emotion": "neutral"}
            for i, (s, f0) in enumerate([(2.0, 120.0), (1.0, 200.0), (2.6, 160.0)])]
    manifest = pd.read_csv(write_manifest(pd.DataFrame(rows), root / "m.csv"), keep_default_na=False)
    context = EmbedContext(FeatureConfig(), root / "cache", FP32, workers=1, progress=False)
    return load_segments(manifest, context.features, context.cache_dir, 1, False), context


def _subset(segments: SegmentSet, utts: list[int]) -> SegmentSet:
    rows = np.flatnonzero(np.isin(segments.utt_index, utts))
    remap = {old: new for new, old in enumerate(utts)}
    return SegmentSet(segments.segments[rows], np.array([remap[u] for u in segments.utt_index[rows]]),
                      segments.utterances.iloc[utts].reset_index(drop=True), segments.skips)


def _building(settings, background, cache_dir):
    return BuildContext({"pretrain": settings}, lambda: background, cache_dir, FP32, progress=False)


def _saved_encoder(tmp_path):
    torch.manual_seed(0)
    model = AVSpNet(TINY)
    path = tmp_path / "fe" / checkpoint.FINAL
    checkpoint.save({"config": to_dict(PretrainConfig(model=TINY)), "model_state": model.state_dict()}, path)
    return path


def _fixed(name):
    reason = entry(name).unavailable()
    if reason:
        pytest.skip(reason)
    return build(name, _building(PretrainConfig(), None, None))


@pytest.mark.parametrize("name", ["logmel-stats", "egemaps", "whisper-base"])
def test_fixed_entries_shape_determinism_and_no_packing(corpus, name):
    segments, context = corpus
    frontend = _fixed(name)
    vectors = frontend.embed(segments, context)
    assert vectors.shape == (len(segments), frontend.dim) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all() and vectors.std(axis=0).max() > 0
    np.testing.assert_array_equal(frontend.embed(segments, context), vectors)
    assert frontend.content_hash() == _fixed(name).content_hash()
    # An utterance's vectors do not depend on which other utterances are embedded with it.
    alone = frontend.embed(_subset(segments, [2]), context)
    np.testing.assert_allclose(alone, vectors[segments.utt_index == 2], rtol=1e-5, atol=1e-5)


def test_checkpoint_and_recipe_entries(corpus, tmp_path):
    segments, context = corpus
    path = _saved_encoder(tmp_path)
    for name in (f"checkpoint:{path}", f"checkpoint:{path.parent}"):
        check((name,), context.features)
        frontend = build(name, _building(PretrainConfig(), None, tmp_path))
        vectors = frontend.embed(segments, context)
        assert vectors.shape == (len(segments), TINY.embed_dim)
        np.testing.assert_array_equal(frontend.embed(segments, context), vectors)
    background = Background(segments=segments.segments, speakers=segments.labels("speaker").astype(str),
                            proxy_arousal=np.zeros(len(segments), np.int64) - 1,
                            proxy_valence=np.zeros(len(segments), np.int64) - 1,
                            manifest_hashes={}, proxy_counts={}, key="k")
    settings = PretrainConfig(model=TINY, precision="fp32")
    recipe = build("R", _building(settings, background, tmp_path))
    again = build("R", _building(settings, background, tmp_path))
    assert isinstance(recipe, EncoderFrontEnd) and recipe.dim == TINY.embed_dim
    assert recipe.content_hash() == again.content_hash()
    first = cached_embeddings(recipe, segments, "t", EmbedContext(context.features, tmp_path, FP32, 1, False))
    assert np.load(first.path).shape == (len(segments), TINY.embed_dim) and not first.cached


class _Blocks(EncoderFrontEnd):
    """A front-end streaming rows in blocks of 2; `drop` loses the last row, `nan` poisons one."""

    def __init__(self, fault: str = ""):
        self.name, self.dim, self.fault = "blocks", 3, fault
        self.blocks_given = 0

    def content_hash(self) -> str:
        return f"blocks{self.fault}"

    def embed(self, segments, context):
        raise AssertionError("a streaming front-end must not be asked for all rows at once")

    def embed_blocks(self, segments, context):
        rows = np.arange(len(segments) * 3, dtype=np.float32).reshape(-1, 3)
        if self.fault == "drop":
            rows = rows[:-1]
        if self.fault == "nan":
            rows[-1, 0] = np.nan
        for start in range(0, len(rows), 2):
            self.blocks_given += 1
            yield rows[start:start + 2]


def test_embeddings_stream_into_the_lazy_store(corpus, tmp_path):
    segments, context = corpus
    context = EmbedContext(context.features, tmp_path, FP32, 1, False)
    frontend = _Blocks()
    done = cached_embeddings(frontend, segments, "t", context)
    assert frontend.blocks_given == -(-len(segments) // 2) and not done.cached
    store = SegmentStore.open(done.path)
    expected = np.arange(len(segments) * 3, dtype=np.float32).reshape(-1, 3)
    np.testing.assert_array_equal(store[[2, 0]], expected[[2, 0]])
    np.testing.assert_array_equal(np.load(done.path), expected)
    assert cached_embeddings(frontend, segments, "t", context).cached
    for fault, message in (("drop", "gave .* vectors for"), ("nan", "non-finite")):
        with pytest.raises(AvspnetError, match=message):
            cached_embeddings(_Blocks(fault), segments, "t", context)
        assert sorted(p.name for p in (tmp_path / "embeddings").iterdir()) == [done.path.name]


def test_bad_names_and_files_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown front-end 'mfcc'; known: R, .*egemaps, whisper-base, whisper-small, logmel-stats, whisper-base/R"):
        check(("mfcc",), FeatureConfig())
    with pytest.raises(ModelFileError, match="model file not found"):
        check((f"checkpoint:{tmp_path / 'none.pt'}",), FeatureConfig())
    with pytest.raises(ConfigError, match="needs a path"):
        check(("checkpoint:",), FeatureConfig())
    foreign = tmp_path / "foreign.pt"
    foreign.write_text("not a model")
    with pytest.raises(ModelFileError, match="not an avspnet model: .*foreign.pt"):
        check((f"checkpoint:{foreign}",), FeatureConfig())
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ModelFileError, match="lacks config, model_state"):
        check((f"checkpoint:{tmp_path / 'other.pt'}",), FeatureConfig())
    mismatched = _saved_encoder(tmp_path)
    saved = torch.load(mismatched, weights_only=True)
    saved["config"]["model"]["embed_dim"] = 32
    torch.save(saved, mismatched)
    with pytest.raises(ModelFileError, match=f"model {mismatched}: its weights do not fit .*size mismatch"):
        check((f"checkpoint:{mismatched}",), FeatureConfig())


def test_missing_extra_is_named_with_its_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ctranslate2" else real(name, *a))
    with pytest.raises(FrontEndUnavailable, match=r"whisper-base needs the optional ASR extra \(ctranslate2 missing\)"
                                                   r".*make install-asr"):
        check(("logmel-stats", "whisper-base"), FeatureConfig())


def test_frontends_command_lists_every_entry(capsys):
    assert main(["frontends"]) == 0
    out = capsys.readouterr().out
    for name in ("AVSpNET_a", "AVSpNET_v", "R", "checkpoint:PATH", "egemaps", "whisper-base", "logmel-stats"):
        assert name in out
    assert len(entries()) == 13 + 4 * 8  # and the eight adapters (background, in-domain) on each Whisper


def test_standardisation_sees_only_the_fitted_rows(monkeypatch, tmp_path):
    """Raw egemaps-like vectors: the head's input statistics come from its own fit rows, never the test fold."""
    rng = np.random.default_rng(0)
    n_utts, per = 24, 3
    utt_index = np.repeat(np.arange(n_utts), per)
    labels = np.arange(n_utts) % 2
    vectors = (rng.normal(size=(n_utts * per, 88)) * 50 + 200).astype(np.float32)
    test = np.arange(16, 24)
    vectors[np.isin(utt_index, test)] = 1e6  # a leak would move the statistics by orders of magnitude
    path = tmp_path / "v.npy"
    np.save(path, vectors)
    seen = []
    original = Head.set_normalisation
    monkeypatch.setattr(Head, "set_normalisation", lambda self, x: (seen.append(np.array(x)), original(self, x)))
    split = FoldSplit(task="arousal", fold=0, test=test,
                      fractions={1.0: FractionSplit(fit=np.arange(0, 12), val=np.arange(12, 16))})
    job = GridJob(frontend="egemaps", embeddings=path, split=split, utt_labels=labels, utt_index=utt_index,
                  task=get_task("arousal"), config=transfer_preset("tuned", hidden=(8,), epochs=2, patience=0), seed=0)
    run_job(job)
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], vectors[np.isin(utt_index, np.arange(12))])
    assert seen[0].max() < 1e5


def test_segment_spans_are_the_samples_each_segment_was_cut_from():
    config = FeatureConfig()
    samples = np.random.default_rng(1).normal(size=40000).astype(np.float32)
    segments = cut_segments(log_spectrogram(samples, config), config)
    starts, ends = segment_sample_spans(np.zeros(len(segments), np.int64), config)
    assert (ends - starts == 12960).all()
    for segment, start, end in zip(segments, starts, ends):
        np.testing.assert_allclose(log_spectrogram(samples[start:end], config), segment, atol=1e-4)


def test_whisper_pooling_and_logmel_bank():
    frames = np.arange(10, dtype=np.float32)[:, None].repeat(3, axis=1)
    pooled = whisper.pool_spans(frames, np.array([0, 640]), np.array([640, 100000]), n_samples=3200)
    np.testing.assert_array_equal(pooled[:, 0], [0.5, 5.5])  # frames 0-1, then 2-9 (the span is clipped to the audio)
    bank = mel_filterbank(FeatureConfig())
    assert bank.shape == (40, 200) and (bank.max(axis=1) > 0).all()
    assert (np.diff(bank.argmax(axis=1)) > 0).all()


def test_auto_precision_pretraining_is_cached_apart_per_host_kind(monkeypatch, tmp_path):
    """`precision: auto` pre-trains in bf16 on one host and fp32 on another: never one cache entry for both."""
    from types import SimpleNamespace

    from avspnet.frontends.encoder import pretrain_dir
    from avspnet.training import device
    from avspnet.training.pretrain_config import PretrainConfig

    background = SimpleNamespace(key="bg")
    dirs = {}
    for native in (True, False):
        monkeypatch.setattr(device, "cpu_has_native_bf16", lambda *args, native=native: native)
        dirs[native] = pretrain_dir("AE", PretrainConfig(frontend="AE", device="cpu", precision="auto"), background,
                                    tmp_path)
    assert dirs[True] != dirs[False]
    explicit = PretrainConfig(frontend="AE", device="cpu", precision="fp32")
    assert pretrain_dir("AE", explicit, background, tmp_path) == dirs[False]


def test_an_embedding_estimate_charges_a_model_load_once_not_per_utterance():
    """The estimate of a pass over hours of speech was off tenfold when the first (model-loading) call was
    the one timed and scaled by the utterance count."""
    class LoadsOnFirstCall:
        loaded = False

        def embed(self, segments, context):
            if not self.loaded:
                time.sleep(0.2)
                self.loaded = True

    def utterances(n):
        return SimpleNamespace(utterances=range(n), head=lambda k: utterances(k))

    assert embedding_seconds(LoadsOnFirstCall(), utterances(1000), None) < 0.2 * 1000 / 10
    assert embedding_seconds(LoadsOnFirstCall(), utterances(0), None) == 0.0
