"""A run folder holds one run: a re-run replaces it whole, a failed run leaves the previous one."""

import pytest

from avspnet.cli import main
from avspnet.commands import experiment as command
from avspnet.errors import ConfigError
from avspnet.experiment.config import load_experiments

HEAD = "seed: 0\nbackground: []\nfrontends: [logmel-stats]\n"


class Crash(Exception):
    pass


def fake_run(config, out_dir, cache_dir=None, progress=True, target_label=""):
    """What run_experiment leaves in its folder, per task and target, written file by file."""
    (out_dir / "models").mkdir(parents=True)
    (out_dir / "config.yaml").write_text(f"tasks: {list(config.tasks)}\n")
    for task in config.tasks:
        (out_dir / "models" / f"{task}.pt").write_text(config.target.manifest)
    if config.seed == 99:
        raise Crash("the grid failed half-way")
    (out_dir / "table3.md").write_text(f"# {config.name}\n")
    return out_dir / "table3.md"


def _listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_rerun_leaves_no_model_of_an_earlier_run_and_a_failed_one_changes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(command, "run_experiment", fake_run)
    config, out = tmp_path / "c.yaml", tmp_path / "run"
    config.write_text(HEAD + "name: c\ntarget: {manifest: ravdess.csv}\ntasks: [arousal, valence]\n")
    assert main(["experiment", str(config), "-o", str(out)]) == 0
    assert {"models/arousal.pt", "models/valence.pt"} <= set(_listing(out))
    config.write_text(HEAD + "name: c\ntarget: {manifest: casia.csv}\ntasks: [arousal]\n")
    assert main(["experiment", str(config), "-o", str(out)]) == 0
    assert "models/valence.pt" not in _listing(out) and "casia" in (out / "models" / "arousal.pt").read_text()
    before = {name: (out / name).read_text() for name in _listing(out)}
    config.write_text(HEAD + "name: c\ntarget: {manifest: urdu.csv}\ntasks: [arousal, valence]\n")
    with pytest.raises(Crash):
        main(["experiment", str(config), "-o", str(out), "--seed", "99"])
    assert {name: (out / name).read_text() for name in _listing(out)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "run"]  # no half-written folder beside it
    assert "report written to" in capsys.readouterr().out


def test_a_multi_target_rerun_replaces_every_target_folder_together(tmp_path, monkeypatch):
    monkeypatch.setattr(command, "run_experiment", fake_run)
    config, out = tmp_path / "c.yaml", tmp_path / "run"
    config.write_text(HEAD + "name: c\ntasks: [arousal]\ntargets:\n  a: {target: {manifest: a.csv}}\n"
                             "  b: {target: {manifest: b.csv}}\n")
    assert main(["experiment", str(config), "-o", str(out)]) == 0
    assert {"a/table3.md", "b/table3.md"} <= set(_listing(out))
    config.write_text(HEAD + "name: c\ntasks: [arousal]\ntargets:\n  a: {target: {manifest: a.csv}}\n")
    assert main(["experiment", str(config), "-o", str(out)]) == 0
    assert not (out / "b").exists() and (out / "a" / "table3.md").is_file()


def test_a_folder_of_other_files_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(command, "run_experiment", lambda *a, **k: pytest.fail("ran into a foreign folder"))
    (tmp_path / "c.yaml").write_text(HEAD + "name: c\ntarget: {manifest: a.csv}\ntasks: [arousal]\n")
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("years of work")
    assert main(["experiment", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "thesis")]) == 2
    assert "chapter1.tex, which `avspnet experiment` did not write" in capsys.readouterr().err
    assert (tmp_path / "thesis" / "chapter1.tex").read_text() == "years of work"


@pytest.mark.parametrize("name", ["../../etc", "a/b", "..", ".hidden", "", "x\\y"])
def test_a_config_name_cannot_leave_the_runs_folder(name, tmp_path):
    (tmp_path / "c.yaml").write_text(HEAD + f"name: '{name}'\ntarget: {{manifest: a.csv}}\n")
    with pytest.raises(ConfigError, match="it names the run folder"):
        load_experiments(tmp_path / "c.yaml")
