"""Corpus statistics in the shape of the paper's Table 1."""

from __future__ import annotations

import pandas as pd

from ..markdown import table_head, table_row
from .config import FeatureConfig


def segments_in(duration_s: float, config: FeatureConfig) -> int:
    """Segments an utterance of this duration yields, from its length alone."""
    samples = int(round(duration_s * config.sample_rate))
    if samples < config.win_length:
        return 0
    frames = 1 + (samples - config.win_length) // config.hop_length
    if frames < config.segment_frames:
        return 1 if config.short_policy == "pad" else 0
    return 1 + (frames - config.segment_frames) // config.segment_hop


def corpus_stats(manifest: pd.DataFrame, config: FeatureConfig = FeatureConfig()) -> dict:
    segments = manifest["duration_s"].map(lambda d: segments_in(d, config))
    return {
        "utterances": len(manifest),
        "segments": int(segments.sum()),
        "hours": float(manifest["duration_s"].sum() / 3600),
        "speakers": int(manifest["speaker"].nunique()),
        "groups": int(manifest["group"].nunique()),
        "short_utterances": int((segments == 0).sum()),
        "with_transcript": int((manifest["transcript"] != "").sum()),
        "arousal": _counts(manifest["arousal"].map({1: "high", 0: "low"})),
        "valence": _counts(manifest["valence"].map({1: "positive", 0: "negative"})),
        "emotion4": _counts(manifest["emotion4"].replace("", None)),
        "emotion": _counts(manifest["emotion"].replace("", None)),
    }


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.dropna().value_counts().sort_index()
    return {str(k): int(v) for k, v in counts.items()}


def format_stats(name: str, stats: dict) -> str:
    lines = table_head([name, "value"]) + [table_row(row) for row in [
        ("utterances", stats["utterances"]),
        ("segments (810 ms)", stats["segments"]),
        ("hours", f"{stats['hours']:.2f}"),
        ("speakers", stats["speakers"]),
        ("groups", stats["groups"]),
        ("utterances shorter than one segment", stats["short_utterances"]),
        ("with transcript", stats["with_transcript"]),
    ]]
    for task in ("arousal", "valence", "emotion4", "emotion"):
        counts = ", ".join(f"{k} {v}" for k, v in stats[task].items()) or "none"
        lines.append(table_row([task, counts]))
    return "\n".join(lines)
