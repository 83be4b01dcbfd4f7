"""Importing a location's files, and checking recorded files against disk."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Executor
from contextlib import aclosing
from functools import partial
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from picpocket.database.base import (
    Cursor,
    check_text,
    chunked,
    placeholders,
    run_to_completion,
)
from picpocket.database.images import FILE_COLUMNS, ImagesMixin, split_name
from picpocket.database.reading import (
    FileRead,
    Progress,
    candidate_files,
    check_batch_size,
    check_root_present,
    make_executor,
    map_in_order,
    nested_roots,
    read_files,
    report,
    worker_count,
)
from picpocket.database.tags import normalize_tags
from picpocket.database.types import Location
from picpocket.errors import InvalidPathError
from picpocket.images import normalize_formats

logger = logging.getLogger(__name__)


async def _list_files(
    location: Location, root: Path, formats: frozenset[str], skip: list[Path]
) -> list[tuple[PurePosixPath, datetime]]:
    """List the candidate files, raising InvalidPathError when the folder is gone."""
    if not await asyncio.to_thread(root.is_dir):
        raise InvalidPathError(
            f"Location {location.name!r} cannot be imported: its folder {root} "
            f"does not exist; attach the drive, or fix the path with "
            f"edit_location() or mount()"
        )
    files = await asyncio.to_thread(candidate_files, root, formats, skip)
    # A folder that vanished during the walk leaves a partial list.
    check_root_present(root, location.name, 0)
    return files


def _split_unchanged(
    files: list[tuple[PurePosixPath, datetime]],
    existing: dict[str, tuple[int, datetime | None]],
) -> tuple[list[PurePosixPath], list[int]]:
    """Return the files to read, and the ids of recorded files with the same mtime."""
    to_read: list[PurePosixPath] = []
    unchanged: list[int] = []
    for relative, modified in files:
        known = existing.get(relative.as_posix())
        if known is not None and known[1] == modified:
            unchanged.append(known[0])
        else:
            to_read.append(relative)
    return to_read, unchanged


# Files per call to a reader, so that the event loop wakes once a chunk.
READ_CHUNK = 16


async def _flatten(chunks: AsyncIterator[list[FileRead]]) -> AsyncIterator[FileRead]:
    async for chunk in chunks:
        for read in chunk:
            yield read


class ImporterMixin(ImagesMixin):
    """Import whole locations in batches, reading files in worker threads."""

    _executor: Executor | None = None

    def reader(self) -> Executor:
        """Return the thread pool that reads and hashes files."""
        if self._executor is None:
            self._executor = make_executor()
        return self._executor

    def shutdown_reader(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

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
        files = await _list_files(location, root, formats, nested)
        to_read, unchanged = _split_unchanged(files, existing)
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
        changed = await self._import_files(
            location,
            root,
            to_read,
            existing,
            creator,
            tag_names,
            batch_size,
            lambda done: report(progress, len(unchanged) + done, len(files)),
        )
        logger.info(
            "Imported location %r: %d images added or changed",
            location.name,
            len(changed),
        )
        return changed

    async def _import_files(
        self,
        location: Location,
        root: Path,
        to_read: list[PurePosixPath],
        existing: dict[str, tuple[int, datetime | None]],
        creator: str | None,
        tag_names: list[str],
        batch_size: int,
        on_file: Any,
    ) -> list[int]:
        changed: list[int] = []
        batch: list[tuple[PurePosixPath, FileRead]] = []
        chunks = [
            to_read[start : start + READ_CHUNK]
            for start in range(0, len(to_read), READ_CHUNK)
        ]
        # NOTE: Pillow's parsing holds the GIL, so these threads share one
        # core. Reader processes read twice as fast on 2 cores, but under
        # spawn they re-run a user's script that lacks a __main__ guard.
        reads = map_in_order(
            self.reader(),
            partial(read_files, root),
            chunks,
            window=2 * worker_count() + 1,
        )
        async with aclosing(reads):
            done = 0
            async for read in _flatten(reads):
                relative = to_read[done]
                done += 1
                if read.facts is None:
                    if batch and not root.is_dir():
                        # Save what was read before the drive went away.
                        changed += await run_to_completion(
                            self._write_batch(
                                location.id, batch, existing, creator, tag_names
                            )
                        )
                        batch = []
                    check_root_present(root, location.name, len(changed))
                else:
                    batch.append((relative, read))
                if len(batch) >= batch_size:
                    changed += await run_to_completion(
                        self._write_batch(
                            location.id, batch, existing, creator, tag_names
                        )
                    )
                    batch = []
                on_file(done)
        if batch:
            changed += await run_to_completion(
                self._write_batch(location.id, batch, existing, creator, tag_names)
            )
        return changed

    async def _tag_unchanged(
        self, image_ids: Sequence[int], creator: str | None, tag_names: list[str]
    ) -> None:
        async with self.transaction() as cursor:
            await self._apply_tags(cursor, image_ids, tag_names)
            await self._fill_creator(cursor, image_ids, creator)

    async def _write_batch(
        self,
        location_id: int,
        batch: Sequence[tuple[PurePosixPath, FileRead]],
        existing: dict[str, tuple[int, datetime | None]],
        creator: str | None,
        tag_names: list[str],
    ) -> list[int]:
        """Record one batch in one transaction and return the new and updated ids.

        Callers await it through run_to_completion, because a cancel that
        lands inside a transaction can leave a connection unusable (an
        SQLite BEGIN that ran without its ROLLBACK).
        """
        new = [
            (relative, read)
            for relative, read in batch
            if relative.as_posix() not in existing
        ]
        updates = [
            (existing[relative.as_posix()][0], read.facts, read.modified)
            for relative, read in batch
            if relative.as_posix() in existing
        ]
        async with self.transaction() as cursor:
            new_ids = await self._insert_new(cursor, location_id, new, creator)
            if updates:
                await self._update_file_facts(cursor, updates)  # type: ignore[arg-type]
            updated_ids = [image_id for image_id, _facts, _modified in updates]
            await self._fill_creator(cursor, updated_ids, creator)
            await self._apply_tags(cursor, new_ids + updated_ids, tag_names)
        return new_ids + updated_ids

    async def _insert_new(
        self,
        cursor: Cursor,
        location_id: int,
        new: Sequence[tuple[PurePosixPath, FileRead]],
        creator: str | None,
    ) -> list[int]:
        if not new:
            return []
        columns = ("location", "path", "name", "extension", *FILE_COLUMNS, "creator")
        rows = []
        for relative, read in new:
            assert read.facts is not None and read.modified is not None
            values = self.file_values(read.facts, read.modified)
            image_creator = creator if creator is not None else read.facts.creator
            rows.append(
                (
                    location_id,
                    relative.as_posix(),
                    *split_name(relative),
                    *values,
                    image_creator,
                )
            )
        # Another process (the desktop app beside the command line) may have
        # recorded some of these files since this import listed the location.
        # Its rows are kept, and their ids are returned with the new ones.
        await cursor.executemany(
            f"INSERT INTO images ({', '.join(columns)}) "
            f"VALUES ({placeholders(len(columns))}) "
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
        return [ids[path] for path in paths]

    async def _fill_creator(
        self, cursor: Cursor, image_ids: Sequence[int], creator: str | None
    ) -> None:
        if creator is None or not image_ids:
            return
        await cursor.executemany(
            "UPDATE images SET creator = ? WHERE id = ? AND creator IS NULL",
            [(creator, image_id) for image_id in image_ids],
        )
