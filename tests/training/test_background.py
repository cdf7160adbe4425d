"""No gold label of a background corpus reaches pre-training, by `avspnet pretrain` or by `avspnet experiment`.

The background's proxy labels are made the opposite of its gold labels, so
a gold label that leaks into the arrays handed to pre-training shows up as
a mismatch; every manifest the proxy labeller or the feature loader is
given must have its gold columns blank.
"""

import numpy as np
import pandas as pd
import pytest

from avspnet.cli import main
from avspnet.corpora.manifest import RATING_COLUMNS, make_manifest, manifest_hash, read_manifest, write_manifest
from avspnet.experiment import data as experiment_data
from avspnet.experiment import runner
from avspnet.experiment.config import CorpusSpec, ExperimentConfig
from avspnet.frontends import encoder as frontend_encoder
from avspnet.proxy.store import proxy_path, read_proxy, write_proxy
from avspnet.training import background

SEGMENTS_PER_UTTERANCE = 2  # 2.0 s of audio: two 80-frame segments


class Stop(Exception):
    """Raised by the stand-in for pre-training once it has seen its inputs."""


@pytest.fixture
def labelled_background(tmp_path, voice):
    emotions = ["angry", "sad", "happy", "sad", "angry", "neutral"]
    rows = [{"utt_id": f"bg/u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=2.0, f0=120 + 15 * i, seed=i)),
             "speaker": f"s{i % 3}", "group": f"s{i % 3}", "emotion": emotion,
             "emotion4": emotion if emotion != "neutral" else "neutral",
             "arousal": int(emotion in ("angry", "happy")), "valence": int(emotion == "happy") if i < 5 else None,
             "arousal_rating": 1.0 + 0.5 * i, "valence_rating": 5.0 - 0.5 * i,
             "raw_emotion_code": f"0{i}"} for i, emotion in enumerate(emotions)]
    path = write_manifest(make_manifest(rows), tmp_path / "background.csv")
    manifest = read_manifest(path)
    # proxies: the opposite of every gold label, none for the last utterance
    flip = {0: 1, 1: 0}
    proxy = pd.DataFrame({
        "utt_id": manifest["utt_id"],
        "proxy_arousal": pd.array([flip[a] for a in manifest["arousal"][:-1]] + [None], dtype="Int64"),
        "proxy_valence": pd.array([flip.get(v, None) if pd.notna(v) else 1 for v in manifest["valence"][:-1]] + [None],
                                  dtype="Int64"),
    })
    write_proxy(proxy, proxy_path(path))
    return path, manifest, read_proxy(proxy_path(path))


def _spy_on_inputs(monkeypatch, module, name, seen):
    real = getattr(module, name)

    def recording(manifest, *args, **kwargs):
        seen.append(manifest.copy())
        return real(manifest, *args, **kwargs)

    monkeypatch.setattr(module, name, recording)


def _stop_at_pretraining(monkeypatch, module, captured):
    def fake_pretrain(segments, speakers, proxy_arousal, proxy_valence, *args, **kwargs):
        captured.update(n=len(segments), speakers=speakers, arousal=proxy_arousal, valence=proxy_valence)
        raise Stop

    monkeypatch.setattr(module, "pretrain", fake_pretrain)


def _run_pretrain_command(path, tmp_path, monkeypatch, seen, captured):
    import avspnet.commands.pretrain as command

    _stop_at_pretraining(monkeypatch, command, captured)
    with pytest.raises(Stop):
        main(["pretrain", "--manifest", str(path), "--frontend", "W_a", "--out", str(tmp_path / "out"),
              "--cache-dir", str(tmp_path / "cache"), "--no-progress"])


def _run_experiment(path, tmp_path, monkeypatch, seen, captured):
    def labeller(manifest, *args, **kwargs):
        seen.append(manifest.copy())
        return read_proxy(proxy_path(path))

    monkeypatch.setattr(experiment_data, "compute_proxy_labels", labeller)
    _stop_at_pretraining(monkeypatch, frontend_encoder, captured)
    config = ExperimentConfig(target=CorpusSpec(name="target", manifest=str(path)),
                              background=(CorpusSpec(name="bg", manifest=str(path)),),
                              frontends=("W_a",), tasks=("arousal",), n_folds=3, workers=1)
    with pytest.raises(Stop):
        runner.run_experiment(config, tmp_path / "run", tmp_path / "cache", progress=False)


@pytest.mark.parametrize("run", [_run_pretrain_command, _run_experiment], ids=["pretrain", "experiment"])
def test_no_gold_label_reaches_pretraining(run, labelled_background, tmp_path, monkeypatch):
    path, manifest, proxy = labelled_background
    seen, captured = [], {}
    _spy_on_inputs(monkeypatch, background, "load_segments", seen)
    run(path, tmp_path, monkeypatch, seen, captured)

    assert seen, "the background was built without going through training.background"
    for given in seen:
        assert not [c for c in given.columns if c.startswith("raw_") or c in RATING_COLUMNS]
        assert (given["emotion"] == "").all() and (given["emotion4"] == "").all()
        assert given["arousal"].isna().all() and given["valence"].isna().all()

    expected = {name: np.repeat(proxy[f"proxy_{name}"].fillna(-1).to_numpy(dtype=np.int64), SEGMENTS_PER_UTTERANCE)
                for name in ("arousal", "valence")}
    gold = np.repeat(manifest["arousal"].fillna(-1).to_numpy(dtype=np.int64), SEGMENTS_PER_UTTERANCE)
    assert captured["n"] == len(manifest) * SEGMENTS_PER_UTTERANCE
    np.testing.assert_array_equal(captured["arousal"], expected["arousal"])
    np.testing.assert_array_equal(captured["valence"], expected["valence"])
    assert not np.array_equal(captured["arousal"][gold >= 0], gold[gold >= 0])


def test_a_labeller_that_misses_utterances_is_refused(labelled_background, tmp_path):
    """Whatever made the labels (a file, the experiment's labeller), each utterance needs its row."""
    from avspnet.errors import CorpusError

    path, manifest, proxy = labelled_background
    with pytest.raises(CorpusError, match="background bg: proxy labels do not match the manifest.*no proxy row for 2"):
        background.build_background([("bg", manifest)], lambda name, hidden: proxy.iloc[2:], cache_dir=tmp_path,
                                    progress=False)


def test_ratings_are_dropped_so_the_hidden_manifest_is_the_same_without_them(labelled_background):
    _, manifest, _ = labelled_background
    assert set(RATING_COLUMNS) <= set(manifest.columns)
    with_ratings = background.hide_gold_labels(manifest)
    without = background.hide_gold_labels(manifest.drop(columns=list(RATING_COLUMNS)))
    pd.testing.assert_frame_equal(with_ratings, without)
    assert manifest_hash(with_ratings) == manifest_hash(without)
