"""Everything the command line prints: results, status lines, tables and progress.

Results go to stdout. Status lines ("Added location ...") go to stdout
too but are left out with --quiet. Progress bars go to stderr, and only
when stderr is a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from picpocket.database.types import Image


class Output:
    """The printer that every command handler writes through.

    `progress_console` replaces the stderr console of progress bars, so
    tests can draw them into a buffer.
    """

    def __init__(
        self, quiet: bool = False, progress_console: Console | None = None
    ) -> None:
        self.quiet = quiet
        self.progress_console = progress_console

    def line(self, text: str = "") -> None:
        """Print one line of a command's result."""
        print(text)

    def status(self, text: str) -> None:
        """Print a confirmation or summary line unless --quiet was given."""
        if not self.quiet:
            print(text)

    def json(self, data: Any) -> None:
        """Print data as indented JSON."""
        print(json.dumps(data, indent=2, ensure_ascii=False))

    def fields(self, pairs: Sequence[tuple[str, Any]]) -> None:
        """Print `name: value` lines with the values aligned."""
        width = max((len(name) for name, _ in pairs), default=0) + 1
        for name, value in pairs:
            text = "" if value is None else str(value)
            self.line(f"{name + ':':<{width}} {text}".rstrip())

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Print rows under headers in space-aligned columns."""
        cells = [[str(header) for header in headers]]
        cells += [["" if cell is None else str(cell) for cell in row] for row in rows]
        widths = [
            max(len(row[index]) for row in cells) for index in range(len(headers))
        ]
        for row in cells:
            padded = [cell.ljust(width) for cell, width in zip(row, widths)]
            self.line("  ".join(padded).rstrip())

    def progress(self, label: str) -> ProgressBar:
        """Return a progress callback that draws a bar on stderr if it is a terminal."""
        console = self.progress_console
        if console is None and not self.quiet and sys.stderr.isatty():
            console = Console(stderr=True)
        return ProgressBar(label, console)


class ProgressBar:
    """A (done, total) callback that draws a rich progress bar.

    Without a console it only records the numbers. Use it as a context
    manager, so the bar starts and stops with the work. Until the first
    call the bar has no total and shows a moving pulse, which is all that
    work without progress reports ever shows.
    """

    def __init__(self, label: str, console: Console | None) -> None:
        self.label = label
        self.done = 0
        self.total = 0
        self._bar: Progress | None = None
        if console is not None:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                redirect_stdout=False,
            )
        self._task_id: Any = None

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self._bar is not None:
            self._bar.update(self._task_id, completed=done, total=total)

    def __enter__(self) -> ProgressBar:
        if self._bar is not None:
            self._task_id = self._bar.add_task(self.label, total=None)
            self._bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def image_line(image: Image, location_names: dict[int, str]) -> str:
    """Return the one-line form of an image: id, location, path and title."""
    location = location_names.get(image.location, str(image.location))
    return "\t".join(
        (str(image.id), location, image.path.as_posix(), image.title or "")
    )


def image_fields(image: Image, location_name: str) -> list[tuple[str, Any]]:
    """Return the name/value pairs that `images show` prints."""
    size = None
    if image.width is not None and image.height is not None:
        size = f"{image.width} x {image.height} pixels"
    return [
        ("id", image.id),
        ("location", location_name),
        ("path", image.path.as_posix()),
        ("full path", image.full_path),
        ("title", image.title),
        ("caption", image.caption),
        ("alt", image.alt),
        ("creator", image.creator),
        ("rating", image.rating),
        ("size", size),
        ("created", local_time(image.creation_date)),
        ("modified", local_time(image.last_modified)),
        ("hash", image.hash),
        ("tags", ", ".join(image.tags or [])),
    ]


def local_time(value: datetime | None) -> str | None:
    """Return a date and time in the local zone, to the second."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone()
    return value.isoformat(sep=" ", timespec="seconds")


def quantity(count: int, noun: str) -> str:
    """Return a count with its noun, such as '1 image' or '4 images'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def yes_no(value: bool) -> str:
    """Return 'yes' or 'no'."""
    return "yes" if value else "no"
