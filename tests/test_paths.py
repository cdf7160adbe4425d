"""Atomic writes and output folders: an interruption leaves no temporary file, a failed run no half folder."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from avspnet import paths
from avspnet.content import save_npy
from avspnet.errors import OutputError
from avspnet.paths import MARKER, atomic_path, replaced_folder, write_text_atomic


class Interrupted(Exception):
    pass


def _hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_an_interrupted_write_leaves_no_temporary_and_the_old_file(tmp_path, monkeypatch):
    target = write_text_atomic(tmp_path / "table.csv", "old\n")
    with pytest.raises(Interrupted), atomic_path(target) as tmp:
        tmp.write_text("half a tab")
        raise Interrupted
    assert target.read_text() == "old\n" and _hidden(tmp_path) == []
    save_npy(tmp_path / "x.npy", np.zeros(3, np.float32))

    def cut(path, array):
        open(path, "wb").write(b"\x93NUMPY half")
        raise Interrupted

    monkeypatch.setattr(np, "save", cut)
    with pytest.raises(Interrupted):
        save_npy(tmp_path / "x.npy", np.ones(3, np.float32))
    monkeypatch.undo()
    assert np.load(tmp_path / "x.npy").tolist() == [0, 0, 0] and _hidden(tmp_path) == []
    write_text_atomic(target, "new\n")
    save_npy(tmp_path / "x.npy", np.ones(3, np.float32))
    assert target.read_text() == "new\n" and np.load(tmp_path / "x.npy").tolist() == [1, 1, 1]


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    """SIGKILL gives no chance to clean up: the next write into the folder removes what a dead process left."""
    script = ("import os, sys\nfrom avspnet.paths import atomic_path\n"
              "with atomic_path(sys.argv[1]) as tmp:\n    tmp.write_text('half')\n    os.kill(os.getpid(), 9)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "a.json")], env=env)
    (left,) = _hidden(tmp_path)
    assert left.startswith(".a.json" + paths.TMP_TAG)
    live = tmp_path / f".b.npy{paths.TMP_TAG}{os.getpid()}.0@{paths._host()}@.npy"  # a live writer's: kept
    live.write_text("in progress")
    paths.remove_stale_temporaries.cache_clear()
    save_npy(tmp_path / "c.npy", np.ones(2, np.float32))
    assert _hidden(tmp_path) == [live.name] and np.load(tmp_path / "c.npy").tolist() == [1.0, 1.0]


def test_a_run_folder_is_swapped_in_whole_and_a_failed_run_leaves_the_old_one(tmp_path):
    out = tmp_path / "run"
    with replaced_folder(out, "experiment") as staging:
        (staging / "models").mkdir()
        (staging / "models" / "valence.pt").write_text("v")
        (staging / "table3.md").write_text("first")
        assert not out.exists() and staging.name == "run"  # for what records its folder's name
    assert json.loads((out / MARKER).read_text()) == {"command": "experiment",
                                                       "files": ["models/valence.pt", "table3.md"]}
    with pytest.raises(Interrupted), replaced_folder(out, "experiment") as staging:
        (staging / "table3.md").write_text("half")
        raise Interrupted
    assert (out / "table3.md").read_text() == "first" and _hidden(tmp_path) == []
    with replaced_folder(out, "experiment") as staging:
        (staging / "table3.md").write_text("second")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "table3.md"]  # nothing of the first run is left
    assert (out / "table3.md").read_text() == "second" and _hidden(tmp_path) == []


def test_a_folder_the_command_does_not_own_is_refused_untouched(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my thesis")
    with pytest.raises(OutputError, match="notes.txt, which `avspnet experiment` did not write"):
        with replaced_folder(mine, "experiment"):
            pytest.fail("must refuse before any work")
    assert (mine / "notes.txt").read_text() == "my thesis"
    with replaced_folder(tmp_path / "report", "scaling-report") as staging:
        (staging / "gain.csv").write_text("x")
    with pytest.raises(OutputError, match="holds the output of `avspnet scaling-report`"):
        with replaced_folder(tmp_path / "report", "experiment"):
            pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        with replaced_folder(tmp_path / "file", "experiment"):
            pass
    legacy = tmp_path / "legacy"  # a run folder of a version before the marker
    (legacy / "models").mkdir(parents=True)
    (legacy / "models" / "valence.pt").write_text("v")
    (legacy / ".DS_Store").write_text("")
    with replaced_folder(legacy, "experiment", legacy=("models/*.pt",)) as staging:
        (staging / "table3.md").write_text("new")
    assert not (legacy / "models").exists()


def test_files_added_during_a_run_are_kept_and_the_run_set_aside(tmp_path):
    out = tmp_path / "run"
    with replaced_folder(out, "experiment") as staging:
        (staging / "table3.md").write_text("first")
    with pytest.raises(OutputError, match="this run's output is in"):
        with replaced_folder(out, "experiment") as staging:
            (staging / "table3.md").write_text("second")
            (out / "notes.txt").write_text("written while it ran")
    assert (out / "notes.txt").exists() and (out / "table3.md").read_text() == "first"
    (kept,) = tmp_path.glob("run.new-*")
    assert (kept / "table3.md").read_text() == "second"


def test_a_swap_killed_halfway_is_undone_by_the_next_run(tmp_path):
    out = tmp_path / "run"
    with replaced_folder(out, "experiment") as staging:
        (staging / "table3.md").write_text("first")
    aside = tmp_path / f".run{paths.OLD_TAG}{_dead_pid()}.0@{paths._host()}@"
    os.rename(out, aside)  # the state a kill between the swap's two renames leaves
    with pytest.raises(Interrupted), replaced_folder(out, "experiment"):
        raise Interrupted
    assert (out / "table3.md").read_text() == "first" and _hidden(tmp_path) == []
