import json

import pytest

from avspnet.cli import main
from avspnet.corpora.manifest import read_manifest


def test_corpus_then_features(tmp_path, voice, capsys, monkeypatch):
    for actor in (1, 2):
        for emotion in ("01", "05"):
            voice(tmp_path / "rav" / f"Actor_0{actor}" / f"03-01-{emotion}-01-01-01-0{actor}.flac",
                  seconds=2.0, seed=actor * 10 + int(emotion))
    out = tmp_path / "m.csv"
    assert main(["corpus", "ravdess", str(tmp_path / "rav"), "-o", str(out), "--json"]) == 0
    printed = capsys.readouterr().out
    stats = json.loads(printed[: printed.rindex("}") + 1])
    assert stats["utterances"] == 4 and stats["speakers"] == 2 and stats["segments"] == 8
    assert len(read_manifest(out)) == 4
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    assert main(["features", str(out), "--workers", "1"]) == 0
    assert "4/4 utterances cached (4 files computed" in capsys.readouterr().out


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["corpus", "ravdess", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "corpus directory not found" in err
    assert main(["features", str(tmp_path / "nope.csv")]) == 2
    assert "manifest not found" in capsys.readouterr().err


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in ("features", "pretrain", "experiment", "scaling-report"):
        assert name in out


def test_a_command_builds_only_its_own_parser():
    from avspnet.cli import build_parser

    choices = build_parser("features")._subparsers._group_actions[0].choices
    assert list(choices) == ["features"]
    assert "proxy-report" in build_parser("no-such-command")._subparsers._group_actions[0].choices
