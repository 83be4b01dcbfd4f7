"""Checking recorded image files against what is on disk."""

from __future__ import annotations

import logging
import os
from contextlib import aclosing
from datetime import datetime
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from picpocket.database.base import Cursor, run_to_completion
from picpocket.database.images import modification_time
from picpocket.database.importer import ImporterMixin
from picpocket.database.logic import Types
from picpocket.database.file_reads import FileRead, read_file
from picpocket.database.reading import (
    Progress,
    check_batch_size,
    in_executor,
    map_in_order,
    report,
    worker_count,
)
from picpocket.database.types import Image
from picpocket.errors import InputValidationError

logger = logging.getLogger(__name__)


class Candidate(NamedTuple):
    """A recorded image to check."""

    image_id: int
    path: Path
    stored: datetime | None
    # The root of a removable location. When it is gone, the drive was
    # pulled during the check, so its files are unreachable, not missing.
    removable_root: Path | None


class State(Enum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    MISSING = "missing"
    UNREACHABLE = "unreachable"


class Checked(NamedTuple):
    """The result of checking one file, with `read` set for CHANGED."""

    state: State
    read: FileRead | None = None


def _check_file(candidate: Candidate, reparse: bool) -> Checked:
    """Compare one file with its record, reading it again when it changed."""
    try:
        modified = modification_time(candidate.path)
    except FileNotFoundError:
        return _absent(candidate)
    except OSError as error:
        logger.warning("Cannot check %s: %s", candidate.path, error)
        return Checked(State.UNCHANGED)
    if modified == candidate.stored and not reparse:
        return Checked(State.UNCHANGED)
    read = read_file(candidate.path)
    if read.facts is None:
        return _absent(candidate)
    return Checked(State.CHANGED, read)


def _absent(candidate: Candidate) -> Checked:
    root = candidate.removable_root
    if root is not None and not root.is_dir():
        return Checked(State.UNREACHABLE)
    return Checked(State.MISSING)


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
        Locations that are not reachable are skipped, including a removable
        one whose folder disappears during the check. `path` limits the
        check to one folder, absolute or relative to `location`.
        """
        batch_size = check_batch_size(batch_size)
        async with self.transaction(commit=False) as cursor:
            candidates = await self._verify_candidates(cursor, location, path)
        missing = await self._check_all(candidates, reparse_exif, progress, batch_size)
        logger.info("Verified %d images: %d missing", len(candidates), len(missing))
        async with self.transaction(commit=False) as cursor:
            return await self._images_by_ids(cursor, missing)

    async def _check_all(
        self,
        candidates: list[Candidate],
        reparse: bool,
        progress: Progress | None,
        batch_size: int,
    ) -> list[int]:
        """Check every candidate and save changed facts, returning the missing ids."""
        missing: list[int] = []
        unreachable = 0
        updates: list[tuple[int, list[Any]]] = []
        report(progress, 0, len(candidates))
        checks = map_in_order(
            in_executor(self.reader(), lambda item: _check_file(item, reparse)),
            candidates,
            window=max(8, 4 * worker_count()),
        )
        async with aclosing(checks):
            done = 0
            async for checked in checks:
                image_id = candidates[done].image_id
                done += 1
                if checked.state is State.MISSING:
                    missing.append(image_id)
                elif checked.state is State.UNREACHABLE:
                    unreachable += 1
                elif checked.read is not None and checked.read.facts is not None:
                    values = self.file_values(
                        checked.read.facts, checked.read.modified
                    )
                    updates.append((image_id, values))
                if len(updates) >= batch_size:
                    await run_to_completion(self._save_updates(updates))
                    updates = []
                report(progress, done, len(candidates))
        await run_to_completion(self._save_updates(updates))
        if unreachable:
            logger.warning(
                "Skipped %d images whose removable location became unreachable "
                "during the check",
                unreachable,
            )
        return missing

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
            removable_root = root if record.removable else None
            for image_id, relative, modified in rows:
                inside = prefix is None or PurePosixPath(relative).is_relative_to(
                    prefix
                )
                if not inside:
                    continue
                stored = self.sql.convert(Types.DATETIME, modified)
                candidates.append(
                    Candidate(image_id, root / relative, stored, removable_root)
                )
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
        relative = PurePosixPath(os.path.normpath(folder.as_posix()))
    else:
        try:
            relative = PurePosixPath(folder.relative_to(root).as_posix())
        except ValueError:
            # The root or the folder may be reached through a symbolic link.
            real_folder = Path(os.path.realpath(folder))
            try:
                relative = PurePosixPath(
                    real_folder.relative_to(os.path.realpath(root))
                )
            except ValueError:
                return False
        relative = PurePosixPath(os.path.normpath(relative.as_posix()))
    if relative.parts[:1] == ("..",):
        return False
    return None if relative == PurePosixPath(".") else relative
