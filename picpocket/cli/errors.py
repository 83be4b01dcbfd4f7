"""Errors raised by the command line, and engine messages reworded for it."""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_USAGE = 2

# Engine messages name the Python call that fixes a problem. Each pair
# replaces such a phrase with the command or option that does the same.
# The commands check most of these cases before calling the engine, so
# this table covers the rest. A test fails when a phrase is no longer in
# the engine's source.
ENGINE_PHRASES: tuple[tuple[str, str], ...] = (
    ("list_locations() shows", "'picpocket locations list' shows"),
    ("list_tasks() shows", "'picpocket tasks list' shows"),
    ("pass force=True to replace it", "add --force to replace it"),
    ("pass force=True to remove", "add --force to remove"),
    (
        "set source=True or destination=True",
        "give --source, --destination or both",
    ),
    ("edit it with source=True", "run 'picpocket locations edit' with --source"),
    (
        "edit it with destination=True",
        "run 'picpocket locations edit' with --destination",
    ),
    ("create one with export_data()", "create one with 'picpocket export'"),
    (
        "pass locations as a dict that gives the folder it is at now",
        "give --location NAME=MOUNT with the folder it is at now",
    ),
    ("Call verify_image_files()", "Run 'picpocket locations verify'"),
    ("with reparse_exif=True", "with --reparse-exif"),
    (
        "or call mount() with the folder it is at",
        "or set the folder it is at with 'picpocket locations edit --path'",
    ),
    (
        "fix the path with edit_location() or mount()",
        "pass --mount PATH, or fix the path with 'picpocket locations edit'",
    ),
    (
        "mount() the location where it is, and run",
        "pass --mount PATH with the folder it is at, and run",
    ),
    (
        "remove the image with remove_image()",
        "remove it with 'picpocket images remove'",
    ),
    ("with initialize()", "with 'picpocket initialize'"),
)


class CommandError(Exception):
    """A command cannot run as given; main() prints the message and exits with 1."""

    exit_code = EXIT_FAILED


class UsageError(CommandError):
    """The options contradict each other or leave nothing to do (exit code 2)."""

    exit_code = EXIT_USAGE


def one_line(text: str) -> str:
    """Join a message's lines and runs of spaces into one line."""
    return " ".join(text.split())


def reword_engine_message(text: str) -> str:
    """Replace the Python calls that an engine message names with commands."""
    for phrase, replacement in ENGINE_PHRASES:
        text = text.replace(phrase, replacement)
    return text
