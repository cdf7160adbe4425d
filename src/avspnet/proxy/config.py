"""Proxy-label settings; the defaults are the paper's (pitch + intensity per speaker, threshold 0)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError

GROUP_BY = ("speaker", "speaker_group")
AROUSAL_FEATURES = ("pitch", "intensity", "hf500", "speaking_rate", "jitter")
LEXICON_NAMES = ("vader", "afinn", "nrc", "warriner", "ntusd", "cvaw", "hownet", "dutir")
DEFAULT_LEXICONS = {"en": ("vader", "afinn", "nrc"), "zh": ("ntusd", "cvaw", "hownet", "dutir")}


@dataclass(frozen=True)
class AcousticConfig:
    """Praat analysis settings; their hash keys the per-file acoustic cache."""

    sample_rate: int = 16000
    time_step: float = 0.01
    # Praat's defaults for "To Pitch (ac)"; they cover adult speech incl. shouting.
    pitch_floor: float = 75.0
    pitch_ceiling: float = 600.0
    # HF500 (Bone et al.): share of spectral energy above this frequency.
    hf_cutoff_hz: float = 500.0
    # Syllable nuclei for speaking rate: intensity peaks at least this prominent (dB)
    # and within `nucleus_range_db` of the utterance's loudest frame.
    nucleus_prominence_db: float = 2.0
    nucleus_range_db: float = 25.0
    # Peak amplitude below which a file is silent: no acoustic values at all.
    silence_peak: float = 1e-4

    def __post_init__(self) -> None:
        if not 0 < self.pitch_floor < self.pitch_ceiling:
            raise ConfigError(f"proxy.acoustic: need 0 < pitch_floor < pitch_ceiling, got {self.pitch_floor}, {self.pitch_ceiling}")
        if self.pitch_ceiling >= self.sample_rate / 2:
            raise ConfigError("proxy.acoustic: pitch_ceiling must be below the Nyquist frequency")
        if self.time_step <= 0:
            raise ConfigError("proxy.acoustic: time_step must be positive")


@dataclass(frozen=True)
class ProxyConfig:
    # Baseline for the rank transform: each speaker's utterances, or each
    # speaker's utterances within one group (episode / programme).
    group_by: str = "speaker"
    arousal_features: tuple[str, ...] = ("pitch", "intensity")
    # Scores above the threshold are high / positive (1), below are low /
    # negative (0); a score exactly at the threshold carries no information
    # and gets no label.
    threshold: float = 0.0
    # Lexicon names per language code (see avspnet.proxy.lexicons.LEXICONS).
    lexicons: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_LEXICONS))
    # 0 ranks every transcribed utterance (the paper); 1 leaves utterances
    # without any lexicon word unlabelled instead of ranking their raw 0.
    min_lexicon_words: int = 0
    acoustic: AcousticConfig = AcousticConfig()

    def __post_init__(self) -> None:
        if self.group_by not in GROUP_BY:
            raise ConfigError(f"proxy.group_by must be one of {GROUP_BY}, got {self.group_by!r}")
        features = tuple(self.arousal_features)
        unknown = sorted(set(features) - set(AROUSAL_FEATURES))
        if unknown or not features:
            raise ConfigError(f"proxy.arousal_features: need a non-empty subset of {AROUSAL_FEATURES}, got {list(features)}")
        if not -1.0 < self.threshold < 1.0:
            raise ConfigError(f"proxy.threshold must lie in (-1, 1), got {self.threshold}")
        if not isinstance(self.lexicons, dict):
            raise ConfigError("proxy.lexicons must map a language code to a list of lexicon names")
        unknown = sorted({str(n) for names in self.lexicons.values() for n in names} - set(LEXICON_NAMES))
        if unknown:
            raise ConfigError(f"proxy.lexicons: unknown lexicon(s) {unknown}; known: {', '.join(LEXICON_NAMES)}")
        if self.min_lexicon_words < 0:
            raise ConfigError("proxy.min_lexicon_words must be >= 0")
        object.__setattr__(self, "arousal_features", features)
        object.__setattr__(self, "lexicons", {str(k): tuple(v) for k, v in self.lexicons.items()})
