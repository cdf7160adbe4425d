import math

import pytest

from avspnet.errors import ConfigError
from avspnet.proxy import ProxyConfig
from avspnet.proxy.config import DEFAULT_LEXICONS, LEXICON_NAMES
from avspnet.proxy.lexicons import LEXICONS, load_lexicon, package_file
from avspnet.proxy.tokens import tokenize
from avspnet.proxy.valence import raw_valence


def test_english_sum_over_lexicons_and_words():
    # "love" and "wonderful" are positive in VADER, AFINN and NRC; "hate" negative in all three.
    for name in DEFAULT_LEXICONS["en"]:
        table = load_lexicon(name)
        assert (table["love"], table["wonderful"], table["hate"]) == (1, 1, -1), name
    result = raw_valence("I love this wonderful day!", "en", DEFAULT_LEXICONS)
    assert (result.raw, result.n_lexicon_words, result.n_tokens) == (6.0, 2, 5)
    assert raw_valence("I hate it.", "en-US", DEFAULT_LEXICONS).raw == -3.0
    assert raw_valence("Kids are talking by the door", "en", DEFAULT_LEXICONS).raw == 0.0


def test_chinese_jieba_tokens_and_lexicons():
    assert tokenize("我今天很高兴。", "zh") == ["我", "今天", "很", "高兴"]
    happy = raw_valence("我今天很高兴。", "zh", DEFAULT_LEXICONS)
    sad = raw_valence("他非常痛苦。", "zh", DEFAULT_LEXICONS)
    assert happy.raw > 0 and happy.n_lexicon_words >= 1
    assert sad.raw < 0 and sad.n_lexicon_words >= 1
    assert load_lexicon("ntusd")["高兴"] == 1 and load_lexicon("hownet")["痛苦"] == -1


def test_unscorable_transcripts_have_no_raw_value():
    empty = raw_valence("  ", "en", DEFAULT_LEXICONS)
    assert math.isnan(empty.raw) and empty.note == "empty transcript"
    urdu = raw_valence("kuch bhi", "ur", DEFAULT_LEXICONS)
    assert math.isnan(urdu.raw) and "no lexicon" in urdu.note


def test_continuous_lexicons_are_thresholded():
    cvaw = load_lexicon("cvaw")
    assert set(cvaw.values()) == {1, -1}
    warriner = load_lexicon("warriner")  # 1..9 norms: >= 6 positive, <= 4 negative, else absent
    assert (warriner["happy"], warriner["murder"]) == (1, -1) and "table" not in warriner
    with pytest.raises(ConfigError, match="unknown lexicon"):
        load_lexicon("liwc")
    with pytest.raises(ConfigError, match="unknown lexicon"):
        ProxyConfig(lexicons={"en": ("vader", "liwc")})
    assert set(LEXICONS) == set(LEXICON_NAMES)


def test_missing_lexicon_package_says_how_to_install():
    with pytest.raises(ConfigError, match="not installed; run `make install`"):
        package_file("no_such_package_here", "data/x.txt", "demo")
