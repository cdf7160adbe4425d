"""Turn long recordings (files or folders of audio or video) into an utterance manifest.

Speech is found with silero-vad and cut into utterances of --min-s..--max-s
seconds; with the `asr` extra, Whisper-base adds text, language and word
times and its segments set the boundaries. Voices are clustered per episode
(resemblyzer GE2E embeddings): speaker = <episode>_spk<N>, group = episode
(the file name). Each file's result is cached, so a stopped run resumes.
The manifest is ready for `avspnet proxy` and `avspnet pretrain`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from ..configio import load_yaml
from ..corpora.manifest import write_manifest
from ..errors import ConfigError
from ..ingest import IngestConfig, ingest_media
from ..ingest.asr import asr_installed
from ..log import get_logger
from ..paths import output_file
from ..proxy.transcribe import INSTALL_HINT
from . import add_cache_arguments

NAME = "ingest"
HELP = "long recordings (files or folders) -> utterance manifest with speakers (and transcripts with asr)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("media", nargs="+", type=Path, help="media files or folders (searched recursively)")
    parser.add_argument("-o", "--output", type=Path, default=Path("manifests/media.csv"),
                        help="manifest path (default: manifests/media.csv)")
    parser.add_argument("--config", type=Path, help="YAML with ingest settings (IngestConfig fields)")
    parser.add_argument("--speakers", type=int, help="speakers per episode, if known (default: found by clustering)")
    parser.add_argument("--min-s", type=float, help="shortest utterance in seconds (default 1)")
    parser.add_argument("--max-s", type=float, help="longest utterance in seconds (default 15)")
    parser.add_argument("--asr", choices=("auto", "on", "off"),
                        help="transcribe with Whisper-base (default auto: when the asr extra is installed)")
    parser.add_argument("--language", help="language code for ASR (default: detected per episode)")
    add_cache_arguments(parser, "files processed at once (default: all cores)")


def run(args: argparse.Namespace) -> int:
    config = load_yaml(IngestConfig, args.config) if args.config else IngestConfig()
    overrides = {"speakers": args.speakers, "min_s": args.min_s, "max_s": args.max_s, "asr": args.asr,
                 "language": args.language}
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    output_file(args.output)
    installed = asr_installed()
    if config.asr == "on" and not installed:
        raise ConfigError(f"--asr on needs the optional ASR extra: {INSTALL_HINT}")
    asr = config.asr == "on" or (config.asr == "auto" and installed)
    get_logger("ingest").info("ASR %s", "on (Whisper-base)" if asr else "off: transcripts stay empty")
    result = ingest_media(args.media, config, asr, args.cache_dir, args.workers)
    output = write_manifest(result.manifest, args.output)
    print(f"{'episode':<28} {'speech h':>8} {'utterances':>10} {'speakers':>8}  language")
    for name, episode in result.episodes.items():
        if episode.skip:
            print(f"{name:<28} skipped: {episode.skip}")
            continue
        print(f"{name:<28} {episode.speech_s / 3600:>8.3f} {len(episode.utterances):>10} {episode.speakers:>8}  "
              f"{episode.language or '-'}")
    frame = result.manifest
    print(f"{len(frame)} utterances, {frame['speaker'].nunique()} speakers, "
          f"{frame['duration_s'].sum() / 3600:.3f} h of speech from {len(result.episodes)} file(s); "
          f"{result.skips.summary()}")
    print(f"manifest written to {output}")
    return 0
