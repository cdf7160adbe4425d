"""Experiment configs: the shipped ones parse, presets expand, paths resolve, mistakes are named."""

from pathlib import Path

import pytest

from avspnet.errors import ConfigError
from avspnet.experiment.config import load_experiment

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize("target", ["ravdess", "casia", "urdu"])
def test_leave_one_corpus_out_configs(target):
    config = load_experiment(CONFIGS / f"loco_{target}.yaml")
    # Resolved on both sides: ../shared may be a symlink (or reached through one).
    assert Path(config.target.root) == (CONFIGS.parent.parent / "shared" / "data" / target).resolve()
    assert {Path(b.root).name for b in config.background} == {"ravdess", "casia", "urdu"} - {target}
    assert config.transfer.preset == "tuned" and config.transfer.optimizer == "adam"
    assert len(config.frontends) == 8 and config.n_folds == 5


def test_paper_config_needs_its_data_paths(monkeypatch, tmp_path):
    monkeypatch.delenv("AVSPNET_IEMOCAP", raising=False)
    with pytest.raises(ConfigError, match="environment variable"):
        load_experiment(CONFIGS / "paper_iemocap.yaml")
    monkeypatch.setenv("AVSPNET_IEMOCAP", str(tmp_path / "iemocap"))
    monkeypatch.setenv("AVSPNET_MEDIA", str(tmp_path / "media.csv"))
    config = load_experiment(CONFIGS / "paper_iemocap.yaml")
    assert config.transfer.optimizer == "sgd" and config.transfer.lr == 1e-5
    assert config.pretrain.model.channels == 32 and config.pretrain.batch_size == 32


def test_mistakes_are_named(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("target: {name: ravdess, root: x}\nbackground: []\nfrontends: [R]\nepochz: 3\n")
    with pytest.raises(ConfigError, match="epochz"):
        load_experiment(path)
    path.write_text("target: {name: ravdess, root: x}\nbackground: []\nfrontends: [R]\ntransfer: {preset: fast}\n")
    with pytest.raises(ConfigError, match="preset"):
        load_experiment(path)
    path.write_text("target: {name: ravdess, root: x}\nbackground: []\nfrontends: [AE]\n")
    with pytest.raises(ConfigError, match="background"):
        load_experiment(path)
    path.write_text("frontends: [whisper-base]\n")
    with pytest.raises(ConfigError, match="missing required option.s. target"):
        load_experiment(path)
    path.write_text("target: {name: ravdess, root: x}\nfrontends: [egemaps]\n")
    assert load_experiment(path).background == ()


@pytest.mark.parametrize("target", ["ravdess", "casia"])
def test_baseline_configs(target):
    config = load_experiment(CONFIGS / f"loco_{target}_baselines.yaml")
    assert config.frontends == ("R", "AVSpNET_a", "egemaps", "whisper-base", "logmel-stats")
    assert config.tasks == ("arousal", "valence", "emotion4", "emotion") and config.fractions == (0.25, 1.0)


def test_frontend_names_from_the_registry(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("target: {name: ravdess, root: x}\nbackground: []\nfrontends: [mfcc]\n")
    with pytest.raises(ConfigError, match="unknown front-end 'mfcc'; known: .*egemaps, whisper-base"):
        load_experiment(path)
    path.write_text("target: {name: ravdess, root: x}\nbackground: []\n"
                    "frontends: [logmel-stats, egemaps, 'checkpoint:runs/fe']\n")
    config = load_experiment(path)
    assert config.frontends[2] == f"checkpoint:{tmp_path / 'runs' / 'fe'}"


def test_fold_mode_is_checked(tmp_path):
    path = tmp_path / "folds.yaml"
    path.write_text("target: {name: ased, root: x}\nbackground: []\nfrontends: [R]\nfolds: speaker_sentence\n")
    assert load_experiment(path).folds == "speaker_sentence"
    path.write_text("target: {name: ased, root: x}\nbackground: []\nfrontends: [R]\nfolds: sentence\n")
    with pytest.raises(ConfigError, match="folds must be one of speaker, speaker_sentence"):
        load_experiment(path)


def test_transfer_options_from_yaml_and_what_cannot_run_with_them(tmp_path):
    path = tmp_path / "t.yaml"
    base = "target: {name: ravdess, root: x}\nbackground: []\nfrontends: [R]\n"
    path.write_text(base + "transfer: {speaker_norm: meanvar, self_training: 2, pseudo_threshold: 0.8}\n")
    transfer = load_experiment(path).transfer
    assert (transfer.speaker_norm, transfer.level, transfer.self_training, transfer.pseudo_threshold) == \
        ("meanvar", "segment", 2, 0.8)
    for extra, fragment in [("transfer: {speaker_norm: zscore}\n", "transfer.speaker_norm must be one of"),
                            ("transfer: {level: utterance}\n", "set export_models: false"),
                            ("tasks: [arousal, arousal_rating]\ntransfer: {self_training: 1}\n",
                             "rating tasks \\(arousal_rating\\)")]:
        path.write_text(base + extra)
        with pytest.raises(ConfigError, match=fragment) as caught:
            load_experiment(path)
        assert "\n" not in str(caught.value)
    path.write_text(base + "export_models: false\ntransfer: {level: utterance}\n")
    assert load_experiment(path).transfer.level == "utterance"
