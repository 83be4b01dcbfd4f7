"""`picpocket tasks ...`: define and run repeatable imports between locations."""

from __future__ import annotations

import argparse

from picpocket.api import PicPocket
from picpocket.cli import arguments, records
from picpocket.cli.commands import (
    Subparsers,
    add_command,
    add_formats_option,
    add_group,
    add_json_option,
    add_tags_option,
    formats_set,
)
from picpocket.cli.errors import CommandError
from picpocket.cli.output import Output, local_time, quantity
from picpocket.cli.session import (
    location_names,
    mount_location,
    require_location,
    require_reachable,
    require_task,
)
from picpocket.database.types import Location

ADD_DETAILS = """\
A task copies new images from SOURCE into DESTINATION and records them.
Files are never overwritten.

--path is a folder template relative to the source's folder; its folder
names may be {year}, {month}, {day}, {date:FORMAT} (strftime), {regex:PATTERN}
or {str:RAW}, for example DCIM/{regex:\\d{3}[A-Z]+}. The default is the
whole source.

--format is a Python format string for the path of each copy relative to
the destination's folder, with the fields directory, file, name,
extension, uuid, date (the file's modification time, as in {date:%Y/%m}),
hash and index (default: {directory}/{file})."""

RUN_DETAILS = """\
Prints the number of images imported. Without --full or --since, folders
and files older than the task's last run are skipped. --mount PATH gives
the folder where the source, such as a camera card, is attached."""


def register(subparsers: Subparsers) -> None:
    """Add the tasks command group."""
    commands = add_group(subparsers, "tasks", "define and run repeatable imports")
    _register_add(commands)
    parser = add_command(
        commands, "list", "list all tasks", run_list,
        details=records.json_details(
            "a JSON array of objects", records.TASK_KEYS, records.TASK_NOTES
        ),
    )
    add_json_option(parser, "print a JSON array instead of a table; see above")
    parser = add_command(
        commands, "show", "show a task's settings", run_show,
        details=records.json_details(
            "one JSON object", records.TASK_KEYS, records.TASK_NOTES
        ),
    )
    parser.add_argument("name", help="task name")
    add_json_option(parser, "print a JSON object instead of text; see above")
    _register_run(commands)
    parser = add_command(
        commands, "remove", "remove a task (its imported images stay)", run_remove
    )
    parser.add_argument("name", help="task name")


def _register_add(commands: Subparsers) -> None:
    parser = add_command(
        commands, "add", "define an import task", run_add, details=ADD_DETAILS
    )
    parser.add_argument("name", help="unique task name")
    parser.add_argument("source", help="location to copy images from")
    parser.add_argument("destination", help="location to copy images into")
    parser.add_argument(
        "--path", metavar="TEMPLATE", help="where to look in the source; see above"
    )
    parser.add_argument(
        "--format",
        metavar="TEMPLATE",
        help="path of each copy in the destination; see above",
    )
    parser.add_argument(
        "--creator",
        metavar="NAME",
        help="creator to record on every imported image (default: EXIF Artist)",
    )
    add_tags_option(parser, "tag to apply to every imported image (repeatable)")
    add_formats_option(parser, "copy")
    parser.add_argument("--description", metavar="TEXT", help="what the task is for")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace a task that has the same name (default: reject)",
    )


def _register_run(commands: Subparsers) -> None:
    parser = add_command(
        commands, "run", "run a task", run_run, details=RUN_DETAILS
    )
    parser.add_argument("name", help="task name")
    since = parser.add_mutually_exclusive_group()
    since.add_argument(
        "--full", action="store_true", help="look at every file, whatever its date"
    )
    since.add_argument(
        "--since",
        type=arguments.date_time,
        metavar="DATE",
        help="skip files modified before this ISO date or date-time, such as "
        "2024-05-01 (local time unless it gives a zone; default: the last run)",
    )
    parser.add_argument(
        "--mount",
        type=arguments.local_path,
        metavar="PATH",
        help="folder where the source is attached for this run (default: its path)",
    )
    add_tags_option(parser, "extra tag for the images of this run (repeatable)")


async def run_add(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Store the task definition."""
    source = await require_location(api, args.source)
    destination = await require_location(api, args.destination)
    _check_roles(source, destination)
    await api.add_task(
        args.name,
        args.source,
        args.destination,
        description=args.description,
        creator=args.creator,
        tags=args.tags,
        source_path=args.path,
        destination_format=args.format,
        file_formats=formats_set(args.formats),
        force=args.force,
    )
    out.status(f"Added task {args.name!r}")


def _check_roles(source: Location, destination: Location) -> None:
    if not source.source:
        raise CommandError(
            f"Location {source.name!r} is not a source; mark it as one with "
            f"'picpocket locations edit {source.name} --source'"
        )
    if not destination.destination:
        raise CommandError(
            f"Location {destination.name!r} is not a destination; mark it as one "
            f"with 'picpocket locations edit {destination.name} --destination'"
        )


async def run_run(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Run the task and print the number of imported images."""
    task = await require_task(api, args.name)
    source = await require_location(api, task.source)
    source = await mount_location(api, source, args.mount)
    require_reachable(source, "--mount PATH")
    destination = await require_location(api, task.destination)
    require_reachable(destination, None)
    with out.progress(f"Running {args.name}") as progress:
        imported = await api.run_task(
            args.name,
            since=args.since,
            full=args.full,
            tags=args.tags,
            progress=progress,
        )
    out.line(f"{quantity(len(imported), 'image')} imported")


async def run_list(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print every task as a table or JSON."""
    tasks = await api.list_tasks()
    names = await location_names(api)
    if args.json:
        out.json([records.task_record(task, names) for task in tasks])
        return
    if not tasks:
        out.status("No tasks yet; add one with 'picpocket tasks add'")
        return
    out.table(
        ("NAME", "SOURCE", "DESTINATION", "LAST RUN"),
        [
            (
                task.name,
                names.get(task.source),
                names.get(task.destination),
                local_time(task.last_ran),
            )
            for task in tasks
        ],
    )


async def run_show(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print one task's settings."""
    task = await require_task(api, args.name)
    names = await location_names(api)
    if args.json:
        out.json(records.task_record(task, names))
        return
    out.fields(
        [
            ("name", task.name),
            ("description", task.description),
            ("source", names.get(task.source)),
            ("destination", names.get(task.destination)),
            ("path", task.source_path),
            ("format", task.destination_format),
            ("formats", " ".join(sorted(task.file_formats or []))),
            ("creator", task.creator),
            ("tags", ", ".join(task.tags)),
            ("last run", local_time(task.last_ran)),
        ]
    )


async def run_remove(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Remove the task definition."""
    await require_task(api, args.name)
    await api.remove_task(args.name)
    out.status(f"Removed task {args.name!r}")
