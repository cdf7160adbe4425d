"""One audio reader for every format: 16 kHz mono float32 out, whole files or windows of long ones.

libsndfile reads what it can (WAV, FLAC, OGG Vorbis/Opus, MP3, AIFF, ...):
it is exact and seeks to the sample. Everything else (M4A/AAC, the audio
track of MP4/MKV/WebM video, files libsndfile refuses) goes through PyAV,
whose wheel carries the FFmpeg libraries, so no system ffmpeg is needed.
Both paths stream blocks: channels are averaged and soxr resamples block by
block, so a long file never sits in memory at its native rate and channel
count. A window [start_s, end_s) seeks, decodes `MARGIN_S` either side (the
resampler's and MP3 decoder's warm-up) and cuts the span at the output rate,
so a window equals the same span cut out of the whole decoded file.

Time in a file is the count of samples its whole decode yields before that
point, nothing else: `ingest` chooses windows on the whole decode. FFmpeg's
time stamps after a seek can disagree with it (several MP3s joined with
`cat` carry a header packet at each junction that has a duration but
decodes to nothing: 24 ms of drift per junction at 48 kHz), so a PyAV
window places every decoded packet by a per-file index of where the whole
decode puts that packet (`_PacketIndex`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf
import soxr

from .errors import AudioError
from .log import get_logger

BLOCK_FRAMES = 1 << 16
MARGIN_S = 0.25
SOXR_QUALITY = "HQ"
# Read by libsndfile (exact, sample-accurate seeking); everything else by FFmpeg.
SNDFILE_FORMATS = frozenset({"WAV", "WAVEX", "FLAC", "OGG", "AIFF", "AIFC", "W64", "RF64", "CAF", "AU"})
# Never shown to libsndfile: its MP3 decoder prints to the C stderr on bad data.
FFMPEG_SUFFIXES = frozenset({".mp3", ".mp2", ".m4a", ".aac", ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi"})
# FFmpeg demuxers of bare audio streams (no container index): their time stamps are estimates from the
# bit rate, so a window seeks to the byte where its packet starts instead of to a time.
RAW_STREAM_FORMATS = frozenset({"mp3", "aac", "ac3", "eac3", "dts", "truehd", "amr"})
# PyAV sample formats -> (numpy scale to [-1, 1), offset): integers are scaled, floats kept.
_SCALES = {"u8": (1 / 128, 128.0), "s16": (1 / 32768, 0.0), "s32": (1 / 2147483648, 0.0),
           "s64": (1 / 9223372036854775808, 0.0), "flt": (1.0, 0.0), "dbl": (1.0, 0.0)}


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says: enough to plan windows and notes without decoding."""

    duration_s: float
    sample_rate: int
    channels: int
    codec: str


@dataclass
class _Source:
    """Native-rate blocks of shape (channels, n) from native sample `first` (PyAV sets it at the first frame)."""

    rate: int
    channels: int
    first: int
    blocks: Iterator[np.ndarray]


def window_bounds(start_s: float | None, end_s: float | None, path: Path) -> tuple[float, float | None]:
    """(start, end or None) in seconds; None and NaN mean "from the beginning" / "to the end"."""
    start = 0.0 if start_s is None or math.isnan(start_s) else float(start_s)
    end = None if end_s is None or math.isnan(end_s) else float(end_s)
    if start < 0 or (end is not None and end <= start):
        raise AudioError(f"bad window [{start_s}, {end_s}) s for {path}: need 0 <= start < end")
    return start, end


class Window(NamedTuple):
    """A manifest row's audio: its file and [start_s, end_s) in seconds (None: from the start / to the end)."""

    utt_id: str
    path: str
    start_s: float | None
    end_s: float | None

    def load(self, sample_rate: int = 16000) -> np.ndarray:
        """The row's samples: its window of the file, or the whole file for a row without one."""
        return load_audio(self.path, sample_rate, self.start_s, self.end_s)


def manifest_windows(manifest) -> Iterator[Window]:
    """The Window of every manifest row, in order: every reader of a row's audio starts here.

    A missing column or NaN is None (whole file).
    """
    rows = len(manifest)
    starts = manifest["start_s"] if "start_s" in manifest else [None] * rows
    ends = manifest["end_s"] if "end_s" in manifest else [None] * rows
    for utt_id, path, start, end in zip(manifest["utt_id"], manifest["path"], starts, ends):
        yield Window(utt_id, str(path), _seconds(start), _seconds(end))


def _seconds(value) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def audio_info(path: str | Path) -> AudioInfo:
    """Duration, native rate, channels and codec from the header (an AudioError if none can be read)."""
    path = _existing(path)
    if path.suffix.lower() not in FFMPEG_SUFFIXES:
        try:
            info = sf.info(str(path))
            return AudioInfo(info.frames / info.samplerate, int(info.samplerate), int(info.channels), info.format)
        except (sf.LibsndfileError, RuntimeError, OSError):
            pass
    import av

    try:
        with av.open(str(path)) as container:
            stream = _audio_stream(container, path)
            if stream.duration is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = (container.duration or 0) / 1e6
            return AudioInfo(duration, int(stream.rate), int(stream.channels), stream.codec_context.name)
    except av.FFmpegError as exc:
        raise AudioError(f"cannot decode audio {path}: {_reason(exc)}") from None


def load_audio(path: str | Path, sample_rate: int = 16000, start_s: float | None = None,
               end_s: float | None = None) -> np.ndarray:
    """Mono float32 samples at `sample_rate` of the whole file or of [start_s, end_s) seconds.

    Channels are averaged and other rates resampled (soxr), each with a log
    note. A window past the end of the file is cut at the end; one that
    starts after it is an AudioError.
    """
    path = _existing(path)
    start, end = window_bounds(start_s, end_s, path)
    first = max(0.0, start - MARGIN_S)
    last = None if end is None else end + MARGIN_S
    try:
        source = _sndfile_source(path, first, last, sample_rate)
    except (sf.LibsndfileError, RuntimeError, OSError):
        source = None
    if source is not None:
        try:
            samples, offset = _mix_and_resample(source, sample_rate, path)
        except (sf.LibsndfileError, RuntimeError) as exc:
            # libsndfile opened the header but cannot decode the body: give FFmpeg a try.
            get_logger("audio").debug("%s: libsndfile failed (%s), trying PyAV", path, exc)
            source = None
    if source is None:
        samples, offset = _mix_and_resample(_av_source(path, first, last, sample_rate), sample_rate, path)
    if samples.size == 0 and start == 0:
        raise AudioError(f"zero-length audio: {path}")
    begin = max(0, round((start - offset) * sample_rate))
    if begin >= samples.size:
        raise AudioError(f"window starts at {start:.3f} s, after the end of {path}")
    stop = samples.size if end is None else min(samples.size, begin + round((end - start) * sample_rate))
    samples = samples[begin:stop]
    if not np.all(np.isfinite(samples)):
        raise AudioError(f"audio contains NaN or infinite samples: {path}")
    return np.ascontiguousarray(samples, dtype=np.float32)


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    return path


def _mix_and_resample(source: _Source, sample_rate: int, path: Path) -> tuple[np.ndarray, float]:
    """All blocks averaged to mono and resampled; returns (samples, time of the first one in s)."""
    log = get_logger("audio")
    if source.channels > 1:
        log.debug("%s: %d channels down-mixed to mono", path, source.channels)
    resampler = None
    if source.rate != sample_rate:
        log.debug("%s: resampled %d Hz -> %d Hz", path, source.rate, sample_rate)
        resampler = soxr.ResampleStream(source.rate, sample_rate, 1, dtype="float32", quality=SOXR_QUALITY)
    pieces = []
    for block in source.blocks:
        mono = np.ascontiguousarray(block.mean(axis=0, dtype=np.float32) if block.shape[0] > 1 else block[0],
                                    dtype=np.float32)
        pieces.append(mono if resampler is None else resampler.resample_chunk(mono))
    if resampler is not None:
        pieces.append(resampler.resample_chunk(np.zeros(0, np.float32), last=True))
    samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return samples, source.first / source.rate


def _on_grid(first_s: float, rate: int, sample_rate: int) -> int:
    """The native sample at or before `first_s` that falls on the output sample grid.

    Starting a window there makes its output samples the very samples of
    the whole file's output, not ones shifted by a fraction of a sample.
    """
    first = math.floor(first_s * rate)
    return first - first % (rate // math.gcd(rate, sample_rate))


def _sndfile_source(path: Path, first_s: float, last_s: float | None, sample_rate: int) -> _Source | None:
    """libsndfile blocks, or None for formats left to FFmpeg (its MP3 seeking is noisy and inexact)."""
    if path.suffix.lower() in FFMPEG_SUFFIXES:
        return None
    handle = sf.SoundFile(str(path))
    if handle.format not in SNDFILE_FORMATS:
        handle.close()
        return None
    rate = int(handle.samplerate)
    first = min(_on_grid(first_s, rate, sample_rate), handle.frames)
    count = -1 if last_s is None else max(0, round(last_s * rate) - first)
    if first:
        handle.seek(first)

    def blocks() -> Iterator[np.ndarray]:
        with handle:
            remaining = count
            while remaining != 0:
                size = BLOCK_FRAMES if remaining < 0 else min(BLOCK_FRAMES, remaining)
                block = handle.read(size, dtype="float32", always_2d=True)
                if len(block) == 0:
                    return
                remaining = remaining - len(block) if remaining > 0 else remaining
                yield block.T

    return _Source(rate, int(handle.channels), first, blocks())


def _audio_stream(container, path: Path):
    if not container.streams.audio:
        kinds = ", ".join(sorted({s.type for s in container.streams})) or "no streams"
        raise AudioError(f"no audio track in {path} ({kinds})")
    return container.streams.audio[0]


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc).splitlines()[0]


def _av_source(path: Path, first_s: float, last_s: float | None, sample_rate: int) -> _Source:
    """FFmpeg (PyAV) decoding of the first audio track from native sample `first_s * rate` on.

    Samples are placed where the whole decode puts them (see `_placed`), so
    a window holds the very samples of the whole file's decode.
    """
    container, stream, rate = _open(path)
    first = _on_grid(first_s, rate, sample_rate)
    last = None if last_s is None else round(last_s * rate)
    source = _Source(rate, int(stream.channels), first, iter(()))

    def blocks() -> Iterator[np.ndarray]:
        started = False
        for lo, data in _placed(container, stream, path, first):
            hi = lo + data.shape[1]
            if hi <= first:
                continue
            if last is not None and lo >= last:
                return
            cut_lo = max(first, lo)
            if not started:
                source.first, started = cut_lo, True
            yield data[:, cut_lo - lo: (hi if last is None else min(hi, last)) - lo]

    source.blocks = blocks()
    return source


def _open(path: Path):
    """(container, first audio stream, its sample rate), or an AudioError naming the file."""
    import av

    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise AudioError(f"cannot decode audio {path}: not a readable audio or video file ({_reason(exc)})") from None
    try:
        stream = _audio_stream(container, path)
        rate = int(stream.rate or stream.codec_context.sample_rate or 0)
        if rate <= 0:
            raise AudioError(f"cannot decode audio {path}: unknown sample rate")
    except BaseException:
        container.close()
        raise
    return container, stream, rate


def _placed(container, stream, path: Path, first: int) -> Iterator[tuple[int, np.ndarray]]:
    """(native sample, (channels, n) samples) per decoded packet from about `first` on, where the whole decode
    puts them; closes `container`.

    Near the start the file is decoded from its first packet, counting
    samples. Further in, the read seeks to the packet `MARGIN_S` before
    `first` (the decoder's warm-up) and places every packet where the file's
    `_PacketIndex` says the whole decode put it, never by FFmpeg's time
    stamps. A seek that lands after that packet (a demuxer's estimate gone
    wrong) falls back to decoding from the start: slower, never shifted.
    """
    warmup = round(MARGIN_S * stream.rate)
    try:
        index = _packet_index(path) if first > warmup else None
        target = 0 if index is None else index.at_or_before(first - warmup)
        if target > 0:
            if index.seek(container, stream, target):
                placed = index.placed(_decoded(container, stream, path), int(stream.channels))
                head = next(placed, None)
                if head is not None and head[0] <= index.start[target]:
                    yield head
                    yield from placed
                    return
            get_logger("audio").debug("%s: seek to packet %d missed; decoding from the start", path, target)
            container.close()
            container, stream, _ = _open(path)
        position = 0
        for _, frames in _decoded(container, stream, path):
            data = _packet_array(frames, int(stream.channels))
            yield position, data
            position += data.shape[1]
    finally:
        container.close()


@dataclass(frozen=True)
class _PacketIndex:
    """Where a file's whole decode puts each packet's samples: what makes a seeking window exact.

    Packets are known by byte position, or by time stamp where a demuxer
    leaves positions missing or shared. One whole decode builds the index
    (counting samples as a whole read does), kept per process and file
    (path, size, mtime): about 2 s and 7 MB per hour of 44.1 kHz MP3, paid
    once per file and process, after which a window costs only its own
    decoding (the window and half a second: some 20 ms for 5 s of MP3).
    """

    raw: bool
    by_pos: bool
    keys: np.ndarray
    order: np.ndarray
    pos: np.ndarray
    pts: np.ndarray
    start: np.ndarray
    count: np.ndarray

    def find(self, packet) -> int:
        """The packet's number in the whole decode, or -1 for one it never met (the decoder's final flush)."""
        key = packet.pos if self.by_pos else packet.pts
        if key is None or key < 0 and self.by_pos:
            return -1
        i = int(np.searchsorted(self.keys, key))
        return int(self.order[i]) if i < len(self.keys) and self.keys[i] == key else -1

    def at_or_before(self, sample: int) -> int:
        """The last packet whose samples start at or before native sample `sample`."""
        return int(np.searchsorted(self.start, sample, side="right")) - 1

    def seek(self, container, stream, packet: int) -> bool:
        """Seek to `packet`: to its byte in a bare stream, else to its time stamp; False where FFmpeg refuses."""
        import av

        try:
            if self.raw and self.by_pos:
                container.seek(int(self.pos[packet]), unsupported_byte_offset=True)
            elif self.pts[packet] != _NO_PTS:
                container.seek(int(self.pts[packet]), stream=stream, backward=True)
            else:
                return False
        except av.FFmpegError:
            return False
        return True

    def placed(self, decoded, channels: int) -> Iterator[tuple[int, np.ndarray]]:
        """(native sample, samples) of each packet from the first known one on, where the whole decode put it.

        A decoder restarted by a seek may give a first packet fewer samples
        (MP3's start padding again) or none; each known packet is made as
        long as in the whole decode, so the samples after it stay in place.
        """
        position = None
        for packet, frames in decoded:
            data = _packet_array(frames, channels)
            known = self.find(packet)
            if known >= 0:
                position, data = int(self.start[known]), _fit(data, int(self.count[known]))
            elif position is None:
                continue
            yield position, data
            position += data.shape[1]


_NO_PTS = np.iinfo(np.int64).min


def _packet_index(path: Path) -> _PacketIndex | None:
    stat = path.stat()
    return _index_of(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _index_of(path: str, size: int, mtime_ns: int) -> _PacketIndex | None:
    """The file's packet index by one whole decode; None where packets have no unique position or stamp."""
    container, stream, _ = _open(Path(path))
    pos, pts, count = [], [], []
    with container:
        raw = container.format.name in RAW_STREAM_FORMATS
        for packet, frames in _decoded(container, stream, Path(path)):
            if packet.size == 0:
                continue
            pos.append(-1 if packet.pos is None else packet.pos)
            pts.append(_NO_PTS if packet.pts is None else packet.pts)
            count.append(sum(frame.samples for frame in frames))
    pos_, pts_, count_ = (np.array(v, dtype=np.int64) for v in (pos, pts, count))
    start = np.concatenate([[0], np.cumsum(count_)[:-1]]).astype(np.int64)
    for by_pos, keys, known in ((True, pos_, pos_ >= 0), (False, pts_, pts_ != _NO_PTS)):
        if len(keys) and known.all():
            order = np.argsort(keys, kind="stable")
            if np.all(np.diff(keys[order]) > 0):
                return _PacketIndex(raw, by_pos, keys[order], order, pos_, pts_, start, count_)
    get_logger("audio").debug("%s: packets have no unique position or stamp; windows decode from the start", path)
    return None


def _fit(data: np.ndarray, count: int) -> np.ndarray:
    """`data` made `count` samples long: zeros in front of a short packet, the last `count` of a long one."""
    n = data.shape[1]
    if n >= count:
        return data[:, n - count:]
    return np.concatenate([np.zeros((data.shape[0], count - n), np.float32), data], axis=1)


def _decoded(container, stream, path: Path) -> Iterator[tuple[object, list]]:
    """(packet, its decoded frames) in file order.

    A corrupt packet decodes to no frames, with a warning; a corrupt tail
    (truncated download) ends the stream with a warning, not an error.
    """
    import av

    decoded = 0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.InvalidDataError as exc:
                get_logger("audio").warning("%s: skipped a corrupt packet (%s)", path, _reason(exc))
                frames = []
            decoded += sum(frame.samples for frame in frames)
            yield packet, frames
    except av.FFmpegError as exc:
        if not decoded:
            raise AudioError(f"cannot decode audio {path}: {_reason(exc)}") from None
        get_logger("audio").warning("%s: decoding stopped after %.1f s (%s); kept what was read",
                                    path, decoded / stream.rate, _reason(exc))


def _packet_array(frames: list, channels: int) -> np.ndarray:
    """(channels, samples) float32 of one packet's decoded frames."""
    if not frames:
        return np.zeros((channels, 0), np.float32)
    arrays = [_frame_array(frame, channels) for frame in frames]
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=1)


def _frame_array(frame, channels: int) -> np.ndarray:
    """(channels, samples) float32 of one decoded frame, planar or packed, any sample format."""
    name = frame.format.name
    scale, offset = _SCALES[name.rstrip("p")]
    data = frame.to_ndarray()
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    data = data.astype(np.float32)
    if offset:
        data -= offset
    if scale != 1.0:
        data *= scale
    return data
