"""`picpocket image ...`: show, edit, tag and find recorded images.

The commands that touch image files (move, remove, copy, verify) are in
image_files.py and join the same group.
"""

from __future__ import annotations

import argparse

from picpocket.api import PicPocket
from picpocket.cli import arguments, image_files
from picpocket.cli.commands import (
    Subparsers,
    add_clearable,
    add_command,
    add_group,
    add_json_option,
)
from picpocket.cli.errors import CommandError, UsageError
from picpocket.cli.output import Output, image_fields
from picpocket.cli.session import require_image
from picpocket.database.types import Image
from picpocket.internal_use import NotSupplied

EDITABLE = ("title", "caption", "alt", "creator", "rating")


def register(subparsers: Subparsers) -> None:
    """Add the image command group."""
    commands = add_group(subparsers, "image", "show, edit, tag, move and check images")
    parser = add_command(
        commands, "show", "show an image's metadata and tags", run_show
    )
    parser.add_argument("id", type=int, help="image id")
    add_json_option(parser, "print JSON, with EXIF data")

    _register_edit(commands)
    _register_tagging(commands)

    parser = add_command(
        commands, "find", "show the image recorded for a file path", run_find
    )
    parser.add_argument(
        "path", type=arguments.local_path, help="path of the image file"
    )
    add_json_option(parser, "print JSON, with EXIF data")

    image_files.register(commands)


def _register_tagging(commands: Subparsers) -> None:
    for name, verb, handler in (
        ("tag", "add tags to", run_tag),
        ("untag", "remove tags from", run_untag),
    ):
        parser = add_command(commands, name, f"{verb} one or more images", handler)
        parser.add_argument("ids", type=int, nargs="+", metavar="ID", help="image id")
        parser.add_argument(
            "--tag",
            dest="tags",
            action="append",
            required=True,
            metavar="TAG",
            help="tag such as bird/goose (repeatable)",
        )


def _register_edit(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "edit",
        "change an image's metadata; options left out keep their value",
        run_edit,
    )
    parser.add_argument("id", type=int, help="image id")
    add_clearable(parser, "title", "new title", metavar="TEXT")
    add_clearable(parser, "caption", "new caption", metavar="TEXT")
    add_clearable(
        parser,
        "alt",
        "new alt text: a description for screen readers",
        metavar="TEXT",
    )
    add_clearable(parser, "creator", "new creator: who made the image", metavar="NAME")
    add_clearable(
        parser,
        "rating",
        "new rating, a whole number (higher is better)",
        type=arguments.whole_number,
        metavar="N",
    )


async def print_image(api: PicPocket, image: Image, as_json: bool, out: Output) -> None:
    """Print an image's fields, or its serialized form as JSON."""
    if as_json:
        out.json(image.serialize())
        return
    location = await api.get_location(image.location)
    name = str(image.location) if location is None else location.name
    out.fields(image_fields(image, name))


async def run_show(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print one image."""
    image = await require_image(api, args.id)
    await print_image(api, image, args.json, out)


async def run_edit(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Change the given metadata of an image."""
    changes = {
        name: getattr(args, name)
        for name in EDITABLE
        if not isinstance(getattr(args, name), NotSupplied)
    }
    if not changes:
        raise UsageError(
            "nothing to change; give at least one of "
            + ", ".join(f"--{name}" for name in EDITABLE)
        )
    await require_image(api, args.id)
    await api.edit_image(args.id, **changes)
    out.status(f"Edited image {args.id}: {', '.join(sorted(changes))}")


async def run_tag(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Apply each tag to every image."""
    for tag in args.tags:
        await api.tag_images(args.ids, tag)
    out.status(f"Tagged {len(set(args.ids))} images with {', '.join(args.tags)}")


async def run_untag(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Remove each tag from every image."""
    for tag in args.tags:
        await api.untag_images(args.ids, tag)
    out.status(f"Untagged {len(set(args.ids))} images: {', '.join(args.tags)}")


async def run_find(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print the image recorded at a path."""
    image = await api.find_image(args.path, tags=True)
    if image is None:
        raise CommandError(
            f"No image recorded at {args.path}; import its location first"
        )
    await print_image(api, image, args.json, out)
