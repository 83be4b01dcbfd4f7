"""Checking recorded image files against what is on disk."""

from __future__ import annotations

import logging
from contextlib import aclosing
from datetime import datetime
from pathlib import Path, PurePosixPath

from picpocket.database.base import Cursor
from picpocket.database.images import modification_time
from picpocket.database.importer import ImporterMixin
from picpocket.database.logic import Types
from picpocket.database.reading import (
    FileRead,
    Progress,
    check_batch_size,
    map_in_order,
    read_file,
    report,
    worker_count,
)
from picpocket.database.types import Image
from picpocket.errors import InputValidationError

logger = logging.getLogger(__name__)

# (image id, full path, stored modification time)
Candidate = tuple[int, Path, datetime | None]


def _check_file(candidate: Candidate, reparse: bool) -> FileRead | None:
    """Return a fresh read of a changed file, an empty read of a missing one,
    or None when the file is unchanged."""
    _image_id, path, stored = candidate
    try:
        modified = modification_time(path)
    except FileNotFoundError:
        return FileRead(path, None, None)
    except OSError as error:
        logger.warning("Cannot check %s: %s", path, error)
        return None
    if modified == stored and not reparse:
        return None
    return read_file(path)


class VerifyMixin(ImporterMixin):
    """Find missing files and refresh the facts of changed ones."""

    async def verify_image_files(
        self,
        *,
        location: int | None = None,
        path: Path | None = None,
        reparse_exif: bool = False,
        progress: Progress | None = None,
        batch_size: int = 1000,
    ) -> list[Image]:
        """Check recorded files against disk and return the images that are missing.

        Changed files get their dimensions, hash, EXIF and dates read again
        (all files with `reparse_exif`). Records of missing files stay.
        Locations that are not reachable now are skipped. `path` limits
        the check to one folder, absolute or relative to `location`.
        """
        batch_size = check_batch_size(batch_size)
        async with self.transaction(commit=False) as cursor:
            candidates = await self._verify_candidates(cursor, location, path)
        missing: list[int] = []
        updates: list[tuple[int, object, datetime]] = []
        done = 0
        report(progress, 0, len(candidates))
        checks = map_in_order(
            self.reader(), lambda item: _check_file(item, reparse_exif), candidates,
            window=max(8, 4 * worker_count()),
        )
        async with aclosing(checks):
            async for result in checks:
                image_id = candidates[done][0]
                done += 1
                if result is not None and result.facts is None:
                    missing.append(image_id)
                elif result is not None:
                    updates.append((image_id, result.facts, result.modified))
                if len(updates) >= batch_size:
                    await self._save_updates(updates)
                    updates = []
                report(progress, done, len(candidates))
        await self._save_updates(updates)
        logger.info("Verified %d images: %d missing", len(candidates), len(missing))
        async with self.transaction(commit=False) as cursor:
            return await self._images_by_ids(cursor, missing)

    async def _save_updates(self, updates: list) -> None:
        if updates:
            async with self.transaction() as cursor:
                await self._update_file_facts(cursor, updates)

    async def _verify_candidates(
        self, cursor: Cursor, location: int | str | None, path: Path | None
    ) -> list[Candidate]:
        if location is None:
            locations = await self._all_locations(cursor)
        else:
            locations = [await self._location(cursor, location)]
        candidates: list[Candidate] = []
        for record in locations:
            root = self.reachable_root(record)
            if root is None:
                logger.info("Skipping location %r: it is not reachable", record.name)
                continue
            prefix = _folder_inside(root, path, relative_allowed=location is not None)
            if prefix is False:
                continue
            rows = await cursor.fetch_all(
                "SELECT id, path, last_modified FROM images WHERE location = ? "
                "ORDER BY path",
                (record.id,),
            )
            for image_id, relative, modified in rows:
                if prefix is not None and not PurePosixPath(relative).is_relative_to(prefix):
                    continue
                stored = self.sql.convert(Types.DATETIME, modified)
                candidates.append((image_id, root / relative, stored))
        return candidates


def _folder_inside(
    root: Path, path: Path | None, relative_allowed: bool
) -> PurePosixPath | None | bool:
    """Return `path` relative to root, None for no limit, False when outside."""
    if path is None:
        return None
    folder = Path(path).expanduser()
    if not folder.is_absolute():
        if not relative_allowed:
            raise InputValidationError(
                f"Path {str(path)!r} is relative; give an absolute path, or a "
                f"location to resolve it in"
            )
        return PurePosixPath(folder.as_posix())
    try:
        relative = PurePosixPath(folder.relative_to(root).as_posix())
    except ValueError:
        return False
    return None if relative == PurePosixPath(".") else relative
