"""Importing a location's files, and checking recorded files against disk."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor, Future
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from picpocket.database.base import (
    Cursor,
    check_text,
    chunked,
    placeholders,
    run_to_completion,
)
from picpocket.database.images import FILE_COLUMNS, ImagesMixin, split_name
from picpocket.database.file_reads import FileRead, read_files
from picpocket.database.import_batches import (
    BatchWriter,
    Pending,
    StreamedBatch,
    WholeBatch,
)
from picpocket.database import reader_processes
from picpocket.database.reader_processes import ReaderPool, processes_available
from picpocket.database.reading import (
    Progress,
    candidate_files,
    check_batch_size,
    check_root_present,
    make_executor,
    map_in_order,
    nested_roots,
    report,
    worker_count,
)
from picpocket.database.tags import normalize_tags
from picpocket.database.types import Location
from picpocket.errors import InvalidPathError
from picpocket.images import normalize_formats

# Pillow's image module loads lazily in reader processes, but here with the
# engine: loading it inside an import would hold the GIL for about 0.1 s.
import picpocket.pillow_facts  # noqa: F401  (imported for its side effect)

logger = logging.getLogger(__name__)


async def _list_files(
    location: Location,
    root: Path,
    formats: frozenset[str],
    skip: list[Path],
    found_one: Callable[[str, datetime], object],
) -> list[tuple[str, datetime]]:
    """List the candidate files, raising InvalidPathError when the folder is gone."""
    if not await asyncio.to_thread(root.is_dir):
        raise InvalidPathError(
            f"Location {location.name!r} cannot be imported: its folder {root} "
            f"does not exist; attach the drive, or fix the path with "
            f"edit_location() or mount()"
        )
    files = await asyncio.to_thread(candidate_files, root, formats, skip, found_one)
    # A folder that vanished during the walk leaves a partial list.
    check_root_present(root, location.name, 0)
    return files


# An import that adds or changes this many images or more refreshes the
# query planner's statistics.
STATISTICS_IMAGES = 1000
# Files per call to a reader, so that the event loop wakes once a chunk.
READ_CHUNK = 16
# Rows a streamed batch writes at a time.
STREAM_ROWS = 200
# The images columns an import fills for a new file, in its rows' order.
IMPORT_COLUMNS = ("location", "path", "name", "extension", *FILE_COLUMNS, "creator")


async def _flatten(chunks: AsyncIterator[list[FileRead]]) -> AsyncIterator[FileRead]:
    async for chunk in chunks:
        for read in chunk:
            yield read
        # Awaiting a chunk that was read ahead returns without passing
        # through the event loop, so an import of small files could hold
        # the loop for 10 ms at a time. This gives it back once a chunk.
        await asyncio.sleep(0)


@dataclass
class _ImportJob:
    """The settings that every batch of one import uses."""

    location: Location
    root: Path
    existing: dict[str, tuple[int, datetime | None]]
    creator: str | None
    tag_names: list[str]
    batch_size: int


_PROCESSES_LOCK = threading.Lock()


class _Sorter:
    """Sort listed files into those to read and those unchanged since recorded.

    It runs in the listing's thread, and starts the reader processes as
    soon as MIN_FILES files need reading, so that they start while the
    listing goes on. Unchanged files do not count, so re-importing a
    large location that did not change starts none.
    """

    def __init__(
        self,
        existing: dict[str, tuple[int, datetime | None]],
        start_processes: Callable[[], None],
    ) -> None:
        self._existing = existing
        self._start_processes = start_processes
        self.to_read: list[str] = []
        self.unchanged: list[int] = []

    def found_one(self, relative: str, modified: datetime) -> None:
        known = self._existing.get(relative)
        if known is not None and known[1] == modified:
            self.unchanged.append(known[0])
            return
        self.to_read.append(relative)
        if len(self.to_read) == max(1, reader_processes.MIN_FILES):
            self._start_processes()


def read_ahead() -> int:
    """Return how many chunks an import reads ahead of the one it records.

    Enough to keep every reader busy while a batch is written.
    """
    return 8 * worker_count()


@dataclass
class _JobRecorder:
    """The steps that record one import's batches."""

    api: ImporterMixin
    job: _ImportJob

    def transaction(self) -> Any:
        return self.api.transaction()

    async def insert_image_rows(
        self, cursor: Cursor, location_id: int, rows: list[tuple[Any, ...]]
    ) -> dict[str, int]:
        return await self.api.insert_image_rows(cursor, location_id, rows)

    async def update_file_facts(
        self, cursor: Cursor, updates: list[tuple[int, list[Any]]]
    ) -> None:
        await self.api._update_file_facts(cursor, updates)

    async def finish_batch(
        self, cursor: Cursor, new_ids: list[int], updated_ids: list[int]
    ) -> None:
        await self.api._fill_creator(cursor, updated_ids, self.job.creator)
        await self.api._apply_tags(cursor, new_ids + updated_ids, self.job.tag_names)


class ImporterMixin(ImagesMixin):
    """Import whole locations in batches, reading files in worker processes."""

    _executor: Executor | None = None
    _processes: ReaderPool | None = None
    # Whether a batch's rows are written as they are read, in a transaction
    # kept open until the batch is full. That suits a backend whose other
    # connections go on beside it, not one whose calls share one connection.
    streams_import_batches = False

    def reader(self) -> Executor:
        """Return the thread pool that reads and hashes files."""
        if self._executor is None:
            self._executor = make_executor()
        return self._executor

    def chunk_reader(self) -> Callable[[Path, Sequence[str]], Future[list[FileRead]]]:
        """Return a function that starts reading a chunk of files under root.

        Reader processes serve every import once they run; threads serve
        imports too small to start them.
        """
        if self._processes is not None:
            return self._processes.submit
        return partial(self.reader().submit, read_files)

    def _start_processes(self) -> None:
        """Start the reader processes if they are not running, from any thread."""
        with _PROCESSES_LOCK:
            if self._processes is None and processes_available():
                self._processes = ReaderPool(worker_count())

    def shutdown_reader(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        with _PROCESSES_LOCK:
            processes, self._processes = self._processes, None
        if processes is not None:
            processes.shutdown()

    async def import_location(
        self,
        name_or_id: str | int,
        /,
        *,
        file_formats: set[str] | None = None,
        batch_size: int = 1000,
        creator: str | None = None,
        tags: list[str] | None = None,
        progress: Progress | None = None,
    ) -> list[int]:
        """Record every image file in a location; return the added or changed ids.

        Files already recorded keep their user metadata; their file facts
        are read again only when the modification time changed. `tags`
        are applied to every image found, `creator` to new images and to
        found images that have none. `progress` is called with (done, total)
        files. Each batch commits on its own and a cancel waits for the
        batch being written, so a cancelled import keeps whole batches.
        The folder of another location nested inside this one is left out,
        as are symbolic links that lead outside the location.

        Raises:
            InvalidPathError: the location is unreachable, or its folder is
                missing or disappears during the import.
        """
        formats = normalize_formats(file_formats)
        batch_size = check_batch_size(batch_size)
        check_text("creator", creator)
        tag_names = normalize_tags("tags", tags)
        async with self.transaction(commit=False) as cursor:
            location, root = await self._reachable_location(cursor, name_or_id)
            existing = await self._existing_paths(cursor, location.id)
            roots = await self._reachable_roots(cursor)
        # A file belongs to the innermost location that contains it, so
        # nested locations do not record the same file twice.
        others = [folder for key, folder in roots.items() if key != location.id]
        nested = nested_roots(root, others)
        if nested:
            logger.info("Leaving out the folders of other locations: %s", nested)
        sorter = _Sorter(existing, self._start_processes)
        files = await _list_files(location, root, formats, nested, sorter.found_one)
        to_read, unchanged = sorter.to_read, sorter.unchanged
        logger.info(
            "Importing location %r from %s: %d files, %d unchanged",
            location.name,
            root,
            len(files),
            len(unchanged),
        )
        report(progress, len(unchanged), len(files))
        for chunk in chunked(unchanged, batch_size):
            await run_to_completion(self._tag_unchanged(chunk, creator, tag_names))
        job = _ImportJob(location, root, existing, creator, tag_names, batch_size)
        changed = await self._import_files(
            job,
            to_read,
            lambda done: report(progress, len(unchanged) + done, len(files)),
        )
        logger.info(
            "Imported location %r: %d images added or changed",
            location.name,
            len(changed),
        )
        if len(changed) >= STATISTICS_IMAGES:
            # Otherwise searches are planned for the library as it was
            # before, until the database refreshes them in the background.
            await self._refresh_quietly(
                self.refresh_statistics, f"importing {len(changed)} images"
            )
        return changed

    async def _import_files(
        self, job: _ImportJob, to_read: list[str], on_file: Any
    ) -> list[int]:
        recorder = _JobRecorder(self, job)
        kind = StreamedBatch if self.streams_import_batches else WholeBatch
        writer = BatchWriter(partial(kind, recorder, job.location.id))
        pending = Pending()
        in_batch = 0
        chunks = [
            to_read[start : start + READ_CHUNK]
            for start in range(0, len(to_read), READ_CHUNK)
        ]
        reads = map_in_order(
            partial(self.chunk_reader(), job.root),
            chunks,
            window=read_ahead(),
        )
        async with writer, aclosing(reads):
            done = 0
            async for read in _flatten(reads):
                relative = to_read[done]
                done += 1
                if read.facts is None:
                    if not job.root.is_dir():
                        # Save what was read before the drive went away.
                        await writer.add(pending)
                        pending = Pending()
                        await writer.finish()
                        await writer.drain()
                    check_root_present(job.root, job.location.name, len(writer.ids))
                else:
                    self._add_row(job, pending, relative, read)
                batch_full = in_batch + len(pending) >= job.batch_size
                if batch_full or len(pending) >= STREAM_ROWS:
                    in_batch += len(pending)
                    await writer.add(pending)
                    pending = Pending()
                if in_batch >= job.batch_size:
                    await writer.finish()
                    in_batch = 0
                on_file(done)
            await writer.add(pending)
            await writer.finish()
            await writer.drain()
        return writer.ids

    def _add_row(
        self, job: _ImportJob, pending: Pending, relative: str, read: FileRead
    ) -> None:
        """Add a read file's row to pending, built now so that a batch's
        write does not hold the event loop to build a thousand rows."""
        assert read.facts is not None and read.modified is not None
        values = self.file_values(read.facts, read.modified)
        known = job.existing.get(relative)
        if known is not None:
            pending.updates.append((known[0], values))
            return
        creator = job.creator if job.creator is not None else read.facts.creator
        pending.new.append(
            (job.location.id, relative, *split_name(relative), *values, creator)
        )

    async def _tag_unchanged(
        self, image_ids: Sequence[int], creator: str | None, tag_names: list[str]
    ) -> None:
        async with self.transaction() as cursor:
            await self._apply_tags(cursor, image_ids, tag_names)
            await self._fill_creator(cursor, image_ids, creator)

    async def insert_image_rows(
        self, cursor: Cursor, location_id: int, rows: list[tuple[Any, ...]]
    ) -> dict[str, int]:
        """Insert IMPORT_COLUMNS rows of one location into images, and return
        the id of each row's path.

        A row whose (location, path) is recorded already is left out, and the
        recorded image's id is returned for it.
        """
        await cursor.executemany(
            f"INSERT INTO images ({', '.join(IMPORT_COLUMNS)}) "
            f"VALUES ({placeholders(len(IMPORT_COLUMNS))}) "
            "ON CONFLICT (location, path) DO NOTHING",
            rows,
        )
        paths = [row[1] for row in rows]
        ids: dict[str, int] = {}
        for chunk in chunked(paths):
            found = await cursor.fetch_all(
                f"SELECT path, id FROM images WHERE location = ? "
                f"AND path IN ({placeholders(len(chunk))})",
                (location_id, *chunk),
            )
            ids.update((path, int(image_id)) for path, image_id in found)
        return ids

    async def _fill_creator(
        self, cursor: Cursor, image_ids: Sequence[int], creator: str | None
    ) -> None:
        if creator is None or not image_ids:
            return
        await cursor.executemany(
            "UPDATE images SET creator = ? WHERE id = ? AND creator IS NULL",
            [(creator, image_id) for image_id in image_ids],
        )
