"""Whisper-base's encoder in torch: the CTranslate2 file parser, and agreement with CTranslate2's own encode."""

import struct
from dataclasses import replace

import numpy as np
import pytest

from avspnet.errors import ModelFileError
from avspnet.features.config import FeatureConfig
from avspnet.frontends import whisper
from avspnet.frontends.base import EmbedContext
from avspnet.frontends.whisper_torch import read_variables
from avspnet.training.device import Runtime


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def _model_file(path, variables, version=6):
    """A CTranslate2 model.bin (format 6) holding `variables`: name -> (dtype id, array)."""
    blob = struct.pack("<I", version) + _string("WhisperSpec") + struct.pack("<II", 3, len(variables))
    for name, (dtype_id, array) in variables.items():
        raw = array.tobytes()
        blob += _string(name) + struct.pack(f"<B{array.ndim}I", array.ndim, *array.shape)
        blob += struct.pack("<BI", dtype_id, len(raw)) + raw
    path.write_bytes(blob + struct.pack("<I", 0))
    return path


def test_reads_encoder_variables_of_every_dtype(tmp_path):
    weights = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    bf16 = (weights.view(np.uint32) >> 16).astype(np.uint16)
    path = _model_file(tmp_path / "model.bin", {
        "encoder/a": (4, weights.astype(np.float16)), "encoder/b": (0, weights), "encoder/c": (5, bf16),
        "encoder/num_heads": (2, np.array(8, np.int16)), "decoder/a": (4, weights.astype(np.float16))})
    variables = read_variables(path)
    assert sorted(variables) == ["encoder/a", "encoder/b", "encoder/c", "encoder/num_heads"]
    for name in ("encoder/a", "encoder/b", "encoder/c"):
        np.testing.assert_array_equal(variables[name].astype(np.float32), weights)
    assert int(variables["encoder/num_heads"]) == 8


def test_bad_model_files_are_one_line_errors(tmp_path):
    good = _model_file(tmp_path / "good.bin", {"encoder/a": (0, np.ones(4, np.float32))})
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match="truncated"):
        read_variables(truncated)
    with pytest.raises(ModelFileError, match="format 5, expected 6"):
        read_variables(_model_file(tmp_path / "old.bin", {}, version=5))
    with pytest.raises(ModelFileError, match="unknown data type id 9"):
        read_variables(_model_file(tmp_path / "odd.bin", {"encoder/a": (9, np.ones(4, np.float32))}))
    with pytest.raises(ModelFileError, match="cannot read"):
        read_variables(tmp_path / "missing.bin")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    if whisper.unavailable():
        pytest.skip(whisper.unavailable())
    context = EmbedContext(FeatureConfig(), tmp_path_factory.mktemp("cache"), Runtime.resolve("cpu", "fp32"), workers=1,
                           progress=False)
    frontend = whisper.WhisperBase()
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
