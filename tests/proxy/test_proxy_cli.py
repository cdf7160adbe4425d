import pandas as pd

from avspnet.cli import main
from avspnet.configio import dump_yaml
from avspnet.corpora.manifest import make_manifest, write_manifest
from avspnet.proxy import ProxyConfig, proxy_path, read_proxy, write_proxy


def _tiny_corpus(tmp_path, voice):
    """Two speakers; their loud high-pitched utterances are the high-arousal ones."""
    rows = []
    for s, speaker in enumerate(("a", "b")):
        for i, (f0, level, arousal, text) in enumerate([
            (110, 0.05, 0, "what a sad and terrible day"), (120, 0.06, 0, "we hate waiting"),
            (220, 0.5, 1, "I love this wonderful party"), (240, 0.6, 1, ""),
        ]):
            path = voice(tmp_path / "audio" / f"{speaker}{i}.wav", seconds=0.6, f0=f0 + 10 * s, level=level, seed=i)
            rows.append({"utt_id": f"{speaker}{i}", "path": str(path), "speaker": speaker, "language": "en",
                         "transcript": text, "arousal": arousal, "valence": 1 if "love" in text else 0})
    return write_manifest(make_manifest(rows), tmp_path / "tiny.csv")


def test_proxy_then_report(tmp_path, voice, capsys, monkeypatch):
    manifest = _tiny_corpus(tmp_path, voice)
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    config = tmp_path / "proxy.yaml"
    dump_yaml(ProxyConfig(arousal_features=("pitch", "intensity", "hf500")), config)
    assert main(["proxy", str(manifest), "--config", str(config), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "proxy labels per class (8 utterances" in out
    proxy = read_proxy(proxy_path(manifest))
    assert proxy["proxy_arousal"].tolist() == [0, 0, 1, 1] * 2
    # valence raw -6, -3, +k, (empty): the middle one of three ranks exactly at 0 -> no label
    assert proxy["proxy_valence"].fillna(-1).tolist() == [0, -1, 1, -1] * 2
    assert proxy["valence_note"].tolist() == ["", "", "", "empty transcript"] * 2
    assert main(["proxy-report", str(manifest), "-o", str(tmp_path / "rep")]) == 0
    out = capsys.readouterr().out
    assert "arousal: UAR 1.0000 on 8 utterances" in out and "valence: UAR" in out
    for name in ("report.md", "scores.png", "per_speaker.csv"):
        assert (tmp_path / "rep" / name).stat().st_size > 0
    assert len(pd.read_csv(tmp_path / "rep" / "per_speaker.csv")) == 2


def test_proxy_table_round_trips(tmp_path, voice, cache_dir):
    from avspnet.corpora.manifest import read_manifest
    from avspnet.proxy import compute_proxy_labels

    frame = compute_proxy_labels(read_manifest(_tiny_corpus(tmp_path, voice)), cache_dir=cache_dir,
                                 workers=1, progress=False)
    back = read_proxy(write_proxy(frame, tmp_path / "p.proxy.csv"))
    pd.testing.assert_frame_equal(back, frame)


def test_report_needs_proxy_file(tmp_path, voice, capsys):
    manifest = _tiny_corpus(tmp_path, voice)
    assert main(["proxy-report", str(manifest)]) == 2
    assert "run `avspnet proxy MANIFEST` first" in capsys.readouterr().err


def test_proxy_file_must_match_the_manifest_it_was_made_for(tmp_path, voice, capsys, monkeypatch):
    from avspnet.corpora.manifest import read_manifest

    manifest = _tiny_corpus(tmp_path, voice)
    monkeypatch.setenv("AVSPNET_CACHE", str(tmp_path / "cache"))
    assert main(["proxy", str(manifest), "--workers", "1"]) == 0
    capsys.readouterr()
    frame = read_manifest(manifest)
    write_manifest(frame.assign(valence=frame["valence"].iloc[::-1].to_numpy()), manifest)  # gold edits: still valid
    assert main(["proxy-report", str(manifest), "-o", str(tmp_path / "rep")]) == 0
    capsys.readouterr()
    edited = frame.copy()
    edited.loc[0, "transcript"] = "a new and different sentence"
    write_manifest(edited, manifest)
    assert main(["proxy-report", str(manifest), "-o", str(tmp_path / "rep")]) == 2
    assert "made for other manifest content" in capsys.readouterr().err
    grown = make_manifest([*frame.to_dict("records"), {**frame.iloc[0].to_dict(), "utt_id": "c0"}])
    write_manifest(grown, manifest)
    assert main(["proxy-report", str(manifest), "-o", str(tmp_path / "rep")]) == 2
    assert "no proxy row for 1 of the manifest's 9 utterances" in capsys.readouterr().err
