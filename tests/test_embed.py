"""`avspnet embed`: shards of a manifest fill one Whisper store, which a whole run then only reads."""

import numpy as np
import pytest

from avspnet.cli import main
from avspnet.corpora.manifest import make_manifest, read_manifest, write_manifest
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import load_segments
from avspnet.frontends.base import EmbedContext
from avspnet.training.device import Runtime

SECONDS = (1.0, 2.6, 1.9, 2.2, 1.4)


def _manifest(tmp_path, voice, seconds=SECONDS):
    rows = [{"utt_id": f"u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=s, f0=120 + 25 * i, seed=i)),
             "speaker": f"s{i % 2}"} for i, s in enumerate(seconds)]
    return write_manifest(make_manifest(rows), tmp_path / "m.csv")


@pytest.fixture
def manifest(tmp_path, voice):
    return _manifest(tmp_path, voice)


def _embed(manifest, cache, capsys, *extra) -> str:
    argv = ["embed", str(manifest), "--frontend", "whisper-small", "--cache-dir", str(cache), "--precision", "fp32",
            "--workers", "1", "--quiet", *extra]
    assert main(argv) == 0
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0, out
    return out


def test_shards_fill_one_store_that_a_whole_run_only_reads(tiny_whisper, manifest, tmp_path, capsys):
    shared = tmp_path / "shared"
    assert "3 utterances computed, 0 reused" in _embed(manifest, shared, capsys, "--shard", "0/2")
    assert "2 utterances computed, 0 reused" in _embed(manifest, shared, capsys, "--shard", "1/2")
    whole = _embed(manifest, shared, capsys)
    assert "0 utterances computed, 5 reused" in whole and "nothing to encode" in whole
    # The shards wrote no segment store: the audio pass needs only the segments' layout.
    assert not (shared / "segments").exists()
    # An experiment's pass over the whole manifest reads the shards' vectors, equal to one unsharded pass.
    context = EmbedContext(FeatureConfig(), shared, Runtime.resolve("cpu", "fp32"), progress=False)
    segments = load_segments(read_manifest(manifest), context.features, shared, 1, False)
    read = tiny_whisper.stored_pass(segments, context)
    assert read.computed == ()
    alone = tmp_path / "alone"
    out = _embed(manifest, alone, capsys)
    assert "5 utterances computed, 0 reused" in out and f"{sum(SECONDS):.1f} s of audio" in out and "RTF" in out
    single = tiny_whisper.stored_pass(segments, EmbedContext(context.features, alone, context.runtime,
                                                             progress=False))
    assert single.computed == ()
    np.testing.assert_array_equal(read.vectors, single.vectors)


def test_workers_fill_the_same_store(tiny_whisper, tmp_path, voice, capsys):
    """Encoder processes (spawned, one thread each) store the vectors one process would; eight utterances, so
    the pool really starts."""
    manifest = _manifest(tmp_path, voice, (*SECONDS, 1.2, 1.7, 2.0))
    one, pooled = tmp_path / "one", tmp_path / "pooled"
    _embed(manifest, one, capsys)
    argv = ["embed", str(manifest), "--frontend", "whisper-small", "--cache-dir", str(pooled), "--precision",
            "fp32", "--workers", "2", "--quiet"]
    assert main(argv) == 0
    assert "8 utterances computed" in capsys.readouterr().out
    stored = {root: sorted(p.relative_to(root) for p in root.glob("frontends/utterances/*/*.npy"))
              for root in (one, pooled)}
    assert len(stored[one]) == 8 and stored[one] == stored[pooled]
    for name in stored[one]:
        np.testing.assert_allclose(np.load(pooled / name), np.load(one / name), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("extra, says", [
    (["--frontend", "egemaps"], "--frontend 'egemaps' has no per-utterance store; only these have: whisper-base, "
                                "whisper-small"),
    (["--frontend", "whisper-base", "--shard", "2/2"], "shard '2/2': need 0 <= K < N"),
    (["--frontend", "whisper-base", "--shard", "half"], "shard must look like K/N"),
])
def test_bad_arguments_are_one_line(manifest, tmp_path, capsys, extra, says):
    assert main(["embed", str(manifest), "--cache-dir", str(tmp_path / "cache"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("avspnet embed: error: ") and says in err, err


def test_a_missing_model_is_one_line(manifest, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AVSPNET_WHISPER_SMALL", raising=False)
    assert main(["embed", str(manifest), "--frontend", "whisper-small", "--cache-dir", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "whisper-small needs" in err, err
