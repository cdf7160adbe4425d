"""avspnet: learn an arousal-valence speech front-end from unlabeled media speech."""

__version__ = "0.1.0"
