"""Common Voice, Kaldi, LJ Speech and ASED loaders on tiny generated layouts in their native formats."""

import logging

import pandas as pd
import pytest

from avspnet.cli import main
from avspnet.corpora import load_corpus
from avspnet.errors import CorpusError

CV_HEADER = "client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccents\tlocale\tsegment\n"


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO, logger="avspnet")
    return caplog


def cv_row(client, clip, sentence, locale="zh-CN"):
    return f"{client}\t{clip}\t{sentence}\t2\t0\ttwenties\tfemale\t\t{locale}\t\n"


@pytest.fixture
def commonvoice(tmp_path, voice):
    """A zh-CN locale folder: 3 validated clips (MP3 and WAV), 1 invalidated, and bad rows."""
    root = tmp_path / "zh-CN"
    voice(root / "clips" / "common_voice_zh-CN_1.mp3", seconds=1.5, sample_rate=48000)
    voice(root / "clips" / "common_voice_zh-CN_2.mp3", seconds=1.0, sample_rate=48000)
    voice(root / "clips" / "common_voice_zh-CN_3.wav", seconds=1.0)
    voice(root / "clips" / "common_voice_zh-CN_4.mp3", seconds=2.0, sample_rate=48000)
    (root / "validated.tsv").write_text(
        CV_HEADER + cv_row("aaa", "common_voice_zh-CN_1.mp3", '我很"高兴"。')
        + cv_row("aaa", "common_voice_zh-CN_2.mp3", "") + cv_row("bbb", "common_voice_zh-CN_3.wav", "你好")
        + cv_row("ccc", "common_voice_zh-CN_9.mp3", "缺了") + cv_row("", "common_voice_zh-CN_1.mp3", "无名")
        + "ddd\tonly-two-fields\n", encoding="utf-8")
    (root / "invalidated.tsv").write_text(
        CV_HEADER + cv_row("ddd", "common_voice_zh-CN_4.mp3", "不好") + cv_row("aaa", "common_voice_zh-CN_1.mp3", "重复"),
        encoding="utf-8")
    return root


def test_commonvoice_validated(commonvoice, logs):
    manifest = load_corpus("commonvoice", commonvoice).set_index("utt_id")
    assert list(manifest.index) == [f"commonvoice/zh-CN/common_voice_zh-CN_{n}" for n in (1, 2, 3)]
    first = manifest.loc["commonvoice/zh-CN/common_voice_zh-CN_1"]
    assert (first["speaker"], first["group"], first["language"], first["raw_locale"]) == ("aaa", "aaa", "zh", "zh-CN")
    assert first["transcript"] == '我很"高兴"。' and first["raw_tsv"] == "validated" and first["raw_age"] == "twenties"
    assert first["duration_s"] == pytest.approx(1.5, abs=0.01)
    assert manifest.loc["commonvoice/zh-CN/common_voice_zh-CN_2", "transcript"] == ""
    assert "skipped 3" in logs.text and "1 clips with an empty sentence kept" in logs.text
    assert "common_voice_zh-CN_9" not in " ".join(manifest["path"])


def test_commonvoice_all_adds_invalidated(commonvoice, logs):
    manifest = load_corpus("commonvoice-all", commonvoice)
    assert len(manifest) == 4 and manifest["speaker"].nunique() == 3
    assert manifest.set_index("utt_id").loc["commonvoice/zh-CN/common_voice_zh-CN_4", "raw_tsv"] == "invalidated"
    assert "1 clip listed twice" in logs.text


def test_commonvoice_locale_from_folder_and_several_locales(tmp_path, voice):
    en = tmp_path / "cv" / "en"
    voice(en / "clips" / "a.wav", seconds=1.0)
    (en / "validated.tsv").write_text("client_id\tpath\tsentence\nxyz\ta.wav\tGood morning\n")
    manifest = load_corpus("commonvoice", tmp_path / "cv")
    assert manifest[["utt_id", "language", "raw_locale"]].values.tolist() == [["commonvoice/en/a", "en", "en"]]


def test_commonvoice_bad_input(tmp_path, voice):
    voice(tmp_path / "en" / "clips" / "a.wav")
    with pytest.raises(CorpusError, match=r"commonvoice: table not found: .*en/validated\.tsv"):
        load_corpus("commonvoice", tmp_path / "en")
    (tmp_path / "en" / "validated.tsv").write_text("client_id\tsentence\nx\ty\n")
    with pytest.raises(CorpusError, match=r"validated\.tsv lacks required column\(s\) path"):
        load_corpus("commonvoice", tmp_path / "en")


def write_kaldi(folder, entries):
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in entries.items():
        (folder / name).write_text("".join(f"{line}\n" for line in lines))


def test_kaldi_root_with_two_data_dirs(tmp_path, voice, logs):
    voice(tmp_path / "WAVE" / "S1" / "u1.WAV", seconds=1.0)
    voice(tmp_path / "WAVE" / "S1" / "u2.WAV", seconds=1.5)
    voice(tmp_path / "WAVE" / "S2" / "u3.WAV", seconds=1.0)
    write_kaldi(tmp_path / "train", {
        "wav.scp": ["u1 WAVE/S1/u1.WAV", "u2 WAVE/S1/u2.WAV", "u9 WAVE/S1/missing.WAV"],
        "text": ["u1 WE CALL IT BEAR", "u2 你好", "u7 NOT IN WAV SCP"],
        "utt2spk": ["u1 0001", "u2 0001"], "spk2gender": ["0001 m"]})
    write_kaldi(tmp_path / "test", {"wav.scp": [f"u3 {tmp_path / 'WAVE/S2/u3.WAV'}"], "utt2spk": ["u3 0002"]})
    manifest = load_corpus("kaldi", tmp_path).set_index("utt_id")
    assert list(manifest.index) == ["kaldi/u1", "kaldi/u2", "kaldi/u3"]
    assert manifest["speaker"].tolist() == ["0001", "0001", "0002"] and manifest["group"].tolist() == ["0001", "0001", "0002"]
    assert manifest.loc["kaldi/u1", ["transcript", "language", "raw_gender", "raw_data_dir"]].tolist() == [
        "WE CALL IT BEAR", "en", "m", "train"]
    assert manifest.loc["kaldi/u2", "language"] == "zh" and manifest.loc["kaldi/u3", "transcript"] == ""
    assert manifest["start_s"].isna().all() and manifest.loc["kaldi/u2", "duration_s"] == pytest.approx(1.5)
    assert "skipped 2" in logs.text and "text u7: text line without a wav.scp" in logs.text
    assert len(load_corpus("kaldi", tmp_path / "test")) == 1


def test_kaldi_segments_become_windows(tmp_path, voice, logs):
    voice(tmp_path / "audio" / "rec1.wav", seconds=4.0)
    write_kaldi(tmp_path / "data" / "dev", {
        "wav.scp": ["rec1 audio/rec1.wav"],
        "segments": ["seg1 rec1 0.50 1.75", "seg2 rec1 2.0 -1", "seg3 nope 0 1", "seg4 rec1 0.5"],
        "utt2spk": ["seg1 spkA", "seg2 spkB", "seg3 spkA"], "text": ["seg1 hello there", "seg2 bye"]})
    manifest = load_corpus("kaldi", tmp_path / "data").set_index("utt_id")
    assert list(manifest.index) == ["kaldi/seg1", "kaldi/seg2"]
    seg1, seg2 = manifest.loc["kaldi/seg1"], manifest.loc["kaldi/seg2"]
    assert (seg1["start_s"], seg1["end_s"], seg1["duration_s"], seg1["group"]) == (0.5, 1.75, 1.25, "rec1")
    assert seg2["start_s"] == 2.0 and pd.isna(seg2["end_s"]) and seg2["duration_s"] == pytest.approx(2.0)
    assert "recording not in wav.scp" in logs.text and "segments line is not" in logs.text


def test_kaldi_refuses_piped_wav_scp(tmp_path, capsys):
    write_kaldi(tmp_path / "train", {"wav.scp": ["u1 sox in.flac -t wav - |"], "utt2spk": ["u1 s"]})
    assert main(["corpus", "kaldi", str(tmp_path / "train"), "-o", str(tmp_path / "k.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "wav.scp" in err and "piped command" in err


def test_kaldi_bad_input(tmp_path, voice):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CorpusError, match=r"kaldi: table not found: .*wav\.scp"):
        load_corpus("kaldi", tmp_path)
    voice(tmp_path / "a.wav")
    write_kaldi(tmp_path / "d", {"wav.scp": ["u1 a.wav"]})
    with pytest.raises(CorpusError, match=r"kaldi: table not found: .*d/utt2spk"):
        load_corpus("kaldi", tmp_path)


def test_ljspeech_layout(tmp_path, voice, logs):
    voice(tmp_path / "wavs" / "LJ001-0001.wav", seconds=1.0)
    voice(tmp_path / "wavs" / "LJ002-0003.wav", seconds=1.2)
    (tmp_path / "metadata.csv").write_text(
        'LJ001-0001|Printing, in 1 sense|Printing, in one sense\n'
        'LJ002-0003|He said "no|He said "no\n'
        'LJ003-0001|missing clip|missing clip\nbroken line\n', encoding="utf-8")
    manifest = load_corpus("ljspeech", tmp_path).set_index("utt_id")
    assert list(manifest.index) == ["ljspeech/LJ001-0001", "ljspeech/LJ002-0003"]
    first = manifest.loc["ljspeech/LJ001-0001"]
    assert (first["transcript"], first["raw_text"], first["speaker"], first["group"]) == (
        "Printing, in one sense", "Printing, in 1 sense", "ljspeech", "ljspeech_LJ001")
    assert manifest.loc["ljspeech/LJ002-0003", "transcript"] == 'He said "no'
    assert "skipped 2" in logs.text
    (tmp_path / "metadata.csv").unlink()
    with pytest.raises(CorpusError, match=r"ljspeech: table not found: .*metadata\.csv"):
        load_corpus("ljspeech", tmp_path)


def test_ased_layout_and_sentence_identity(tmp_path, voice, logs):
    names = ["01Neutral/n1-01-01-01-01", "02Fearful/f2-01-01-02-02", "02Fearful/f2-03-01-02-02",
             "05Angry/a5-03-02-01-01", "04Sad/S4-04-02-01-29", "04Sad/a5-03-01-01-01", "04Sad/s4-09-01-01-01"]
    for name in names:
        voice(tmp_path / f"{name}.wav", seconds=1.0)
    manifest = load_corpus("ased", tmp_path).set_index("utt_id")
    assert len(manifest) == 5 and manifest["speaker"].nunique() == 3
    fearful = manifest.loc["ased/f2-03-01-02-02"]
    assert (fearful["emotion"], fearful["arousal"], fearful["valence"], fearful["emotion4"]) == ("fearful", 1, 0, "")
    assert (fearful["speaker"], fearful["raw_gender"], fearful["raw_repetition"]) == ("ased_02", "male", "01")
    sentences = manifest["raw_sentence"].to_dict()
    assert sentences["ased/n1-01-01-01-01"] == sentences["ased/f2-01-01-02-02"] == "common01"
    assert sentences["ased/f2-03-01-02-02"] != sentences["ased/a5-03-02-01-01"]
    assert manifest.loc["ased/S4-04-02-01-29", ["emotion4", "raw_sentence"]].tolist() == ["sad", "sad04"]
    assert "skipped 2" in logs.text and "folder disagree" in logs.text


def test_new_loaders_reject_missing_directories(tmp_path):
    for name in ("commonvoice", "commonvoice-all", "kaldi", "ljspeech", "ased"):
        with pytest.raises(CorpusError, match="corpus directory not found"):
            load_corpus(name, tmp_path / "nope")
