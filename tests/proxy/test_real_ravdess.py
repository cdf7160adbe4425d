import pytest

from avspnet.corpora import load_corpus
from avspnet.proxy import compute_proxy_labels
from avspnet.proxy.report import agreement

pytestmark = pytest.mark.integration


def test_ravdess_proxy_arousal_agrees_with_gold(shared_data, cache_dir):
    """The paper's default (pitch + intensity, per speaker) on real acted speech: UAR >= 0.70."""
    manifest = load_corpus("ravdess", shared_data / "ravdess")
    proxy = compute_proxy_labels(manifest, cache_dir=cache_dir, progress=False)
    result = agreement(manifest["arousal"], proxy["proxy_arousal"], "arousal")
    assert result.uar >= 0.70, result
    assert result.coverage > 0.95
    # Both RAVDESS sentences are free of lexicon words: no valence label at all, not a guess.
    assert proxy["proxy_valence"].isna().all()
