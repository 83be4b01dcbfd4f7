"""The `images` subcommands that touch files: move, remove and copy."""

from __future__ import annotations

import argparse
from pathlib import Path

from picpocket.api import PicPocket
from picpocket.cli import arguments
from picpocket.cli.commands import Subparsers, add_command, add_tags_option
from picpocket.cli.output import Output
from picpocket.cli.session import require_image, require_location, require_reachable

MOVE_DETAILS = """\
The image keeps its metadata and tags. A file that already exists at the
new path is never replaced; the command fails instead."""

COPY_DETAILS = """\
Copies FILE to PATH inside LOCATION, records the copy with the given
metadata and prints its image id. A file that already exists at PATH is
never replaced; the command fails instead."""


def register(commands: Subparsers) -> None:
    """Add move, remove and copy to the images group."""
    parser = add_command(
        commands, "move", "move an image file and its record", run_move,
        details=MOVE_DETAILS,
    )
    parser.add_argument("id", type=arguments.image_id, help="image id")
    parser.add_argument(
        "path", type=Path, help="new path, relative to the folder of the location"
    )
    parser.add_argument(
        "--location", metavar="NAME",
        help="location to move the image into (default: its own)",
    )
    parser = add_command(
        commands, "remove", "forget an image, and with --delete its file", run_remove
    )
    parser.add_argument("id", type=arguments.image_id, help="image id")
    parser.add_argument(
        "--delete",
        action="store_true",
        help="also delete the file from disk (default: the file stays)",
    )
    _register_copy(commands)


def _register_copy(commands: Subparsers) -> None:
    parser = add_command(
        commands, "copy", "copy a file into a location and record it", run_copy,
        details=COPY_DETAILS,
    )
    parser.add_argument("file", type=arguments.local_path, help="file to copy")
    parser.add_argument("location", help="location to copy it into")
    parser.add_argument(
        "path", type=Path, help="path of the copy, relative to the location's folder"
    )
    parser.add_argument("--title", metavar="TEXT", help="title of the image")
    parser.add_argument("--caption", metavar="TEXT", help="caption of the image")
    parser.add_argument(
        "--alt", metavar="TEXT", help="alt text, a description for screen readers"
    )
    parser.add_argument(
        "--creator", metavar="NAME", help="who made the image (default: EXIF Artist)"
    )
    parser.add_argument(
        "--rating",
        type=arguments.whole_number,
        metavar="N",
        help="rating, a whole number, higher is better (default: none)",
    )
    add_tags_option(parser, "tag to apply to the copy (repeatable)")


async def run_move(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Move the image within its location or into another one."""
    image = await require_image(api, args.id)
    location = await require_location(api, args.location or image.location)
    require_reachable(location, None)
    location_id = None if args.location is None else location.id
    await api.move_image(args.id, args.path, location_id)
    out.status(f"Moved image {args.id} to {location.name}: {args.path.as_posix()}")


async def run_remove(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Forget the image, and delete its file with --delete."""
    await require_image(api, args.id)
    await api.remove_image(args.id, delete=args.delete)
    action = "Removed image and deleted its file" if args.delete else "Removed image"
    out.status(f"{action}: {args.id}")


async def run_copy(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Copy the file into the location and print the new image id."""
    location = await require_location(api, args.location)
    require_reachable(location, None)
    image_id = await api.add_image_copy(
        args.file,
        args.location,
        args.path,
        creator=args.creator,
        title=args.title,
        caption=args.caption,
        alt=args.alt,
        rating=args.rating,
        tags=args.tags,
    )
    out.line(str(image_id))
