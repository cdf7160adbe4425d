"""Ingest settings: speech detection, utterance lengths, speaker clustering and ASR."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

ASR_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class IngestConfig:
    # silero-vad: speech starts above `vad_threshold`, ends after `min_silence_s` below
    # `vad_threshold - 0.15` (silero's own hysteresis); shorter bursts are noise.
    vad_threshold: float = 0.5
    min_silence_s: float = 0.3
    min_speech_s: float = 0.25
    speech_pad_s: float = 0.1
    # Utterances: neighbours closer than `merge_gap_s` are joined while the result stays
    # under `max_s`; longer stretches are split at their deepest pause; shorter than
    # `min_s` after joining are dropped (counted).
    min_s: float = 1.0
    max_s: float = 15.0
    merge_gap_s: float = 0.5
    # Speakers: complete-linkage clustering of GE2E embeddings, cut at this cosine distance
    # (unknown count), or exactly `speakers` clusters per episode when set. Complete linkage
    # at 0.5 gave the best purity with near-true counts on RAVDESS episodes
    # (benchmarks/bench_ingest.py); average linkage chains emotional variants of one voice
    # into its neighbours'.
    cluster_threshold: float = 0.5
    speakers: int = 0
    # ASR (the optional `asr` extra): "auto" uses it when installed.
    asr: str = "auto"
    language: str = ""

    def __post_init__(self) -> None:
        if not 0 < self.vad_threshold < 1:
            raise ConfigError(f"ingest.vad_threshold must lie in (0, 1), got {self.vad_threshold}")
        if not 0 < self.min_s < self.max_s:
            raise ConfigError(f"ingest: need 0 < min_s < max_s, got {self.min_s} and {self.max_s}")
        if self.max_s > 30:
            raise ConfigError(f"ingest.max_s {self.max_s} is over 30 s, the most Whisper decodes at once")
        if min(self.min_silence_s, self.min_speech_s, self.speech_pad_s, self.merge_gap_s) < 0:
            raise ConfigError("ingest: durations must not be negative")
        if not 0 < self.cluster_threshold < 2:
            raise ConfigError(f"ingest.cluster_threshold is a cosine distance in (0, 2), got {self.cluster_threshold}")
        if self.speakers < 0:
            raise ConfigError(f"ingest.speakers must be >= 0 (0: unknown), got {self.speakers}")
        if self.asr not in ASR_MODES:
            raise ConfigError(f"ingest.asr must be one of {ASR_MODES}, got {self.asr!r}")
