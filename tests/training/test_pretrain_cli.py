"""`avspnet pretrain` end to end on tiny generated corpora with a proxy CSV beside each manifest."""

from pathlib import Path

import pandas as pd
import pytest
import torch

from avspnet.cli import main
from avspnet.training import checkpoint
from avspnet.training.checkpoint import load_encoder


def make_corpus(tmp_path, voice, name):
    for actor in (1, 2, 3):
        for emotion in ("01", "05"):
            voice(tmp_path / name / f"Actor_0{actor}" / f"03-01-{emotion}-01-01-01-0{actor}.flac",
                  seconds=1.8, f0=110 + 40 * actor, seed=actor * 10 + int(emotion))
    manifest = tmp_path / f"{name}.csv"
    assert main(["corpus", "ravdess", str(tmp_path / name), "-o", str(manifest)]) == 0
    ids = pd.read_csv(manifest)["utt_id"]
    pd.DataFrame({"utt_id": ids, "proxy_arousal": [1, 0, "", 1, 0, 1][: len(ids)],
                  "proxy_valence": [0, 1, 1, "", 0, 1][: len(ids)]}).to_csv(tmp_path / f"{name}.proxy.csv", index=False)
    return manifest


def test_pretrain_command_writes_a_loadable_encoder(tmp_path, voice, capsys, monkeypatch):
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    first, second = make_corpus(tmp_path, voice, "a"), make_corpus(tmp_path, voice, "b")
    (tmp_path / "tiny.yaml").write_text(
        "batch_size: 4\nval_speaker_fraction: 0.2\nmodel: {channels: 2, embed_dim: 16, latent_dim: 4, head_dims: [8]}\n")
    code = main(["pretrain", "--manifest", str(first), "--manifest", str(second), "--frontend", "AVSpNET_a",
                 "--out", str(tmp_path / "out"), "--config", str(tmp_path / "tiny.yaml"), "--epochs", "2",
                 "--device", "cpu", "--precision", "fp32", "--no-progress"])
    torch.set_num_threads(threads)
    assert code == 0
    assert "AVSpNET_a: 2 epoch(s) on 24 segments" in capsys.readouterr().out
    encoder, meta = load_encoder(tmp_path / "out" / "pretrained.pt")
    assert encoder(torch.zeros(1, 200, 80)).shape == (1, 16)
    assert meta["metadata"]["n_segments"] == 24 and len(meta["metadata"]["background"]) == 2
    assert meta["config"]["epochs"] == 2 and len(meta["metadata"]["data_hash"]) == 16


def test_missing_proxy_labels_is_one_line(tmp_path, voice, capsys, monkeypatch):
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    manifest = make_corpus(tmp_path, voice, "a")
    (tmp_path / "a.proxy.csv").unlink()
    assert main(["pretrain", "--manifest", str(manifest), "--frontend", "AE", "--out", str(tmp_path / "o")]) == 2
    assert "proxy labels not found" in capsys.readouterr().err


def test_out_folder_is_reused_only_for_the_same_data(tmp_path, voice, capsys, monkeypatch):
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    manifest = make_corpus(tmp_path, voice, "a")
    (tmp_path / "tiny.yaml").write_text("batch_size: 4\nmodel: {channels: 2, embed_dim: 16, latent_dim: 4, head_dims: [8]}\n")
    command = ["pretrain", "--manifest", str(manifest), "--frontend", "AE", "--out", str(tmp_path / "out"),
               "--config", str(tmp_path / "tiny.yaml"), "--epochs", "1", "--device", "cpu", "--precision", "fp32",
               "--no-progress"]
    assert main(command) == 0
    assert "on 12 segments (fp32 on cpu)" in capsys.readouterr().out
    saved = (tmp_path / "out" / "pretrained.pt").stat().st_mtime_ns
    assert main(command) == 0  # same data: reused, with the segment count it was trained on
    assert "on 12 segments" in capsys.readouterr().out
    assert (tmp_path / "out" / "pretrained.pt").stat().st_mtime_ns == saved
    _tampered_weights_are_one_line(tmp_path / "out", command, capsys)
    first = pd.read_csv(manifest)["path"].iloc[0]
    voice(Path(first), seconds=3.0, f0=200, seed=99)  # the same file, edited in place: other data
    assert main(command) == 2
    assert "on other data" in capsys.readouterr().err
    (tmp_path / "out" / "pretrained.pt").write_bytes(b"truncated")
    assert main(command) == 2  # a file avspnet cannot read is never overwritten: it may be someone's
    assert "refusing to overwrite it" in capsys.readouterr().err
    assert (tmp_path / "out" / "pretrained.pt").read_bytes() == b"truncated"
    (tmp_path / "out" / "pretrained.pt").unlink()
    assert main(command) == 0
    assert "on 13 segments" in capsys.readouterr().out


def test_proxy_file_of_another_manifest_version_is_refused(tmp_path, voice, capsys, monkeypatch):
    """A proxy CSV from before the manifest grew, or cut short, would leave utterances unlabelled."""
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    manifest = make_corpus(tmp_path, voice, "a")
    proxy_csv = tmp_path / "a.proxy.csv"
    full = pd.read_csv(proxy_csv)
    command = ["pretrain", "--manifest", str(manifest), "--frontend", "AE", "--out", str(tmp_path / "o"),
               "--epochs", "1", "--device", "cpu", "--precision", "fp32", "--no-progress"]
    for stale, message in ((full.iloc[:3], "no proxy row for 3 of the manifest's 6 utterances"),
                           (pd.concat([full, full.assign(utt_id="ravdess/gone")]).iloc[:7],
                            "1 proxy row(s) for utterances the manifest lacks")):
        stale.to_csv(proxy_csv, index=False)
        assert main(command) == 2
        err = capsys.readouterr().err
        assert message in err and "rerun `avspnet proxy MANIFEST`" in err and "Traceback" not in err
        assert main(["proxy-report", str(manifest)]) == 2  # the same check, the same words
        assert message in capsys.readouterr().err
    assert not (tmp_path / "o" / "pretrained.pt").exists()


def _tampered_weights_are_one_line(out: Path, command: list[str], capsys) -> None:
    """A finished or interrupted run whose weights do not fit its config is named in one line (exit 2), then
    the folder is put back as it was."""
    final = out / checkpoint.FINAL
    whole = final.read_bytes()
    saved = torch.load(final, weights_only=True)
    state = dict(saved["model_state"])
    name = next(k for k in state if k.endswith("weight"))
    state[name] = torch.zeros(1)
    torch.save({**saved, "model_state": state}, final)
    assert main(command) == 2
    assert f"model {final}: its weights do not fit" in capsys.readouterr().err
    final.unlink()
    interrupted = {"config": saved["config"], "model_state": state, "run": {"phase": 0, "epoch": 1},
                   "data_hash": saved["metadata"]["data_hash"]}
    for broken in (interrupted, {**interrupted, "model_state": saved["model_state"], "run": {"stage": 2}}):
        torch.save(broken, out / checkpoint.RUN_STATE)
        assert main(command) == 2
        err = capsys.readouterr().err.strip()
        assert f"model {out / checkpoint.RUN_STATE}: " in err and err.count("\n") == 0
    (out / checkpoint.RUN_STATE).unlink()
    final.write_bytes(whole)


def test_a_foreign_checkpoint_in_out_is_refused_before_any_work(tmp_path, voice, capsys, monkeypatch):
    """Another tool's pretrained.pt, or another recipe's, is never overwritten; nothing is loaded first."""
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    manifest = make_corpus(tmp_path, voice, "a")
    (tmp_path / "tiny.yaml").write_text("batch_size: 4\nmodel: {channels: 2, embed_dim: 16, latent_dim: 4, head_dims: [8]}\n")
    command = ["pretrain", "--manifest", str(manifest), "--out", str(tmp_path / "out"), "--config",
               str(tmp_path / "tiny.yaml"), "--epochs", "1", "--device", "cpu", "--precision", "fp32", "--no-progress"]
    (tmp_path / "out").mkdir()
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "out" / "pretrained.pt")
    foreign = (tmp_path / "out" / "pretrained.pt").read_bytes()
    monkeypatch.setattr("avspnet.commands.pretrain.load_background", lambda *a, **k: pytest.fail("loaded data"))
    assert main([*command, "--frontend", "AE"]) == 2
    assert "refusing to overwrite it" in capsys.readouterr().err
    assert (tmp_path / "out" / "pretrained.pt").read_bytes() == foreign
    monkeypatch.undo()
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    (tmp_path / "out" / "pretrained.pt").unlink()
    assert main([*command, "--frontend", "AE"]) == 0
    ours = (tmp_path / "out" / "pretrained.pt").read_bytes()
    monkeypatch.setattr("avspnet.commands.pretrain.load_background", lambda *a, **k: pytest.fail("loaded data"))
    assert main([*command, "--frontend", "W_a"]) == 2
    assert "with a different config" in capsys.readouterr().err
    assert (tmp_path / "out" / "pretrained.pt").read_bytes() == ours
