"""The unlabeled-speech study's shipped configs: every row is paired with the reference on the same protocol."""

from pathlib import Path

from avspnet.experiment.config import load_experiments
from avspnet.frontends import entry

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "unlabeled"
TARGETS = {"ravdess", "casia", "ased", "ased-sentence"}


def test_shipped_unlabeled_configs_pair_every_row_with_the_reference(monkeypatch, tmp_path):
    monkeypatch.setenv("AVSPNET_CV_ZH", str(tmp_path / "cv"))
    monkeypatch.setenv("AVSPNET_ASED", str(tmp_path / "ased"))
    loaded = {path.stem: dict(load_experiments(path)) for path in sorted(CONFIGS.glob("*.yaml"))}
    assert {"main", "plain", "read", "utterance", "selftrain", "meanvar", "hidden"} <= set(loaded)
    protocols = set()
    for stem, configs in loaded.items():
        assert set(configs) == TARGETS, stem
        for label, config in configs.items():
            # Rows pair per fold only if folds, label subsets and head seeds are the same everywhere.
            protocols.add((label, config.seed, config.n_folds, config.folds, config.fractions, config.target))
            assert config.transfer.preset == "tuned", (stem, label)
            assert config.fractions == (0.25, 1.0) and "emotion" in config.tasks, (stem, label)
            if any(entry(name).needs_background for name in config.frontends) and stem != "read":
                # leave-one-corpus-out: the target never appears in its own affect-varied background
                assert config.target.name not in {b.name for b in config.background}, (stem, label)
    assert len(protocols) == len(TARGETS), "every config must share each target's protocol"
    reference = loaded["main"]
    for config in reference.values():
        assert "whisper-base" in config.frontends and config.transfer.speaker_norm == "mean"
    assert {c.transfer.speaker_norm for c in loaded["plain"].values()} == {"none"}
    assert {c.transfer.speaker_norm for c in loaded["meanvar"].values()} == {"meanvar"}
    assert {c.transfer.level for c in loaded["utterance"].values()} == {"utterance"}
    assert {c.transfer.self_training for c in loaded["selftrain"].values()} == {1}
    assert {c.adapter.mode for c in loaded["hidden"].values()} == {"hidden"}
    assert {c.adapter.mode for c in reference.values()} == {"concat"}
    assert loaded["read"]["ravdess"].background[0].name == "commonvoice"
    assert loaded["main"]["ased-sentence"].folds == "speaker_sentence"
