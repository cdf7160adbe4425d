import json
from pathlib import Path

import numpy as np
import pytest

import avspnet
from avspnet.errors import AvspnetError
from avspnet.reports import RunRecord, read_run_record, write_run_record
from avspnet.reports.runinfo import BackgroundFacts, git_commit, provenance
from avspnet.training.pretrain import PhaseSummary


def test_provenance_fields_and_the_record_round_trip(tmp_path):
    facts = provenance()
    assert facts["avspnet_version"] == avspnet.__version__
    for library in ("torch", "numpy", "scikit-learn", "pandas"):
        assert facts["libraries"][library]
    assert facts["python"].count(".") == 2
    assert facts["cpu_count"] >= 1 and facts["platform"]
    assert facts["created_utc"].endswith("+00:00")
    config = {"seed": 3, "out": Path("/tmp/x"), "fractions": (0.25, 1.0)}
    record = RunRecord(config=config, network="narrow", target_label="t", background=BackgroundFacts(1.5, 3, 40),
                       **facts, seeds={"folds": np.int64(3)}, data_hashes={"ravdess": "abc"},
                       timings_s={"pretrain": 1.5}, pretrain={"AE": {"ae": PhaseSummary(2, 40, 1, 0.5, 0.6)}})
    path = write_run_record(record, tmp_path / "run" / "run.json")
    loaded = json.loads(path.read_text())
    assert loaded["config"] == {"seed": 3, "out": "/tmp/x", "fractions": [0.25, 1.0]}
    assert loaded["seeds"] == {"folds": 3} and loaded["background"] == {"hours": 1.5, "speakers": 3, "segments": 40}
    assert loaded["data_hashes"] == {"ravdess": "abc"} and loaded["timings_s"] == {"pretrain": 1.5}
    again = read_run_record(path)
    assert again.pretrain["AE"]["ae"] == PhaseSummary(2, 40, 1, 0.5, 0.6, None)
    assert again.background == record.background and again.config["fractions"] == [0.25, 1.0]


def test_a_record_is_read_by_its_types(tmp_path):
    """Older records (fewer fields) still read; a missing needed field or a wrong type is named, never guessed."""
    path = tmp_path / "run.json"
    old = {"config": {"name": "r"}, "network": "-", "target_label": "t", "background": {"hours": 0},
           "a_newer_field": 1}
    path.write_text(json.dumps(old))
    record = read_run_record(path)
    assert record.background.hours == 0.0 and record.runtime is None and record.config_facts().folds == "speaker"
    path.write_text(json.dumps({**old, "folds": {"mode": "speaker", "requested": 5, "used": "4"}}))
    with pytest.raises(AvspnetError, match=r"run.json: folds"):
        read_run_record(path)
    path.write_text(json.dumps({**old, "config": {"name": "r", "frontends": "R"}}))
    with pytest.raises(AvspnetError, match=r"run.json: config.frontends: expected a list"):
        read_run_record(path)
    del old["target_label"]
    path.write_text(json.dumps(old))
    with pytest.raises(AvspnetError, match="lacks target_label"):
        read_run_record(path)


def test_git_commit_outside_a_checkout_is_none(tmp_path):
    assert git_commit(tmp_path) is None
