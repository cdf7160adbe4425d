import numpy as np
import pandas as pd
import soundfile as sf

from avspnet.cli import main
from avspnet.corpora.manifest import make_manifest, write_manifest
from avspnet.proxy import config as proxy_config
from avspnet.proxy.robustness import feature_subsets, render_markdown, robustness_table, worst_case


def _crest_corpus(tmp_path, voice):
    """Two speakers; the high-arousal takes are louder and higher but carry one full-scale click.

    Peak normalisation then turns the calm takes up and the shouted ones
    down: intensity ranks invert, pitch ranks do not.
    """
    rows = []
    for speaker in ("a", "b"):
        for i, (f0, level, arousal) in enumerate([(110, 0.05, 0), (120, 0.04, 0), (220, 0.3, 1), (240, 0.25, 1)]):
            path = voice(tmp_path / f"{speaker}{i}.wav", seconds=0.8, f0=f0, level=level, seed=i)
            if arousal:
                samples = sf.read(str(path), dtype="float32")[0]
                samples[4000] = 1.0
                sf.write(str(path), samples, 16000, subtype="FLOAT")
            rows.append({"utt_id": f"{speaker}{i}", "path": str(path), "speaker": speaker, "arousal": arousal})
    return make_manifest(rows)


def test_subsets():
    assert feature_subsets() == [("pitch",), ("intensity",), ("hf500",), ("pitch", "intensity"),
                                 ("pitch", "hf500"), ("intensity", "hf500"), ("pitch", "intensity", "hf500")]


def test_peak_normalisation_inverts_intensity_and_the_worst_case_sees_it(tmp_path, voice, cache_dir):
    table = robustness_table({"crest": _crest_corpus(tmp_path, voice)}, gains=("none", "peak"),
                             features=("pitch", "intensity"), cache_dir=cache_dir, workers=1, progress=False)
    uar = table.set_index(["gain", "features"])["uar"]
    assert uar["none", "intensity"] == 1.0 and uar["peak", "intensity"] == 0.0
    assert uar["none", "pitch"] == 1.0 and uar["peak", "pitch"] == 1.0
    worst = worst_case(table)
    assert worst["features"].iloc[0] == "pitch" and worst.set_index("features")["worst_uar"]["intensity"] == 0.0
    assert worst["worst_at"].iloc[-1] == "crest, peak-normalised"
    text = render_markdown(table)
    assert "Best worst case: **pitch** (worst UAR 1.000" in text and "| crest peak-normalised |" in text


def test_needs_gold_arousal(tmp_path, voice, capsys):
    manifest = make_manifest([{"utt_id": "u", "path": str(voice(tmp_path / "u.wav")), "speaker": "s"}])
    path = write_manifest(manifest, tmp_path / "plain.csv")
    assert main(["proxy-report", str(path), "--robustness"]) == 2
    assert "plain: no gold arousal label" in capsys.readouterr().err


def test_worst_case_exclusion_and_single_class_corpora():
    table = pd.DataFrame({"corpus": ["A", "A", "B", "B", "C", "C"], "gain": ["none"] * 6,
                          "features": ["x", "y"] * 3, "uar": [0.9, 0.7, 0.6, 0.8, np.nan, np.nan],
                          "labelled": [1.0] * 6, "compared": [10] * 6})
    assert worst_case(table)["features"].tolist() == ["y", "x"]
    assert worst_case(table, exclude=("B",))["features"].tolist() == ["x", "y"]
    assert "Without B: **x** (worst UAR 0.900, at A, as recorded)" in render_markdown(table, ("B",))


def test_report_robustness_and_preset(tmp_path, voice, capsys, monkeypatch):
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    manifest = write_manifest(_crest_corpus(tmp_path, voice), tmp_path / "crest.csv")
    assert main(["proxy-report", str(manifest), "--robustness", "--workers", "1", "-o", str(tmp_path / "r")]) == 0
    table = pd.read_csv(tmp_path / "r" / "robustness.csv")
    assert len(table) == 3 * 7 and "Best worst case" in (tmp_path / "r" / "robustness.md").read_text()
    assert main(["proxy", str(manifest), "--preset", "paper", "--gain", "peak", "--workers", "1"]) == 0
    assert "arousal: pitch + intensity, gain: peak" in capsys.readouterr().out
    assert main(["proxy-report", str(manifest), "--preset", "paper", "-o", str(tmp_path / "p")]) == 0
    capsys.readouterr()
    # the stored (peak-normalised) measures, re-ranked on intensity alone, are inverted
    monkeypatch.setitem(proxy_config.AROUSAL_PRESETS, "loud", ("intensity",))
    assert main(["proxy-report", str(manifest), "--preset", "loud", "-o", str(tmp_path / "l")]) == 0
    assert "arousal: UAR 0.0000 on 8 utterances" in capsys.readouterr().out
