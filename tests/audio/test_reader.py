"""The one audio reader: every format in, 16 kHz mono out; windows equal the span cut out of the whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avspnet import audio
from avspnet.audio import audio_info, load_audio
from avspnet.errors import AudioError
from avspnet.features.spectrogram import log_spectrogram

LOSSLESS = ("wav", "flac")
LOSSY = ("mp3", "ogg", "opus", "m4a", "mp4", "mkv", "webm")
# Mean |log magnitude| difference to the FLAC original over the bins within 40 dB of the
# clip's loudest: about 0.001 for lossless and 0.03-0.08 for the lossy codecs at their
# default bit rates; a misaligned decode (one sample of delay left in) is 0.3 and more.
TOLERANCE = {"lossless": 0.01, "lossy": 0.15}


def _spectral_distance(samples: np.ndarray, reference: np.ndarray) -> float:
    ours, theirs = log_spectrogram(samples), log_spectrogram(reference)
    n = min(ours.shape[1], theirs.shape[1])
    loud = theirs[:, :n] > theirs.max() - np.log(100.0)
    return float(np.abs(ours[:, :n] - theirs[:, :n])[loud].mean())


@pytest.mark.integration
@pytest.mark.parametrize("name", LOSSLESS + LOSSY)
def test_every_format_decodes_to_the_original(name, shared_data, tmp_path, media):
    encode, _ = media
    original = sorted((shared_data / "ravdess" / "Actor_01").glob("*.flac"))[5]
    reference = load_audio(original)
    path = encode(reference, 16000, tmp_path / f"clip.{name}", name)
    samples = load_audio(path)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) - len(reference)) <= 0.03 * 16000
    limit = TOLERANCE["lossless" if name in LOSSLESS else "lossy"]
    assert _spectral_distance(samples, reference) < limit
    shifted = np.concatenate([np.zeros(80, np.float32), reference])
    assert _spectral_distance(shifted, reference) > limit, "the tolerance must catch a 5 ms misalignment"


@pytest.fixture
def long_voice(voice, tmp_path):
    """40 s of changing 'speech' at 16 kHz: a different pitch every second."""
    parts = [sf.read(voice(tmp_path / f"p{i}.wav", seconds=1.0, f0=100 + 13 * i, seed=i))[0] for i in range(40)]
    return np.concatenate(parts).astype(np.float32)


@pytest.mark.parametrize("name", ["wav", "flac", "mp3", "ogg", "m4a", "mp4", "mkv", "webm"])
def test_windows_equal_the_span_cut_out(name, long_voice, tmp_path, media):
    encode, _ = media
    path = encode(long_voice, 16000, tmp_path / f"long.{name}", name)
    whole = load_audio(path)
    for start, end in [(0.0, 2.5), (13.37, 17.9), (20.123, 21.777), (36.0, 39.0)]:
        window = load_audio(path, start_s=start, end_s=end)
        begin = round(start * 16000)
        assert len(window) == round((end - start) * 16000)
        # Lossless decodes are bit-identical; a lossy decoder restarted by the seek may differ in
        # the last bits (AAC's noise substitution draws from a running random sequence).
        np.testing.assert_allclose(window, whole[begin:begin + len(window)], atol=1e-6 if name in LOSSLESS else 5e-3)


def _joined_mp3(tmp_path, voice, media) -> Path:
    """Three MP3s joined with `cat`: each junction holds the next file's tag and header frame, a packet
    with a duration that decodes to nothing, so FFmpeg's time stamps run one frame (26 ms) ahead per junction."""
    encode, _ = media
    parts = [encode(sf.read(voice(tmp_path / f"p{i}.wav", seconds=2.0, f0=110 + 40 * i, seed=i))[0], 16000,
                    tmp_path / f"p{i}.mp3", "mp3") for i in range(3)]
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(b"".join(part.read_bytes() for part in parts))
    return joined


JOINED_WINDOWS = [(0.6, 1.9), (2.2, 3.4), (3.9, 4.3), (4.5, 5.8)]


def _assert_windows_match_the_whole(path: Path, windows) -> None:
    whole = load_audio(path)
    for start, end in windows:
        window = load_audio(path, start_s=start, end_s=end)
        begin = round(start * 16000)
        assert len(window) == round((end - start) * 16000)
        np.testing.assert_allclose(window, whole[begin:begin + len(window)], atol=1e-5)


def test_windows_of_joined_mp3s_equal_the_whole_decode(tmp_path, voice, media):
    _assert_windows_match_the_whole(_joined_mp3(tmp_path, voice, media), JOINED_WINDOWS)


@pytest.mark.parametrize("fault", ["seek lands late", "no packet index"])
def test_a_window_that_cannot_seek_exactly_decodes_from_the_start(fault, tmp_path, voice, media, monkeypatch):
    """A demuxer that seeks past the packet asked for, or packets without a unique position or stamp,
    cost a decode from the start, never a shifted window."""
    if fault == "seek lands late":
        seek = audio._PacketIndex.seek
        monkeypatch.setattr(audio._PacketIndex, "seek", lambda self, c, s, packet: seek(self, c, s, packet + 20))
    else:
        monkeypatch.setattr(audio, "_packet_index", lambda path: None)
    _assert_windows_match_the_whole(_joined_mp3(tmp_path, voice, media), JOINED_WINDOWS)


def test_window_edges(long_voice, tmp_path):
    path = tmp_path / "long.flac"
    sf.write(path, long_voice, 16000)
    tail = load_audio(path, start_s=38.5, end_s=45.0)
    assert len(tail) == len(long_voice) - round(38.5 * 16000)
    np.testing.assert_array_equal(load_audio(path, start_s=39.0), long_voice[39 * 16000:])
    with pytest.raises(AudioError, match="after the end"):
        load_audio(path, start_s=41.0, end_s=42.0)
    with pytest.raises(AudioError, match="bad window"):
        load_audio(path, start_s=3.0, end_s=2.0)
    assert np.array_equal(load_audio(path, start_s=float("nan"), end_s=float("nan")), long_voice)


def test_rates_and_channels(voice, tmp_path, media):
    encode, _ = media
    telephone = voice(tmp_path / "phone.wav", seconds=1.0, sample_rate=8000)
    assert load_audio(telephone).shape == (16000,)
    surround = encode(sf.read(voice(tmp_path / "v.wav", seconds=1.0))[0], 16000, tmp_path / "six.m4a", "m4a",
                      channels=6)
    info = audio_info(surround)
    assert info.channels == 6 and info.sample_rate == 44100
    samples = load_audio(surround)
    assert abs(len(samples) - 16000) < 0.03 * 16000 and samples.std() > 0.05


def test_bad_media_is_one_clear_error(tmp_path, voice, media):
    encode, video_only = media
    with pytest.raises(AudioError, match="no audio track"):
        load_audio(video_only(tmp_path / "silent_film.mp4"))
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all\n" * 100)
    with pytest.raises(AudioError, match="cannot decode"):
        load_audio(text)
    with pytest.raises(AudioError, match="cannot decode"):
        audio_info(text)
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")


def test_truncated_mp3_keeps_what_was_read(tmp_path, voice, media, caplog):
    encode, _ = media
    samples = sf.read(voice(tmp_path / "v.wav", seconds=4.0))[0]
    path = encode(samples, 16000, tmp_path / "cut.mp3", "mp3")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 7])
    decoded = load_audio(path)
    assert 1.5 * 16000 < len(decoded) < 2.5 * 16000
