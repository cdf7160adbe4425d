"""The lazy segment store and content-true cache keys: reads, truncated entries, edited files, windows."""

import os
import pickle
import time

import numpy as np
import pytest

from avspnet.content import DigestIndex, _index_at, manifest_audio_keys
from avspnet.corpora.manifest import make_manifest, manifest_hash
from avspnet.features.cache import extract_features
from avspnet.features.dataset import load_segments
from avspnet.features.store import SegmentStore, cached_store, write_store


def _manifest(paths, **extra):
    return make_manifest([{"utt_id": p.stem, "path": str(p), "speaker": "s", "duration_s": 1.0, **extra}
                          for p in paths])


def _two_files(tmp_path, seed=0) -> tuple[SegmentStore, np.ndarray]:
    """A store over two .npy files of 30 and 11 rows, and the same rows in memory."""
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((30, 4, 5), np.float32), rng.standard_normal((11, 4, 5), np.float32)
    return (SegmentStore.concat([SegmentStore.from_array(a, tmp_path / "a.npy"),
                                 SegmentStore.from_array(b, tmp_path / "b.npy")]), np.concatenate([a, b]))


def test_store_reads_rows_like_the_array(tmp_path):
    store, whole = _two_files(tmp_path)
    assert store.shape == whole.shape and len(store) == 41
    for index in (np.array([40, 3, 3, 29, 30, 0]), slice(5, 35), np.arange(41), np.array([], int), 7, -1):
        np.testing.assert_array_equal(store[index], whole[index])
    np.testing.assert_array_equal(np.asarray(store), whole)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(store))[[2, 31]], whole[[2, 31]])
    with pytest.raises(IndexError):
        store[[41]]


def test_subset_of_a_store_reads_its_rows_without_copying(tmp_path):
    store, whole = _two_files(tmp_path, seed=1)
    rows = np.array([40, 2, 3, 4, 28, 29, 30, 31, 10])
    part = store.subset(rows)
    np.testing.assert_array_equal(np.asarray(part), whole[np.sort(rows)])
    np.testing.assert_array_equal(part[[5, 0]], whole[np.sort(rows)][[5, 0]])
    assert len(part._parts) == 5 and part.paths == [str(tmp_path / n) for n in ("a.npy",) * 3 + ("b.npy",) * 2]
    assert len(store.subset(np.array([], int))) == 0
    with pytest.raises(IndexError):
        store.subset([41])


def test_store_write_checks_the_row_count(tmp_path):
    with pytest.raises(ValueError):
        write_store(tmp_path / "s.npy", [np.zeros((2, 3))], 3, (3,))
    assert not (tmp_path / "s.npy").exists()


def test_truncated_entries_are_named_and_recomputed(tmp_path, voice, cache_dir, caplog):
    paths = [voice(tmp_path / f"u{i}.wav", seconds=2.0, seed=i) for i in range(2)]
    manifest = _manifest(paths)
    first = load_segments(manifest, cache_dir=cache_dir, workers=1, progress=False)
    expected = np.asarray(first.segments)
    spectrogram = next((cache_dir / "features").rglob("*.npy"))
    store_file = next((cache_dir / "segments").glob("*.npy"))
    for path in (spectrogram, store_file):
        path.write_bytes(path.read_bytes()[:100])
    caplog.clear()
    again = load_segments(manifest, cache_dir=cache_dir, workers=1, progress=False)
    np.testing.assert_array_equal(np.asarray(again.segments), expected)
    assert f"cache entry {spectrogram} is truncated" in caplog.text and str(store_file) in caplog.text
    for path in cache_dir.rglob("*.npy"):
        np.load(path, mmap_mode="r")
    assert cached_store(store_file, (None, 200, 80)) is not None


def test_warm_run_skips_hashing_and_an_edited_file_misses(tmp_path, voice, cache_dir, monkeypatch):
    paths = [voice(tmp_path / f"u{i}.wav", seconds=1.5, seed=i) for i in range(3)]
    manifest = _manifest(paths)
    before = manifest_hash(manifest, cache_dir)
    extract_features(manifest, cache_dir=cache_dir, workers=1, progress=False)
    hashed = []
    _index_at.cache_clear()  # a new process: only the on-disk index remembers
    monkeypatch.setattr("avspnet.content.file_digest", lambda path: hashed.append(path) or "x")
    assert manifest_hash(manifest, cache_dir) == before and hashed == []
    monkeypatch.undo()
    stat = os.stat(paths[1])
    voice(paths[1], seconds=1.5, seed=7)  # same size, new content: the mtime tells
    os.utime(paths[1], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert os.path.getsize(paths[1]) == stat.st_size
    changed = extract_features(manifest, cache_dir=cache_dir, workers=1, progress=False)
    assert (changed.computed, changed.reused) == (1, 2)
    assert manifest_hash(manifest, cache_dir) != before


def test_same_bytes_elsewhere_share_entries_and_a_window_is_its_own_key(tmp_path, voice, cache_dir):
    original = voice(tmp_path / "a" / "x.wav", seconds=3.0)
    copy = tmp_path / "b" / "x.wav"
    copy.parent.mkdir()
    copy.write_bytes(original.read_bytes())
    whole = manifest_audio_keys(_manifest([original]), cache_dir)
    assert whole == manifest_audio_keys(_manifest([copy]), cache_dir)
    windowed = manifest_audio_keys(_manifest([original], start_s=0.5, end_s=2.0), cache_dir)
    assert windowed[0].startswith(whole[0]) and windowed != whole
    full = load_segments(_manifest([original]), cache_dir=cache_dir, workers=1, progress=False)
    part = load_segments(_manifest([original], start_s=1.0, end_s=2.0), cache_dir=cache_dir, workers=1,
                         progress=False)
    assert len(full) == 3 and len(part) == 1 and full.key != part.key


def test_digest_index_survives_a_corrupt_database(tmp_path, voice, cache_dir):
    path = voice(tmp_path / "u.wav")
    cache_dir.mkdir(parents=True)
    (cache_dir / "digests.sqlite").write_bytes(b"not a database" * 100)
    digest = DigestIndex(cache_dir).digests([path])[str(path)]
    time.sleep(0.01)
    assert DigestIndex(cache_dir).digests([path])[str(path)] == digest and len(digest) == 40
