"""The proxy-signal report: split-half reliability tells a consistent voice from a random one, gold labels never
enter it, windows are honoured, and the CLI writes and prints it for a manifest without gold labels."""

import math

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from avspnet.cli import main
from avspnet.corpora.manifest import make_manifest, read_manifest, write_manifest
from avspnet.proxy import compute_proxy_labels
from avspnet.proxy.acoustic import measure_file
from avspnet.proxy.config import AcousticConfig
from avspnet.proxy.signal import (
    SignalConfig,
    agreement_counts,
    background_name,
    balanced_accuracy,
    half_measures,
    half_windows,
    proxy_signal,
    recall_counts,
    share,
    speaker_interval,
    speaker_spread,
)

RATE = 16000
FAST = SignalConfig(min_utterances=3, bootstrap=50)


def _voice(f0s: list[float], seconds: float, level: float = 0.3, seed: int = 0) -> np.ndarray:
    """A harmonic voice whose pitch steps through `f0s`, one equal part each (phase kept continuous)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    f0 = np.repeat(f0s, int(np.ceil(n / len(f0s))))[:n]
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    wave = sum(np.sin(k * phase) / k for k in range(1, 6))
    return (level * wave / np.max(np.abs(wave)) + 0.003 * rng.standard_normal(n)).astype(np.float32)


def _corpus(tmp_path, consistent: bool, speakers: int = 4, per_speaker: int = 8, gold: bool = False):
    """Each utterance: two halves at one pitch (consistent) or at two independent random pitches."""
    rng = np.random.default_rng(1)
    rows = []
    for s in range(speakers):
        for i in range(per_speaker):
            first = rng.uniform(110, 260)
            second = first if consistent else rng.uniform(110, 260)
            path = tmp_path / "audio" / f"{'c' if consistent else 'r'}{s}_{i}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(str(path), _voice([first, second], 0.8, seed=i), RATE)
            rows.append({"utt_id": f"synthetic/{path.stem}", "path": str(path), "speaker": f"s{s}", "language": "en",
                         "transcript": "", "duration_s": 0.8, "arousal": int(first > 185) if gold else None})
    return make_manifest(rows)


def _signal(tmp_path, manifest, **kwargs):
    proxy = compute_proxy_labels(manifest, cache_dir=tmp_path / "cache", workers=1, progress=False)
    return proxy_signal(manifest, proxy, "test voices", signal=FAST, cache_dir=tmp_path / "cache", workers=1,
                        progress=False, **kwargs)


def test_split_half_is_high_for_a_consistent_voice_and_near_chance_for_a_random_one(tmp_path):
    consistent = _signal(tmp_path, _corpus(tmp_path, True)).in_use("arousal")
    random = _signal(tmp_path, _corpus(tmp_path, False)).in_use("arousal")
    assert consistent.label == "pitch" and consistent.halves_compared == 32
    assert consistent.split_half.value == 1.0 and consistent.kappa == 1.0 and consistent.spearman_brown > 0.95
    assert 0.3 <= random.split_half.value <= 0.7 and abs(random.kappa) < 0.4
    assert consistent.split_half.low > random.split_half.high
    # pitch varies by about 15 semitones across each speaker's utterances; 4 of 4 speakers rankable
    assert 3 < consistent.spread < 8 and consistent.spread_unit == "semitones"
    assert (consistent.rankable_speakers, consistent.speakers, consistent.rankable_utterances) == (4, 4, 1.0)
    # a linear probe on held-out speakers learns a pitch rank the spectrum shows
    assert consistent.probe.value > 0.7 and consistent.probe.low > 0.5


def test_gold_labels_never_change_the_signal(tmp_path):
    labelled = _corpus(tmp_path, True, speakers=3, per_speaker=4, gold=True)
    flipped = labelled.assign(arousal=1 - labelled["arousal"], emotion="angry")
    unlabelled = labelled.assign(arousal=pd.array([pd.NA] * len(labelled), dtype="Int64"))
    tables = [_signal(tmp_path, m) for m in (labelled, flipped, unlabelled)]
    flat = [pd.DataFrame([r.flat() for r in t.rows]) for t in tables]
    pd.testing.assert_frame_equal(flat[0], flat[1])
    pd.testing.assert_frame_equal(flat[0], flat[2])
    assert [t.gold for t in tables] == [True, True, False]


def test_halves_are_halves_of_each_rows_window(tmp_path, voice):
    long = voice(tmp_path / "long.wav", seconds=4.0)
    short = voice(tmp_path / "short.wav", seconds=1.0)
    manifest = make_manifest([
        {"utt_id": "w/a", "path": str(long), "speaker": "x", "language": "en", "start_s": 1.0, "end_s": 3.0},
        {"utt_id": "w/b", "path": str(short), "speaker": "x", "language": "en", "duration_s": 1.0},
        {"utt_id": "w/c", "path": str(short), "speaker": "x", "language": "en"},  # no duration: from the header
    ])
    halves, valid = half_windows(manifest)
    assert valid.tolist() == [True] * 3
    assert halves["start_s"].tolist() == [1.0, 0.0, 0.0, 2.0, 0.5, 0.5]
    assert halves["end_s"].tolist()[:3] == [2.0, 0.5, 0.5] and halves["end_s"].tolist()[3] == 3.0
    assert halves["end_s"].isna().tolist()[4:] == [True, True]
    first, second = half_measures(manifest, AcousticConfig(), tmp_path / "cache", 1, False)
    expected, _ = measure_file(str(long), AcousticConfig(), 2.0, 3.0)
    assert second.loc[0, "median_pitch_hz"] == pytest.approx(expected["median_pitch_hz"])


def test_an_unreadable_file_is_left_unsplit_not_an_error(tmp_path, voice, caplog):
    good = voice(tmp_path / "good.wav", seconds=1.0)
    manifest = make_manifest([
        {"utt_id": "u/a", "path": str(good), "speaker": "x", "language": "en"},
        {"utt_id": "u/b", "path": str(tmp_path / "gone.wav"), "speaker": "x", "language": "en"},
    ])
    first, second = half_measures(manifest, AcousticConfig(), tmp_path / "cache", 1, False)
    assert not math.isnan(first.loc[0, "median_pitch_hz"]) and first.loc[1].isna().all() and second.loc[1].isna().all()
    assert "1 utterance(s) of unknown length" in caplog.text


def test_spread_is_in_semitones_and_db_per_speaker():
    measures = pd.DataFrame({"median_pitch_hz": [100.0, 200.0, 150.0, np.nan],
                             "median_intensity_db": [60.0, 70.0, 65.0, 65.0]})
    spread = speaker_spread(measures, pd.Series(["a", "a", "b", "b"]), SignalConfig(min_utterances=2))
    pitch = spread[spread["feature"] == "pitch"]
    assert pitch["baseline"].tolist() == ["a"]  # b has one pitch value: not rankable
    assert pitch["spread"].iloc[0] == pytest.approx(12 / math.sqrt(2))
    assert spread[spread["feature"] == "intensity"]["spread"].tolist() == pytest.approx([50 ** 0.5, 0.0])


def test_interval_resamples_whole_speakers():
    groups = np.array(["a"] * 5 + ["b"] * 5)
    values = np.array([1.0] * 5 + [0.0] * 5)
    estimate = speaker_interval(groups, agreement_counts(values, np.ones(10)), share, SignalConfig(bootstrap=200))
    assert estimate.value == 0.5 and estimate.low == 0.0 and estimate.high == 1.0
    truth, predicted = np.array([0, 0, 0, 1]), np.array([0, 0, 0, 0])
    assert balanced_accuracy(recall_counts(truth, predicted).sum(axis=0)) == 0.5
    assert balanced_accuracy(recall_counts(truth[:3], predicted[:3]).sum(axis=0)) == 1.0  # one class present


def test_valence_coverage_and_lexicon_agreement(tmp_path, voice):
    texts = ["I love this wonderful party", "we hate waiting", "a table and a chair", "good good happy day",
             "terrible sad news today", "the door is open"]
    rows = [{"utt_id": f"t/{s}{i}", "path": str(voice(tmp_path / f"{s}{i}.wav", seconds=0.6, f0=120 + 20 * i)),
             "speaker": s, "language": "en", "transcript": text} for s in "ab" for i, text in enumerate(texts)]
    manifest = make_manifest(rows)
    report = _signal(tmp_path, manifest)
    valence = report.in_use("valence")
    assert valence.label == "lexicons: vader+afinn+nrc"
    assert valence.lexicon_coverage == pytest.approx(4 / 6)
    pairs = report.lexicon_pairs
    assert set(zip(pairs["lexicon_a"], pairs["lexicon_b"])) == {("vader", "afinn"), ("vader", "nrc"), ("afinn", "nrc")}
    assert pairs["agreement"].between(0, 1).all() and (pairs["compared"] > 0).all()


def test_background_is_named_for_what_it_is():
    frame = pd.DataFrame({"utt_id": ["commonvoice/zh-CN/x", "ravdess/1", "casia/2", "urdu/3", "loose"]})
    assert background_name(frame, "mine") == ("casia + ravdess (acted emotional speech) + commonvoice (read speech)"
                                              " + mine (speech of unknown kind)"
                                              " + urdu (emotional speech cut from TV talk shows)")


def test_cli_reports_signal_for_a_manifest_without_gold_labels(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    path = write_manifest(_corpus(tmp_path, True, speakers=3, per_speaker=5), tmp_path / "bg.csv")
    assert main(["proxy", str(path), "--workers", "1"]) == 0
    capsys.readouterr()
    out_dir = tmp_path / "rep"
    assert main(["proxy-report", str(path), "-o", str(out_dir), "--workers", "1", "--min-utterances", "3"]) == 0
    out = capsys.readouterr().out
    assert "no gold labels in the manifest" in out
    assert "arousal pitch: split-half agreement 1.00" in out
    assert "Proxy signal of synthetic (synthetic test audio): arousal (pitch) yes" in out
    report = (out_dir / "report.md").read_text()
    assert report.startswith("# Proxy report: synthetic (synthetic test audio)") and "split-half agreement" in report
    table = pd.read_csv(out_dir / "signal.csv")
    assert table["label"].tolist() == ["pitch", "intensity", "pitch+intensity"]  # no transcripts: no valence row
    assert (out_dir / "signal.png").stat().st_size > 0 and not (out_dir / "per_speaker.csv").exists()
    assert read_manifest(path)["arousal"].isna().all()


def test_cli_names_the_background_it_is_given_and_can_skip_the_signal(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    path = write_manifest(_corpus(tmp_path, True, speakers=2, per_speaker=3, gold=True), tmp_path / "bg.csv")
    assert main(["proxy", str(path), "--workers", "1"]) == 0
    assert main(["proxy-report", str(path), "-o", str(tmp_path / "a"), "--workers", "1",
                 "--background", "my podcasts"]) == 0
    out = capsys.readouterr().out
    assert "Proxy signal of my podcasts:" in out and "arousal: UAR" in out
    assert "## Proxy signal: my podcasts" in (tmp_path / "a" / "report.md").read_text()
    assert main(["proxy-report", str(path), "-o", str(tmp_path / "b"), "--no-signal"]) == 0
    assert "split-half" not in capsys.readouterr().out and not (tmp_path / "b" / "signal.csv").exists()
    assert main(["proxy-report", str(path), "--min-utterances", "1"]) == 2
    assert "min_utterances must be >= 2" in capsys.readouterr().err
