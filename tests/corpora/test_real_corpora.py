"""The loaders on the real copies in ../shared/data (skipped when absent)."""

import pytest

from avspnet.corpora import load_corpus
from avspnet.features.stats import corpus_stats

pytestmark = pytest.mark.integration


def test_ravdess(shared_data):
    stats = corpus_stats(load_corpus("ravdess", shared_data / "ravdess"))
    assert (stats["utterances"], stats["speakers"]) == (1440, 24)
    assert round(stats["hours"], 2) == 1.48
    assert stats["arousal"] == {"high": 960, "low": 480}
    assert stats["emotion4"] == {"angry": 192, "happy": 192, "neutral": 96, "sad": 192}


def test_casia(shared_data):
    manifest = load_corpus("casia", shared_data / "casia")
    assert (len(manifest), manifest["speaker"].nunique()) == (1200, 4)
    assert (manifest["transcript"] != "").all()


def test_urdu(shared_data):
    manifest = load_corpus("urdu", shared_data / "urdu")
    assert len(manifest) == 400
    assert manifest["speaker"].nunique() == 29
    assert manifest["emotion4"].value_counts().to_dict() == {"angry": 100, "happy": 100, "neutral": 100, "sad": 100}
