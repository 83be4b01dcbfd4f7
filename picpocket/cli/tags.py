"""`picpocket tags ...`: list, describe, rename and remove tags."""

from __future__ import annotations

import argparse
from typing import Any

from picpocket.api import PicPocket
from picpocket.cli import records
from picpocket.cli.commands import (
    Subparsers,
    add_command,
    add_erasable,
    add_group,
    add_json_option,
)
from picpocket.cli.errors import CommandError, UsageError
from picpocket.cli.output import Output, quantity

INDENT = "  "
LIST_DETAILS = """\
Prints one line per tag, indented under its parent, with the number of
images that have the tag or one of its descendants, and its description.

"""


def register(subparsers: Subparsers) -> None:
    """Add the tags command group."""
    commands = add_group(
        subparsers,
        "tags",
        "manage tags; levels are separated by /, as in bird/goose/Canada Goose",
    )
    json_notes = f"{records.TAG_NOTES}; children is an array of such objects"
    parser = add_command(
        commands, "list", "print the tree of tags", run_list,
        details=LIST_DETAILS + records.json_details(
            "a JSON array of the top-level tags, each an object",
            records.TAG_KEYS,
            json_notes,
        ),
    )
    add_json_option(parser, "print the tree as JSON; see above")
    _register_add(commands)
    _register_move_and_remove(commands)
    parser = add_command(
        commands, "show", "show a tag's description, images and children", run_show,
        details=records.json_details("one JSON object", records.TAG_KEYS, json_notes),
    )
    parser.add_argument("tag", help="tag name")
    add_json_option(parser, "print a JSON object instead of text; see above")


def _register_add(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "add",
        "create a tag or change its description",
        run_add,
        details="Tagging an image creates its tag; add one only to describe it.",
    )
    parser.add_argument("tag", help="tag name, such as bird/goose")
    add_erasable(parser, "description", "what the tag means", metavar="TEXT")


def _register_move_and_remove(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "move",
        "rename a tag and its descendants",
        run_move,
        details=(
            "An existing tag with the new name absorbs the moved one and keeps "
            "its own description. Prints how many tags moved."
        ),
    )
    parser.add_argument("old", help="current tag name")
    parser.add_argument("new", help="new tag name")
    parser.add_argument(
        "--no-cascade",
        dest="cascade",
        action="store_false",
        help="move only this tag and leave its descendants (default: move them too)",
    )
    parser = add_command(
        commands, "remove", "remove a tag from the library and every image", run_remove
    )
    parser.add_argument("tag", help="tag name")
    parser.add_argument(
        "--cascade",
        action="store_true",
        help="also remove the tag's descendants (default: keep them)",
    )


async def run_list(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print the tag tree as indented lines or JSON."""
    tree = records.tag_records(await api.all_tags(), await api.tag_counts())
    if args.json:
        out.json(tree)
        return
    for line in tree_lines(tree):
        out.line(line)


async def run_add(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Create the tag and set its description when one is given."""
    await api.add_tag(args.tag, args.description)
    out.status(f"Added tag {args.tag!r}")


async def run_move(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Rename the tag and print how many tags moved."""
    if args.old.strip("/") == args.new.strip("/"):
        raise UsageError(f"Tag {args.old!r} already has that name; give a new one")
    await require_tag(api, args.old)
    if not args.cascade:
        await _require_stored(
            api, args.old, "--no-cascade moves nothing; leave it out to move them"
        )
    moved = await api.move_tag(args.old, args.new, cascade=args.cascade)
    out.status(f"Moved {quantity(moved, 'tag')} from {args.old!r} to {args.new!r}")


async def run_remove(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Remove the tag, and its descendants with --cascade."""
    await require_tag(api, args.tag)
    if not args.cascade:
        await _require_stored(
            api,
            args.tag,
            "removing it alone does nothing; add --cascade to remove them",
        )
    await api.remove_tag(args.tag, cascade=args.cascade)
    out.status(f"Removed tag {args.tag!r}")


async def _require_stored(api: PicPocket, name: str, consequence: str) -> None:
    """Raise CommandError when the tag exists only through its descendants."""
    if (await api.get_tag(name)).id is None:
        raise CommandError(
            f"Tag {name!r} exists only through its descendants, so {consequence}"
        )


async def run_show(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print the tag's description, number of images and children."""
    record = await require_tag(api, args.tag)
    if args.json:
        out.json(record)
        return
    out.fields(
        [
            ("name", record["name"]),
            ("description", record["description"]),
            ("images", f"{record['images']} (with its descendants)"),
            ("children", ", ".join(child["name"] for child in record["children"])),
        ]
    )


def tree_lines(tags: list[dict[str, Any]], depth: int = 0) -> list[str]:
    """Return the lines of `tags list`: each tag indented by its level."""
    lines = []
    for tag in tags:
        leaf = tag["name"].rsplit("/", 1)[-1]
        line = f"{INDENT * depth}{leaf} ({tag['images']})"
        if tag["description"]:
            line += f" - {tag['description']}"
        lines.append(line)
        lines += tree_lines(tag["children"], depth + 1)
    return lines


async def require_tag(api: PicPocket, name: str) -> dict[str, Any]:
    """Return the JSON object of a tag from the tree, or raise CommandError."""
    tree = records.tag_records(await api.all_tags(), await api.tag_counts())
    target = name.strip("/")
    while tree:
        found = [tag for tag in tree if _is_same_or_parent(tag["name"], target)]
        if not found:
            break
        if found[0]["name"] == target:
            return found[0]
        tree = found[0]["children"]
    raise CommandError(
        f"Tag {name!r} not found; 'picpocket tags list' shows the known tags"
    )


def _is_same_or_parent(candidate: str, name: str) -> bool:
    return name == candidate or name.startswith(candidate + "/")
