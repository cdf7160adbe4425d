"""The synthetic espeak-ng corpus: files, labels, determinism, reuse, errors and the CLI."""

import hashlib
import itertools
import shutil

import pandas as pd
import pytest
import soundfile as sf
from afinn import Afinn
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from avspnet.cli import main
from avspnet.corpora import load_corpus
from avspnet.corpora.manifest import manifest_hash, read_manifest
from avspnet.corpora.synthetic import (
    CELLS,
    NEUTRAL_NOUNS,
    NOUNS,
    TEMPLATES,
    WORDS,
    SyntheticConfig,
    make_synthetic_corpus,
)
from avspnet.errors import AvspnetError, ConfigError, CorpusError

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
TINY = SyntheticConfig(n_speakers=2, utterances_per_speaker=4)


def audio_hashes(manifest):
    return [hashlib.sha256(open(p, "rb").read()).hexdigest() for p in manifest["path"]]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    out = tmp_path_factory.mktemp("synthetic")
    return out, make_synthetic_corpus(out, TINY, workers=1)


@needs_espeak
def test_tiny_corpus_files(tiny):
    out, manifest = tiny
    assert len(manifest) == 8 and manifest["speaker"].nunique() == 2
    assert (manifest["group"] == manifest["speaker"]).all() and set(manifest["language"]) == {"en"}
    for row in manifest.itertuples():
        info = sf.info(row.path)
        assert (info.samplerate, info.channels) == (16000, 1)
        assert 1.0 <= info.frames / info.samplerate <= 3.0
        assert row.duration_s == pytest.approx(info.frames / info.samplerate)
        assert row.path.startswith(str(out.resolve() / "audio" / row.speaker))
    assert "synthetic speech" in (out / "README.txt").read_text().lower()
    assert manifest_hash(read_manifest(out / "manifest.csv")) == manifest_hash(manifest)


@needs_espeak
def test_labels_follow_words_and_render_parameters(tmp_path):
    manifest = make_synthetic_corpus(tmp_path, SyntheticConfig(n_speakers=2, utterances_per_speaker=6, jitter=0.0))
    cells = {cell.emotion: cell for cell in CELLS}
    for row in manifest.itertuples():
        cell = cells[row.emotion]
        assert (row.arousal, row.raw_sentiment, row.emotion4) == (cell.arousal, cell.sentiment, cell.emotion4)
        expected_valence = {"positive": 1, "negative": 0}.get(row.raw_sentiment)
        assert (None if pd.isna(row.valence) else row.valence) == expected_valence
        assert (row.arousal_rating > 3) == (row.arousal == 1) and 1 <= row.arousal_rating <= 5
        assert row.arousal_rating == pytest.approx(3 + 2 * (1 if row.arousal else -1) * float(row.raw_strength))
        assert row.valence_rating == {"positive": 5.0, "neutral": 3.0, "negative": 1.0}[row.raw_sentiment]
        words = set(row.transcript.lower().strip(".").replace(",", "").split())
        assert bool(words & {*WORDS["positive"], "love", "happy"}) == (row.raw_sentiment == "positive")
    # Without jitter, every high-arousal utterance of a speaker is higher,
    # faster, louder and more varied in pitch than every low one.
    for _, speaker in manifest.groupby("speaker"):
        for column in ("raw_pitch", "raw_rate", "raw_amplitude", "raw_pitch_range"):
            values = speaker[column].astype(int)
            assert values[speaker["arousal"] == 1].min() > values[speaker["arousal"] == 0].max(), column


@needs_espeak
def test_same_seed_same_bytes_other_seed_differs(tiny, tmp_path):
    _, first = tiny
    again = make_synthetic_corpus(tmp_path / "again", TINY, workers=2)
    assert manifest_hash(again) == manifest_hash(first)
    assert audio_hashes(again) == audio_hashes(first)
    other = make_synthetic_corpus(tmp_path / "other", SyntheticConfig(n_speakers=2, utterances_per_speaker=4, seed=1))
    assert manifest_hash(other) != manifest_hash(first)
    assert audio_hashes(other) != audio_hashes(first)


@needs_espeak
def test_reuse_regenerate_and_move(tmp_path):
    out = tmp_path / "corpus"
    make_synthetic_corpus(out, TINY)
    stamp = (out / "manifest.csv").stat().st_mtime_ns
    make_synthetic_corpus(out, TINY)
    assert (out / "manifest.csv").stat().st_mtime_ns == stamp
    next((out / "audio").rglob("*.wav")).unlink()
    assert len(make_synthetic_corpus(out, TINY)) == 8
    smaller = make_synthetic_corpus(out, SyntheticConfig(n_speakers=1, utterances_per_speaker=2))
    assert len(smaller) == 2 and len(list((out / "audio").rglob("*.wav"))) == 2
    moved = shutil.move(out, tmp_path / "moved")
    assert all(p.startswith(str(tmp_path / "moved")) for p in load_corpus("synthetic", moved)["path"])
    header = (moved / "manifest.csv").read_bytes().split(b"\n")[0]
    (moved / "manifest.csv").write_bytes(header + b"\nsynth")  # cut after its header: unreadable, made again
    assert len(make_synthetic_corpus(moved, SyntheticConfig(n_speakers=1, utterances_per_speaker=2))) == 2


def test_refuses_foreign_directory_and_bad_config(tmp_path):
    if shutil.which("espeak-ng") is not None:
        (tmp_path / "notes.txt").write_text("mine")
        with pytest.raises(CorpusError, match="holds no synthetic corpus"):
            make_synthetic_corpus(tmp_path, TINY)
    with pytest.raises(ConfigError, match="n_speakers"):
        SyntheticConfig(n_speakers=0)
    with pytest.raises(CorpusError, match="avspnet synth"):
        load_corpus("synthetic", tmp_path)


def test_missing_espeak_is_one_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(AvspnetError, match="apt-get install espeak-ng"):
        make_synthetic_corpus(tmp_path / "out", TINY)
    assert main(["synth", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "espeak-ng" in err


@needs_espeak
def test_cli_synth_then_corpus(tmp_path, capsys):
    out = tmp_path / "synth"
    assert main(["synth", str(out), "--speakers", "2", "--per-speaker", "3", "--seed", "4", "--workers", "1"]) == 0
    assert "| speakers | 2 |" in capsys.readouterr().out
    manifest_path = tmp_path / "m.csv"
    assert main(["corpus", "synthetic", str(out), "-o", str(manifest_path)]) == 0
    assert len(read_manifest(manifest_path)) == 6


def test_every_sentence_carries_its_valence_for_the_lexicons():
    vader, afinn = SentimentIntensityAnalyzer(), Afinn()
    for sentiment, templates in TEMPLATES.items():
        nouns = NEUTRAL_NOUNS if sentiment == "neutral" else NOUNS
        for template, adj, noun in itertools.product(templates, WORDS[sentiment], nouns):
            text = template.format(a="a", adj=adj, noun=noun)
            scores = vader.polarity_scores(text)["compound"], afinn.score(text)
            sign = {"positive": 1, "negative": -1, "neutral": 0}[sentiment]
            assert all((s > 0) - (s < 0) == sign for s in scores), (text, scores)


@needs_espeak
def test_a_corpus_made_before_ratings_loads_with_them(tiny, tmp_path):
    out, manifest = tiny
    old = tmp_path / "old"
    shutil.copytree(out, old)
    stored = read_manifest(old / "manifest.csv")
    assert {"arousal_rating", "valence_rating"} <= set(stored.columns)
    stored.drop(columns=["arousal_rating", "valence_rating"]).to_csv(old / "manifest.csv", index=False)
    again = load_corpus("synthetic", old)
    pd.testing.assert_series_equal(again["arousal_rating"], manifest["arousal_rating"])
    pd.testing.assert_series_equal(again["valence_rating"], manifest["valence_rating"])
