"""Front-ends: every way to turn the target corpus into one vector per segment.

Each module registers its front-ends with the registry (`registry.py`), which
the rest of the toolkit asks what a front-end is; importing this package
registers them all, in the order `avspnet frontends` lists them: the eight
AV-SpNET recipes of the paper's Table 2 (pre-trained on the experiment's
background corpora), `checkpoint:PATH` (an encoder from `avspnet pretrain`),
`egemaps`, `whisper-base`, `whisper-small` and `logmel-stats`, then adapters trained on each
frozen encoder's vectors (`whisper-base/AVSpNET_a`, ...). `cached_embeddings` runs a
built front-end once per (front-end content, corpus); `saved` turns one into
data for a model file and back; `inference` runs a frozen encoder fast.
"""

# Each module registers its front-ends on import; this order is the listing's.
# isort: off
from . import encoder, egemaps, whisper, logmel, adapter  # noqa: F401
# isort: on
from . import registry
from .base import Deployable, EmbedContext, Embedded, FrontEnd, FrontEndUnavailable, cached_embeddings
from .registry import BuildContext, Entry, build, build_by_name, check, entries, entry, register, registered

__all__ = [
    "BuildContext", "Deployable", "Embedded", "EmbedContext", "Entry", "FrontEnd", "FrontEndUnavailable", "build",
    "build_by_name", "cached_embeddings", "check", "entries", "entry", "register", "registered", "registry",
]
