"""Feature settings; the defaults are the paper's (section 3.1)."""

from __future__ import annotations

from dataclasses import dataclass

SHORT_POLICIES = ("drop", "pad")


@dataclass(frozen=True)
class FeatureConfig:
    sample_rate: int = 16000
    window_ms: float = 20.0
    hop_ms: float = 10.0
    n_fft: int = 800
    max_freq_hz: float = 4000.0
    # log(max(|X|, floor)): a floor keeps digital silence finite; 1e-5 is
    # about -100 dB below a full-scale sinusoid's bin magnitude.
    log_floor: float = 1e-5
    segment_frames: int = 80
    # Frames between segment starts; = segment_frames gives the paper's
    # non-overlapping cut.
    segment_hop: int = 80
    # Utterances shorter than one segment: "drop" (the paper) or "pad"
    # (repeat-free zero padding at log_floor up to one segment).
    short_policy: str = "drop"
    # Peak amplitude below which an utterance counts as silent and is skipped.
    silence_peak: float = 1e-4

    @property
    def win_length(self) -> int:
        return int(round(self.sample_rate * self.window_ms / 1000))

    @property
    def hop_length(self) -> int:
        return int(round(self.sample_rate * self.hop_ms / 1000))

    @property
    def n_bins(self) -> int:
        """Bins strictly below max_freq_hz: 200 at 20 Hz resolution."""
        return int(round(self.max_freq_hz * self.n_fft / self.sample_rate))

    def __post_init__(self) -> None:
        from ..errors import ConfigError

        positive = {"sample_rate": self.sample_rate, "window_ms": self.window_ms, "hop_ms": self.hop_ms,
                    "n_fft": self.n_fft, "max_freq_hz": self.max_freq_hz, "log_floor": self.log_floor}
        for name, value in positive.items():
            if not value > 0:
                raise ConfigError(f"features.{name} must be > 0, got {value}")
        if self.win_length < 1 or self.hop_length < 1:
            raise ConfigError(f"features: window_ms {self.window_ms} and hop_ms {self.hop_ms} must each span "
                              f"at least one sample at {self.sample_rate} Hz")
        if self.silence_peak < 0:
            raise ConfigError(f"features.silence_peak must be >= 0, got {self.silence_peak}")
        if self.short_policy not in SHORT_POLICIES:
            raise ConfigError(f"features.short_policy must be one of {SHORT_POLICIES}, got {self.short_policy!r}")
        if self.win_length > self.n_fft:
            raise ConfigError(f"window ({self.win_length} samples) longer than n_fft ({self.n_fft})")
        if not 0 < self.n_bins <= self.n_fft // 2 + 1:
            raise ConfigError(f"max_freq_hz {self.max_freq_hz} gives {self.n_bins} bins; need 1..{self.n_fft // 2 + 1}")
        if self.segment_frames < 1 or self.segment_hop < 1:
            raise ConfigError("features.segment_frames and features.segment_hop must be positive")
