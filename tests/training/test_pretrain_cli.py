"""`avspnet pretrain` end to end on tiny generated corpora with a proxy CSV beside each manifest."""

import pandas as pd
import torch

from avspnet.cli import main
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
