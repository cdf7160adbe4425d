"""The unlabeled-speech gain report: rows named by run settings, pairing with the reference row, refusals."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from avspnet.errors import AvspnetError
from avspnet.reports.unlabeled import REFERENCE, background_kind, row_label, write_gain_report

TASKS = ("emotion4",)
FRACTIONS = (0.25, 1.0)


def make_run(root, name, base, gains, transfer=None, background=(), target="ravdess", hours=1.0):
    """A run folder whose front-ends score `base` + gain per fold (the same base per fold in every run)."""
    folder = root / name
    folder.mkdir(parents=True)
    rows = [{"frontend": frontend, "task": task, "fraction": fraction, "fold": k, "uar": base[k] + gain, "n_test": 9}
            for frontend, gain in gains.items() for task in TASKS for fraction in FRACTIONS for k in range(len(base))]
    pd.DataFrame(rows).to_csv(folder / "per_fold.csv", index=False)
    info = {"config": {"name": name, "frontends": list(gains), "transfer": transfer or {},
                       "background": [{"name": n} for n in background]},
            "network": "-", "target_label": target, "background": {"hours": hours, "speakers": 3, "segments": 9}}
    (folder / "run.json").write_text(json.dumps(info))
    return folder


def test_rows_are_named_by_what_made_them():
    assert background_kind("commonvoice") == "read speech: commonvoice"
    assert background_kind("casia, urdu") == "affect-varied: casia+urdu"
    assert background_kind("none") == "none"
    assert background_kind("commonvoice", 2.0007) == "read speech: commonvoice 2.0 h"
    assert row_label("whisper-base", "read speech: commonvoice", "mean", "segment", 0) == REFERENCE
    assert row_label("AVSpNET_a", "affect-varied: casia", "none", "utterance", 1) == (
        "AVSpNET_a @ affect-varied: casia | norm none | utterance head | self-training x1")
    assert row_label("whisper-base/AE", "read speech: commonvoice", "mean", "segment", 0, "hidden") == (
        "whisper-base/AE @ read speech: commonvoice | hidden layer only | norm mean")
    assert row_label("whisper-base/AE/in-domain", "none", "mean", "segment", 0) == "whisper-base/AE/in-domain | norm mean"


def test_gains_pair_rows_of_different_runs_by_fold(tmp_path):
    base = np.array([0.5, 0.7, 0.6, 0.8, 0.55])
    plain = make_run(tmp_path, "plain", base, {"whisper-base": 0.0})
    normed = make_run(tmp_path, "normed", base, {"whisper-base": 0.05, "AVSpNET_a": 0.02},
                      transfer={"speaker_norm": "mean"}, background=("casia", "urdu"))
    written = write_gain_report([plain, normed], tmp_path / "out", n_boot=300)
    table = pd.read_csv(tmp_path / "out" / "gain.csv").set_index(["row", "fraction"])
    # Folds differ by 30 points, so mixing them up would give wide intervals; paired, they are exact.
    assert table.loc[("whisper-base | norm none", 0.25), "gain"] == pytest.approx(-0.05)
    assert table.loc[("AVSpNET_a @ affect-varied: casia+urdu 1.0 h | norm mean", 1.0), "gain"] == pytest.approx(-0.03)
    assert table.loc[("AVSpNET_a @ affect-varied: casia+urdu 1.0 h | norm mean", 1.0), "ci_high"] == pytest.approx(-0.03)
    assert np.isnan(table.loc[(REFERENCE, 0.25), "gain"])
    md = (tmp_path / "out" / "gain.md").read_text()
    line = next(line for line in md.splitlines() if line.startswith(r"| whisper-base \| norm none |"))
    assert line.count("**-5.0 [-5.0, -5.0]**") == 2
    assert f"| {REFERENCE.replace('|', chr(92) + '|')} | 68.0<br>reference |" in md
    assert {"gain.png", "plain.json", "normed.json"} <= {p.name for p in written}


def test_a_row_met_twice_must_agree_and_the_reference_must_exist(tmp_path):
    base = np.array([0.5, 0.7, 0.6])
    one = make_run(tmp_path, "one", base, {"whisper-base": 0.0}, transfer={"speaker_norm": "mean"})
    other = make_run(tmp_path, "other", base, {"whisper-base": 0.01}, transfer={"speaker_norm": "mean"})
    with pytest.raises(AvspnetError, match="different numbers"):
        write_gain_report([one, other], tmp_path / "out", n_boot=50)
    plain = make_run(tmp_path, "plain", base, {"whisper-base": 0.0})
    with pytest.raises(AvspnetError, match="reference row"):
        write_gain_report([plain], tmp_path / "out2", n_boot=50)
    casia = make_run(tmp_path, "casia", base, {"whisper-base": 0.0}, target="casia")
    # The same front-end on two sizes of one background is two rows, not a conflict.
    small = make_run(tmp_path, "small", base, {"AVSpNET_a": 0.01}, {"speaker_norm": "mean"}, ("commonvoice",), hours=2.0)
    large = make_run(tmp_path, "large", base, {"AVSpNET_a": 0.02}, {"speaker_norm": "mean"}, ("commonvoice",), hours=11.2)
    write_gain_report([one, small, large], tmp_path / "sizes", n_boot=50)
    table = pd.read_csv(tmp_path / "sizes" / "gain.csv")
    assert {"AVSpNET_a @ read speech: commonvoice 2.0 h | norm mean",
            "AVSpNET_a @ read speech: commonvoice 11.2 h | norm mean"} <= set(table["row"])
    with pytest.raises(AvspnetError, match="per target"):
        write_gain_report([one, casia], tmp_path / "out3", n_boot=50)


def test_row_labels_holding_a_pipe_keep_every_value_under_its_header(tmp_path):
    base = np.array([0.5, 0.7, 0.6])
    plain = make_run(tmp_path, "plain", base, {"whisper-base": 0.0})
    normed = make_run(tmp_path, "normed", base, {"whisper-base": 0.05}, transfer={"speaker_norm": "mean"})
    write_gain_report([plain, normed], tmp_path / "out", n_boot=50)
    md = (tmp_path / "out" / "gain.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert " | " in REFERENCE and len(table) == 4
    widths = [len(re.split(r"(?<!\\)\|", line)) for line in table]
    assert widths == [widths[0]] * len(table), table
