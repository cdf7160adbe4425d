"""User-facing errors: the CLI prints these as one line, never a traceback."""


class AvspnetError(Exception):
    """Base class for errors caused by the user's input, not by a bug."""


class CorpusError(AvspnetError):
    """A corpus directory or manifest is missing, empty or malformed."""


class AudioError(AvspnetError):
    """An audio file cannot be used: missing, corrupt, empty, silent or too short."""


class ConfigError(AvspnetError):
    """A configuration file or option is invalid."""


class ModelFileError(AvspnetError):
    """A model or checkpoint file is missing, unreadable, unsafe or not one avspnet wrote."""


class OutputError(AvspnetError):
    """An output path cannot be used: a file where a folder is needed, or a folder holding other files."""
