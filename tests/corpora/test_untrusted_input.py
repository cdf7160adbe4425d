"""Files others made are read as they say or refused in one line: numbers, windows, labels, encodings, paths."""

import logging

import pandas as pd
import pytest

from avspnet.cli import main
from avspnet.corpora import load_corpus
from avspnet.corpora.manifest import make_manifest, read_manifest
from avspnet.errors import ConfigError, CorpusError
from avspnet.proxy.store import read_proxy

HEADER = "utt_id,path,speaker,duration_s,start_s,end_s,emotion,arousal,valence,emotion4\n"
GOOD = "u1,/x/long.flac,s,1.0,0.5,1.5,happy,1,1,happy\n"


def _manifest(tmp_path, row, name="m.csv"):
    path = tmp_path / name
    path.write_text(HEADER + GOOD + row + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("row", "column", "value"), [
    ("u2,/x/long.flac,s,1.0,\"0,956\",2.0,,,,", "start_s", "0,956"),
    ("u2,/x/long.flac,s,1.0,0;956,2.0,,,,", "start_s", "0;956"),
    ("u2,/x/long.flac,s,1.0,-1,2.0,,,,", "start_s", "-1"),
    ("u2,/x/long.flac,s,1.0,nan,2.0,,,,", "start_s", "nan"),
    ("u2,/x/long.flac,s,1.0,1.0,2 s,,,,", "end_s", "2 s"),
    ("u2,/x/long.flac,s,\"1,5\",,,,,,", "duration_s", "1,5"),
    ("u2,/x/long.flac,s,-2,,,,,,", "duration_s", "-2"),
    ("u2,/x/long.flac,s,inf,,,,,,", "duration_s", "inf"),
])
def test_a_number_that_does_not_parse_is_an_error_naming_file_row_and_value(tmp_path, row, column, value):
    """It used to become NaN: a window that does not parse read the whole file."""
    path = _manifest(tmp_path, row)
    with pytest.raises(CorpusError, match=rf"m\.csv: {column} .*'{value}' \(row u2\)"):
        read_manifest(path)


@pytest.mark.parametrize("window", ["2.0,1.0", "1.5,1.5"])
def test_a_window_that_does_not_end_after_it_starts_is_an_error(tmp_path, window):
    path = _manifest(tmp_path, f"u2,/x/long.flac,s,1.0,{window},,,,")
    with pytest.raises(CorpusError, match=r"m\.csv: window does not end after it starts.*\(row u2\)"):
        read_manifest(path)


def test_features_refuses_a_bad_window_in_one_line(tmp_path, capsys):
    path = _manifest(tmp_path, "u2,/x/long.flac,s,1.0,0;956,2.0,,,,", name="BADWIN.csv")
    assert main(["features", str(path), "--cache-dir", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "BADWIN.csv" in err and "u2" in err and "0;956" in err


@pytest.mark.parametrize("column", ["arousal", "valence"])
def test_gold_binary_labels_other_than_0_1_are_named_with_their_rows(tmp_path, column):
    """`1x` and `high` used to vanish (no label), `2` and `0.5` became classes of their own."""
    rows = [f"u{i},/x/{i}.wav,s,1.0,,,,{{a}},{{v}}," for i in range(2, 7)]
    values = ["1x", "high", "2", "0.5", "high"]
    text = "\n".join(row.format(a=v if column == "arousal" else 1, v=v if column == "valence" else 0)
                     for row, v in zip(rows, values))
    path = _manifest(tmp_path, text)
    with pytest.raises(CorpusError) as caught:
        read_manifest(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {column} is not 0 or 1") and "\n" not in message
    assert "'1x' (row u2)" in message and "'high' (rows u3, u6)" in message and "'2' (row u4)" in message
    assert "1 more values" in message


def test_labels_0_and_1_in_any_numeric_spelling_are_kept(tmp_path):
    path = _manifest(tmp_path, "u2,/x/2.wav,s,1.0,,,,1.0,0.0,\nu3,/x/3.wav,s,1.0,,, ,,,")
    manifest = read_manifest(path).set_index("utt_id")
    assert manifest.loc["u2", ["arousal", "valence"]].tolist() == [1, 0]
    assert pd.isna(manifest.loc["u3", "arousal"])


def test_emotion4_outside_its_classes_names_values_and_rows():
    rows = [{"utt_id": f"u{i}", "path": "/x.wav", "speaker": "s", "emotion4": value}
            for i, value in enumerate(["happy", "fearful", "Happy", "fearful"])]
    with pytest.raises(CorpusError, match=r"emotion4 is not one of .*'fearful' \(rows u1, u3\); 'Happy' \(row u2\)"):
        make_manifest(rows, source="corpus.csv")


def test_emotion_spellings_map_to_the_table_and_others_are_logged(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="avspnet")
    path = _manifest(tmp_path, "u2,/x/2.wav,s,1.0,,,Anger,,,\nu3,/x/3.wav,s,1.0,,,hapy,,,")
    manifest = read_manifest(path).set_index("utt_id")
    assert manifest["emotion"].tolist() == ["happy", "angry", "hapy"]
    assert "'hapy' 1" in caplog.text and "m.csv" in caplog.text


LATIN1 = b"audio,transcript,speaker,episode\na.wav,\xdcber na\xefve M\xfcller,M\xfcller,\xe9pisode1\n"


def test_latin1_media_csv_is_refused_naming_file_and_byte(tmp_path, voice, capsys):
    """It used to decode as GB18030 without a word: `Über` -> `躡er`."""
    voice(tmp_path / "a.wav")
    (tmp_path / "names.csv").write_bytes(LATIN1)
    assert main(["corpus", "media", str(tmp_path / "names.csv"), "-o", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "names.csv is not UTF-8" in err
    assert "byte 0xdc at offset 39, line 2" in err and "--encoding" in err


def test_declared_encoding_reads_the_names_with_a_warning(tmp_path, voice, caplog):
    voice(tmp_path / "a.wav")
    (tmp_path / "names.csv").write_bytes(LATIN1)
    out = tmp_path / "out.csv"
    assert main(["corpus", "media", str(tmp_path / "names.csv"), "-o", str(out), "--encoding", "latin-1"]) == 0
    row = read_manifest(out).iloc[0]
    assert (row["speaker"], row["transcript"], row["group"]) == ("Müller", "Über naïve Müller", "épisode1")
    warning = next(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "names.csv is not UTF-8" in warning and "read as iso8859-1" in warning


def test_an_unknown_encoding_name_is_one_line(tmp_path, voice, capsys):
    voice(tmp_path / "a.wav")
    (tmp_path / "names.csv").write_bytes(LATIN1)
    assert main(["corpus", "media", str(tmp_path / "names.csv"), "--encoding", "latin-42"]) == 2
    assert "unknown text encoding 'latin-42'" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        load_corpus("media", tmp_path / "names.csv", encoding="klingon")


def test_utf8_with_a_bom_reads_as_utf8_everywhere(tmp_path):
    """A BOM used to become part of the manifest's first column name ("lacks required column utt_id")."""
    path = tmp_path / "m.csv"
    path.write_bytes(("\ufeff" + HEADER + GOOD.replace("happy,1", "happy,1", 1)).encode("utf-8"))
    assert read_manifest(path)["utt_id"].tolist() == ["u1"]
    proxy = tmp_path / "m.proxy.csv"
    proxy.write_bytes("\ufeffutt_id,proxy_arousal,proxy_valence\nu1,1,\n".encode("utf-8"))
    assert read_proxy(proxy)["proxy_arousal"].tolist() == [1]


def test_latin1_manifest_and_proxy_csv_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(HEADER.encode() + b"M\xfcller,/x.wav,s,,,,,,,\n")
    with pytest.raises(CorpusError, match=r"m\.csv is not UTF-8 text \(byte 0xfc at offset \d+, line 2\)"):
        read_manifest(path)
    proxy = tmp_path / "m.proxy.csv"
    proxy.write_bytes(b"utt_id,proxy_arousal,proxy_valence\nM\xfcller,1,\n")
    with pytest.raises(CorpusError, match=r"m\.proxy\.csv is not UTF-8 text"):
        read_proxy(proxy)


def test_casia_gb18030_transcripts_are_read_with_a_warning_naming_the_file(tmp_path, voice, caplog):
    voice(tmp_path / "wangzhe" / "happy" / "201.wav")
    (tmp_path / "transcripts.txt").write_bytes("201. 就是下雨也去。\n".encode("gb18030"))
    assert load_corpus("casia", tmp_path)["transcript"].tolist() == ["就是下雨也去。"]
    assert "transcripts.txt is not UTF-8" in caplog.text and "read as gb18030" in caplog.text


def test_kaldi_tables_that_are_not_utf8_are_refused(tmp_path, voice):
    voice(tmp_path / "a.wav")
    folder = tmp_path / "train"
    folder.mkdir()
    (folder / "wav.scp").write_text("u1 a.wav\n")
    (folder / "utt2spk").write_bytes(b"u1 M\xfcller\n")
    with pytest.raises(CorpusError, match=r"kaldi: .*utt2spk is not UTF-8 text"):
        load_corpus("kaldi", folder)
    assert load_corpus("kaldi", folder, encoding="cp1252")["speaker"].tolist() == ["Müller"]


def _kaldi_segments(tmp_path, voice, line):
    voice(tmp_path / "audio" / "rec1.wav", seconds=4.0)
    folder = tmp_path / "data" / "dev"
    folder.mkdir(parents=True)
    (folder / "wav.scp").write_text("rec1 audio/rec1.wav\n")
    (folder / "segments").write_text(f"seg1 rec1 0.5 1.5\n{line}\n")
    (folder / "utt2spk").write_text("seg1 a\nseg2 a\n")
    return folder


@pytest.mark.parametrize(("line", "problem"), [
    ("seg2 rec1 2.0 1.0", "does not end after it starts"),
    ("seg2 rec1 2.0 2.0", "does not end after it starts"),
    ("seg2 rec1 -0.5 1.0", "starts before 0"),
    ("seg2 rec1 4.0 5.0", "starts at or past the end of its recording"),
    ("seg2 rec1 9.0 -1", "starts at or past the end of its recording"),
    ("seg2 rec1 1.0 6.0", "ends past the end of its recording"),
    ("seg2 rec1 0,5 1,5", "is not two numbers of seconds"),
])
def test_kaldi_segments_outside_their_recording_are_refused_naming_the_line(tmp_path, voice, line, problem):
    folder = _kaldi_segments(tmp_path, voice, line)
    with pytest.raises(CorpusError, match=rf"kaldi: .*segments:2: window .*{problem}"):
        load_corpus("kaldi", folder)


def test_kaldi_segment_a_little_past_the_end_is_the_recordings_end(tmp_path, voice):
    """Kaldi's extract-segments takes up to 0.5 s of overshoot; the duration is what can be read."""
    manifest = load_corpus("kaldi", _kaldi_segments(tmp_path, voice, "seg2 rec1 3.0 4.3")).set_index("utt_id")
    assert manifest.loc["kaldi/seg2", "duration_s"] == pytest.approx(1.0)


def test_kaldi_bad_segment_through_the_cli_is_one_line(tmp_path, voice, capsys):
    folder = _kaldi_segments(tmp_path, voice, "seg2 rec1 2.0 1.0")
    assert main(["corpus", "kaldi", str(folder), "-o", str(tmp_path / "k.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "segments:2" in err and "2.0 1.0" in err


@pytest.mark.parametrize("clip", ["../outside.wav", "clips/../../outside.wav", "ABSOLUTE"])
def test_commonvoice_path_leaving_clips_is_refused(tmp_path, voice, clip):
    outside = voice(tmp_path / "en" / "outside.wav")
    voice(tmp_path / "en" / "clips" / "a.wav")
    clip = str(outside) if clip == "ABSOLUTE" else clip
    (tmp_path / "en" / "validated.tsv").write_text(f"client_id\tpath\tsentence\nx\ta.wav\thi\ny\t{clip}\tho\n")
    with pytest.raises(CorpusError, match=r"commonvoice: .*validated\.tsv:3: path .* leads out of .*clips"):
        load_corpus("commonvoice", tmp_path / "en")


def test_ljspeech_id_leaving_wavs_is_refused(tmp_path, voice):
    voice(tmp_path / "wavs" / "LJ001-0001.wav")
    voice(tmp_path / "stolen.wav")
    (tmp_path / "metadata.csv").write_text("LJ001-0001|a|a\n../stolen|b|b\n")
    with pytest.raises(CorpusError, match=r"ljspeech: .*metadata\.csv:2: path '\.\./stolen\.wav' leads out of"):
        load_corpus("ljspeech", tmp_path)


def test_iemocap_turn_leaving_its_session_is_refused(tmp_path, voice):
    turn = "Ses01F_x/../../../../../elsewhere/Ses01F_y_F000"
    evaluations = tmp_path / "Session1" / "dialog" / "EmoEvaluation"
    evaluations.mkdir(parents=True)
    (evaluations / "Ses01F_x.txt").write_text(f"[1.0 - 2.0]\t{turn}\tneu\t[2.0, 2.0, 2.0]\n")
    with pytest.raises(CorpusError, match=r"iemocap: turn .* leads out of"):
        load_corpus("iemocap", tmp_path)


def test_msppodcast_rating_off_its_scale_is_a_skip_naming_the_values(tmp_path, voice, caplog):
    (tmp_path / "Labels").mkdir()
    (tmp_path / "Labels" / "labels_consensus.csv").write_text(
        "FileName,EmoClass,EmoAct,EmoVal,SpkrID\nMSP-PODCAST_0001_0001.wav,H,5.0,6.0,1\n"
        "MSP-PODCAST_0001_0002.wav,H,55,6.0,1\n")
    for name in ("0001_0001", "0001_0002"):
        voice(tmp_path / "Audios" / f"MSP-PODCAST_{name}.wav")
    assert len(load_corpus("msppodcast", tmp_path)) == 1
    assert "MSP-PODCAST_0001_0002.wav (EmoAct '55', EmoVal '6.0')" in caplog.text


def test_a_config_that_is_not_utf8_is_one_line(tmp_path, capsys):
    (tmp_path / "c.yaml").write_bytes(b"name: M\xfcller\n")
    assert main(["experiment", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "c.yaml is not UTF-8 text (byte 0xfc at offset 7)" in err
