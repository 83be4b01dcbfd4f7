"""The `picpocket` command line: the PicPocket engine from a terminal.

`main()` is the console script's entry point and returns the exit code.
It is 0 on success and 1 when the engine or a command reports an error.
Usage errors exit with 2, and Ctrl-C with 130.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

import picpocket
from picpocket.cli.errors import CommandError
from picpocket.cli.output import Output
from picpocket.cli.parser import build_parser
from picpocket.cli.session import open_library
from picpocket.errors import PicPocketError

logger = logging.getLogger(__name__)

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one picpocket command and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        # argparse exits with 2 on usage errors, and with 0 or None after
        # --help and --version.
        if exit_request.code is None:
            return EXIT_OK
        return exit_request.code if isinstance(exit_request.code, int) else EXIT_ERROR
    if args.config is None:
        args.config = picpocket.default_directory()
    configure_logging(verbose=args.verbose, quiet=args.quiet)
    out = Output(quiet=args.quiet)
    try:
        asyncio.run(dispatch(args, out))
    except KeyboardInterrupt:
        print("picpocket: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away, as with `picpocket search | head`.
        _discard_stdout()
        return EXIT_ERROR
    except (PicPocketError, CommandError, OSError) as error:
        logger.debug("The command failed", exc_info=True)
        print(f"picpocket: error: {error}", file=sys.stderr)
        return getattr(error, "exit_code", EXIT_ERROR)
    return EXIT_OK


async def dispatch(args: argparse.Namespace, out: Output) -> None:
    """Run the chosen command's handler, opening the library if it needs one."""
    if not args.opens_library:
        await args.handler(args, out)
        return
    api = await open_library(args.config)
    try:
        await args.handler(api, args, out)
    finally:
        await api.close()


def _discard_stdout() -> None:
    """Point stdout at the null device, so the flush at exit writes nowhere."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


class _Handler(logging.StreamHandler):
    """The one stderr handler that main() installs on the root logger."""


def configure_logging(verbose: bool = False, quiet: bool = False) -> None:
    """Send log records to stderr: errors with quiet, PicPocket's debug with verbose.

    Other libraries log at INFO and above with verbose, because their
    debug output (every SQLite call) would drown PicPocket's. Calling
    this again replaces the handler it installed before.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Handler):
            root.removeHandler(handler)
    handler = _Handler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    if verbose:
        root.setLevel(logging.INFO)
        logging.getLogger("picpocket").setLevel(logging.DEBUG)
    else:
        root.setLevel(logging.ERROR if quiet else logging.WARNING)
        logging.getLogger("picpocket").setLevel(logging.NOTSET)
