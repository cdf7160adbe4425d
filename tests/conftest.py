"""Shared test helpers: tiny generated audio in real corpus layouts, and the shared corpora."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
import soxr

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def write_voice(path: Path, seconds: float = 1.2, sample_rate: int = 16000, f0: float = 140.0,
                level: float = 0.3, seed: int = 0, channels: int = 1) -> Path:
    """A harmonic 'voice' with a little noise: enough structure for pitch and spectra."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    wave = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    wave = level * wave / np.max(np.abs(wave)) + 0.003 * rng.standard_normal(len(t))
    data = np.stack([wave] * channels, axis=1) if channels > 1 else wave
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), data.astype(np.float32), sample_rate)
    return path


@pytest.fixture
def voice():
    return write_voice


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


# Test media written with PyAV: any codec, rate and channel count, optionally beside a video track.
LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}
# name -> (codec, rate, container format or None, with a video track); FFmpeg's own Vorbis
# encoder is experimental (and the wheel has no libvorbis), so libsndfile writes OGG Vorbis.
FORMATS = {
    "wav": ("pcm_s16le", 44100, None, False),
    "flac": ("flac", 48000, None, False),
    "mp3": ("libmp3lame", 44100, None, False),
    "ogg": ("vorbis", 44100, "sndfile", False),
    "opus": ("libopus", 48000, "ogg", False),
    "m4a": ("aac", 44100, None, False),
    "mp4": ("aac", 48000, None, True),
    "mkv": ("libopus", 48000, None, True),
    "webm": ("libopus", 48000, None, True),
}


def encode(samples: np.ndarray, sample_rate: int, path: Path, name: str, channels: int = 1) -> Path:
    """`samples` (mono float at `sample_rate`) re-encoded as format `name` (FORMATS), resampled to its rate."""
    codec, rate, container, video = FORMATS[name]
    data = np.stack([soxr.resample(samples.astype(np.float32), sample_rate, rate)] * channels)
    if container == "sndfile":
        sf.write(str(path), data.T, rate, format="OGG", subtype="VORBIS")
        return path
    with av.open(str(path), "w", format=container) as out:
        picture = _video_stream(out, path) if video else None
        stream = out.add_stream(codec, rate=rate)
        stream.layout = LAYOUTS[channels]
        planar = stream.codec_context.codec.audio_formats[0].is_planar
        step = stream.codec_context.frame_size or 1024
        for start in range(0, data.shape[1], step):
            chunk = np.ascontiguousarray(data[:, start:start + step])
            frame = av.AudioFrame.from_ndarray(chunk if planar else chunk.T.reshape(1, -1),
                                               format="fltp" if planar else "flt", layout=LAYOUTS[channels])
            frame.sample_rate, frame.pts = rate, start
            out.mux(stream.encode(frame))
        if picture is not None:
            for index in range(int(data.shape[1] / rate * 10)):
                image = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
                image.pts = index
                out.mux(picture.encode(image))
            out.mux(picture.encode())
        out.mux(stream.encode())
    return path


def video_only(path: Path, seconds: float = 1.0) -> Path:
    """A video file without an audio track."""
    with av.open(str(path), "w") as out:
        picture = _video_stream(out, path)
        for index in range(int(seconds * 10)):
            image = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            image.pts = index
            out.mux(picture.encode(image))
        out.mux(picture.encode())
    return path


@pytest.fixture
def media():
    """(encode, video_only): writers of real media files for decoding and ingest tests."""
    return encode, video_only


def _video_stream(out, path: Path):
    stream = out.add_stream("libvpx" if path.suffix == ".webm" else "mpeg4", rate=10)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    return stream


@pytest.fixture
def small_env(monkeypatch, tmp_path):
    """$AVSPNET_WHISPER_SMALL names a tiny 768-wide CTranslate2 Whisper encoder (seeded weights)."""
    from tests.frontends.ctranslate2_files import whisper_model

    from avspnet.frontends import whisper

    folder = whisper_model(tmp_path / "small", 768)
    monkeypatch.setenv(whisper.SMALL_ENV, str(folder))
    return folder


@pytest.fixture
def tiny_whisper(small_env):
    """whisper-small on the tiny encoder (a Whisper pass in milliseconds); skipped without the ASR runtime."""
    from avspnet.frontends import whisper

    if whisper._missing(whisper.RUNTIME_PACKAGES):
        pytest.skip(whisper._missing(whisper.RUNTIME_PACKAGES))
    return whisper.Whisper(whisper.SMALL)
