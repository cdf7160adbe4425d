"""Scaling-study report: per-fold pairing with R, bootstrap and t intervals, tables, plots, reproducibility."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from avspnet.errors import AvspnetError
from avspnet.reports.gain import bootstrap_interval, paired_gains, t_interval
from avspnet.reports.gain_report import write_scaling_report
from avspnet.reports.study import read_run

TASKS = ("arousal", "valence")
FRACTIONS = (0.25, 1.0)


def per_fold(gains: dict[str, float], folds: int = 5, seed: int = 0) -> pd.DataFrame:
    """R with random per-fold UARs; each front-end R + its gain + fold noise that sums to zero."""
    rng = np.random.default_rng(seed)
    rows = []
    for task, fraction in itertools.product(TASKS, FRACTIONS):
        base = rng.uniform(0.5, 0.8, folds)
        noise = rng.normal(0, 0.02, folds)
        noise -= noise.mean()
        rows += [{"frontend": "R", "task": task, "fraction": fraction, "fold": k, "uar": base[k], "n_test": 20}
                 for k in range(folds)]
        for frontend, gain in gains.items():
            rows += [{"frontend": frontend, "task": task, "fraction": fraction, "fold": k,
                      "uar": base[k] + gain + noise[k], "n_test": 20} for k in range(folds)]
    return pd.DataFrame(rows)


def test_gain_is_the_mean_paired_difference_whatever_the_row_order():
    frame = per_fold({"AE": 0.05, "W_a": -0.02})
    shuffled = frame.sample(frac=1.0, random_state=3)
    gains = paired_gains(shuffled).set_index(["frontend", "task", "fraction"])
    assert set(gains.index.get_level_values(0)) == {"AE", "W_a"}
    assert np.allclose(gains.xs("AE")["gain"], 0.05) and np.allclose(gains.xs("W_a")["gain"], -0.02)
    # Pairing by fold: R's spread across folds (0.5-0.8) would swamp the 0.02 noise if folds were mixed up.
    assert (gains["ci_high"] - gains["ci_low"]).max() < 0.05
    assert (gains["n_folds"] == 5).all()


def test_bootstrap_interval_matches_exact_enumeration():
    diffs = np.array([0.10, -0.04, 0.02, 0.05])
    means = np.array([np.mean(pick) for pick in itertools.product(diffs, repeat=len(diffs))])  # every resample
    exact = np.percentile(means, [2.5, 97.5], method="inverted_cdf")
    low, high = bootstrap_interval(diffs, seed=1, n_boot=20_000)
    assert low == pytest.approx(exact[0], abs=0.006) and high == pytest.approx(exact[1], abs=0.006)
    assert low <= diffs.mean() <= high
    assert bootstrap_interval(diffs, seed=1) == bootstrap_interval(diffs, seed=1)
    assert bootstrap_interval(np.full(4, 0.03), seed=0) == pytest.approx((0.03, 0.03))


def test_t_interval_matches_scipy():
    diffs = np.array([0.03, 0.05, -0.01, 0.04, 0.02])
    low, high, p = t_interval(diffs)
    test = stats.ttest_1samp(diffs, 0.0)
    ci = test.confidence_interval(0.95)
    assert (low, high, p) == pytest.approx((ci.low, ci.high, test.pvalue))
    assert all(np.isnan(t_interval(np.array([0.1]))))


def test_unpaired_folds_are_an_error():
    frame = per_fold({"AE": 0.05})
    drop = frame[(frame["frontend"] == "R") & (frame["fold"] == 2) & (frame["task"] == "valence")].index[:1]
    with pytest.raises(AvspnetError, match="fold 2 of valence"):
        paired_gains(frame.drop(drop))
    with pytest.raises(AvspnetError, match="no R results"):
        paired_gains(frame[frame["frontend"] != "R"])


def make_run(root, name, target, hours, gains, network="narrow", seed=0, folds=5, max_steps=40):
    folder = root / name
    folder.mkdir(parents=True)
    frame = per_fold(gains, folds=folds, seed=seed)
    frame.to_csv(folder / "per_fold.csv", index=False)
    pretrain = {f: {"joint": {"epochs": 2, "steps": 40, "kept_epoch": 2, "train_loss": 0.9, "val_loss": 1.0,
                              "val_acc": 0.6}} for f in gains}
    info = {"config": {"name": name, "frontends": ["R", *gains],
                       "background": [{"name": "commonvoice-all", "max_hours": hours}] if hours else [],
                       "pretrain": {"max_steps": max_steps, "epochs": 30, "batch_size": 32}},
            "network": network, "target_label": target,
            "background": {"hours": hours, "speakers": 10, "segments": 100}, "pretrain": pretrain}
    (folder / "run.json").write_text(json.dumps(info))
    return folder


def test_report_writes_tables_plots_and_copies_and_is_reproducible(tmp_path):
    runs = [make_run(tmp_path / "runs", f"s{h}-{t}", t, h, {} if h == 0 else {"AE": 0.01 * h, "W_a": -0.01}, seed=i)
            for i, (h, t) in enumerate(itertools.product((0, 1, 4), ("ravdess", "casia")))]
    written = write_scaling_report(runs, tmp_path / "out", n_boot=500)
    names = {p.name for p in written}
    assert {"gain.csv", "gain_ravdess_narrow.md", "gain_casia_narrow.md", "gain_vs_hours_25.png",
            "gain_vs_hours_100.png", "pretraining.md", "s4-casia.json"} <= names
    md = (tmp_path / "out" / "gain_ravdess_narrow.md").read_text()
    assert "network narrow" in md and "at most 40 steps of 32 segments per phase" in md
    assert "- Folds: speaker-independent." in md
    assert "- Background speech: commonvoice-all (labels hidden: proxy labels only)." in md
    assert "| narrow | 4.00 | commonvoice-all | 10 |" in (tmp_path / "out" / "pretraining.md").read_text()
    assert "| Front-end | Task | Labels | 0.00 h | 1.00 h | 4.00 h |" in md
    assert "| AE | arousal | 25% | – | +1.0 [" in md and md.count("| R | arousal | 25% |") == 1
    table = pd.read_csv(tmp_path / "out" / "gain.csv")
    ae = table[(table["frontend"] == "AE") & (table["hours"] == 4)]
    assert np.allclose(ae["gain"], 0.04) and (ae["ci_low"] <= ae["gain"]).all() and (ae["gain"] <= ae["ci_high"]).all()
    before = {p.name: p.read_bytes() for p in written if p.suffix in (".md", ".csv")}
    write_scaling_report(runs, tmp_path / "out", n_boot=500)
    assert before == {p.name: p.read_bytes() for p in written if p.suffix in (".md", ".csv")}


def test_bad_run_folders_are_named(tmp_path):
    with pytest.raises(AvspnetError, match="run.json missing"):
        read_run(tmp_path)
    one = make_run(tmp_path, "a", "ravdess", 1.0, {"AE": 0.0})
    two = make_run(tmp_path, "b", "ravdess", 1.0, {"AE": 0.0})
    with pytest.raises(AvspnetError, match="two runs of target ravdess"):
        write_scaling_report([one, two], tmp_path / "out", n_boot=10)
    info = json.loads((one / "run.json").read_text())
    del info["network"]
    (one / "run.json").write_text(json.dumps(info))
    with pytest.raises(AvspnetError, match="lacks network"):
        read_run(one)


def test_budgets_that_differ_by_rung_are_said_per_rung(tmp_path):
    same = [make_run(tmp_path / "same", f"s{h}", "ravdess", h, {"AE": 0.01}, seed=h) for h in (1, 4)]
    write_scaling_report(same, tmp_path / "out-same", n_boot=50)
    md = (tmp_path / "out-same" / "gain_ravdess_narrow.md").read_text()
    assert "- Pre-training budget: at most 40 steps of 32 segments per phase (the same on every rung)." in md
    differ = [make_run(tmp_path / "differ", f"s{h}", "ravdess", h, {"AE": 0.01}, seed=h, max_steps=40 * h)
              for h in (1, 4)]
    write_scaling_report(differ, tmp_path / "out-differ", n_boot=50)
    md = (tmp_path / "out-differ" / "gain_ravdess_narrow.md").read_text()
    assert "the same on every rung" not in md
    assert ("- Pre-training budget: differs by rung: 1.00 h: at most 40 steps of 32 segments per phase; "
            "4.00 h: at most 160 steps of 32 segments per phase.") in md


@pytest.mark.parametrize("folds, degenerate", [(2, True), (3, True), (4, False)])
def test_a_bootstrap_over_too_few_folds_says_it_is_only_their_range(folds, degenerate, tmp_path):
    diffs = np.linspace(-0.05, 0.08, folds)
    low, high = bootstrap_interval(diffs, seed=0)
    assert np.allclose((low, high), (diffs.min(), diffs.max()), rtol=0, atol=1e-12) is degenerate
    run = make_run(tmp_path, "r", "ravdess", 1, {"AE": 0.02}, folds=folds)
    write_scaling_report([run], tmp_path / "out", n_boot=2000)
    md = (tmp_path / "out" / "gain_ravdess_narrow.md").read_text()
    assert (f"- † Degenerate interval: with {folds} folds the bootstrap interval is only the range" in md) is degenerate
    assert ("]† |" in md) is degenerate
    table = pd.read_csv(tmp_path / "out" / "gain.csv")
    assert (table.loc[table["frontend"] == "AE", "ci_is_range"] == degenerate).all()


def test_rating_tasks_sit_the_gain_study_out():
    frame = per_fold({"AE": 0.05})
    ratings = pd.DataFrame([{"frontend": f, "task": "arousal_rating", "fraction": 1.0, "fold": k, "ccc": 0.1 * k,
                             "n_test": 20} for f in ("R", "AE") for k in range(5)])
    gains = paired_gains(pd.concat([frame, ratings], ignore_index=True))
    assert set(gains["task"]) == set(TASKS) and gains["gain"].notna().all()
    with pytest.raises(AvspnetError, match="no class task"):
        paired_gains(ratings)
