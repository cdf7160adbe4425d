"""Every command's paths: an unusable cache or output, or a folder where a file belongs, is one line naming it."""

import json
from pathlib import Path

import pytest

from avspnet.cli import build_parser, main
from avspnet.corpora.manifest import make_manifest, write_manifest
from test_hardening import _saved_model

CONFIG = "name: t\ntarget: {manifest: m.csv}\nbackground: []\nfrontends: [logmel-stats]\n"


def _commands() -> dict[str, set[str]]:
    """Each command's option strings and positional names."""
    subparsers = build_parser()._subparsers._group_actions[0].choices
    return {name: {o for a in parser._actions for o in (a.option_strings or [a.dest])}
            for name, parser in subparsers.items()}


def _one_line_error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"avspnet {argv[0]}: error: ") and "Traceback" not in err, err
    return err


def _manifest(tmp_path: Path, voice) -> Path:
    rows = [{"utt_id": f"u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=1.0, seed=i)), "speaker": f"s{i % 2}"}
            for i in range(2)]
    return write_manifest(make_manifest(rows), tmp_path / "m.csv")


# Arguments that parse; the cache is checked before a command reads any of them.
CACHE_ARGV = {
    "demo": [], "embed": ["m.csv", "--frontend", "whisper-base"], "experiment": ["c.yaml"], "features": ["m.csv"], "ingest": ["a.wav"], "proxy": ["m.csv"],
    "proxy-report": ["m.csv"], "pretrain": ["--manifest", "m.csv", "--frontend", "AE", "--out", "o"],
    "transcribe": ["m.csv"], "predict": ["m.pt", "a.wav"],
}


def test_every_command_with_a_cache_covered():
    assert set(CACHE_ARGV) == {name for name, options in _commands().items() if "--cache-dir" in options}


@pytest.mark.parametrize("command", sorted(CACHE_ARGV))
def test_an_unusable_cache_folder_is_one_line(command, tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    argv = [command, *CACHE_ARGV[command], "--cache-dir", str(blocker / "cache")]
    assert f"cache folder (--cache-dir or $AVSPNET_CACHE) {blocker}" in _one_line_error(argv, capsys)
    monkeypatch.setenv("AVSPNET_CACHE", str(blocker))
    assert f"cache folder (--cache-dir or $AVSPNET_CACHE) {blocker}" in _one_line_error(argv[:-2], capsys)


# command -> (whether its output is a folder, argv builder(tmp_path, voice, output path))
OUTPUTS = {
    "corpus": (False, lambda t, v, out: ["corpus", "ravdess", str(t / "nowhere"), "-o", str(out)]),
    "ingest": (False, lambda t, v, out: ["ingest", str(v(t / "a.wav")), "-o", str(out)]),
    "transcribe": (False, lambda t, v, out: ["transcribe", str(_manifest(t, v)), "-o", str(out)]),
    "demo": (True, lambda t, v, out: ["demo", "-o", str(out)]),
    "experiment": (True, lambda t, v, out: ["experiment", str(_config(t)), "-o", str(out)]),
    "pretrain": (True, lambda t, v, out: ["pretrain", "--manifest", str(t / "m.csv"), "--frontend", "AE",
                                          "--out", str(out)]),
    "proxy-report": (True, lambda t, v, out: ["proxy-report", str(t / "m.csv"), "-o", str(out)]),
    "scaling-report": (True, lambda t, v, out: ["scaling-report", str(t / "run"), "-o", str(out)]),
    "gain-report": (True, lambda t, v, out: ["gain-report", str(t / "run"), "-o", str(out)]),
    "synth": (True, lambda t, v, out: ["synth", str(out)]),
}


def _config(tmp_path: Path) -> Path:
    (tmp_path / "c.yaml").write_text(CONFIG)
    return tmp_path / "c.yaml"


def test_every_command_with_an_output_covered():
    writers = {name for name, options in _commands().items() if options & {"-o", "--out", "out_dir"}}
    assert set(OUTPUTS) == writers


@pytest.mark.parametrize("command", sorted(OUTPUTS))
def test_an_output_of_the_wrong_kind_is_one_line(command, tmp_path, voice, capsys, monkeypatch):
    """A file where the output is a folder, a folder where it is a file, and a path through a file."""
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    folder, build = OUTPUTS[command]
    wrong = tmp_path / ("taken.txt" if folder else "taken")
    if folder:
        wrong.write_text("someone's file")
    else:
        wrong.mkdir()
    assert str(wrong) in _one_line_error(build(tmp_path, voice, wrong), capsys)
    assert (wrong.read_text() == "someone's file") if folder else wrong.is_dir()
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    assert str(blocker) in _one_line_error(build(tmp_path, voice, blocker / "out"), capsys)


# (id, argv builder(tmp_path, voice, a folder), what the line must say)
FOLDER_FOR_FILE = [
    ("predict-model", lambda t, v, d: ["predict", str(d), str(v(t / "a.wav"))], "model file {d} is a folder"),
    ("predict-audio", lambda t, v, d: ["predict", str(_saved_model(t / "m.pt")), str(d)], "no audio or video files in {d}"),
    ("embed-manifest", lambda t, v, d: ["embed", str(d), "--frontend", "whisper-base"], "manifest {d} is a folder"),
    ("embed-config", lambda t, v, d: ["embed", str(_manifest(t, v)), "--frontend", "whisper-base", "--config", str(d)],
     "config file {d} is a folder"),
    ("features-manifest", lambda t, v, d: ["features", str(d)], "manifest {d} is a folder"),
    ("features-config", lambda t, v, d: ["features", str(_manifest(t, v)), "--config", str(d)],
     "config file {d} is a folder"),
    ("experiment-config", lambda t, v, d: ["experiment", str(d)], "config file {d} is a folder"),
    ("pretrain-manifest", lambda t, v, d: ["pretrain", "--manifest", str(d), "--frontend", "AE", "--out",
                                           str(t / "o")], "manifest {d} is a folder"),
    ("proxy-manifest", lambda t, v, d: ["proxy", str(d)], "manifest {d} is a folder"),
    ("transcribe-manifest", lambda t, v, d: ["transcribe", str(d)], "manifest {d} is a folder"),
]


@pytest.mark.parametrize("build, says", [c[1:] for c in FOLDER_FOR_FILE], ids=[c[0] for c in FOLDER_FOR_FILE])
def test_a_folder_where_a_file_belongs_is_named(build, says, tmp_path, voice, capsys, monkeypatch):
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "a-folder.csv"
    folder.mkdir()
    assert says.format(d=folder) in _one_line_error(build(tmp_path, voice, folder), capsys)


def test_a_yaml_error_over_several_lines_is_one_line_with_its_place(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("name: t\nfrontends: [R, egemaps\ntasks: [arousal]\n")
    err = _one_line_error(["experiment", str(config)], capsys)
    assert f"{config}:3:6: invalid YAML: expected ',' or ']'" in err and "from line 2" in err


@pytest.mark.parametrize("field, value", [("background", 3), ("network", ["narrow"]), ("config", "x"),
                                          ("pretrain", {"AE": []}), ("background", {"hours": "four"})])
def test_scaling_report_on_a_wrongly_typed_run_json_is_one_line(field, value, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "per_fold.csv").write_text("frontend,task,fraction,fold,uar,n_test\nR,arousal,1.0,0,0.5,4\n")
    info = {"config": {"name": "r"}, "network": "narrow", "target_label": "t", "background": {"hours": 1.0},
            "pretrain": {}, field: value}
    (run / "run.json").write_text(json.dumps(info))
    err = _one_line_error(["scaling-report", str(run), "-o", str(tmp_path / "out")], capsys)
    assert f"{run / 'run.json'}: {field}" in err and not (tmp_path / "out").exists()


def test_predict_csv_naming_a_folder_is_one_line_before_any_work(tmp_path, capsys):
    folder = tmp_path / "out.csv"
    folder.mkdir()
    argv = ["predict", str(tmp_path / "missing.pt"), str(tmp_path / "a.wav"), "--csv", str(folder)]
    assert f"output {folder} is a folder" in _one_line_error(argv, capsys)
