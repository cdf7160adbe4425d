import json
from pathlib import Path

import numpy as np

import avspnet
from avspnet.reports import run_info, write_run_json
from avspnet.reports.runinfo import git_commit


def test_run_info_fields_and_json_round_trip(tmp_path):
    config = {"seed": 3, "out": Path("/tmp/x"), "fractions": (0.25, 1.0)}
    info = run_info(config, seeds={"folds": np.int64(3)}, data_hashes={"ravdess": "abc"}, timings={"pretrain": 1.5})
    assert info["avspnet_version"] == avspnet.__version__
    for library in ("torch", "numpy", "scikit-learn", "pandas"):
        assert info["libraries"][library]
    assert info["python"].count(".") == 2
    assert info["cpu_count"] >= 1 and info["platform"]
    assert info["created_utc"].endswith("+00:00")
    path = write_run_json(info, tmp_path / "run" / "run.json")
    loaded = json.loads(path.read_text())
    assert loaded["config"] == {"seed": 3, "out": "/tmp/x", "fractions": [0.25, 1.0]}
    assert loaded["seeds"] == {"folds": 3}
    assert loaded["data_hashes"] == {"ravdess": "abc"} and loaded["timings_s"] == {"pretrain": 1.5}


def test_git_commit_outside_a_checkout_is_none(tmp_path):
    assert git_commit(tmp_path) is None
