import shutil
import subprocess
import sys

import pytest

from avspnet.cli import main
from avspnet.corpora.manifest import make_manifest, read_manifest, write_manifest


def _manifest(tmp_path, audio):
    return write_manifest(make_manifest([{"utt_id": "u", "path": str(audio), "speaker": "s", "language": "en"}]),
                          tmp_path / "m.csv")


def test_missing_extra_is_one_clear_line(tmp_path, voice, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import now fails as if not installed
    assert main(["transcribe", str(_manifest(tmp_path, voice(tmp_path / "a.wav")))]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'avspnet[asr]'" in err


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_transcribes_synthetic_speech_offline(tmp_path, capsys):
    pytest.importorskip("faster_whisper", reason="optional asr extra not installed")
    audio = tmp_path / "hello.wav"
    subprocess.run(["espeak-ng", "-w", str(audio), "hello world, this is a test"], check=True)
    manifest = _manifest(tmp_path, audio)
    assert main(["transcribe", str(manifest), "--cache-dir", str(tmp_path / "cache"), "--threads", "1"]) == 0
    assert "1 utterance(s) transcribed" in capsys.readouterr().out
    text = read_manifest(manifest)["transcript"].iloc[0].lower()
    assert "hello" in text and "test" in text
