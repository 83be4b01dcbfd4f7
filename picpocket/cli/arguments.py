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


def erasable_path(text: str) -> Path | None:
    """Return an absolute path, or None for an empty value, which erases it."""
    return local_path(text) if text else None


def erasable_text(text: str) -> str | None:
    """Return the text, or None for an empty value, which erases the stored one."""
    return text if text else None


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
        raise argparse.ArgumentTypeError(f"invalid whole number {text!r}") from None


def image_id(text: str) -> int:
    """Parse an image id, a whole number."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid image id {text!r}; 'picpocket images search' lists the ids "
            f"in its first column"
        ) from None


def erasable_whole_number(text: str) -> int | None:
    """Parse an integer, or return None for an empty value, which erases it."""
    return whole_number(text) if text.strip() else None


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
    defaults = " ".join(sorted(DEFAULT_FORMATS))
    return (
        f"file suffixes to {action}, separated by spaces or commas, such as "
        f"'jpg png' (default: {defaults})"
    )


def file_formats(text: str) -> list[str]:
    """Parse one --formats value: a suffix, or several separated by commas."""
    formats = [part.strip() for part in text.split(",") if part.strip()]
    if not formats:
        raise argparse.ArgumentTypeError(
            f"no file suffix in {text!r}; give suffixes such as jpg png"
        )
    return formats


def location_mount(text: str) -> tuple[str, Path | None]:
    """Parse NAME or NAME=MOUNT; the location name ends at the first '='."""
    name, separator, path = text.partition("=")
    if not name:
        raise argparse.ArgumentTypeError(
            f"invalid location {text!r}; write NAME or NAME=MOUNT"
        )
    if not separator:
        return name, None
    if not path:
        raise argparse.ArgumentTypeError(
            f"invalid location {text!r}: the folder after '=' is empty"
        )
    return name, local_path(path)


def setting(text: str) -> tuple[str, str]:
    """Parse a KEY=VALUE connection setting."""
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(
            f"invalid setting {text!r}; write KEY=VALUE, such as host=127.0.0.1"
        )
    return key, value
