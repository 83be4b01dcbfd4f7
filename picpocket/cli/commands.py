"""Helpers that every command module uses to declare its subcommands.

A subcommand stores its handler with set_defaults. Handlers are
coroutines called as `handler(api, args, out)` with the open library,
except those declared with `opens_library=False`, which are called as
`handler(args, out)`.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Awaitable, Callable
from typing import Any

from picpocket.cli import arguments
from picpocket.internal_use import NotSupplied

Handler = Callable[..., Awaitable[None]]
# Characters per line of the wrapped command descriptions.
DETAILS_WIDTH = 76
Subparsers = Any  # argparse's _SubParsersAction, which is private


def add_group(subparsers: Subparsers, name: str, help_text: str) -> Subparsers:
    """Add a command group such as `locations` and return its subcommand list."""
    group = subparsers.add_parser(name, help=help_text, description=help_text)
    return group.add_subparsers(
        dest=f"{name}_command", metavar="COMMAND", required=True, title="commands"
    )


def add_command(
    subparsers: Subparsers,
    name: str,
    help_text: str,
    handler: Handler,
    *,
    details: str | None = None,
    opens_library: bool = True,
) -> argparse.ArgumentParser:
    """Add one subcommand that runs `handler`, and return its parser.

    `help_text` is the one-line summary shown in the parent's list.
    `details`, if given, follows it in the command's own --help: a
    one-paragraph string is wrapped, and text with line breaks is kept.
    """
    description = help_text
    if details is not None:
        if "\n" not in details:
            details = textwrap.fill(details, DETAILS_WIDTH)
        description = f"{help_text}\n\n{details}"
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler, opens_library=opens_library)
    return parser


def add_erasable(
    parser: argparse.ArgumentParser, name: str, help_text: str, **options: Any
) -> None:
    """Add `--NAME VALUE`, where an empty VALUE erases the stored value.

    The value defaults to NotSupplied, meaning "leave it as it is".
    """
    options.setdefault("type", arguments.erasable_text)
    parser.add_argument(
        f"--{name}",
        dest=name,
        default=NotSupplied(),
        help=f"{help_text}; an empty value ('') erases it (default: unchanged)",
        **options,
    )


def add_tags_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """Add a repeatable `--tag TAG` option stored as the list `args.tags`."""
    parser.add_argument(
        "--tag", dest="tags", action="append", metavar="TAG", help=help_text
    )


def add_formats_option(parser: argparse.ArgumentParser, action: str) -> None:
    """Add `--formats SUFFIX...`, stored as a list in `args.formats` (or None)."""
    parser.add_argument(
        "--formats",
        nargs="+",
        action="extend",
        type=arguments.file_formats,
        metavar="SUFFIX",
        help=arguments.formats_help(action),
    )


def add_json_option(parser: argparse.ArgumentParser, keys_help: str) -> None:
    """Add a `--json` flag whose help lists the keys it prints."""
    parser.add_argument("--json", action="store_true", help=keys_help)


def formats_set(formats: list[list[str]] | list[str] | None) -> set[str] | None:
    """Flatten the values of a --formats option into the set the engine takes."""
    if not formats:
        return None
    found: set[str] = set()
    for value in formats:
        found.update([value] if isinstance(value, str) else value)
    return found
