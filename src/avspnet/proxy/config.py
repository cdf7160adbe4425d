"""Proxy-label settings: the paper's rank-per-speaker scheme, threshold 0; arousal features by preset.

`paper` is Lu, Li and Lee's pitch + intensity, `bone2014` adds Bone et
al.'s HF500. The default, `gain-robust` (pitch alone), is the subset of
the three whose worst arousal UAR over RAVDESS, CASIA and URDU, each as
recorded, peak-normalised and at -23 LUFS, is highest
(benchmarks/bench_proxy_robustness.py): median intensity ranks invert when
files are normalised one by one, and HF500 is near chance on CASIA.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError

GROUP_BY = ("speaker", "speaker_group")
AROUSAL_FEATURES = ("pitch", "intensity", "hf500", "speaking_rate", "jitter")
AROUSAL_PRESETS = {
    "gain-robust": ("pitch",),
    "paper": ("pitch", "intensity"),
    "bone2014": ("pitch", "intensity", "hf500"),
}
DEFAULT_PRESET = "gain-robust"
# What the samples go through before Praat measures them: nothing (as
# recorded), peak to full scale per file, or integrated loudness to
# LUFS_TARGET (ITU-R BS.1770), as broadcast media and many corpora ship.
GAINS = ("none", "peak", "lufs")
LUFS_TARGET = -23.0
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
    # Gain normalisation per file before measuring (one of GAINS).
    gain: str = "none"

    def __post_init__(self) -> None:
        if not 0 < self.pitch_floor < self.pitch_ceiling:
            raise ConfigError(f"proxy.acoustic: need 0 < pitch_floor < pitch_ceiling, got {self.pitch_floor}, {self.pitch_ceiling}")
        if self.pitch_ceiling >= self.sample_rate / 2:
            raise ConfigError("proxy.acoustic: pitch_ceiling must be below the Nyquist frequency")
        if self.time_step <= 0:
            raise ConfigError("proxy.acoustic: time_step must be positive")
        if self.gain not in GAINS:
            raise ConfigError(f"proxy.acoustic.gain must be one of {GAINS}, got {self.gain!r}")


@dataclass(frozen=True)
class ProxyConfig:
    # Baseline for the rank transform: each speaker's utterances, or each
    # speaker's utterances within one group (episode / programme).
    group_by: str = "speaker"
    # Feature names, or a preset name from AROUSAL_PRESETS (stored resolved).
    arousal_features: tuple[str, ...] | str = AROUSAL_PRESETS[DEFAULT_PRESET]
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
        features = self.arousal_features
        if isinstance(features, str):
            if features not in AROUSAL_PRESETS:
                raise ConfigError(f"proxy.arousal_features: unknown preset {features!r}; "
                                  f"presets: {', '.join(AROUSAL_PRESETS)}, or a list of {AROUSAL_FEATURES}")
            features = AROUSAL_PRESETS[features]
        features = tuple(features)
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
