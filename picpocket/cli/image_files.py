"""The `image` subcommands that touch files: move, remove, copy and verify."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from picpocket.api import PicPocket
from picpocket.cli import arguments
from picpocket.cli.commands import (
    Subparsers,
    add_command,
    add_mounts_option,
    add_tags_option,
)
from picpocket.cli.errors import UsageError
from picpocket.cli.output import Output, image_line
from picpocket.cli.session import (
    location_names,
    mount_locations,
    require_image,
    require_location,
)


def register(commands: Subparsers) -> None:
    """Add move, remove, copy and verify to the image group."""
    parser = add_command(
        commands,
        "move",
        "move an image file and its record",
        run_move,
        details="The image keeps its metadata; an existing file is never replaced.",
    )
    parser.add_argument("id", type=int, help="image id")
    parser.add_argument(
        "path", type=Path, help="new path, relative to the root of the location"
    )
    parser.add_argument(
        "--location", help="location to move the image into (default: its own)"
    )
    parser = add_command(
        commands, "remove", "forget an image (and with --delete, its file)", run_remove
    )
    parser.add_argument("id", type=int, help="image id")
    parser.add_argument(
        "--delete", action="store_true", help="also delete the file from disk"
    )
    parser.add_argument(
        "--yes", action="store_true", help="delete without asking for confirmation"
    )
    _register_copy(commands)
    _register_verify(commands)


def _register_copy(commands: Subparsers) -> None:
    parser = add_command(
        commands, "copy", "copy a file into a location and record it", run_copy
    )
    parser.add_argument("source", type=arguments.local_path, help="file to copy")
    parser.add_argument("location", help="location to copy it into")
    parser.add_argument(
        "destination", type=Path, help="path of the copy, relative to the location root"
    )
    parser.add_argument("--title", metavar="TEXT", help="title of the image")
    parser.add_argument("--caption", metavar="TEXT", help="caption of the image")
    parser.add_argument(
        "--alt", metavar="TEXT", help="alt text: a description for screen readers"
    )
    parser.add_argument("--creator", metavar="NAME", help="who made the image")
    parser.add_argument(
        "--rating",
        type=arguments.whole_number,
        metavar="N",
        help="rating, a whole number (higher is better)",
    )
    add_tags_option(parser, "tag to apply (repeatable)")


def _register_verify(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "verify",
        "check recorded images against their files and list the missing ones",
        run_verify,
        details=(
            "Changed files get their facts (size, hash, EXIF, dates) read again. "
            "Records of missing files are kept. Removable locations that are "
            "not attached are skipped unless given with --mount."
        ),
    )
    parser.add_argument("--location", help="check only this location")
    parser.add_argument(
        "--path",
        type=arguments.local_path,
        help="check only images inside this folder (relative to the current folder)",
    )
    parser.add_argument(
        "--reparse-exif",
        action="store_true",
        help="read the EXIF data of every file again, changed or not",
    )
    add_mounts_option(parser)


async def run_move(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Move the image within its location or into another one."""
    location_id = None
    if args.location is not None:
        location_id = (await require_location(api, args.location)).id
    await api.move_image(args.id, args.path, location_id)
    out.status(f"Moved image {args.id} to {args.path.as_posix()}")


async def run_remove(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Forget the image, deleting its file only when confirmed."""
    if args.delete and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "--delete removes the file from disk; add --yes to confirm when "
                "not running on a terminal"
            )
        image = await require_image(api, args.id)
        target = image.full_path or image.path
        if not out.confirm(f"Delete the file of image {args.id} ({target})?"):
            out.status("Nothing removed")
            return
    await api.remove_image(args.id, delete=args.delete)
    action = "Removed image and deleted its file" if args.delete else "Removed image"
    out.status(f"{action}: {args.id}")


async def run_copy(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Copy the file into the location and print the new image id."""
    await require_location(api, args.location)
    image_id = await api.add_image_copy(
        args.source,
        args.location,
        args.destination,
        creator=args.creator,
        title=args.title,
        caption=args.caption,
        alt=args.alt,
        rating=args.rating,
        tags=args.tags,
    )
    out.line(str(image_id))


async def run_verify(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Check the files and print one line per missing image."""
    await mount_locations(api, args.mounts)
    location_id = None
    if args.location is not None:
        location_id = (await require_location(api, args.location)).id
    with out.progress("Checking files") as progress:
        missing = await api.verify_image_files(
            location=location_id,
            path=args.path,
            reparse_exif=args.reparse_exif,
            progress=progress,
        )
    names = await location_names(api)
    for image in missing:
        out.line(image_line(image, names))
    out.status(f"Checked {progress.total} images: {len(missing)} missing")
