"""Scaling-study pieces of the experiment: hour subsets, network presets, multi-target configs, shipped configs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from avspnet.errors import ConfigError
from avspnet.experiment.config import load_experiments
from avspnet.experiment.data import hours_subset
from avspnet.frontends import entry
from avspnet.models.config import NETWORKS, network_name
from avspnet.training.pretrain_config import pretrain_from_dict

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "scaling"


def corpus(n_speakers=20, per_speaker=30, seed=0):
    rng = np.random.default_rng(seed)
    rows = [{"utt_id": f"s{s}_{u}", "speaker": f"s{s}", "duration_s": float(rng.uniform(2, 8))}
            for s in range(n_speakers) for u in range(per_speaker)]
    return pd.DataFrame(rows)


def test_hour_subsets_are_nested_whole_speakers_and_seeded():
    frame = corpus()
    small, large = hours_subset(frame, 0.1, seed=0), hours_subset(frame, 0.4, seed=0)
    assert set(small["utt_id"]) < set(large["utt_id"])
    for subset, hours in ((small, 0.1), (large, 0.4)):
        total = subset["duration_s"].sum() / 3600
        assert hours <= total < hours + 8 / 3600
        counts = subset["speaker"].value_counts()
        assert (counts < 30).sum() <= 1  # only the last speaker is cut
    assert hours_subset(frame, 0.1, seed=0).equals(small)
    assert set(hours_subset(frame, 0.1, seed=1)["utt_id"]) != set(small["utt_id"])
    assert len(hours_subset(frame, 100.0, seed=0)) == len(frame)
    position = {utt: i for i, utt in enumerate(frame["utt_id"])}
    assert small["utt_id"].map(position).is_monotonic_increasing  # manifest order kept


def test_network_presets():
    assert pretrain_from_dict({"network": "narrow"}).model == NETWORKS["narrow"]
    assert network_name(pretrain_from_dict({}).model) == "paper"
    assert network_name(pretrain_from_dict({"model": {"channels": 5}}).model) == "custom"
    with pytest.raises(ConfigError, match="network must be one of"):
        pretrain_from_dict({"network": "tiny"})
    with pytest.raises(ConfigError, match="not both"):
        pretrain_from_dict({"network": "narrow", "model": {"channels": 8}})


def test_targets_expand_to_one_config_each(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("name: rung\nbackground: [{name: urdu, root: bg, max_hours: 1}]\nfrontends: [R, AE]\n"
                    "pretrain: {network: narrow, max_steps: 5}\ntargets:\n"
                    "  ravdess: {target: {name: ravdess, root: rav}}\n"
                    "  casia-small: {target: {name: casia, root: cas, max_utterances: 10}, n_folds: 4}\n")
    (a, first), (b, second) = load_experiments(path)
    assert (a, b) == ("ravdess", "casia-small")
    assert first.name == "rung-ravdess" and second.name == "rung-casia-small"
    assert Path(second.target.root) == tmp_path / "cas" and second.n_folds == 4 and first.n_folds == 5
    assert first.background == second.background and first.background[0].max_hours == 1.0
    assert first.pretrain == second.pretrain and network_name(first.pretrain.model) == "narrow"


@pytest.mark.parametrize("text, match", [
    ("target: {name: ravdess, root: x}\ntargets: {a: {target: {name: casia, root: y}}}\n", "not both"),
    ("targets: {'a b': {target: {name: casia, root: y}}}\nfrontends: [R]\n", "label"),
    ("targets: []\nfrontends: [R]\n", "non-empty mapping"),
])
def test_bad_targets_are_named(tmp_path, text, match):
    path = tmp_path / "study.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_experiments(path)


def test_shipped_scaling_configs(monkeypatch, tmp_path):
    monkeypatch.setenv("AVSPNET_CV_ZH", str(tmp_path / "cv"))
    monkeypatch.setenv("AVSPNET_ASED", str(tmp_path / "ased"))
    rungs = {}
    for path in sorted(CONFIGS.glob("*.yaml")):
        configs = load_experiments(path)
        labels = {label for label, _ in configs}
        assert {"ravdess", "casia", "ased"} <= labels, path
        settings = {(c.pretrain, c.seed, c.background, c.frontends, c.fractions, c.tasks) for _, c in configs}
        assert len(settings) == 1, f"{path}: targets must share pre-training and protocol"
        (pretrain, _, background, frontends, fractions, _), = settings
        assert fractions == (0.25, 1.0)
        rungs[path.stem] = (pretrain, background, frontends)
    narrow = {k: v for k, v in rungs.items() if network_name(v[0].model) == "narrow"}
    assert len(narrow) >= 3
    budgets = {v[0] for k, v in narrow.items() if v[1]}
    assert len(budgets) == 1, "one pre-training budget on every rung"
    hours = sorted(v[1][0].max_hours for v in narrow.values() if v[1])
    assert hours == [0.0, 1.0, 4.0]  # 0 = all available hours
    # rung 0: R and the registry's baselines, none of which needs background speech
    assert [v[2] for k, v in narrow.items() if not v[1]] == [("R", "egemaps", "whisper-base")]
    assert not any(entry(name).needs_background for name in rungs["bg00_none"][2])
