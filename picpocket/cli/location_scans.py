"""`picpocket locations import` and `verify`: read a location's files."""

from __future__ import annotations

import argparse
from picpocket.api import PicPocket
from picpocket.cli import arguments
from picpocket.cli.commands import (
    Subparsers,
    add_command,
    add_formats_option,
    add_tags_option,
    formats_set,
)
from picpocket.cli.errors import UsageError
from picpocket.cli.output import Output, image_line, quantity
from picpocket.cli.session import (
    location_names,
    mount_location,
    require_location,
    require_reachable,
)
from picpocket.database.types import Location

DEFAULT_BATCH_SIZE = 1000

IMPORT_DETAILS = """\
Records every image file under the location's folder. Images already
recorded keep their titles, tags and other metadata; their file facts
(size, hash, EXIF, dates) are read again when the file changed. Prints
the number of images added or changed."""

VERIFY_DETAILS = """\
Checks the recorded images against their files and prints one line per
missing image (id, location, path and title, separated by tabs), then a
summary unless --quiet. Changed files get their facts read again.
Records of missing files are kept. Removable locations that are not
attached are skipped; give NAME and --mount PATH to check one."""


def register(commands: Subparsers) -> None:
    """Add import and verify to the locations group."""
    parser = add_command(
        commands, "import", "record every image file in a location", run_import,
        details=IMPORT_DETAILS,
    )
    parser.add_argument("name", help="location name")
    _add_mount_option(parser)
    parser.add_argument(
        "--creator",
        metavar="NAME",
        help="creator to record on images that have none (default: EXIF Artist)",
    )
    add_tags_option(parser, "tag to apply to every image found (repeatable)")
    add_formats_option(parser, "import")
    parser.add_argument(
        "--batch-size",
        type=arguments.positive_count,
        metavar="N",
        default=DEFAULT_BATCH_SIZE,
        help=f"images recorded per database commit (default: {DEFAULT_BATCH_SIZE})",
    )
    _register_verify(commands)


def _register_verify(commands: Subparsers) -> None:
    parser = add_command(
        commands, "verify", "check recorded images against their files", run_verify,
        details=VERIFY_DETAILS,
    )
    parser.add_argument(
        "name", nargs="?", help="location to check (default: every location)"
    )
    _add_mount_option(parser)
    parser.add_argument(
        "--reparse-exif",
        action="store_true",
        help="read the EXIF data of every file again, changed or not (default: "
        "only of changed files)",
    )


def _add_mount_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mount",
        type=arguments.local_path,
        metavar="PATH",
        help="folder where the location is attached for this run (default: its "
        "path)",
    )


async def run_import(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Import the location's files and print how many images changed."""
    location = await require_location(api, args.name)
    location = await mount_location(api, location, args.mount)
    await import_images(
        api,
        location,
        out,
        formats=formats_set(args.formats),
        batch_size=args.batch_size,
        creator=args.creator,
        tags=args.tags,
    )


async def import_images(
    api: PicPocket,
    location: Location,
    out: Output,
    *,
    formats: set[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    creator: str | None = None,
    tags: list[str] | None = None,
) -> None:
    """Import a location with a progress bar and print the number of images."""
    require_reachable(location, "--mount PATH")
    with out.progress(f"Importing {location.name}") as progress:
        changed = await api.import_location(
            location.name,
            file_formats=formats,
            batch_size=batch_size,
            creator=creator,
            tags=tags,
            progress=progress,
        )
    out.line(f"{quantity(len(changed), 'image')} added or changed")


async def run_verify(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Check the files and print one line per missing image."""
    location_id = None
    if args.name is not None:
        location = await require_location(api, args.name)
        location = await mount_location(api, location, args.mount)
        if not is_reachable(location):
            require_reachable(location, "--mount PATH")
        location_id = location.id
    elif args.mount is not None:
        raise UsageError("--mount needs a location: give NAME before it")
    skipped = [
        location.name
        for location in await api.list_locations()
        if location_id is None and not is_reachable(location)
    ]
    with out.progress("Verifying files") as progress:
        missing = await api.verify_image_files(
            location=location_id,
            reparse_exif=args.reparse_exif,
            progress=progress,
        )
    names = await location_names(api)
    for image in missing:
        out.line(image_line(image, names))
    summary = f"Checked {quantity(progress.total, 'image')}: {len(missing)} missing"
    if skipped:
        summary += f"; skipped unreachable locations: {', '.join(skipped)}"
    out.status(summary)


def is_reachable(location: Location) -> bool:
    """Return whether verify reads the location's files, as the engine decides.

    A permanent location whose folder is gone is checked, and its images
    count as missing; a removable one is skipped.
    """
    root = location.root
    if root is None:
        return False
    return not location.removable or root.is_dir()
