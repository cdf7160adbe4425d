"""The task registry: one object per task, asked by fold planning, the grid and the report."""

import numpy as np
import pandas as pd
import pytest

from avspnet.corpora.manifest import make_manifest
from avspnet.downstream.fit import transfer_preset
from avspnet.downstream.grid import GridJob, run_job
from avspnet.downstream.splits import available_tasks, plan_splits
from avspnet.errors import AvspnetError
from avspnet.evaluation import tasks
from avspnet.evaluation.tasks import Classification, get_task, register, task_names
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
