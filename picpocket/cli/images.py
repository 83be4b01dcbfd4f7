"""`picpocket images ...`: show, edit and tag recorded images.

Counting and searching are in image_search.py, and the commands that
touch image files (move, remove, copy) in image_files.py; both join the
same group.
"""

from __future__ import annotations

import argparse

from picpocket.api import PicPocket
from picpocket.cli import arguments, image_files, image_search, records
from picpocket.cli.commands import (
    Subparsers,
    add_command,
    add_erasable,
    add_group,
    add_json_option,
)
from picpocket.cli.errors import UsageError
from picpocket.cli.output import Output, image_fields
from picpocket.cli.session import location_names, require_image
from picpocket.internal_use import NotSupplied

EDITABLE = ("title", "caption", "alt", "creator", "rating")
RATING_HELP = "a whole number, higher is better"


def register(subparsers: Subparsers) -> None:
    """Add the images command group."""
    commands = add_group(
        subparsers, "images", "count, search, show, edit, tag, move and copy images"
    )
    image_search.register(commands)
    parser = add_command(
        commands, "show", "show an image's metadata and tags", run_show,
        details=records.json_details(
            "one JSON object", records.IMAGE_SHOW_KEYS,
            f"{records.IMAGE_NOTES}; exif is the EXIF data as an object, or null",
        ),
    )
    parser.add_argument("id", type=arguments.image_id, help="image id")
    add_json_option(parser, "print a JSON object with the EXIF data; see above")
    _register_edit(commands)
    _register_tagging(commands)
    image_files.register(commands)


def _register_edit(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "edit",
        "change an image's metadata; options left out keep their value",
        run_edit,
    )
    parser.add_argument("id", type=arguments.image_id, help="image id")
    add_erasable(parser, "title", "new title", metavar="TEXT")
    add_erasable(parser, "caption", "new caption", metavar="TEXT")
    add_erasable(
        parser, "alt", "new alt text, a description for screen readers", metavar="TEXT"
    )
    add_erasable(parser, "creator", "new creator, who made the image", metavar="NAME")
    add_erasable(
        parser,
        "rating",
        f"new rating, {RATING_HELP}",
        type=arguments.erasable_whole_number,
        metavar="N",
    )


def _register_tagging(commands: Subparsers) -> None:
    for name, summary, handler in (
        ("tag", "add tags to an image", run_tag),
        ("untag", "remove tags from an image", run_untag),
    ):
        parser = add_command(commands, name, summary, handler)
        parser.add_argument("id", type=arguments.image_id, help="image id")
        parser.add_argument(
            "tags", nargs="+", metavar="TAG",
            help="tag name; levels are separated by /, as in bird/goose",
        )


async def run_show(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print one image's fields, or its JSON object."""
    image = await require_image(api, args.id)
    names = await location_names(api)
    if args.json:
        out.json(records.image_record(image, names, exif=True))
        return
    location = names.get(image.location, str(image.location))
    out.fields(image_fields(image, location))


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
    """Apply each tag to the image."""
    await require_image(api, args.id)
    for tag in args.tags:
        await api.tag_image(args.id, tag)
    out.status(f"Tagged image {args.id} with {', '.join(args.tags)}")


async def run_untag(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Remove each tag from the image."""
    await require_image(api, args.id)
    for tag in args.tags:
        await api.untag_image(args.id, tag)
    out.status(f"Removed {', '.join(args.tags)} from image {args.id}")
