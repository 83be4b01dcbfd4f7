"""`picpocket export` and `picpocket import-backup`: metadata backups as JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from picpocket.api import PicPocket
from picpocket.cli import arguments
from picpocket.cli.commands import Subparsers, add_command
from picpocket.cli.output import Output
from picpocket.cli.session import require_location


def register(subparsers: Subparsers) -> None:
    """Add the export and import-backup commands."""
    _register_export(subparsers)
    _register_import_backup(subparsers)


def _register_export(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers,
        "export",
        "write the library's metadata to a JSON backup file",
        run_export,
        details=(
            "The backup contains locations, tasks, image records with their "
            "metadata and tags, and tag descriptions. It contains no image files."
        ),
    )
    parser.add_argument("file", type=arguments.local_path, help="JSON file to write")
    parser.add_argument(
        "--location",
        dest="locations",
        action="append",
        metavar="NAME",
        help="only this location's images and tasks (repeatable)",
    )


def _register_import_backup(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers,
        "import-backup",
        "load a JSON backup made by export; rerunning it adds nothing",
        run_import_backup,
        details=(
            "Give NAME=PATH for a location whose backup has no path, or to "
            "read its images from another folder for this run."
        ),
    )
    parser.add_argument("file", type=arguments.local_path, help="JSON file to read")
    parser.add_argument(
        "--location",
        dest="locations",
        action="append",
        type=arguments.backup_location,
        metavar="NAME[=PATH]",
        help="only this location's data (repeatable)",
    )


async def run_export(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Write the backup file."""
    for name in args.locations or []:
        await require_location(api, name)
    await api.export_data(args.file, args.locations)
    out.status(f"Wrote backup {args.file}")


async def run_import_backup(
    api: PicPocket, args: argparse.Namespace, out: Output
) -> None:
    """Load the backup file into the library."""
    locations: list[str] | dict[str, Path | None] | None = None
    if args.locations:
        if any(path is not None for _name, path in args.locations):
            locations = dict(args.locations)
        else:
            locations = [name for name, _path in args.locations]
    await api.import_data(args.file, locations)
    out.status(f"Imported backup {args.file}")
