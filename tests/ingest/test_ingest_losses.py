"""Ingest loses no speech silently: unheard speech and impossible transcripts, cut cache files, twin files."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from avspnet.cli import main
from avspnet.ingest.asr import transcribe_speech
from avspnet.ingest.config import IngestConfig
from avspnet.ingest.run import cached_episode, episode_names, find_media
from avspnet.ingest.utterances import Utterance
from avspnet.log import SkipLog
from avspnet.proxy.transcribe import implausible_transcript, transcribe_manifest


class FakeWhisper:
    """Stands in for faster-whisper: the given (word, start, end) segments, in seconds from the audio's start."""

    def __init__(self, segments):
        self.segments = segments

    def transcribe(self, audio, language=None, **options):
        segments = [SimpleNamespace(text="".join(w for w, _, _ in words),
                                    words=[SimpleNamespace(word=w, start=a, end=b) for w, a, b in words])
                    for words in self.segments]
        return iter(segments), SimpleNamespace(language="en")


def test_speech_without_words_stays_and_impossible_transcripts_are_emptied():
    pieces = [Utterance(1.0, 3.0), Utterance(5.0, 8.0), Utterance(12.0, 13.8)]
    # run (1.0, 13.8): times relative to 1.0; nothing heard in the second piece, 150 words in the 1.8 s third
    babble = [(f" w{i}", 11.0 + i * 0.012, 11.0 + i * 0.012 + 0.01) for i in range(150)]
    model = FakeWhisper([[(" kids", 0.1, 0.6), (" talk", 0.7, 1.5)], babble])
    heard = transcribe_speech(model, np.zeros(16000 * 14, np.float32), pieces, IngestConfig())
    assert [(u.start_s, u.end_s, u.text) for u in heard.utterances] == [(1.0, 3.0, "kids talk"), (5.0, 8.0, ""),
                                                                       (12.0, 13.8, "")]
    assert heard.unheard == 1 and heard.implausible == 1 and heard.language == "en"


def test_word_rate_limit_counts_cjk_characters():
    assert implausible_transcript("hello world, this is a test", 2.0) is None
    assert "12 words in 1.0 s" in implausible_transcript("so " * 12, 1.0)
    assert implausible_transcript("今天天气很好", 1.5) is None
    assert implausible_transcript("今天天气很好" * 5, 1.5) is not None
    assert implausible_transcript("", 0.0) is None


def test_transcribe_command_drops_impossible_transcripts(tmp_path, voice):
    from avspnet.corpora.manifest import make_manifest

    rows = [{"utt_id": f"u{i}", "path": str(voice(tmp_path / f"u{i}.wav", seconds=1.0, seed=i)), "speaker": "s",
             "language": "en"} for i in range(2)]
    manifest = make_manifest(rows)

    class Model:
        def transcribe(self, samples, **options):
            text = " thank you" if len(self.calls) == 0 else " thank you" * 40
            self.calls.append(text)
            return iter([SimpleNamespace(text=text)]), SimpleNamespace(language="en")

    model = Model()
    model.calls = []
    frame, done, skips = transcribe_manifest(manifest, model, progress=False)
    assert frame["transcript"].tolist() == ["thank you", ""] and done == 1
    assert skips.total == 1 and "transcript dropped: 80 words in 1.0 s" in next(iter(skips.counts))


def test_twin_files_are_settled_before_any_work(tmp_path):
    folder = tmp_path / "media"
    for name in ("ep.flac", "ep.wav", "other.mp3", "sub/ep.mp3"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"")
    skips = SkipLog("ingest")
    found = find_media([folder, folder / "ep.flac"], skips)
    assert [p.relative_to(folder.resolve()).as_posix() for p in found] == ["ep.wav", "other.mp3", "sub/ep.mp3"]
    assert skips.counts == {"two audio files of one name in one folder": 1}
    names = episode_names(found)
    assert len(set(names.values())) == 3


def test_episode_names_never_collide(tmp_path):
    paths = [tmp_path / "a" / "x_y.wav", tmp_path / "a" / "x" / "y.wav", tmp_path / "a_x" / "y.wav"]
    assert len(set(episode_names(paths).values())) == 3


@pytest.mark.parametrize("content", ['{"path": "x", "duration_s": 3.0, "utteran', "[1, 2]",
                                     '{"path": "x", "utterances": [{"start_s": 1}]}', '{"path": "x", "bogus": 1}'])
def test_cut_or_malformed_cache_entry_is_named_and_dropped(tmp_path, content, caplog):
    entry = tmp_path / "ingest" / "k.json"
    entry.parent.mkdir()
    entry.write_text(content)
    assert cached_episode(entry) is None
    assert not entry.exists() and str(entry) in caplog.text


def test_cut_cache_file_is_recomputed_on_rerun(tmp_path, capsys, caplog):
    folder = tmp_path / "media"
    folder.mkdir()
    sf.write(folder / "silence.wav", np.zeros(16000 * 2, np.float32), 16000)
    args = ["ingest", str(folder), "-o", str(tmp_path / "m.csv"), "--asr", "off", "--cache-dir",
            str(tmp_path / "cache"), "--workers", "1"]
    assert main(args) == 2
    entries = list((tmp_path / "cache" / "ingest").rglob("*.json"))
    assert len(entries) == 1 and json.loads(entries[0].read_text())["skip"] == "no speech found"
    entries[0].write_text(entries[0].read_text()[:20])  # an interrupted copy, a full disk
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no speech found in 1 file(s)" in err
    assert f"cache entry {entries[0]} is truncated or unreadable" in caplog.text
    assert json.loads(entries[0].read_text())["skip"] == "no speech found"


@pytest.mark.integration
def test_twin_episode_files_give_one_episode(shared_data, tmp_path, capsys):
    clips = sorted((shared_data / "ravdess" / "Actor_01").glob("*.flac"))[:3]
    speech = np.concatenate([np.concatenate([sf.read(c, dtype="float32")[0], np.zeros(8000, np.float32)])
                             for c in clips])
    folder = tmp_path / "media"
    folder.mkdir()
    sf.write(folder / "ep.wav", speech, 16000)
    sf.write(folder / "ep.flac", speech, 16000)
    out = tmp_path / "m.csv"
    assert main(["ingest", str(folder), "-o", str(out), "--asr", "off", "--cache-dir", str(tmp_path / "cache"),
                 "--workers", "1"]) == 0
    manifest = pd.read_csv(out)
    assert set(manifest["group"]) == {"ep"} and manifest["path"].str.endswith("ep.wav").all()
