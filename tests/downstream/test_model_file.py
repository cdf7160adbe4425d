"""Model files of any front-end: a fixed one is saved by name and content hash and rebuilt at load, refused in
one line where this installation would compute other vectors or lacks its extra; files of format 1 still load."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from avspnet.cli import main
from avspnet.configio import to_dict
from avspnet.downstream.fit import predict_outputs
from avspnet.downstream.head import Head, load_recognizer, save_recognizer
from avspnet.downstream.predict import predict_file
from avspnet.errors import ConfigError
from avspnet.evaluation.tasks import get_task
from avspnet.features.config import FeatureConfig
from avspnet.features.segments import cut_segments
from avspnet.features.spectrogram import file_spectrogram
from avspnet.frontends import build_by_name, entry
from avspnet.frontends.logmel import LogMelStats, logmel_stats
from avspnet.frontends.saved import not_exportable
from test_hardening import _saved_model


def _fixed_model(path: Path, name: str) -> Path:
    reason = entry(name).unavailable()
    if reason:
        pytest.skip(reason)
    frontend = build_by_name(name)
    torch.manual_seed(0)
    head = Head(frontend.dim, 2, (4,))
    head.set_normalisation(np.random.default_rng(0).normal(size=(10, frontend.dim)).astype(np.float32))
    return save_recognizer(path, frontend, head, {"in_dim": frontend.dim, "n_classes": 2, "hidden": [4], "dropout": 0.5},
                           {"task": "arousal", "class_names": ["low", "high"], "features": to_dict(FeatureConfig())},
                           "fp32")


def test_a_fixed_front_end_is_its_name_and_hash_and_serves_its_own_vectors(tmp_path, voice):
    path = _fixed_model(tmp_path / "m.pt", "logmel-stats")
    saved = torch.load(path, weights_only=True)
    assert set(saved["frontend"]) == {"name", "kind", "content_hash", "versions"}
    assert saved["frontend"]["name"] == "logmel-stats" and saved["format"] == 2
    model, metadata = load_recognizer(path)
    audio = voice(tmp_path / "a.wav", seconds=2.0)
    features = FeatureConfig()
    vectors = logmel_stats(cut_segments(file_spectrogram(audio, features), features), features)
    np.testing.assert_allclose(predict_file(model, metadata, audio).segment_probabilities,
                               predict_outputs(model.head, vectors, get_task("arousal")), atol=1e-6)


def _other_opensmile(monkeypatch) -> str:
    """What `importlib.metadata` says after openSMILE is "upgraded"; returns the version the file was made with."""
    real = importlib.metadata.version
    made_with = real("opensmile")
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9" if name == "opensmile" else real(name))
    return made_with


def _without_faster_whisper(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "faster_whisper" else real(name, *a))


def _renamed(path: Path, name: str) -> None:
    saved = torch.load(path, weights_only=True)
    saved["frontend"]["name"] = name
    torch.save(saved, path)


# (front-end saved, what changes after saving, the error line's fragment after "model PATH: ")
REFUSALS = {
    "other-opensmile": ("egemaps", lambda path, monkeypatch: _other_opensmile(monkeypatch),
                        "its front-end egemaps would compute other vectors here: made with opensmile "),
    "missing-extra": ("whisper-base", lambda path, monkeypatch: _without_faster_whisper(monkeypatch),
                      "its front-end whisper-base needs the optional ASR extra (faster_whisper missing): "
                      "pip install 'avspnet[asr]' (or `make install-asr`)"),
    "unknown-name": ("logmel-stats", lambda path, monkeypatch: _renamed(path, "mfcc"),
                     "its front-end 'mfcc' is not in this installation's registry (saved by avspnet "),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_front_end_this_installation_cannot_rebuild_as_saved_is_one_line(case, tmp_path, voice, capsys, monkeypatch):
    name, change, fragment = REFUSALS[case]
    path = _fixed_model(tmp_path / "m.pt", name)
    audio = voice(tmp_path / "a.wav")
    made_with = change(path, monkeypatch)
    assert main(["predict", str(path), str(audio)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert f"avspnet predict: error: model {path}: {fragment}" in err
    if made_with:
        assert f"made with opensmile {made_with} (9.9.9 here); content egemaps-" in err


def test_a_model_file_of_format_1_loads_as_its_encoder(tmp_path, voice):
    """Files from before front-end records (an encoder's state and settings beside the head) still predict."""
    path = _saved_model(tmp_path / "new.pt")
    saved = torch.load(path, weights_only=True)
    record = saved.pop("frontend")
    del saved["format"]
    old = tmp_path / "old.pt"
    torch.save({**saved, "encoder_state": record["weights"], "encoder_config": record["settings"]}, old)
    audio = voice(tmp_path / "a.wav", seconds=2.0)
    (new_model, metadata), (old_model, _) = load_recognizer(path), load_recognizer(old)
    assert old_model.frontend.content_hash() == new_model.frontend.content_hash()
    np.testing.assert_array_equal(predict_file(old_model, metadata, audio).segment_probabilities,
                                  predict_file(new_model, metadata, audio).segment_probabilities)


class _Adapted(LogMelStats):
    """A front-end under a registry name whose vectors are not the registry's (as an adapter on top would be)."""

    def content_hash(self) -> str:
        return "adapted-" + super().content_hash()


def test_a_front_end_neither_an_encoder_nor_rebuilt_by_name_is_not_saved(tmp_path):
    assert not_exportable(LogMelStats()) is None
    assert "neither an AV-SpNET encoder nor rebuilt by name" in not_exportable(_Adapted())
    with pytest.raises(ConfigError, match="cannot save front-end logmel-stats"):
        save_recognizer(tmp_path / "m.pt", _Adapted(), Head(_Adapted.dim, 2, (4,)), {}, {}, "fp32")
    assert not (tmp_path / "m.pt").exists()
