"""Argparse value types shared by several commands.

Each function converts one option value and raises
argparse.ArgumentTypeError with a message that names the value, so
argparse reports it as a usage error (exit code 2).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from picpocket.images import DEFAULT_FORMATS


def local_path(text: str) -> Path:
    """Return a path from the command line as an absolute path (from the cwd)."""
    if not text:
        raise argparse.ArgumentTypeError("the path is empty")
    return Path(text).expanduser().absolute()


def date_time(text: str) -> datetime:
    """Parse an ISO date or date and time; a value without a zone is local time."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}; use an ISO date such as 2021-03-01 "
            f"or a date and time such as 2021-03-01T14:30"
        ) from None
    if value.tzinfo is None:
        value = value.astimezone()
    return value


def whole_number(text: str) -> int:
    """Parse an integer that may be negative."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid whole number {text!r}"
        ) from None


def count(text: str) -> int:
    """Parse an integer that is 0 or more."""
    value = whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative; give 0 or more")
    return value


def positive_count(text: str) -> int:
    """Parse an integer that is 1 or more."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is too small; give 1 or more")
    return value


def port(text: str) -> int:
    """Parse a TCP port number, 1 to 65535."""
    value = whole_number(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"invalid port {text!r}; give a number from 1 to 65535"
        )
    return value


def formats_help(action: str) -> str:
    """Return the help text of a --formats option, listing the defaults."""
    defaults = ", ".join(sorted(DEFAULT_FORMATS))
    return (
        f"comma-separated file suffixes to {action}, such as jpg,png "
        f"(default: {defaults})"
    )


def file_formats(text: str) -> set[str]:
    """Parse a comma-separated list of file suffixes such as 'jpg,png'."""
    formats = {part.strip() for part in text.split(",") if part.strip()}
    if not formats:
        raise argparse.ArgumentTypeError(
            f"no file formats in {text!r}; give suffixes such as jpg,png"
        )
    return formats


def mount(text: str) -> tuple[str, Path]:
    """Parse LOCATION=PATH; the location name ends at the first '='."""
    name, separator, path = text.partition("=")
    if not separator or not name or not path:
        raise argparse.ArgumentTypeError(
            f"invalid mount {text!r}; write LOCATION=PATH, for example "
            f"camera=/media/sdcard"
        )
    return name, local_path(path)


def backup_location(text: str) -> tuple[str, Path | None]:
    """Parse NAME or NAME=PATH for import-backup."""
    name, separator, path = text.partition("=")
    if not name:
        raise argparse.ArgumentTypeError(
            f"invalid location {text!r}; write NAME or NAME=PATH"
        )
    if not separator:
        return name, None
    if not path:
        raise argparse.ArgumentTypeError(
            f"invalid location {text!r}: the path after '=' is empty"
        )
    return name, local_path(path)
