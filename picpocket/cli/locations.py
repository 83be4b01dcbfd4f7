"""`picpocket locations ...`: add, edit, remove and list locations.

The commands that read a location's files, import and verify, are in
location_scans.py and join the same group.
"""

from __future__ import annotations

import argparse

from picpocket.api import PicPocket
from picpocket.cli import arguments, location_scans, records
from picpocket.cli.commands import (
    Subparsers,
    add_command,
    add_erasable,
    add_group,
    add_json_option,
)
from picpocket.cli.errors import CommandError, UsageError
from picpocket.cli.output import Output, quantity, yes_no
from picpocket.cli.session import require_location
from picpocket.database.logic import Number
from picpocket.database.types import Location
from picpocket.internal_use import NotSupplied

ADD_DETAILS = """\
A location is a source (images are copied from it), a destination
(images are stored in it), or both; give at least one of --source and
--destination. Leave --path out for a card or drive without a fixed
mount point, and give --mount PATH when importing from it. Adding a
destination with a path imports its images and prints how many were
added, unless --no-import is given."""


def register(subparsers: Subparsers) -> None:
    """Add the locations command group."""
    commands = add_group(
        subparsers, "locations", "manage locations: folders, cards and drives of photos"
    )
    _register_add(commands)
    _register_edit(commands)
    parser = add_command(
        commands, "remove", "forget a location (its files stay on disk)", run_remove
    )
    parser.add_argument("name", help="location name")
    parser.add_argument(
        "--force",
        action="store_true",
        help="also forget the location's image records and tasks (default: reject "
        "while it has any)",
    )
    parser = add_command(
        commands,
        "list",
        "list all locations with their number of images",
        run_list,
        details=records.json_details(
            "a JSON array of objects", records.LOCATION_KEYS, records.LOCATION_NOTES
        ),
    )
    add_json_option(parser, "print a JSON array instead of a table; see above")
    location_scans.register(commands)


def _register_add(commands: Subparsers) -> None:
    parser = add_command(
        commands, "add", "add a location", run_add, details=ADD_DETAILS
    )
    parser.add_argument("name", help="unique location name, such as photos or 'EOS 6D'")
    _add_role_options(parser)


def _add_role_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--path",
        type=arguments.local_path,
        metavar="PATH",
        help="folder of the location, relative to the current folder or absolute "
        "(default: none; give --mount PATH when importing)",
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
        "--removable",
        action="store_true",
        help="it may be detached, like a card or external drive; its images are "
        "then unreachable instead of missing (default: always attached)",
    )
    parser.add_argument(
        "--no-import",
        dest="import_images",
        action="store_false",
        help="do not import the images of a new destination (default: import them)",
    )


def _register_edit(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "edit",
        "change a location; options left out keep their value",
        run_edit,
    )
    parser.add_argument("name", help="current location name")
    parser.add_argument("--name", dest="new_name", help="new location name")
    add_erasable(
        parser,
        "path",
        "new folder of the location",
        type=arguments.erasable_path,
        metavar="PATH",
    )
    add_erasable(parser, "description", "new description", metavar="TEXT")
    for option, meaning in (
        ("source", "images are copied from it"),
        ("destination", "images are stored in it"),
        ("removable", "it may be detached, like a card or external drive"),
    ):
        parser.add_argument(
            f"--{option}",
            action=argparse.BooleanOptionalAction,
            help=f"whether {meaning} (default: unchanged)",
        )


async def run_add(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Add the location, then import a new destination's images."""
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
    if args.destination and args.path is not None and args.import_images:
        location = await require_location(api, args.name)
        if not location.root or not location.root.is_dir():
            raise CommandError(
                f"Added location {args.name!r}, but its folder {args.path} does "
                f"not exist, so nothing was imported; attach the drive and run "
                f"'picpocket locations import {args.name}'"
            )
        await location_scans.import_images(api, location, out)


async def run_edit(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Apply the given changes to the location."""
    changes = _edit_changes(args)
    if args.new_name is None and not changes:
        raise UsageError("nothing to change; give at least one option, see --help")
    await require_location(api, args.name)
    await api.edit_location(args.name, args.new_name, **changes)
    out.status(f"Edited location {args.new_name or args.name!r}")


async def run_remove(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Forget the location, rejecting this while it has images unless --force."""
    location = await require_location(api, args.name)
    if not args.force:
        images = await count_location_images(api, location)
        tasks = [
            task.name
            for task in await api.list_tasks()
            if location.id in (task.source, task.destination)
        ]
        if images or tasks:
            raise CommandError(
                f"Location {args.name!r} still has {quantity(images, 'image')} "
                f"and {quantity(len(tasks), 'task')}; add --force to forget their "
                f"records too (the files stay on disk)"
            )
    await api.remove_location(location.id, force=args.force)
    out.status(f"Removed location {args.name!r}")


async def run_list(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print every location as a table or JSON."""
    locations = await api.list_locations()
    counts = [await count_location_images(api, location) for location in locations]
    if args.json:
        out.json(
            [
                records.location_record(location, count)
                for location, count in zip(locations, counts)
            ]
        )
        return
    if not locations:
        out.status("No locations yet; add one with 'picpocket locations add'")
        return
    out.table(
        ("NAME", "ROLE", "REMOVABLE", "IMAGES", "PATH"),
        [
            (
                location.name,
                roles(location),
                yes_no(location.removable),
                count,
                location.path,
            )
            for location, count in zip(locations, counts)
        ],
    )


async def count_location_images(api: PicPocket, location: Location) -> int:
    """Return the number of image records in a location."""
    return await api.count_images(Number("location", "=", location.id))


def roles(location: Location) -> str:
    """Return 'source', 'destination' or both, separated by a comma."""
    names = []
    if location.source:
        names.append("source")
    if location.destination:
        names.append("destination")
    return ", ".join(names)


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
