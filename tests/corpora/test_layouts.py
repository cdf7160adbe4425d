"""Loaders on tiny generated copies of each real layout, .wav and .flac mixed."""

import pytest

from avspnet.corpora import load_corpus
from avspnet.corpora.labels import task_labels
from avspnet.errors import CorpusError


def test_ravdess_layout(tmp_path, voice):
    voice(tmp_path / "Actor_01" / "03-01-05-02-01-01-01.wav")
    voice(tmp_path / "Actor_02" / "03-01-02-01-02-01-02.flac")
    voice(tmp_path / "Actor_02" / "not-a-ravdess-name.wav")
    (tmp_path / "Actor_02" / "03-01-01-01-01-01-02.wav").write_bytes(b"RIFF garbage")
    manifest = load_corpus("ravdess", tmp_path)
    assert list(manifest["utt_id"]) == ["ravdess/03-01-02-01-02-01-02", "ravdess/03-01-05-02-01-01-01"]
    calm, angry = manifest.iloc[0], manifest.iloc[1]
    assert (angry["emotion"], angry["arousal"], angry["valence"], angry["emotion4"]) == ("angry", 1, 0, "angry")
    assert (calm["emotion"], calm["arousal"], calm["emotion4"]) == ("calm", 0, "")
    assert calm["speaker"] == "ravdess_02" and calm["raw_gender"] == "female"
    assert calm["transcript"] == "Dogs are sitting by the door"
    assert angry["duration_s"] == pytest.approx(1.2)


def test_casia_layout_with_gb18030_transcripts(tmp_path, voice):
    voice(tmp_path / "wangzhe" / "happy" / "201.flac")
    voice(tmp_path / "wangzhe" / "sad" / "202.wav")
    voice(tmp_path / "wangzhe" / "bored" / "203.wav")
    (tmp_path / "transcripts_201-250.txt").write_bytes("201. 就是下雨也去。\n".encode("gb18030"))
    manifest = load_corpus("casia", tmp_path)
    assert len(manifest) == 2
    happy = manifest.set_index("utt_id").loc["casia/wangzhe/happy/201"]
    assert happy["transcript"] == "就是下雨也去。" and happy["language"] == "zh"
    assert manifest.set_index("utt_id").loc["casia/wangzhe/sad/202", "transcript"] == ""


def test_urdu_layout(tmp_path, voice):
    voice(tmp_path / "Angry" / "SM1_F10_A010.flac")
    voice(tmp_path / "Neutral" / "SF3_F2_N002.wav")
    manifest = load_corpus("urdu", tmp_path)
    assert set(manifest["speaker"]) == {"urdu_SM1", "urdu_SF3"}
    neutral = manifest.set_index("utt_id").loc["urdu/Neutral/SF3_F2_N002"]
    assert neutral["arousal"] == 0 and neutral["valence"] is not None


def test_missing_and_empty_directories(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus("ravdess", tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="empty"):
        load_corpus("casia", tmp_path / "empty")
    with pytest.raises(CorpusError, match="unknown corpus"):
        load_corpus("timit", tmp_path)


def test_label_table_covers_the_paper_tasks():
    assert task_labels("Excited").emotion4 == "happy"
    assert task_labels("fear").arousal == 1
    assert task_labels("neutral").valence is None
    assert task_labels("other") is None
