"""`picpocket task ...`: define and run repeatable imports between locations."""

from __future__ import annotations

import argparse

from picpocket.api import PicPocket
from picpocket.cli import arguments
from picpocket.cli.commands import (
    Subparsers,
    add_command,
    add_group,
    add_mounts_option,
    add_tags_option,
)
from picpocket.cli.errors import CommandError
from picpocket.cli.output import Output, local_time
from picpocket.cli.session import location_names, mount_locations, require_location
from picpocket.database.types import Task

ADD_DETAILS = """\
A task copies new images from SOURCE into DESTINATION and records them.
Files are never overwritten.

--source-path is relative to the source root; its folder names may be
{year}, {month}, {day}, {date:FORMAT} (strftime), {regex:PATTERN} or
{str:RAW}, for example DCIM/{regex:\\d{3}[A-Z]+}.

--destination-format is a Python format string for the path of each copy
relative to the destination root, with the fields directory, file, name,
extension, uuid, date (the file's modification time, as in {date:%Y/%m}),
hash and index (default: {directory}/{file}).
"""


def register(subparsers: Subparsers) -> None:
    """Add the task command group."""
    commands = add_group(subparsers, "task", "define and run repeatable imports")
    _register_add(commands)
    _register_run(commands)
    add_command(commands, "list", "list all tasks", run_list)
    for name, help_text, handler in (
        ("show", "show a task's settings", run_show),
        ("remove", "remove a task (its imported images stay)", run_remove),
    ):
        parser = add_command(commands, name, help_text, handler)
        parser.add_argument("name", help="task name")


def _register_add(commands: Subparsers) -> None:
    parser = add_command(
        commands, "add", "define an import task", run_add, details=ADD_DETAILS
    )
    parser.add_argument("name", help="unique task name")
    parser.add_argument("source", help="location to copy images from")
    parser.add_argument("destination", help="location to copy images into")
    parser.add_argument("--description", metavar="TEXT", help="what the task is for")
    parser.add_argument(
        "--creator", metavar="NAME", help="creator to record on every imported image"
    )
    add_tags_option(parser, "tag every imported image (repeatable)")
    parser.add_argument(
        "--source-path", metavar="PATH", help="where to look in the source; see above"
    )
    parser.add_argument(
        "--destination-format",
        metavar="FORMAT",
        help="path of each copy in the destination; see above",
    )
    parser.add_argument(
        "--formats",
        type=arguments.file_formats,
        metavar="SUFFIXES",
        help=arguments.formats_help("copy"),
    )
    parser.add_argument(
        "--force", action="store_true", help="replace a task that has the same name"
    )


def _register_run(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "run",
        "run a task and print how many images it imported",
        run_run,
        details=(
            "Without --full or --since, folders and files older than the task's "
            "last run are skipped."
        ),
    )
    parser.add_argument("name", help="task name")
    parser.add_argument(
        "--since",
        type=arguments.date_time,
        metavar="DATE",
        help="skip files modified before this ISO date or date-time (local time)",
    )
    parser.add_argument(
        "--full", action="store_true", help="look at every file, whatever its date"
    )
    add_tags_option(parser, "extra tag for this run (repeatable)")
    add_mounts_option(parser)


async def run_add(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Store the task definition."""
    await require_location(api, args.source)
    await require_location(api, args.destination)
    await api.add_task(
        args.name,
        args.source,
        args.destination,
        description=args.description,
        creator=args.creator,
        tags=args.tags,
        source_path=args.source_path,
        destination_format=args.destination_format,
        file_formats=args.formats,
        force=args.force,
    )
    out.status(f"Added task {args.name!r}")


async def run_run(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Run the task and print the number of imported images."""
    await _require_task(api, args.name)
    await mount_locations(api, args.mounts)
    with out.progress(f"Running {args.name}") as progress:
        imported = await api.run_task(
            args.name,
            since=args.since,
            full=args.full,
            tags=args.tags,
            progress=progress,
        )
    out.line(f"{len(imported)} images imported")


async def run_list(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print every task as a table."""
    tasks = await api.list_tasks()
    if not tasks:
        out.status("No tasks yet; add one with 'picpocket task add'")
        return
    names = await location_names(api)
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
    task = await _require_task(api, args.name)
    names = await location_names(api)
    out.fields(
        [
            ("name", task.name),
            ("description", task.description),
            ("source", names.get(task.source)),
            ("destination", names.get(task.destination)),
            ("source path", task.source_path),
            ("destination format", task.destination_format),
            ("formats", ", ".join(sorted(task.file_formats or []))),
            ("creator", task.creator),
            ("tags", ", ".join(task.tags)),
            ("last run", local_time(task.last_ran)),
        ]
    )


async def run_remove(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Remove the task definition."""
    await _require_task(api, args.name)
    await api.remove_task(args.name)
    out.status(f"Removed task {args.name!r}")


async def _require_task(api: PicPocket, name: str) -> Task:
    task = await api.get_task(name)
    if task is None:
        raise CommandError(
            f"Task {name!r} not found; 'picpocket task list' shows the known tasks"
        )
    return task
