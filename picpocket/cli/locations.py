"""`picpocket location ...`: add, edit, remove, list, show and import locations."""

from __future__ import annotations

import argparse

from picpocket.api import PicPocket
from picpocket.cli import arguments
from picpocket.cli.commands import (
    Subparsers,
    add_clearable,
    add_command,
    add_group,
    add_json_option,
    add_tags_option,
)
from picpocket.cli.errors import CommandError, UsageError
from picpocket.cli.output import Output, yes_no
from picpocket.cli.session import require_location
from picpocket.database.logic import Number
from picpocket.database.types import Location
from picpocket.internal_use import NotSupplied


def register(subparsers: Subparsers) -> None:
    """Add the location command group."""
    commands = add_group(
        subparsers, "location", "manage locations: folders, cards and drives of photos"
    )
    _register_add(commands)
    _register_edit(commands)
    parser = add_command(
        commands,
        "remove",
        "forget a location (its files stay on disk)",
        run_remove,
    )
    parser.add_argument("name", help="location name")
    parser.add_argument(
        "--force",
        action="store_true",
        help="also forget the location's image records and tasks",
    )
    parser = add_command(commands, "list", "list all locations", run_list)
    add_json_option(parser)
    parser = add_command(commands, "show", "show one location", run_show)
    parser.add_argument("name", help="location name")
    add_json_option(parser)
    _register_import(commands)


def _register_add(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "add",
        "add a location",
        run_add,
        details=(
            "A location is a source (images are copied from it), a destination "
            "(images are stored in it), or both; give at least one of "
            "--source and --destination. Leave PATH out for a drive without a "
            "fixed mount point, and give --mount when importing."
        ),
    )
    parser.add_argument("name", help="unique location name, such as photos or 'EOS 6D'")
    parser.add_argument(
        "path", nargs="?", type=arguments.local_path, help="folder of the location"
    )
    parser.add_argument(
        "--description", metavar="TEXT", help="what the location is or is used for"
    )
    parser.add_argument(
        "--source", action="store_true", help="images are copied from it"
    )
    parser.add_argument(
        "--destination", action="store_true", help="images are stored in it"
    )
    parser.add_argument(
        "--non-removable",
        dest="removable",
        action="store_false",
        help="the location is always attached (an internal disk)",
    )


def _register_edit(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "edit",
        "change a location; options left out keep their value",
        run_edit,
    )
    parser.add_argument("name", help="current location name")
    parser.add_argument("--name", dest="new_name", help="rename the location")
    add_clearable(
        parser,
        "path",
        "new folder of the location",
        type=arguments.local_path,
        metavar="PATH",
    )
    add_clearable(parser, "description", "new description", metavar="TEXT")
    for role, meaning in (("source", "copied from"), ("destination", "stored in")):
        parser.add_argument(
            f"--{role}",
            action=argparse.BooleanOptionalAction,
            help=f"whether images are {meaning} it",
        )
    removable = parser.add_mutually_exclusive_group()
    removable.add_argument(
        "--removable", dest="removable", action="store_const", const=True,
        help="the location may be detached (a card or external drive)",
    )
    removable.add_argument(
        "--non-removable", dest="removable", action="store_const", const=False,
        help="the location is always attached",
    )


def _register_import(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "import",
        "record every image file in a location",
        run_import,
        details=(
            "Images already recorded keep their titles, tags and other metadata; "
            "their file facts are read again when the file changed. Prints how "
            "many images were added or changed."
        ),
    )
    parser.add_argument("name", help="location name")
    parser.add_argument(
        "--mount",
        type=arguments.local_path,
        metavar="PATH",
        help="the folder where the location is attached for this run",
    )
    parser.add_argument(
        "--formats",
        type=arguments.file_formats,
        metavar="SUFFIXES",
        help=arguments.formats_help("import"),
    )
    parser.add_argument(
        "--batch-size",
        type=arguments.positive_count,
        metavar="N",
        default=1000,
        help="images recorded per database commit (default: 1000)",
    )
    parser.add_argument(
        "--creator", metavar="NAME", help="creator to record on images that have none"
    )
    add_tags_option(parser, "tag every image (repeatable)")


async def run_add(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Add the location and print its id."""
    if not (args.source or args.destination):
        raise UsageError(
            "a location needs a role: give --source, --destination or both"
        )
    location_id = await api.add_location(
        args.name,
        args.path,
        description=args.description,
        source=args.source,
        destination=args.destination,
        removable=args.removable,
    )
    out.status(f"Added location {args.name!r} with id {location_id}")


async def run_edit(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Apply the given changes to the location."""
    changes = _edit_changes(args)
    if args.new_name is None and not changes:
        raise UsageError("nothing to change; give at least one option, see --help")
    await require_location(api, args.name)
    await api.edit_location(args.name, args.new_name, **changes)
    out.status(f"Edited location {args.new_name or args.name!r}")


async def run_remove(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Forget the location, refusing while it has images unless --force."""
    location = await require_location(api, args.name)
    if not args.force:
        images = await api.count_images(Number("location", "=", location.id))
        tasks = [
            task.name
            for task in await api.list_tasks()
            if location.id in (task.source, task.destination)
        ]
        if images or tasks:
            raise CommandError(
                f"Location {args.name!r} still has {images} images and "
                f"{len(tasks)} tasks; add --force to forget their records too "
                f"(the files stay on disk)"
            )
    await api.remove_location(location.id, force=args.force)
    out.status(f"Removed location {args.name!r}")


async def run_list(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print every location as a table or JSON."""
    locations = await api.list_locations()
    if args.json:
        out.json([location.serialize() for location in locations])
        return
    if not locations:
        out.status("No locations yet; add one with 'picpocket location add'")
        return
    out.table(
        ("ID", "NAME", "ROLE", "REMOVABLE", "PATH"),
        [
            (
                location.id,
                location.name,
                _roles(location),
                yes_no(location.removable),
                location.path,
            )
            for location in locations
        ],
    )


async def run_show(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print one location's settings and its number of images."""
    location = await require_location(api, args.name)
    images = await api.count_images(Number("location", "=", location.id))
    if args.json:
        out.json({**location.serialize(), "images": images})
        return
    out.fields(
        [
            ("id", location.id),
            ("name", location.name),
            ("path", location.path),
            ("description", location.description),
            ("role", _roles(location)),
            ("removable", yes_no(location.removable)),
            ("images", images),
        ]
    )


async def run_import(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Import the location's files and print how many images changed."""
    await require_location(api, args.name)
    if args.mount is not None:
        await api.mount(args.name, args.mount)
    with out.progress(f"Importing {args.name}") as progress:
        changed = await api.import_location(
            args.name,
            file_formats=args.formats,
            batch_size=args.batch_size,
            creator=args.creator,
            tags=args.tags,
            progress=progress,
        )
    out.line(f"{len(changed)} images added or changed")


def _edit_changes(args: argparse.Namespace) -> dict[str, object]:
    changes: dict[str, object] = {}
    for key in ("path", "description"):
        value = getattr(args, key)
        if not isinstance(value, NotSupplied):
            changes[key] = value
    for key in ("source", "destination", "removable"):
        value = getattr(args, key)
        if value is not None:
            changes[key] = value
    return changes


def _roles(location: Location) -> str:
    roles = []
    if location.source:
        roles.append("source")
    if location.destination:
        roles.append("destination")
    return ", ".join(roles)
