"""Reading image files in worker threads, in order, a bounded window at a time."""

from __future__ import annotations

import asyncio
import logging
import mmap
import os
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import NamedTuple, TypeVar

from picpocket.database.images import modification_time
from picpocket.errors import InputValidationError, InvalidPathError
from picpocket.files import is_inside, walk_entries
from picpocket.images import (
    ImageFacts,
    has_format,
    modification_time_of,
    read_image_facts,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], object]
Item = TypeVar("Item")
Result = TypeVar("Result")


class FileRead(NamedTuple):
    """Facts a worker read from one file, with facts None when the file vanished."""

    path: Path
    facts: ImageFacts | None
    modified: datetime | None


def worker_count() -> int:
    """Return how many threads read files at once.

    Hashing and Pillow's parsing release the GIL for most of their work,
    so one thread a core keeps every core busy.
    """
    return max(2, os.cpu_count() or 2)


def make_executor() -> Executor:
    return ThreadPoolExecutor(worker_count(), thread_name_prefix="picpocket-read")


def read_file(path: Path) -> FileRead:
    """Read one file's facts, or return empty facts when it cannot be read."""
    try:
        # The time is taken before the read, so a file changed during the
        # read looks changed again on the next import.
        modified = modification_time(path)
        facts = read_image_facts(path)
    except OSError as error:
        logger.warning("Skipping %s: %s", path, error)
        return FileRead(path, None, None)
    if facts.creation_date == facts.last_modified:
        # Without an EXIF date the creation date is the mtime. Keep it equal
        # to the stored last_modified, even if the file changed mid-read.
        facts = replace(facts, creation_date=modified)
    if facts.width is not None and jpeg_end_missing(path):
        logger.warning(
            "%s looks truncated: its JPEG data has no end-of-image marker, so "
            "part of the photo may be missing",
            path,
        )
    return FileRead(path, facts, modified)


def read_files(root: Path, relatives: Sequence[PurePosixPath]) -> list[FileRead]:
    """Read several files under root; one call per chunk keeps the event
    loop's wake-ups, and so its waits for the GIL, few."""
    return [read_file(root / relative) for relative in relatives]


def jpeg_end_missing(path: Path) -> bool:
    """Return whether a JPEG file has no end-of-image marker after its first scan.

    Entropy-coded scan data cannot contain the bytes FF D9, so their absence
    after the first scan starts means the file was cut short. Data after the
    marker (a phone's embedded video) is allowed. Other files return False.
    """
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size < 4:
                return False
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if data[:3] != b"\xff\xd8\xff":
                    return False
                scan = _first_scan_offset(data)
                # rfind starts at the end, where the marker of a whole file is.
                return scan is not None and data.rfind(b"\xff\xd9", scan) == -1
    except (OSError, ValueError) as error:
        logger.debug("Could not check the end of %s: %s", path, error)
        return False


def _first_scan_offset(data: mmap.mmap) -> int | None:
    """Return where the first scan's data starts, or None if no scan header is found."""
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:
            # Fill byte before a marker.
            offset += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7:
            # Markers without a length field.
            offset += 2
        elif marker == 0xD9:
            return None
        else:
            length = int.from_bytes(data[offset + 2 : offset + 4], "big")
            if marker == 0xDA:
                return offset + 2 + length
            offset += 2 + length
    return None


async def map_in_order(
    executor: Executor,
    function: Callable[[Item], Result],
    items: Iterable[Item],
    window: int,
) -> AsyncIterator[Result]:
    """Yield function(item) for each item, run in the executor, in order.

    At most `window` calls are in flight, so memory stays bounded on a
    large import; when the consumer stops early, queued calls are dropped.
    """
    loop = asyncio.get_running_loop()
    queue: Iterator[Item] = iter(items)
    pending: deque[asyncio.Future[Result]] = deque()

    def submit_next() -> None:
        for item in queue:
            pending.append(loop.run_in_executor(executor, function, item))
            return

    try:
        for _ in range(window):
            submit_next()
        while pending:
            result = await pending.popleft()
            submit_next()
            yield result
    finally:
        for future in pending:
            future.cancel()


def nested_roots(root: Path, others: Iterable[Path | None]) -> list[Path]:
    """Return the folders among `others` that lie strictly inside root.

    Links are resolved on both sides, so a location reached through a
    symbolic link still counts as nested.
    """
    real_root = os.path.realpath(root)
    nested = []
    for other in others:
        if other is None:
            continue
        real_other = os.path.realpath(other)
        if real_other != real_root and is_inside(real_root, real_other):
            nested.append(Path(other))
    return nested


def candidate_files(
    root: Path, formats: frozenset[str], skip: Iterable[Path] = ()
) -> list[tuple[PurePosixPath, datetime]]:
    """List the files under root with an accepted suffix, with their mtimes.

    Folders in `skip` are left out. Names that are not valid Unicode
    cannot be stored as text, so they are logged and skipped.
    """
    found = []
    # Entry paths start with root as given, so slicing gives the relative
    # path without a Path object per file.
    prefix = os.path.join(os.fspath(Path(root)), "")
    for entry in walk_entries(root, skip):
        if not has_format(entry.name, formats):
            continue
        relative = entry.path[len(prefix) :].replace(os.sep, "/")
        try:
            relative.encode("utf-8")
        except UnicodeEncodeError:
            logger.warning("Skipping %r: its name is not valid Unicode", entry.path)
            continue
        try:
            found.append((PurePosixPath(relative), modification_time_of(entry.stat())))
        except OSError as error:
            logger.warning("Skipping %s: %s", entry.path, error)
    return found


def report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def check_batch_size(batch_size: object) -> int:
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or batch_size < 1
    ):
        raise InputValidationError(
            f"batch_size must be a whole number of 1 or more, got {batch_size!r}"
        )
    return batch_size


def check_root_present(root: Path, location_name: str, saved: int) -> None:
    """Raise InvalidPathError when a location's folder disappeared mid-run."""
    if not root.is_dir():
        raise InvalidPathError(
            f"Location {location_name!r} at {root} disappeared while it was "
            f"being read ({saved} images were saved); reattach it and run "
            f"the import again to continue"
        )
