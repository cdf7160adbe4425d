"""The audio reader, under its historical name: the code lives in `avspnet.audio`.

It sits below every layer (corpora included: loaders read headers and the
synthetic corpus resamples with it), so one reader serves the whole package.
"""

from ..audio import AudioInfo, audio_info, load_audio, manifest_windows, window_bounds

__all__ = ["AudioInfo", "audio_info", "load_audio", "manifest_windows", "window_bounds"]
