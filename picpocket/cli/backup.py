"""`picpocket export` and `picpocket import`: metadata backups as JSON files."""

from __future__ import annotations

import argparse
from pathlib import Path

from picpocket.api import PicPocket
from picpocket.cli import arguments
from picpocket.cli.commands import Subparsers, add_command
from picpocket.cli.errors import CommandError
from picpocket.cli.output import Output
from picpocket.cli.session import require_location

EXPORT_DETAILS = """\
The backup contains locations, tasks, image records with their metadata
and tags, and tag descriptions. It contains no image files. Load it into
a library on either backend with 'picpocket import'."""

IMPORT_DETAILS = """\
Records that already exist are kept and only gain missing values and
tags, so importing the same backup twice adds nothing. No image file is
read. Give --location NAME=MOUNT for a location whose backup has no path,
or whose images are in another folder now."""


def register(subparsers: Subparsers) -> None:
    """Add the export and import commands."""
    parser = add_command(
        subparsers, "export", "write the library's metadata to a JSON backup file",
        run_export, details=EXPORT_DETAILS,
    )
    parser.add_argument("file", type=arguments.local_path, help="JSON file to write")
    parser.add_argument(
        "--location", dest="locations", action="append", metavar="NAME",
        help="export only this location's images and tasks (repeatable; default: "
        "all locations)",
    )
    parser.add_argument(
        "--force", action="store_true",
        help="replace FILE if it exists (default: reject an existing file)",
    )
    parser = add_command(
        subparsers, "import", "load a JSON backup made by 'picpocket export'",
        run_import, details=IMPORT_DETAILS,
    )
    parser.add_argument("file", type=arguments.local_path, help="JSON file to read")
    parser.add_argument(
        "--location", dest="locations", action="append",
        type=arguments.location_mount, metavar="NAME[=MOUNT]",
        help="import only this location's data, with its images in the folder "
        "MOUNT when given (repeatable; default: every location in the backup)",
    )


async def run_export(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Write the backup file."""
    if args.file.exists() and not args.force:
        raise CommandError(
            f"File {args.file} already exists; add --force to replace it, or "
            f"choose another file name"
        )
    for name in args.locations or []:
        await require_location(api, name)
    with out.progress("Exporting"):
        await api.export_data(args.file, args.locations)
    out.status(f"Wrote backup {args.file}")


async def run_import(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Load the backup file into the library."""
    locations: list[str] | dict[str, Path | None] | None = None
    if args.locations:
        if any(path is not None for _name, path in args.locations):
            locations = dict(args.locations)
        else:
            locations = [name for name, _path in args.locations]
    # NOTE: import_data() reports no progress, so the bar only shows that
    # the work goes on.
    with out.progress(f"Importing {args.file.name}"):
        await api.import_data(args.file, locations)
    out.status(f"Imported backup {args.file}")
