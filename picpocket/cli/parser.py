"""The argument parser: global options and every command group."""

from __future__ import annotations

import argparse
from importlib import metadata
from pathlib import Path

import picpocket
from picpocket.cli import backup, images, init, locations, search, tags, tasks

DESCRIPTION = """\
Manage a PicPocket photo library from the terminal: record photos kept as
plain files in folders, cards and drives, then tag, rate, search and copy
them. Global options go before the command, as in
'picpocket --config ~/library location list'."""


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for the whole command line."""
    parser = argparse.ArgumentParser(
        prog="picpocket",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        type=lambda text: Path(text).expanduser().absolute(),
        default=None,
        metavar="DIR",
        help=f"library folder (default: {picpocket.default_directory()})",
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", help="log debug messages to stderr"
    )
    verbosity.add_argument(
        "--quiet",
        action="store_true",
        help="log only errors, and print no progress or confirmation lines",
    )
    parser.add_argument("--version", action="version", version=_version())
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, title="commands"
    )
    for module in (init, locations, images, search, tags, tasks, backup):
        module.register(subparsers)
    return parser


def _version() -> str:
    try:
        return f"picpocket {metadata.version('picpocket')}"
    except metadata.PackageNotFoundError:
        return "picpocket (version unknown)"
