"""The task registry (one object per task, asked by fold planning, the grid and the report), CCC, rating tasks."""

import numpy as np
import pandas as pd
import pytest
import torch

from avspnet.corpora.manifest import make_manifest
from avspnet.downstream.fit import fit_head, predict_outputs, transfer_preset
from avspnet.downstream.grid import GridJob, run_job
from avspnet.downstream.splits import available_tasks, plan_splits
from avspnet.errors import AvspnetError
from avspnet.evaluation import tasks
from avspnet.evaluation.metrics import ccc
from avspnet.evaluation.tasks import Classification, ConcordanceLoss, Regression, get_task, register, task_names
from avspnet.evaluation.vote import segment_mean
from avspnet.reports.table3 import table3_markdown


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry, so a test's tasks vanish with it."""
    monkeypatch.setattr(tasks, "_REGISTRY", dict(tasks._REGISTRY))
    return tasks._REGISTRY


def test_registry_lookup_and_duplicates(registry):
    assert task_names()[:4] == ("arousal", "valence", "emotion4", "emotion")
    assert get_task("emotion4").classes == ("neutral", "happy", "angry", "sad")
    with pytest.raises(AvspnetError, match="unknown task 'dominance'; known: arousal"):
        get_task("dominance")
    with pytest.raises(AvspnetError, match="already registered"):
        register(Classification("arousal", "arousal", ("low", "high"), indexed=True))


def test_indexed_labels_outside_the_classes_are_an_error():
    frame = pd.DataFrame({"arousal": pd.array([1, 2, None], dtype="Int64")})
    with pytest.raises(AvspnetError, match="arousal: class indices must be 0..1"):
        get_task("arousal").encode(frame)


def _corpus(n_speakers=6, per_speaker=8):
    rows = [{"utt_id": f"s{s}_{u}", "path": "x.wav", "speaker": f"spk{s}", "emotion": ("happy", "sad")[u % 2],
             "raw_gender": ("female", "male")[s % 2]} for s in range(n_speakers) for u in range(per_speaker)]
    return make_manifest(rows)


def test_adding_a_task_is_one_object(registry, tmp_path):
    """Speaker gender from a raw manifest column: registered once, then planned, fitted, scored and reported."""
    register(Classification("gender", "raw_gender", ("female", "male")))
    utterances = _corpus()
    assert available_tasks(utterances, ("gender",)) == ("gender",)
    splits = plan_splits(utterances, ("gender",), (1.0,), n_folds=3, val_speaker_fraction=0.3, seed=0)
    assert {split.task for split in splits} == {"gender"} and len(splits) == 3
    task = get_task("gender").for_corpus(utterances)
    labels = task.encode(utterances)
    utt_index = np.repeat(np.arange(len(utterances)), 2)
    vectors = np.random.default_rng(0).normal(size=(len(utt_index), 4)).astype(np.float32)
    vectors[:, 0] += 3 * labels[utt_index]
    np.save(tmp_path / "v.npy", vectors)
    config = transfer_preset("tuned", hidden=(8,), epochs=5, patience=0)
    rows = [row for split in splits
            for row in run_job(GridJob("toy", tmp_path / "v.npy", split, labels, utt_index, task, config, 0)).rows]
    assert all(row["task"] == "gender" and 0 <= row["uar"] <= 1 for row in rows)
    text = table3_markdown(pd.DataFrame(rows), "gender", tasks_order=("gender",))
    assert "gender 100%" in text and "Chance level: gender 50.0%" in text and "UAR (unweighted" in text


def test_ccc_perfect_inverse_constant_and_penalised_scale_and_shift():
    truth = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert ccc(truth, truth) == pytest.approx(1.0)
    assert ccc(truth, 6.0 - truth) == pytest.approx(-1.0)
    assert ccc(truth, np.full(5, 3.0)) == 0.0 and ccc(truth, np.full(5, 7.0)) == 0.0
    # Pearson's r is 1 for all of these; CCC is not
    assert ccc(truth, truth + 1.0) == pytest.approx(2 * 2.0 / (2.0 + 2.0 + 1.0))
    assert ccc(truth, 2.0 * truth - 3.0) == pytest.approx(2 * 4.0 / (2.0 + 8.0 + 0.0))
    assert 0 < ccc(truth, 0.5 * truth + 1.5) < 1
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    expected = 2 * np.cov(a, b, bias=True)[0, 1] / (a.var() + b.var() + (a.mean() - b.mean()) ** 2)
    assert ccc(a, b) == pytest.approx(expected)


def test_ccc_refuses_what_it_cannot_score():
    with pytest.raises(AvspnetError, match="undefined"):
        ccc(np.full(3, 2.0), np.full(3, 2.0))
    with pytest.raises(AvspnetError, match="equal length"):
        ccc(np.ones(3), np.ones(2))
    with pytest.raises(AvspnetError, match="NaN"):
        ccc(np.array([1.0, np.nan]), np.array([1.0, 2.0]))


def test_segment_mean_gives_one_rating_per_utterance():
    assert segment_mean(np.array([1.0, 3.0, 5.0, 2.0]), np.array([0, 0, 1, 0]), 2).tolist() == [2.0, 5.0]
    with pytest.raises(AvspnetError, match="no segments"):
        segment_mean(np.array([1.0]), np.array([0]), 2)


def test_rating_task_reads_scores_and_stratifies_its_column():
    task = get_task("arousal_rating")
    assert isinstance(task, Regression) and task.metric.column == "ccc" and task.classes == () and task.n_outputs == 1
    frame = pd.DataFrame({"arousal_rating": [1.5, np.nan, 4.0, 3.0]})
    labels = task.encode(frame)
    assert np.array_equal(labels, [1.5, np.nan, 4.0, 3.0], equal_nan=True)
    assert task.labelled(labels).tolist() == [True, False, True, True]
    assert task.missing(labels) == "" and "fewer than 2" in task.missing(np.array([2.0, 2.0, np.nan]))
    assert np.isnan(task.encode(pd.DataFrame({"arousal": [1, 0]}))).all()  # a corpus without ratings: none
    assert task.strata(np.arange(8.0)).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert task.utterance_outputs(np.array([1.0, 2.0, 6.0]), np.array([0, 0, 1]), 2).tolist() == [1.5, 6.0]
    assert task.chance() == 0.0 and task.confusion(labels, labels) is None


def test_concordance_loss_is_one_minus_ccc():
    rng = np.random.default_rng(1)
    predicted, target = rng.normal(size=(16, 1)), rng.normal(size=16)
    loss = ConcordanceLoss()(torch.from_numpy(predicted), torch.from_numpy(target))
    assert float(loss) == pytest.approx(1 - ccc(target, predicted[:, 0]), abs=1e-6)
    with pytest.raises(AvspnetError, match="predictions for"):
        ConcordanceLoss()(torch.zeros(4, 2), torch.zeros(4))


def test_rating_head_learns_and_is_scored_by_ccc():
    rng = np.random.default_rng(0)
    ratings = rng.uniform(1, 5, 400)
    x = rng.normal(size=(400, 12)).astype(np.float32)
    x[:, 0] += ratings - 3
    task = get_task("arousal_rating")
    config = transfer_preset("tuned", hidden=(32, 16), epochs=20, patience=0, batch_size=32)
    fit = fit_head(x[:240], ratings[:240], x[240:320], ratings[240:320], task, config, seed=0)
    predicted = predict_outputs(fit.head, x[320:], task)
    assert predicted.shape == (80,) and ccc(ratings[320:], predicted) > 0.4
    assert fit.history[-1]["val_ccc"] > fit.history[0]["val_ccc"]
