"""`picpocket tag ...`: describe, rename, remove and list tags."""

from __future__ import annotations

import argparse
from typing import Any

from picpocket.api import PicPocket
from picpocket.cli.commands import Subparsers, add_command, add_group
from picpocket.cli.errors import CommandError
from picpocket.cli.output import Output
from picpocket.database.types import Tag

INDENT = "  "


def register(subparsers: Subparsers) -> None:
    """Add the tag command group."""
    commands = add_group(
        subparsers,
        "tag",
        "manage tags; levels are separated by /, as in bird/goose/Canada Goose",
    )
    parser = add_command(
        commands,
        "add",
        "create a tag or change its description",
        run_add,
        details="Tagging an image creates its tag; add one only to describe it.",
    )
    parser.add_argument("tag", help="tag name")
    parser.add_argument("--description", metavar="TEXT", help="what the tag means")
    _register_move_and_remove(commands)
    parser = add_command(
        commands, "show", "show a tag's description and children", run_show
    )
    parser.add_argument("tag", help="tag name")
    parser = add_command(commands, "list", "list all tags", run_list)
    parser.add_argument(
        "--tree", action="store_true", help="print the tags as an indented tree"
    )


def _register_move_and_remove(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "move",
        "rename a tag; an existing tag of the new name absorbs it",
        run_move,
    )
    parser.add_argument("old", help="current tag name")
    parser.add_argument("new", help="new tag name")
    parser.add_argument(
        "--no-cascade",
        dest="cascade",
        action="store_false",
        help="leave the tag's descendants where they are",
    )
    parser = add_command(
        commands, "remove", "remove a tag from the library and every image", run_remove
    )
    parser.add_argument("tag", help="tag name")
    parser.add_argument(
        "--cascade", action="store_true", help="also remove the tag's descendants"
    )


async def run_add(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Create the tag and set its description when one is given."""
    if args.description is None:
        await api.add_tag(args.tag)
    else:
        await api.add_tag(args.tag, args.description)
    out.status(f"Added tag {args.tag!r}")


async def run_move(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Rename the tag and print how many tags moved."""
    moved = await api.move_tag(args.old, args.new, cascade=args.cascade)
    if moved == 0:
        raise CommandError(
            f"Tag {args.old!r} not found (or already named {args.new!r}); "
            f"'picpocket tag list' shows the known tags"
        )
    out.status(f"Moved {moved} tags from {args.old!r} to {args.new!r}")


async def run_remove(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Remove the tag, and its descendants with --cascade."""
    await _require_tag(api, args.tag)
    await api.remove_tag(args.tag, cascade=args.cascade)
    out.status(f"Removed tag {args.tag!r}")


async def run_show(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print the tag's description, children and number of images."""
    tag = await _require_tag(api, args.tag)
    images = await api.count_images(any_tags=[tag.name])
    out.fields(
        [
            ("name", tag.name),
            ("description", tag.description),
            ("children", ", ".join(sorted(tag.children or []))),
            ("images", f"{images} (with its descendants)"),
        ]
    )


async def run_list(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print every tag name, or the tree of tags."""
    if args.tree:
        for line in tree_lines(await api.all_tags()):
            out.line(line)
        return
    for name in sorted(await api.all_tag_names()):
        out.line(name)


def tree_lines(tree: dict[str, Any], depth: int = 0) -> list[str]:
    """Return the lines of a tag tree from all_tags(), indented by level."""
    lines = []
    for name in sorted(tree):
        node = tree[name]
        line = f"{INDENT * depth}{name}"
        if node.get("description"):
            line += f" - {node['description']}"
        lines.append(line)
        lines += tree_lines(node.get("children") or {}, depth + 1)
    return lines


async def _require_tag(api: PicPocket, name: str) -> Tag:
    tag = await api.get_tag(name, children=True)
    if tag.id is None and not tag.children:
        raise CommandError(
            f"Tag {name!r} not found; 'picpocket tag list' shows the known tags"
        )
    return tag
