"""`avspnet corpus csv`: your own labeled corpus from one CSV, on tiny generated audio."""

import logging

import pandas as pd
import pytest

from avspnet.cli import main
from avspnet.corpora import load_corpus
from avspnet.corpora.manifest import read_manifest
from avspnet.errors import CorpusError


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO, logger="avspnet")
    return caplog


def values(column):
    """A nullable column as a list, missing as None."""
    return [None if pd.isna(value) else value for value in column]


def write_csv(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def clips(tmp_path, voice):
    """clips/a.wav .. d.wav (1 s) and a 6 s recording, beside the CSV's folder."""
    for i, name in enumerate("abcd"):
        voice(tmp_path / "clips" / f"{name}.wav", seconds=1.0, seed=i)
    voice(tmp_path / "long.flac", seconds=6.0)
    return tmp_path


def test_categories_columns_and_windows(clips, logs):
    absolute = clips / "clips" / "d.wav"
    table = write_csv(clips / "labels.csv", [
        "audio,speaker,emotion,transcript,language,start_s,end_s,group,notes",
        "clips/a.wav,ann,Calm,hello there,,,,,x",
        "clips/b.wav,ann,fear,,de,,,,x",
        "clips/c.wav,bob,surprised,,,,,studio,x",
        f"{absolute},bob,sarcastic,,,,,,x",
        "long.flac,cy,happy,,,1.5,4,ep1,x",
        "long.flac,cy,angry,,,4,,ep1,x",
        "clips/missing.wav,bob,sad,,,,,,x",
    ])
    manifest = load_corpus("csv", table).set_index("utt_id")
    assert sorted(manifest.index) == sorted(["csv/clips/a", "csv/clips/b", "csv/clips/c", f"csv/{str(absolute)[1:-4]}",
                                             "csv/long@1.5-4", "csv/long@4-end"])
    columns = ["emotion", "arousal", "valence", "emotion4", "raw_emotion"]
    assert manifest.loc["csv/clips/a", columns].tolist() == ["calm", 0, 1, "", "Calm"]
    assert manifest.loc["csv/clips/b", columns].tolist() == ["fearful", 1, 0, "", "fear"]
    assert manifest.loc["csv/clips/c", columns].tolist() == ["surprised", 1, 1, "", "surprised"]
    unknown = manifest.loc[f"csv/{str(absolute)[1:-4]}"]
    assert unknown["emotion"] == "sarcastic" and pd.isna(unknown["arousal"]) and pd.isna(unknown["valence"])
    a, b, c = (manifest.loc[f"csv/clips/{n}"] for n in "abc")
    assert (a["speaker"], a["group"], a["language"], a["transcript"]) == ("ann", "ann", "en", "hello there")
    assert (b["language"], c["group"], c["duration_s"]) == ("de", "studio", pytest.approx(1.0))
    happy, angry = manifest.loc["csv/long@1.5-4"], manifest.loc["csv/long@4-end"]
    assert (happy["start_s"], happy["end_s"], happy["duration_s"], happy["group"]) == (1.5, 4.0, 2.5, "ep1")
    assert angry["start_s"] == 4.0 and pd.isna(angry["end_s"]) and angry["duration_s"] == pytest.approx(2.0)
    assert pd.isna(a["start_s"]) and pd.isna(a["end_s"])
    assert "categories outside every task (kept, unlabelled): 'sarcastic' 1" in logs.text
    assert "1 of 6 utterances carry no task label" in logs.text
    assert f"{table}:8: audio file missing" in logs.text and "skipped 1 (1 audio file missing)" in logs.text


def test_ratings_split_by_a_stated_threshold(clips, logs):
    table = write_csv(clips / "labels.csv", [
        "audio,speaker,arousal,valence",
        "clips/a.wav,ann,4.5,high",
        "clips/b.wav,ann,3,",
        "clips/c.wav,bob,1.5,",
        "clips/d.wav,bob,,high",
    ])
    with pytest.raises(CorpusError, match=r"valence 'high' \(neither positive / negative nor a number\)"):
        load_corpus("csv", table, threshold=3)
    table.write_text(table.read_text().replace(",high", ",positive"))
    with pytest.raises(CorpusError, match=r"arousal holds numeric ratings \(e.g. '4.5' on line 2\); say where to "
                                          r"split them: --threshold X or --split speaker-mean"):
        load_corpus("csv", table)
    manifest = load_corpus("csv", table, threshold=3).set_index("utt_id")
    assert values(manifest["arousal"]) == [1, None, 0, None]
    assert values(manifest["valence"]) == [1, None, None, 1]
    assert manifest["raw_arousal"].tolist() == ["4.5", "3", "1.5", ""]
    assert manifest["raw_arousal_split"].tolist() == ["threshold 3", "threshold 3", "threshold 3", ""]
    assert (manifest["raw_valence_split"] == "").all() and (manifest["emotion"] == "").all()
    assert "arousal ratings -> 1 above / 0 below threshold 3; a rating equal to it gets no label" in logs.text


def test_ratings_split_by_each_speakers_mean(clips):
    table = write_csv(clips / "labels.csv", [
        "audio,speaker,emotion,valence",
        "clips/a.wav,ann,happy,2",
        "clips/b.wav,ann,happy,4",
        "clips/c.wav,bob,sad,6",
        "clips/d.wav,bob,sad,7",
        "long.flac,bob,sad,8",
    ])
    manifest = load_corpus("csv", table, split="speaker-mean")
    assert values(manifest["valence"]) == [0, 1, 0, None, 1]
    assert manifest["raw_valence_split"].tolist() == ["speaker mean 3"] * 2 + ["speaker mean 7"] * 3
    assert values(manifest["arousal"]) == [1, 1, 0, 0, 0] and manifest["emotion4"].tolist() == ["happy"] * 2 + ["sad"] * 3


def test_binary_columns_need_no_rule(clips):
    table = write_csv(clips / "labels.csv", ["audio,speaker,arousal,valence", "clips/a.wav,ann,1,0",
                                             "clips/b.wav,ann,Low,Positive", "clips/c.wav,bob,0,"])
    manifest = load_corpus("csv", table)
    assert values(manifest["arousal"]) == [1, 0, 0] and values(manifest["valence"]) == [0, 1, None]
    with pytest.raises(CorpusError, match=r"a rating rule \(threshold 0.5\) was given but there are no numeric"):
        load_corpus("csv", write_csv(clips / "words.csv", ["audio,speaker,arousal", "clips/a.wav,ann,high"]),
                    threshold=0.5)


def test_bad_values_are_named_by_line_in_one_error(clips):
    table = write_csv(clips / "labels.csv", [
        "audio,speaker,emotion,arousal,start_s,end_s",
        "clips/a.wav,ann,happy,high,,",
        "clips/b.wav,,happy,high,,",
        "clips/c.wav,bob,sad,loud,,",
        "long.flac,bob,sad,low,two,",
        "long.flac,bob,sad,low,3,2",
        "long.flac,bob,sad,low,1,9",
        "clips/a.wav,ann,happy,high,,",
        "long.flac,bob,sad,low,-1,",
    ])
    with pytest.raises(CorpusError) as error:
        load_corpus("csv", table)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"csv: {table}: 7 bad value(s): line 3 speaker '' (empty); "
                                                       "line 4 arousal 'loud' (neither high / low nor a number)")
    for part in ("line 5 start_s 'two' (not a number >= 0)",
                 "line 6 end_s '2' (not a number after start_s)", "line 7 end_s '9' (outside the 6.00 s file)",
                 "and 2 more"):
        assert part in message
    assert "line 8" not in message and "line 2 " not in message


def test_layout_mistakes_are_named(clips):
    with pytest.raises(CorpusError, match="csv: manifest CSV not found"):
        load_corpus("csv", clips / "none.csv")
    table = write_csv(clips / "labels.csv", ["audio,speaker,mood", "clips/a.wav,ann,happy"])
    with pytest.raises(CorpusError, match="has no label column: it needs emotion and/or arousal/valence"):
        load_corpus("csv", table)
    write_csv(table, ["audio,emotion", "clips/a.wav,happy"])
    with pytest.raises(CorpusError, match=r"lacks required column\(s\) speaker"):
        load_corpus("csv", table)
    write_csv(table, ["audio,speaker,emotion", "clips/a.wav,ann,sarcastic"])
    with pytest.raises(CorpusError, match=r"no row carries a task label \(categories outside the table: sarcastic"):
        load_corpus("csv", table)
    with pytest.raises(CorpusError, match="corpus ravdess: takes no option"):
        load_corpus("ravdess", clips, threshold=3)
    with pytest.raises(CorpusError, match="not both"):
        load_corpus("csv", table, threshold=3, split="speaker-mean")


def test_cli_writes_a_manifest_that_reads_back(clips, capsys):
    table = write_csv(clips / "labels.csv", ["audio,speaker,emotion,arousal", "clips/a.wav,ann,happy,4",
                                             "clips/b.wav,bob,sad,2"])
    out = clips / "m.csv"
    assert main(["corpus", "csv", str(table), "--threshold", "3", "-o", str(out)]) == 0
    assert "| utterances | 2 |" in capsys.readouterr().out
    manifest = read_manifest(out)
    assert values(manifest["arousal"]) == [1, 0] and manifest["raw_arousal_split"].tolist() == ["threshold 3"] * 2
    assert main(["corpus", "csv", str(table), "-o", str(out)]) == 2
    assert "csv: " in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["corpus", "csv", str(table), "--threshold", "3", "--split", "speaker-mean"])


def test_from_a_csv_to_table3_in_three_commands(tmp_path, voice, capsys, monkeypatch):
    """The README's path: corpus csv -> an experiment YAML -> avspnet experiment (a baseline front-end)."""
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    lines = ["audio,speaker,emotion"]
    for s, speaker in enumerate(("ann", "bob", "cy", "dee")):
        for k, (emotion, f0, level) in enumerate([("angry", 260, 0.5), ("calm", 110, 0.08)] * 2):
            voice(tmp_path / "corpus" / f"{speaker}{k}.wav", seconds=1.0, f0=f0 + 7 * s, level=level, seed=k)
            lines.append(f"{speaker}{k}.wav,{speaker},{emotion}")
    write_csv(tmp_path / "corpus" / "labels.csv", lines)
    assert main(["corpus", "csv", str(tmp_path / "corpus" / "labels.csv"), "-o", str(tmp_path / "m.csv")]) == 0
    (tmp_path / "exp.yaml").write_text(f"name: mine\ntarget: {{manifest: {tmp_path / 'm.csv'}}}\nbackground: []\n"
                                       "frontends: [logmel-stats]\ntasks: [arousal]\nfractions: [1.0]\nn_folds: 2\n"
                                       "workers: 1\nexport_models: false\n")
    assert main(["experiment", str(tmp_path / "exp.yaml"), "-o", str(tmp_path / "run"), "--quiet"]) == 0
    assert "| logmel-stats |" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "run" / "table3.csv")) == 1
    assert (tmp_path / "run" / "report.html").stat().st_size > 0
