"""Everything the command line prints: results, status lines, tables and progress.

Results go to stdout. Status lines ("Added location ...") go to stdout
too but are left out with --quiet. Progress goes to stderr, and only
when stderr is a terminal.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

from picpocket.database.types import Image

# Seconds between two progress updates: about ten a second.
PROGRESS_INTERVAL = 0.1


class Output:
    """The printer that every command handler writes through."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

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

    def progress(self, label: str) -> Progress:
        """Return a progress reporter that writes to stderr on a terminal."""
        stream = sys.stderr
        enabled = not self.quiet and stream.isatty()
        return Progress(label, stream, enabled=enabled)

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question on the terminal; only 'y' or 'yes' is a yes."""
        try:
            answer = input(f"{question} [y/N] ")
        except EOFError:
            return False
        return answer.strip().lower() in ("y", "yes")


class Progress:
    """A (done, total) callback that redraws one status line, throttled.

    Use it as a context manager so the line is ended when the work stops.
    """

    def __init__(
        self,
        label: str,
        stream: TextIO,
        enabled: bool = True,
        interval: float = PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream
        self.enabled = enabled
        self.interval = interval
        self.clock = clock
        self.total = 0
        self._last_draw: float | None = None
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        self.total = total
        if not self.enabled:
            return
        now = self.clock()
        recent = self._last_draw is not None and now - self._last_draw < self.interval
        if recent and done < total:
            return
        self._last_draw = now
        self.stream.write(f"\r{self.label}: {done}/{total}")
        self.stream.flush()
        self._drawn = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def image_line(image: Image, location_names: dict[int, str]) -> str:
    """Return the one-line form of an image: id, location, path and title."""
    location = location_names.get(image.location, str(image.location))
    return "\t".join(
        (str(image.id), location, image.path.as_posix(), image.title or "")
    )


def image_fields(image: Image, location_name: str) -> list[tuple[str, Any]]:
    """Return the name/value pairs that `image show` prints."""
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


def yes_no(value: bool) -> str:
    """Return 'yes' or 'no'."""
    return "yes" if value else "no"
