import pandas as pd
import pytest

from avspnet.corpora.manifest import make_manifest, manifest_hash, read_manifest, write_manifest
from avspnet.errors import CorpusError


def _rows():
    return [
        {"utt_id": "b", "path": "/x/b.wav", "speaker": "s1", "group": "g", "duration_s": 1.5,
         "language": "zh", "transcript": "我很高兴, \"yes\"", "emotion": "happy", "arousal": 1,
         "valence": 1, "emotion4": "happy", "raw_code": "03"},
        {"utt_id": "a", "path": "/x/a.flac", "speaker": "s2", "group": "g", "duration_s": 2.0,
         "language": "en", "transcript": "", "emotion": "", "arousal": None, "valence": None,
         "emotion4": "", "raw_code": ""},
    ]


def test_roundtrip_is_identical(tmp_path):
    manifest = make_manifest(_rows())
    path = write_manifest(manifest, tmp_path / "m.csv")
    back = read_manifest(path)
    pd.testing.assert_frame_equal(manifest, back)
    assert list(back["utt_id"]) == ["a", "b"]
    assert back["arousal"].isna().tolist() == [True, False]
    assert str(back["arousal"].dtype) == "Int64"


def test_duplicate_ids_and_bad_classes_are_rejected():
    rows = _rows()
    rows[1]["utt_id"] = "b"
    with pytest.raises(CorpusError, match="duplicate utt_id"):
        make_manifest(rows)
    rows = _rows()
    rows[0]["emotion4"] = "fearful"
    with pytest.raises(CorpusError, match="emotion4"):
        make_manifest(rows)


def test_hash_ignores_location_but_not_labels():
    manifest = make_manifest(_rows())
    moved = manifest.assign(path=manifest["path"].str.replace("/x/", "/elsewhere/"))
    relabelled = manifest.assign(arousal=pd.array([None, 0], dtype="Int64"))
    assert manifest_hash(manifest) == manifest_hash(moved)
    assert manifest_hash(manifest) != manifest_hash(relabelled)


def test_unreadable_manifest_names_the_problem(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        read_manifest(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(CorpusError, match="required column"):
        read_manifest(bad)
