"""Paper-exact log-magnitude spectrogram features and their segments."""
