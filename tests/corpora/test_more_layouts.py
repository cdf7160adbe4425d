"""EmoDB, CREMA-D, IEMOCAP, MSP-Podcast and media loaders on tiny generated layouts."""

import logging

import pandas as pd
import pytest

from avspnet.cli import main
from avspnet.corpora import load_corpus
from avspnet.corpora.labels import split_rating
from avspnet.corpora.manifest import read_manifest
from avspnet.errors import CorpusError


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO, logger="avspnet")
    return caplog


def labels(manifest, utt_id):
    row = manifest.set_index("utt_id").loc[utt_id]
    return row["emotion"], row["arousal"], row["valence"], row["emotion4"]


def test_emodb_layout(tmp_path, voice, logs):
    voice(tmp_path / "wav" / "03a01Fa.wav", seconds=1.0)
    voice(tmp_path / "wav" / "16b10Lb.flac", seconds=1.5)
    voice(tmp_path / "wav" / "08a02Xa.wav")
    voice(tmp_path / "wav" / "readme.wav")
    manifest = load_corpus("emodb", tmp_path)
    assert list(manifest["utt_id"]) == ["emodb/03a01Fa", "emodb/08a02Xa", "emodb/16b10Lb"]
    assert labels(manifest, "emodb/03a01Fa") == ("happy", 1, 1, "happy")
    assert labels(manifest, "emodb/16b10Lb")[:3] == ("boredom", 0, 0)
    unknown = manifest.set_index("utt_id").loc["emodb/08a02Xa"]
    assert unknown["emotion"] == "X" and pd.isna(unknown["arousal"]) and unknown["emotion4"] == ""
    first = manifest.iloc[0]
    assert (first["speaker"], first["group"], first["language"]) == ("emodb_03", "emodb_03", "de")
    assert first["transcript"] == "Der Lappen liegt auf dem Eisschrank." and first["raw_gender"] == "male"
    assert manifest.iloc[2]["duration_s"] == pytest.approx(1.5)
    assert "skipped 1" in logs.text and "'X' 1" in logs.text


def test_cremad_layout(tmp_path, voice, logs):
    voice(tmp_path / "AudioWAV" / "1001_DFA_ANG_XX.wav", seconds=1.0)
    voice(tmp_path / "AudioWAV" / "1091_IOM_SAD_LO.flac", seconds=1.0)
    voice(tmp_path / "AudioWAV" / "1002_TSI_FEA_HI.wav", seconds=1.0)
    voice(tmp_path / "AudioWAV" / "1002_ZZZ_FEA_HI.wav", seconds=1.0)
    (tmp_path / "AudioWAV" / "1076_MTI_SAD_XX.wav").write_bytes(b"")
    (tmp_path / "VideoDemographics.csv").write_text("ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n")
    manifest = load_corpus("crema-d", tmp_path)
    assert len(manifest) == 3 and set(manifest["speaker"]) == {"cremad_1001", "cremad_1002", "cremad_1091"}
    assert labels(manifest, "cremad/1001_DFA_ANG_XX") == ("angry", 1, 0, "angry")
    assert labels(manifest, "cremad/1002_TSI_FEA_HI")[:3] == ("fearful", 1, 0)
    sad = manifest.set_index("utt_id").loc["cremad/1091_IOM_SAD_LO"]
    assert (sad["transcript"], sad["raw_intensity"], sad["raw_gender"]) == ("I'm on my way to the meeting.", "low", "")
    assert manifest.set_index("utt_id").loc["cremad/1001_DFA_ANG_XX", "raw_gender"] == "male"
    assert "skipped 2" in logs.text


EVALUATION = """% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]

[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]
C-E2:\tNeutral;\t()
[10.0 - 11.5]\tSes01F_impro01_F001\texc\t[4.0000, 4.0000, 3.0000]
[12.0 - 13.5]\tSes01F_impro01_F002\tsad\t[2.0000, 1.5000, 2.0000]
[14.0 - 15.5]\tSes01F_impro01_M000\tang\t[1.5000, 4.5000, 4.0000]
[16.0 - 17.5]\tSes01F_impro01_M001\txxx\t[3.5000, 2.5000, 3.0000]
[18.0 - 19.5]\tSes01F_impro01_M002\tfru\t[2.5000, 3.5000, 3.0000]
[20.0 - 21.5]\tSes01F_impro01_M003\tneu\t[broken]
"""


def write_iemocap(root, voice):
    dialog = root / "Session1" / "dialog"
    (dialog / "EmoEvaluation").mkdir(parents=True)
    (dialog / "EmoEvaluation" / "Ses01F_impro01.txt").write_text(EVALUATION)
    (dialog / "transcriptions").mkdir()
    (dialog / "transcriptions" / "Ses01F_impro01.txt").write_text(
        "Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.\nM: [BREATHING]\n")
    for index, turn in enumerate(("F000", "F001", "F002", "M000", "M001", "M002")):
        suffix = ".flac" if turn == "M002" else ".wav"
        voice(root / "Session1" / "sentences" / "wav" / "Ses01F_impro01" / f"Ses01F_impro01_{turn}{suffix}",
              seconds=1.0, seed=index)
    other = root / "Session2" / "dialog" / "EmoEvaluation"
    other.mkdir(parents=True)
    (other / "Ses02M_script01_1.txt").write_text(
        "[1.0 - 2.0]\tSes02M_script01_1_M000\thap\t[3.0000, 2.0000, 2.0000]\n"
        "[3.0 - 4.0]\tSes02M_script01_1_M001\tsad\t[1.0000, 4.0000, 2.0000]\n")
    voice(root / "Session2" / "sentences" / "wav" / "Ses02M_script01_1" / "Ses02M_script01_1_M000.wav", seconds=1.0)


def test_iemocap_speaker_mean_binarisation(tmp_path, voice, logs):
    write_iemocap(tmp_path, voice)
    manifest = load_corpus("iemocap", tmp_path).set_index("utt_id")
    assert len(manifest) == 7
    assert set(manifest["speaker"]) == {"iemocap_Ses01F", "iemocap_Ses01M", "iemocap_Ses02M"}
    assert set(manifest["group"]) == {"iemocap_Ses01", "iemocap_Ses02"}
    # Ses01F means: valence (2.5+4+2)/3 = 2.833, activation (2.5+4+1.5)/3 = 2.667
    f000, f001, f002 = (manifest.loc[f"iemocap/Ses01F_impro01_F00{i}"] for i in range(3))
    assert (f000["arousal"], f000["valence"], f000["emotion"], f000["emotion4"]) == (0, 0, "neutral", "neutral")
    assert (f001["arousal"], f001["valence"], f001["emotion4"], f001["raw_category"]) == (1, 1, "happy", "exc")
    assert (f002["arousal"], f002["valence"], f002["emotion4"]) == (0, 0, "sad")
    # Ses01M means: valence 2.5, activation 3.5; M002 sits on both means -> no label
    m000, m001, m002 = (manifest.loc[f"iemocap/Ses01F_impro01_M00{i}"] for i in range(3))
    assert (m000["arousal"], m000["valence"], m000["emotion4"]) == (1, 0, "angry")
    assert (m001["arousal"], m001["valence"], m001["emotion"], m001["emotion4"]) == (0, 1, "no_agreement", "")
    assert pd.isna(m002["arousal"]) and pd.isna(m002["valence"]) and m002["path"].endswith(".flac")
    # the Ses02M mean (activation 3.0) also counts the turn whose audio is missing
    assert manifest.loc["iemocap/Ses02M_script01_1_M000", "arousal"] == 0
    assert f000["transcript"] == "Excuse me." and f001["transcript"] == ""
    assert (f000["raw_valence"], f000["raw_dialog"], m000["raw_gender"]) == ("2.5000", "Ses01F_impro01", "male")
    assert (m000["arousal_rating"], m000["valence_rating"]) == (4.5, 1.5)  # A and V of [V, A, D], as floats
    assert manifest["arousal_rating"].dtype == "float64" and manifest["arousal_rating"].notna().all()
    assert "skipped 2" in logs.text and "'no_agreement' 1" in logs.text


def test_iemocap_without_evaluations(tmp_path):
    (tmp_path / "Session1").mkdir()
    with pytest.raises(CorpusError, match="EmoEvaluation"):
        load_corpus("iemocap", tmp_path)


def write_msp(root, voice, header="FileName,EmoClass,EmoAct,EmoVal,EmoDom,SpkrID,Gender,Split_Set"):
    (root / "Labels").mkdir(parents=True)
    (root / "Labels" / "labels_consensus.csv").write_text("\n".join([
        header,
        "MSP-PODCAST_0001_0008.wav,H,5.2,6.0,4.4,12,Female,Train",
        "MSP-PODCAST_0001_0009.wav,N,4.0,3.0,4.0,Unknown,Unknown,Development",
        "MSP-PODCAST_0002_0001.wav,X,2.0,4.5,3.0,12,Female,Test1",
        "MSP-PODCAST_0002_0002.wav,A,6.0,2.0,5.0,7,Male,Train",
        "weird_name.wav,A,6.0,2.0,5.0,7,Male,Train",
        "MSP-PODCAST_0003_0001.wav,S,high,2.0,5.0,7,Male,Train",
        "MSP-PODCAST_0003_0002.wav,S,2.0,2.0,5.0,7,Male",
    ]) + "\n")
    for index, name in enumerate(("0001_0008.wav", "0001_0009.flac", "0002_0001.wav")):
        voice(root / "Audios" / f"MSP-PODCAST_{name}", seconds=1.0, seed=index)
    (root / "Transcripts").mkdir()
    (root / "Transcripts" / "MSP-PODCAST_0001_0008.txt").write_text("well I think so\n")


def test_msppodcast_layout(tmp_path, voice, logs):
    write_msp(tmp_path, voice)
    manifest = load_corpus("msp-podcast", tmp_path)
    assert list(manifest["utt_id"]) == [f"msppodcast/MSP-PODCAST_{n}" for n in ("0001_0008", "0001_0009", "0002_0001")]
    assert labels(manifest, "msppodcast/MSP-PODCAST_0001_0008") == ("happy", 1, 1, "happy")
    neutral = manifest.set_index("utt_id").loc["msppodcast/MSP-PODCAST_0001_0009"]
    assert pd.isna(neutral["arousal"]) and neutral["valence"] == 0 and neutral["emotion4"] == "neutral"
    assert neutral["speaker"] == "msppodcast_unknown_0001" and neutral["path"].endswith(".flac")
    assert labels(manifest, "msppodcast/MSP-PODCAST_0002_0001") == ("no_agreement", 0, 1, "")
    assert list(manifest["arousal_rating"]) == [5.2, 4.0, 2.0] and list(manifest["valence_rating"]) == [6.0, 3.0, 4.5]
    assert list(manifest["group"]) == ["msppodcast_0001", "msppodcast_0001", "msppodcast_0002"]
    assert list(manifest["transcript"]) == ["well I think so", "", ""]
    assert manifest.iloc[0][["speaker", "raw_gender", "raw_split"]].tolist() == ["msppodcast_12", "female", "Train"]
    assert "skipped 4" in logs.text and "1 utterances with an unknown speaker" in logs.text


def test_msppodcast_missing_column(tmp_path, voice):
    write_msp(tmp_path, voice, header="FileName,EmoClass,EmoVal,EmoDom,SpkrID,Gender,Split_Set")
    with pytest.raises(CorpusError, match=r"labels_consensus\.csv lacks required column\(s\) EmoAct"):
        load_corpus("msppodcast", tmp_path)


def test_media_csv(tmp_path, voice, logs):
    voice(tmp_path / "audio" / "ep1" / "a.wav", seconds=1.0)
    voice(tmp_path / "audio" / "ep1" / "b.flac", seconds=1.5)
    absolute = voice(tmp_path / "elsewhere" / "c.wav", seconds=1.0)
    (tmp_path / "manifest.csv").write_text("\n".join([
        "audio,transcript,speaker,episode,language,extra",
        "audio/ep1/a.wav,hello there,host,ep1,,x",
        "audio/ep1/b.wav,,guest,ep1,de,x",
        f"{absolute},\"so, anyway\",host,,,x",
        "audio/ep1/missing.wav,lost,host,ep1,,x",
        "audio/ep1/a.wav,no speaker,,ep1,,x",
        "audio/ep1/a.wav,too,many,fields,here,x,y",
    ]) + "\n")
    manifest = load_corpus("media", tmp_path).set_index("utt_id")
    assert list(manifest.index) == ["media/audio/ep1/a", "media/audio/ep1/b", f"media/{str(absolute)[1:-4]}"]
    a, b, c = (manifest.iloc[i] for i in range(3))
    assert (a["speaker"], a["group"], a["language"], a["transcript"]) == ("host", "ep1", "en", "hello there")
    assert (b["language"], b["transcript"], b["duration_s"]) == ("de", "", pytest.approx(1.5))
    assert b["path"].endswith("b.flac") and (c["group"], c["transcript"]) == ("host", "so, anyway")
    assert manifest["arousal"].isna().all() and (manifest["emotion4"] == "").all()
    assert "skipped 3" in logs.text
    assert f"{tmp_path / 'manifest.csv'}:6: empty speaker" in logs.text


def test_media_skips_name_the_file_line(tmp_path, voice, logs):
    voice(tmp_path / "a.wav", seconds=1.0)
    table = tmp_path / "talks.csv"
    table.write_text("audio,transcript,speaker,episode\na.wav,one,two\n\na.wav,,,e\na.wav,,host,e\n")
    assert len(load_corpus("media", table)) == 1
    assert f"{table}:2: malformed table row" in logs.text and f"{table}:4: empty speaker" in logs.text


def test_media_bad_input(tmp_path, voice):
    with pytest.raises(CorpusError, match="manifest CSV not found"):
        load_corpus("media", tmp_path)
    table = tmp_path / "talks.csv"
    table.write_text("path,speaker,episode\nx.wav,a,b\n")
    with pytest.raises(CorpusError, match=r"talks\.csv lacks required column\(s\) audio, transcript"):
        load_corpus("media", table)
    voice(tmp_path / "x.wav", seconds=1.0)
    table.write_text("utt_id,audio,transcript,speaker,episode\nmine,x.wav,,a,b\nmine,x.wav,,a,b\n")
    manifest = load_corpus("media", table)
    assert list(manifest["utt_id"]) == ["mine"]
    table.write_text("audio,transcript,speaker,episode\nnothing.wav,,a,b\n")
    with pytest.raises(CorpusError, match="media: no utterances found.*audio file missing"):
        load_corpus("media", table)


@pytest.mark.parametrize("name", ["emodb", "cremad", "iemocap", "msppodcast"])
def test_missing_directory(tmp_path, name):
    with pytest.raises(CorpusError, match=f"{name}: corpus directory not found"):
        load_corpus(name, tmp_path / "nope")


def test_no_parsable_files_names_the_layout(tmp_path, voice):
    voice(tmp_path / "wav" / "hello.wav", seconds=1.0)
    with pytest.raises(CorpusError, match=r"emodb: no utterances found .*expected wav/03a01Fa\.wav"):
        load_corpus("emodb", tmp_path)


def test_split_rating():
    assert [split_rating(r, 4.0) for r in (4.5, 3.9, 4.0, float("nan"), None)] == [1, 0, None, None, None]


def test_emodb_through_the_cli(tmp_path, voice, capsys):
    voice(tmp_path / "emodb" / "wav" / "03a01Wa.wav", seconds=1.0)
    out = tmp_path / "emodb.csv"
    assert main(["corpus", "emodb", str(tmp_path / "emodb"), "-o", str(out)]) == 0
    assert "| utterances | 1 |" in capsys.readouterr().out
    assert read_manifest(out)["emotion4"].tolist() == ["angry"]
