"""The loaders on the real copies in ../shared/data, or at $AVSPNET_CV_ZH / $AVSPNET_ASED / $AVSPNET_SPEECHOCEAN
(each skipped when absent)."""

import os
from pathlib import Path

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


@pytest.mark.parametrize("locale, utterances, speakers", [("en", 100, 95), ("zh-CN", 100, 81)])
def test_commonvoice_shared_sample(shared_data, locale, utterances, speakers):
    manifest = load_corpus("commonvoice", shared_data / "commonvoice" / locale)
    assert (len(manifest), manifest["speaker"].nunique()) == (utterances, speakers)
    assert set(manifest["language"]) == {locale.split("-")[0]} and (manifest["transcript"] != "").all()
    assert (manifest["duration_s"] > 0).all()


def env_path(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value or not Path(value).is_dir():
        pytest.skip(f"{variable} is not set to a directory")
    return Path(value)


def test_commonvoice_zh_full():
    root = env_path("AVSPNET_CV_ZH")
    validated = corpus_stats(load_corpus("commonvoice", root))
    assert (validated["utterances"], validated["speakers"], round(validated["hours"], 1)) == (6234, 271, 11.2)
    everything = corpus_stats(load_corpus("commonvoice-all", root))
    assert (everything["utterances"], everything["speakers"], round(everything["hours"], 1)) == (7013, 288, 12.7)


def test_speechocean762_kaldi():
    root = env_path("AVSPNET_SPEECHOCEAN")
    manifest = load_corpus("kaldi", root)
    assert (len(manifest), manifest["speaker"].nunique()) == (5000, 250)
    assert set(manifest["raw_data_dir"]) == {"train", "test"} and set(manifest["language"]) == {"en"}
    assert len(load_corpus("kaldi", root / "train")["speaker"].unique()) == 125


def test_ased():
    manifest = load_corpus("ased", env_path("AVSPNET_ASED"))
    assert (len(manifest), manifest["speaker"].nunique()) == (2474, 65)
    assert manifest["emotion"].value_counts().to_dict() == {
        "neutral": 522, "fearful": 510, "happy": 486, "angry": 486, "sad": 470}
    assert manifest["raw_sentence"].nunique() == 27
    shared = manifest.groupby("raw_sentence")["emotion"].nunique()
    assert sorted(shared[shared > 1].index) == ["common01", "common02"]
