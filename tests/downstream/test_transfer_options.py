"""The transfer grid's options: speaker normalisation, utterance-level heads, self-training."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from avspnet.corpora.manifest import make_manifest
from avspnet.downstream import grid
from avspnet.downstream.fit import fit_head, predict_outputs, transfer_preset
from avspnet.downstream.grid import GridJob, evaluate_head, head_inputs, run_job
from avspnet.downstream.pooling import segment_speakers, speaker_normalise, utterance_vectors
from avspnet.downstream.splits import plan_splits
from avspnet.errors import ConfigError
from avspnet.evaluation.tasks import get_task
from avspnet.features.store import SegmentStore

SEGMENTS = 3


@pytest.fixture
def toy(tmp_path):
    return _toy(tmp_path)


def _toy(tmp_path):
    """6 speakers x 8 utterances x 3 segments; the class is on dim 0, each speaker shifts every dim a lot."""
    rows = [{"utt_id": f"s{s}_{u}", "path": "x.wav", "speaker": f"spk{s}", "emotion": ("happy", "sad")[u % 2]}
            for s in range(6) for u in range(8)]
    utterances = make_manifest(rows)
    task = get_task("emotion").for_corpus(utterances)
    labels = task.encode(utterances)
    utt_index = np.repeat(np.arange(len(utterances)), SEGMENTS)
    speakers = segment_speakers(utterances["speaker"], utt_index)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(utt_index), 6)) + 8 * rng.normal(size=(6, 6))[speakers]
    vectors[:, 0] += 2 * labels[utt_index]
    np.save(tmp_path / "v.npy", vectors.astype(np.float32))
    splits = plan_splits(utterances, ("emotion",), (0.5, 1.0), n_folds=3, val_speaker_fraction=0.3, seed=0)
    return dict(path=tmp_path / "v.npy", splits=splits, labels=labels, utt_index=utt_index, speakers=speakers,
                task=task, vectors=vectors.astype(np.float32))


def _job(toy, split=None, labels=None, **settings) -> GridJob:
    config = transfer_preset("tuned", **{"hidden": (8,), "epochs": 4, "patience": 0, "batch_size": 16, **settings})
    return GridJob("toy", toy["path"], split or toy["splits"][0], toy["labels"] if labels is None else labels,
                   toy["utt_index"], toy["task"], config, 0, toy["speakers"])


def _scores(rows):
    return [{k: v for k, v in row.items() if k not in ("n_pseudo",)} for row in rows]


@pytest.mark.parametrize("field, value, fragment", [
    ("speaker_norm", "zscore", "transfer.speaker_norm must be one of"),
    ("level", "frame", "transfer.level must be one of"),
    ("self_training", -1, "transfer.self_training must be >= 0"),
    ("pseudo_threshold", 0.0, "transfer.pseudo_threshold must lie in (0, 1]"),
    ("self_training", "2", "self_training"),
])
def test_bad_settings_are_one_line_config_errors(field, value, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace("]", r"\]")) as caught:
        transfer_preset("tuned", **{field: value})
    assert "\n" not in str(caught.value)


def test_defaults_leave_the_heads_inputs_as_they_were(toy):
    config = transfer_preset("tuned")
    assert (config.speaker_norm, config.level, config.self_training) == ("none", "segment", 0)
    store = SegmentStore.open(toy["path"])
    assert head_inputs(store, toy["utt_index"], None, config)[0] is store


@pytest.mark.parametrize("mode", ["mean", "meanvar"])
def test_each_speakers_mean_becomes_zero_and_meanvar_its_std_one(toy, mode):
    normalised = speaker_normalise(toy["vectors"], toy["speakers"], mode)
    for speaker in np.unique(toy["speakers"]):
        own = normalised[toy["speakers"] == speaker]
        np.testing.assert_allclose(own.mean(axis=0), 0.0, atol=1e-5)
        if mode == "meanvar":
            np.testing.assert_allclose(own.std(axis=0), 1.0, atol=1e-4)
    assert speaker_normalise(toy["vectors"], toy["speakers"], "none") is toy["vectors"]


def test_a_speaker_with_one_segment_gives_finite_zeros():
    vectors = np.array([[1.0, 5.0], [2.0, 7.0], [4.0, 1.0], [100.0, -3.0]], np.float32)
    normalised = speaker_normalise(vectors, np.array(["a", "a", "a", "b"]), "meanvar")
    assert np.isfinite(normalised).all()
    np.testing.assert_array_equal(normalised[3], 0.0)
    # a speaker whose segments are identical has std 0: floored, not divided by zero
    same = speaker_normalise(np.ones((3, 2), np.float32), np.zeros(3), "meanvar")
    assert np.isfinite(same).all()


def test_speaker_normalisation_takes_no_labels(toy, monkeypatch):
    """No label parameter, and the grid hands it the same rows whatever the labels are."""
    assert list(inspect.signature(speaker_normalise).parameters) == ["vectors", "speakers", "mode"]
    seen = []
    monkeypatch.setattr(grid, "speaker_normalise", lambda *args: seen.append(speaker_normalise(*args)) or seen[-1])
    run_job(_job(toy, speaker_norm="meanvar", epochs=1))
    permuted = np.random.default_rng(1).permutation(toy["labels"])
    run_job(_job(toy, labels=permuted, speaker_norm="meanvar", epochs=1))
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[0], seen[1])


def test_speaker_normalisation_needs_the_speakers_and_is_seeded(toy):
    job = _job(toy, speaker_norm="mean")
    first, second = run_job(job).rows, run_job(job).rows
    assert first == second and all(0 <= row["uar"] <= 1 for row in first)
    inputs, owners = head_inputs(SegmentStore.open(toy["path"]), toy["utt_index"], toy["speakers"], job.config)
    np.testing.assert_array_equal(inputs, speaker_normalise(toy["vectors"], toy["speakers"], "mean"))
    np.testing.assert_array_equal(owners, toy["utt_index"])
    with pytest.raises(Exception, match="needs a speaker code per segment row"):
        run_job(GridJob(**{**job.__dict__, "speakers": None}))


def test_utterance_level_fits_one_row_per_utterance_and_is_reproducible(toy, monkeypatch):
    fitted = []

    def spy(train_x, train_y, val_x, val_y, task, config, seed):
        fitted.append((len(train_x), len(val_x)))
        return fit_head(train_x, train_y, val_x, val_y, task, config, seed)

    monkeypatch.setattr(grid, "fit_head", spy)
    job = _job(toy, level="utterance", speaker_norm="mean")
    rows = run_job(job).rows
    split = job.split
    assert fitted == [(len(split.fractions[f].fit), len(split.fractions[f].val)) for f in sorted(split.fractions)]
    assert rows == run_job(job).rows


def test_utterance_level_scores_each_test_utterance_in_order(toy):
    owners, pooled = utterance_vectors(toy["vectors"], toy["utt_index"])
    np.testing.assert_array_equal(owners, np.arange(len(toy["labels"])))
    np.testing.assert_allclose(pooled[5], toy["vectors"][toy["utt_index"] == 5].mean(axis=0), rtol=1e-5)
    task, split = toy["task"], toy["splits"][1]
    parts = split.fractions[1.0]
    head = fit_head(pooled[parts.fit], toy["labels"][parts.fit], pooled[parts.val], toy["labels"][parts.val], task,
                    _job(toy).config, 0).head
    direct = task.decide(predict_outputs(head, pooled[split.test], task))
    np.testing.assert_array_equal(evaluate_head(head, pooled, owners, split.test, task), direct)


def test_self_training_pseudo_labels_only_the_folds_unlabelled_training_utterances(toy, monkeypatch):
    given = []

    def spy(head, embeddings, utt_index, pool, task, threshold):
        picked, classes = real(head, embeddings, utt_index, pool, task, threshold)
        given.append((pool, picked))
        return picked, classes

    real = grid.pseudo_labels
    monkeypatch.setattr(grid, "pseudo_labels", spy)
    for split in toy["splits"]:
        given.clear()
        rows = {row["fraction"]: row for row in run_job(_job(toy, split, self_training=2, pseudo_threshold=0.5)).rows}
        parts = split.fractions[0.5]
        assert len(given) == 2
        for pool, picked in given:
            assert set(pool) <= set(split.training)
            assert not set(pool) & (set(split.test) | set(parts.val) | set(parts.fit))
            assert set(picked) <= set(pool)
        assert rows[0.5]["n_pseudo"] == len(given[-1][1]) > 0
        assert rows[1.0]["n_pseudo"] == 0


def test_no_rounds_and_the_full_fraction_are_unchanged(toy):
    plain = run_job(_job(toy)).rows
    assert all(row["n_pseudo"] == 0 for row in plain)
    assert run_job(_job(toy, pseudo_threshold=0.5)).rows == plain
    trained = run_job(_job(toy, self_training=1, pseudo_threshold=0.5)).rows
    assert _scores(trained)[-1] == _scores(plain)[-1] and trained[-1]["fraction"] == 1.0


def test_self_training_refuses_a_rating_task(toy):
    job = _job(toy, self_training=1)
    with pytest.raises(ConfigError, match="rating task"):
        run_job(GridJob(**{**job.__dict__, "task": get_task("arousal_rating"),
                           "utt_labels": toy["labels"].astype(float)}))
