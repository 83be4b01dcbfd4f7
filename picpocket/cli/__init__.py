"""The `picpocket` command line: the PicPocket engine from a terminal.

`main()` is the console script's entry point and returns the exit code:
0 on success, 1 when the engine or a command reports an error, 2 for
invalid usage and 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import sys
from collections.abc import Sequence
from typing import TextIO

import picpocket
from picpocket.cli.errors import (
    EXIT_FAILED,
    CommandError,
    one_line,
    reword_engine_message,
)
from picpocket.cli.output import Output
from picpocket.cli.parser import build_parser
from picpocket.cli.session import open_library
from picpocket.errors import PicPocketError

logger = logging.getLogger(__name__)

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
EXIT_OK = 0
EXIT_INTERRUPTED = 130

__all__ = ["main"]


INTERRUPTED_MESSAGE = (
    "picpocket: interrupted; work finished before the interrupt is saved. "
    "Run the same command again to finish the rest."
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one picpocket command and return its exit code."""
    parser = _shared_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        # argparse exits with 2 on usage errors, and with 0 or None after
        # --help and --version.
        if exit_request.code is None:
            return EXIT_OK
        return exit_request.code if isinstance(exit_request.code, int) else EXIT_FAILED
    if args.library is None:
        args.library = picpocket.default_directory()
    configure_logging(verbose=args.verbose, quiet=args.quiet)
    return run(args, Output(quiet=args.quiet))


@functools.cache
def _shared_parser() -> argparse.ArgumentParser:
    # Building the parser costs more than a quick command itself, because
    # argparse looks up a translation for each of its strings, and main()
    # may run many times in one process, as in the tests.
    return build_parser()


def run(args: argparse.Namespace, out: Output) -> int:
    """Run the parsed command, turning every error into one line on stderr."""
    try:
        asyncio.run(dispatch(args, out))
    except KeyboardInterrupt:
        # Imports, task runs and verification commit in batches, so what
        # finished before the interrupt is kept.
        print(INTERRUPTED_MESSAGE, file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away, as with `picpocket images search | head`.
        _discard_stdout()
        return EXIT_FAILED
    except (PicPocketError, CommandError, OSError) as error:
        logger.debug("The command failed", exc_info=True)
        message = str(error) or type(error).__name__
        if isinstance(error, PicPocketError):
            message = reword_engine_message(message)
        print(f"picpocket: error: {one_line(message)}", file=sys.stderr)
        return getattr(error, "exit_code", EXIT_FAILED)
    except Exception as error:
        logger.debug("The command failed unexpectedly", exc_info=True)
        hint = "" if args.verbose else "; rerun with -v to see the traceback"
        print(
            f"picpocket: error: unexpected {type(error).__name__}: "
            f"{one_line(str(error))}{hint}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


async def dispatch(args: argparse.Namespace, out: Output) -> None:
    """Run the chosen command's handler, opening the library if it needs one."""
    if not args.opens_library:
        await args.handler(args, out)
        return
    api = await open_library(args.library)
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
    """The stderr handler that main() installs on the root logger.

    It writes to whatever sys.stderr is when a record arrives, so log
    lines pass through a progress bar's redirection of stderr instead of
    tearing the bar.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


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
    handler = _Handler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    if verbose:
        root.setLevel(logging.INFO)
        logging.getLogger("picpocket").setLevel(logging.DEBUG)
    else:
        root.setLevel(logging.ERROR if quiet else logging.WARNING)
        logging.getLogger("picpocket").setLevel(logging.NOTSET)
