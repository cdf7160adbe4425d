"""Proxy arousal / valence labels for unlabeled speech (voice rank + lexicon rank per speaker)."""

from .config import AcousticConfig, ProxyConfig
from .labels import compute_proxy_labels, label_counts
from .store import proxy_path, read_proxy, write_proxy

__all__ = ["AcousticConfig", "ProxyConfig", "compute_proxy_labels", "label_counts", "proxy_path",
           "read_proxy", "write_proxy"]
