"""The argument parser: global options and every command group."""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from typing import NoReturn

import picpocket
from picpocket.cli import arguments, backup, images, initialize, locations, tags, tasks
from picpocket.cli.errors import EXIT_USAGE, one_line

DESCRIPTION = """\
Manage a PicPocket photo library from the terminal: record photos kept as
plain files in folders, cards and drives, then tag, rate, search and copy
them. Global options go before the command, as in
'picpocket --library ~/library locations list'.

Exit status: 0 on success, 1 when an action fails, 2 for invalid usage,
130 when interrupted. Errors are one line on stderr; add -v for details."""


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr."""

    def error(self, message: str) -> NoReturn:
        """Print the error and where to find help, then exit with status 2."""
        sys.stderr.write(
            f"{self.prog}: error: {one_line(message)}; see '{self.prog} --help'\n"
        )
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for the whole command line."""
    parser = CommandParser(
        prog="picpocket",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_global_options(parser)
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, title="commands"
    )
    for module in (initialize, locations, tasks, images, tags, backup):
        module.register(subparsers)
    return parser


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--library",
        type=arguments.local_path,
        default=None,
        metavar="DIR",
        help=f"library folder (default: {picpocket.default_directory()}, the "
        f"folder the desktop app opens when no other library was opened)",
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log debug messages to stderr, and show the traceback of an error",
    )
    verbosity.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="log only errors, and print no progress bars or confirmation lines",
    )
    parser.add_argument("--version", action="version", version=_version())


def _version() -> str:
    try:
        return f"picpocket {metadata.version('picpocket')}"
    except metadata.PackageNotFoundError:
        return "picpocket (version unknown)"
