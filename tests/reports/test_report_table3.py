import pandas as pd
import pytest

from avspnet.errors import AvspnetError
from avspnet.reports import summarise, table3, table3_markdown, write_table3


def hand_made_results():
    """Two front-ends, two tasks, two fractions, two folds: means and stds easy to check by hand."""
    uars = {
        ("R", "arousal", 0.5): (0.50, 0.60), ("R", "arousal", 1.0): (0.60, 0.60),
        ("AV", "arousal", 0.5): (0.70, 0.80), ("AV", "arousal", 1.0): (0.55, 0.65),
        ("R", "emotion4", 0.5): (0.30, 0.30), ("R", "emotion4", 1.0): (0.40, 0.44),
        ("AV", "emotion4", 0.5): (0.35, 0.45), ("AV", "emotion4", 1.0): (0.45, 0.45),
    }
    rows = [dict(frontend=f, task=t, fraction=fr, fold=k, uar=u, n_test=10 + k)
            for (f, t, fr), pair in uars.items() for k, u in enumerate(pair)]
    return pd.DataFrame(rows)


def test_summary_means_and_stds_over_folds():
    summary = summarise(hand_made_results()).set_index(["frontend", "task", "fraction"])
    assert summary.loc[("AV", "arousal", 0.5), "uar_mean"] == pytest.approx(0.75)
    assert summary.loc[("AV", "arousal", 0.5), "uar_std"] == pytest.approx(0.05)
    assert summary.loc[("R", "emotion4", 0.5), "uar_std"] == pytest.approx(0.0)
    assert set(summary["n_folds"]) == {2}


def test_table_layout_follows_requested_orders():
    table = table3(hand_made_results(), frontends_order=["R", "AV"], tasks_order=["emotion4", "arousal"])
    assert list(table.index) == ["R", "AV"]
    assert list(table.columns) == [("emotion4", 0.5), ("emotion4", 1.0), ("arousal", 0.5), ("arousal", 1.0)]
    assert table.loc["AV", ("arousal", 0.5)] == "75.0 ± 5.0"
    assert table.loc["R", ("emotion4", 1.0)] == "42.0 ± 2.0"


def test_missing_cell_is_marked_not_dropped():
    results = hand_made_results()
    results = results[~((results.frontend == "AV") & (results.task == "emotion4") & (results.fraction == 1.0))]
    assert table3(results).loc["AV", ("emotion4", 1.0)] == "–"


def test_markdown_has_notes_chance_folds_and_bold_best():
    text = table3_markdown(hand_made_results(), "Demo run", ["background corpus is not in-the-wild media"])
    assert text.startswith("# Demo run\n")
    assert "- background corpus is not in-the-wild media" in text
    assert "Chance level: arousal 50.0%, emotion4 25.0%" in text
    assert "arousal: 2 speaker-independent folds, 21 test utterances in all" in text
    header = next(line for line in text.splitlines() if line.startswith("| Front-end"))
    assert header == "| Front-end | arousal 50% | arousal 100% | emotion4 50% | emotion4 100% |"
    av_row = next(line for line in text.splitlines() if line.startswith("| AV "))
    assert av_row == "| AV | **75.0 ± 5.0** | **60.0 ± 5.0** | **40.0 ± 5.0** | **45.0 ± 0.0** |"
    r_row = next(line for line in text.splitlines() if line.startswith("| R "))
    assert r_row == "| R | 55.0 ± 5.0 | **60.0 ± 0.0** | 30.0 ± 0.0 | 42.0 ± 2.0 |"  # a tie bolds both


def test_write_table3_writes_markdown_and_csvs(tmp_path):
    md_path, csv_path = write_table3(hand_made_results(), tmp_path / "run", "Demo", [], frontends_order=["R", "AV"])
    assert md_path.read_text(encoding="utf-8").startswith("# Demo")
    table = pd.read_csv(csv_path)
    assert list(table.columns) == ["frontend", "task", "fraction", "uar_mean", "uar_std", "n_folds"]
    assert len(table) == 8 and table["frontend"].tolist()[:4] == ["R"] * 4
    assert table.notna().all().all()
    per_fold = pd.read_csv(tmp_path / "run" / "per_fold.csv")
    assert len(per_fold) == 16
    assert list(per_fold.columns) == ["frontend", "task", "fraction", "fold", "uar", "n_test"]


def test_bad_results_are_named():
    results = hand_made_results()
    with pytest.raises(AvspnetError, match="lack column.*uar"):
        table3(results.drop(columns="uar"))
    with pytest.raises(AvspnetError, match="repeat fold 0 of R / arousal / 0.5"):
        table3(pd.concat([results, results.iloc[:1]]))
    with pytest.raises(AvspnetError, match="empty"):
        table3(results.iloc[:0])


def _with_ratings():
    """hand_made_results plus a rating task scored by CCC (mean 0.5 or 0.3, std 0.1 over two folds)."""
    ccc = {"R": (0.2, 0.4), "AV": (0.4, 0.6)}
    rows = [dict(frontend=f, task="arousal_rating", fraction=fr, fold=k, ccc=c, n_test=10)
            for f, pair in ccc.items() for fr in (0.5, 1.0) for k, c in enumerate(pair)]
    return pd.concat([hand_made_results(), pd.DataFrame(rows)], ignore_index=True)


def test_a_rating_task_is_shown_in_ccc_beside_uar(tmp_path):
    results = _with_ratings()
    assert table3(results).loc["AV", ("arousal_rating", 1.0)] == "0.500 ± 0.100"
    assert table3(results).loc["AV", ("arousal", 0.5)] == "75.0 ± 5.0"
    text = table3_markdown(results, "Mixed")
    assert "- UAR (unweighted average recall) on utterances (arousal, emotion4), in %" in text
    assert "- CCC (concordance correlation coefficient) on utterances (arousal_rating): mean ± std" in text
    assert "arousal_rating 0.000" in text and "| arousal_rating 50% (CCC) |" in text
    assert "**0.500 ± 0.100**" in text
    _, csv_path = write_table3(results, tmp_path, "Mixed")
    table = pd.read_csv(csv_path)
    assert list(table.columns) == ["frontend", "task", "fraction", "uar_mean", "uar_std", "ccc_mean", "ccc_std",
                                   "n_folds"]
    rating = table[table["task"] == "arousal_rating"]
    assert rating["uar_mean"].isna().all() and rating["ccc_mean"].notna().all()
    assert pd.read_csv(tmp_path / "per_fold.csv")["ccc"].notna().sum() == 8


def test_a_score_in_the_wrong_metric_column_is_an_error():
    results = _with_ratings()
    wrong = results.copy()
    wrong.loc[wrong["task"] == "arousal_rating", "uar"] = 0.5  # a rating task cannot have a UAR
    with pytest.raises(AvspnetError, match="R / arousal_rating / 0.5 fold 0 needs exactly one score, in column ccc"):
        summarise(wrong)
    with pytest.raises(AvspnetError, match="lack column.*uar or ccc"):
        summarise(results.drop(columns=["uar", "ccc"]))
