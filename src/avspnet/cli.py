"""Thin command-line front: every module in `avspnet.commands` is one sub-command.

A command module defines NAME, HELP, `add_arguments(parser)` and
`run(args) -> int`. Errors caused by the user's input print one line, and so
does any OSError (a path that is unwritable, a file where a folder is needed,
a full disk): it names the path; `-v` adds the traceback to the log.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import __version__, commands
from .errors import AvspnetError
from .log import get_logger, setup_logging
from .paths import os_error_text, writable_folder


def command_modules(only: str | None = None) -> list:
    """Every command module, or only the one for command `only` (module name = NAME with '_' for '-').

    Importing all of them costs seconds (torch, scipy, ASR), which a quick
    command such as a warm `avspnet features` should not pay.
    """
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    if only is not None and only.replace("-", "_") in names:
        names = [only.replace("-", "_")]
    return [importlib.import_module(f"{commands.__name__}.{name}") for name in names]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avspnet",
        description="AV-SpNET: arousal-valence speech front-end from unlabeled media speech, "
        "transferred to labeled emotion corpora.",
    )
    parser.add_argument("--version", action="version", version=f"avspnet {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules(only):
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.__doc__)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(next((word for word in argv if not word.startswith("-")), None))
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    setup_logging(args.verbose)
    try:
        if hasattr(args, "cache_dir"):  # every command with a cache: an unusable one is named before any work
            from .content import default_cache_dir

            writable_folder(args.cache_dir or default_cache_dir(), "cache folder (--cache-dir or $AVSPNET_CACHE)")
        return int(args.run(args) or 0)
    except AvspnetError as exc:
        print(f"avspnet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        get_logger("cli").debug("%s failed", args.command, exc_info=True)
        print(f"avspnet {args.command}: error: {os_error_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"avspnet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
