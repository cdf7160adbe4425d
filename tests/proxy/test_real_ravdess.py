from dataclasses import replace

import pytest

from avspnet.corpora import load_corpus
from avspnet.proxy import ProxyConfig, compute_proxy_labels
from avspnet.proxy.report import agreement

pytestmark = pytest.mark.integration


def test_ravdess_proxy_arousal_agrees_with_gold(shared_data, cache_dir):
    """The default feature set on real acted speech, as recorded and peak-normalised per file: UAR >= 0.70."""
    manifest = load_corpus("ravdess", shared_data / "ravdess")
    config = ProxyConfig()
    proxy = compute_proxy_labels(manifest, config, cache_dir=cache_dir, progress=False)
    result = agreement(manifest["arousal"], proxy["proxy_arousal"], "arousal")
    assert result.uar >= 0.70, result
    assert result.coverage > 0.95
    peak = replace(config, acoustic=replace(config.acoustic, gain="peak"))
    normalised = compute_proxy_labels(manifest, peak, cache_dir=cache_dir, progress=False)
    # The default's features do not depend on gain: same agreement after peak normalisation.
    assert agreement(manifest["arousal"], normalised["proxy_arousal"], "arousal").uar == pytest.approx(result.uar, abs=0.01)
    # Both RAVDESS sentences are free of lexicon words: no valence label at all, not a guess.
    assert proxy["proxy_valence"].isna().all()
