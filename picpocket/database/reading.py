"""Reading image files in worker threads, in order, a bounded window at a time."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from picpocket.errors import InputValidationError, InvalidPathError
from picpocket.files import is_inside, walk_entries
from picpocket.images import has_format, modification_time_of

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], object]
# Files a listing walks between two offers of the GIL to other threads.
# Without them, an import's listing held the event loop up for 10 to 20 ms
# at a time (2,000 files on a 2-core machine).
YIELD_EVERY = 64
Item = TypeVar("Item")
Result = TypeVar("Result")


def worker_count() -> int:
    """Return how many threads, or reader processes, read files at once."""
    return max(2, os.cpu_count() or 2)


def make_executor() -> Executor:
    return ThreadPoolExecutor(worker_count(), thread_name_prefix="picpocket-read")


async def map_in_order(
    submit: Callable[[Item], Future[Result]],
    items: Iterable[Item],
    window: int,
) -> AsyncIterator[Result]:
    """Yield the result of submit(item) for each item, in order.

    `submit` starts the work elsewhere (a thread or a process) and returns
    its future. At most `window` items are in flight, so memory stays
    bounded on a large import; when the consumer stops early, queued work
    is cancelled.
    """
    queue: Iterator[Item] = iter(items)
    pending: deque[asyncio.Future[Result]] = deque()

    def submit_next() -> None:
        for item in queue:
            pending.append(asyncio.wrap_future(submit(item)))
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


def in_executor(
    executor: Executor, function: Callable[[Item], Result]
) -> Callable[[Item], Future[Result]]:
    """Return a submit function for map_in_order that runs function in executor."""
    return lambda item: executor.submit(function, item)


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
    root: Path,
    formats: frozenset[str],
    skip: Iterable[Path] = (),
    found_one: Callable[[str, datetime], object] | None = None,
) -> list[tuple[str, datetime]]:
    """List the files under root with an accepted suffix, with their mtimes.

    Paths are relative, with '/' between folders. Folders in `skip` are
    left out. Names that are not valid Unicode cannot be stored as text,
    so they are logged and skipped. `found_one` is called with each file
    as it is found, in the listing's thread.
    """
    found = []
    # Entry paths start with root as given, so slicing gives the relative
    # path without a Path object per file.
    prefix = os.path.join(os.fspath(Path(root)), "")
    for count, entry in enumerate(walk_entries(root, skip), 1):
        if count % YIELD_EVERY == 0:
            # Let a thread that waits for the GIL, such as the event loop's,
            # take it now rather than after the 5 ms switch interval.
            time.sleep(0)
        if not has_format(entry.name, formats):
            continue
        relative = entry.path[len(prefix) :].replace(os.sep, "/")
        try:
            relative.encode("utf-8")
        except UnicodeEncodeError:
            logger.warning("Skipping %r: its name is not valid Unicode", entry.path)
            continue
        try:
            # Without a path: reading the file warns about an odd time once.
            modified = modification_time_of(entry.stat())
        except OSError as error:
            logger.warning("Skipping %s: %s", entry.path, error)
            continue
        found.append((relative, modified))
        if found_one is not None:
            found_one(relative, modified)
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
