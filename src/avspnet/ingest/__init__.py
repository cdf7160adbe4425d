"""Long recordings (podcasts, broadcasts, video) -> an utterance manifest ready for `proxy` and `pretrain`.

Sits after `proxy` in the import order (it uses the offline Whisper model
that `proxy.transcribe` assembles) and before `models`.
"""

from .config import IngestConfig
from .run import IngestResult, ingest_media

__all__ = ["IngestConfig", "IngestResult", "ingest_media"]
