"""Image records: copying in, editing, tagging, moving and removing."""

from __future__ import annotations

import asyncio
import logging
import os
import posixpath
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from picpocket.database.base import (
    Cursor,
    DbApiBase,
    check_rating,
    check_text,
    run_to_completion,
)
from picpocket.database.logic import Types
from picpocket.database.tags import TagsMixin, normalize_tags
from picpocket.database.types import Location
from picpocket.errors import InvalidPathError, UnknownItemError
from picpocket.files import (
    copy_exclusive,
    move_exclusive,
    relative_inside,
    resolve_inside,
)
from picpocket.images import (
    ImageFacts,
    hash_image,
    modification_time_of,
    read_image_facts,
)
from picpocket.internal_use import NotSupplied

logger = logging.getLogger(__name__)

FILE_COLUMNS = (
    "hash",
    "width",
    "height",
    "exif",
    "creation_date",
    "last_modified",
)
USER_COLUMNS = ("creator", "title", "caption", "alt", "rating")


def modification_time(path: Path) -> datetime:
    """Return a file's modification time in UTC, to the microsecond."""
    return modification_time_of(os.stat(path), path)


def _same_file(first: Path, second: Path) -> bool:
    """Return whether two existing paths name the same file (hard links)."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def split_name(relative: PurePosixPath | str) -> tuple[str, str | None]:
    """Return the file name without extension, and the lowercase extension.

    The extension is what PurePosixPath.suffix gives, without its dot.
    """
    name = posixpath.basename(relative)
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1:
        return name[:dot], name[dot + 1 :].lower()
    return name, None


async def differs_from_record(path: Path, recorded_hash: str | None) -> bool:
    """Return whether the file's SHA-256 differs from a recorded hash.

    Returns False when no hash was recorded, because then nothing can be
    compared. Raises FileNotFoundError when the file is missing.
    """
    if recorded_hash is None:
        return False
    return await asyncio.to_thread(hash_image, path) != recorded_hash


async def _delete_if_unchanged(
    image_id: int, full: Path, recorded_hash: str | None
) -> None:
    """Delete an image's file unless its hash differs from the recorded one."""
    try:
        if await differs_from_record(full, recorded_hash):
            raise InvalidPathError(
                f"Cannot delete {full}: the file changed since image {image_id} "
                f"was recorded (its SHA-256 differs). Call verify_image_files() "
                f"to refresh the record, with reparse_exif=True if the file kept "
                f"its modification time, then delete again"
            )
        # NOTE: a file replaced between hashing and unlinking is still
        # deleted, because no portable call unlinks only a file with known
        # contents.
        await asyncio.to_thread(full.unlink)
        logger.info("Deleted file %s of image %d", full, image_id)
    except FileNotFoundError:
        logger.info("File %s of image %d was already gone", full, image_id)


def check_user_values(values: dict[str, Any]) -> None:
    """Raise InputValidationError unless every value fits its user column."""
    for name, value in values.items():
        if name == "rating":
            check_rating(value)
        else:
            check_text(name, value)


class ImagesMixin(TagsMixin, DbApiBase):
    """Change image records, and the files behind them where asked."""

    def file_values(self, facts: ImageFacts, modified: datetime) -> list[Any]:
        """Return the FILE_COLUMNS values to store for a file."""
        adapt = self.sql.adapt
        return [
            facts.hash,
            facts.width,
            facts.height,
            adapt(Types.JSON, facts.exif),
            adapt(Types.DATETIME, facts.creation_date),
            adapt(Types.DATETIME, modified),
        ]

    async def _insert_image(
        self,
        cursor: Cursor,
        location_id: int,
        relative: PurePosixPath,
        file_values: Sequence[Any],
        user_values: dict[str, Any],
    ) -> int:
        image_id = await self._insert_image_row(
            cursor, location_id, relative, file_values, user_values, ""
        )
        assert image_id is not None
        return image_id

    async def _insert_image_unless_recorded(
        self,
        cursor: Cursor,
        location_id: int,
        relative: PurePosixPath,
        file_values: Sequence[Any],
        user_values: dict[str, Any],
    ) -> int | None:
        """Insert an image like _insert_image, or return None when its path is
        recorded, by another connection since this transaction looked too."""
        return await self._insert_image_row(
            cursor,
            location_id,
            relative,
            file_values,
            user_values,
            " ON CONFLICT (location, path) DO NOTHING",
        )

    async def _insert_image_row(
        self,
        cursor: Cursor,
        location_id: int,
        relative: PurePosixPath,
        file_values: Sequence[Any],
        user_values: dict[str, Any],
        conflict: str,
    ) -> int | None:
        name, extension = split_name(relative)
        columns = ("location", "path", "name", "extension", *FILE_COLUMNS, *user_values)
        values = (location_id, relative.as_posix(), name, extension, *file_values)
        row = await cursor.fetch_one(
            f"INSERT INTO images ({', '.join(columns)}) VALUES "
            f"({', '.join('?' * len(columns))}){conflict} RETURNING id",
            (*values, *user_values.values()),
        )
        return None if row is None else int(row[0])

    async def _reachable_location(
        self, cursor: Cursor, name_or_id: str | int
    ) -> tuple[Location, Path]:
        location = await self._location(cursor, name_or_id)
        root = self.reachable_root(location)
        # A permanent location whose folder is missing is a drive that did
        # not mount, so writing there would create the folder on the wrong disk.
        if root is None or not root.is_dir():
            raise InvalidPathError(
                f"Location {location.name!r} is not reachable; attach the drive "
                f"or call mount() with the folder it is at"
            )
        return location, root

    async def _check_path_free(
        self, cursor: Cursor, location_id: int, relative: PurePosixPath, full: Path
    ) -> None:
        recorded = await cursor.fetch_one(
            "SELECT id FROM images WHERE location = ? AND path = ?",
            (location_id, relative.as_posix()),
        )
        if recorded is not None:
            raise InvalidPathError(
                f"Image {recorded[0]} is already recorded at {full}; "
                f"choose another destination"
            )

    async def add_image_copy(
        self,
        source: Path,
        name_or_id: str | int,
        destination: Path,
        /,
        *,
        creator: str | None = None,
        title: str | None = None,
        caption: str | None = None,
        alt: str | None = None,
        rating: int | None = None,
        tags: list[str] | None = None,
    ) -> int:
        """Copy an image file into a location and record it; return its id.

        Raises:
            InvalidPathError: the source is not a file, the destination
                exists, is already recorded or leaves the location, or the
                location is unreachable.
        """
        source = Path(source)
        if not source.is_file():
            raise InvalidPathError(f"Cannot copy {source}: it is not an existing file")
        user = {
            "creator": creator,
            "title": title,
            "caption": caption,
            "alt": alt,
            "rating": rating,
        }
        check_user_values(user)
        tag_names = normalize_tags("tags", tags)
        async with self.transaction(commit=False) as cursor:
            location, root = await self._reachable_location(cursor, name_or_id)
            relative = relative_inside(root, destination)
            target = resolve_inside(root, relative)
            await self._check_path_free(cursor, location.id, relative, target)
        image_id = await run_to_completion(
            self._copy_and_record(
                source, target, location.id, relative, user, tag_names
            )
        )
        logger.info("Copied %s to %s as image %d", source, target, image_id)
        return image_id

    async def _copy_and_record(
        self,
        source: Path,
        target: Path,
        location_id: int,
        relative: PurePosixPath,
        user: dict[str, Any],
        tag_names: list[str],
    ) -> int:
        root = target.parents[len(relative.parts) - 1]
        await asyncio.to_thread(copy_exclusive, source, target, root)
        try:
            facts = await asyncio.to_thread(read_image_facts, target)
            if user["creator"] is None:
                user = {**user, "creator": facts.creator}
            values = self.file_values(facts, modification_time(target))
            async with self.transaction() as cursor:
                # Checked again here: another call may have recorded the
                # path since the check before copying.
                await self._check_path_free(cursor, location_id, relative, target)
                image_id = await self._insert_image(
                    cursor, location_id, relative, values, user
                )
                await self._apply_tags(cursor, [image_id], tag_names)
        except BaseException:
            # The copy is ours and unrecorded, so removing it loses nothing.
            target.unlink(missing_ok=True)
            raise
        return image_id

    async def edit_image(
        self,
        id: int,
        *,
        creator: str | NotSupplied | None = NotSupplied(),
        title: str | NotSupplied | None = NotSupplied(),
        caption: str | NotSupplied | None = NotSupplied(),
        alt: str | NotSupplied | None = NotSupplied(),
        rating: int | NotSupplied | None = NotSupplied(),
    ) -> None:
        """Edit an image's user metadata; None erases a value.

        Raises:
            UnknownItemError: no image has this id.
        """
        supplied = {
            "creator": creator,
            "title": title,
            "caption": caption,
            "alt": alt,
            "rating": rating,
        }
        changes = {
            name: value
            for name, value in supplied.items()
            if not isinstance(value, NotSupplied)
        }
        check_user_values(changes)
        async with self.transaction() as cursor:
            await self._expect_image(cursor, id)
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                await cursor.execute(
                    f"UPDATE images SET {assignments} WHERE id = ?",
                    (*changes.values(), id),
                )

    async def _expect_image(self, cursor: Cursor, image_id: int) -> tuple[Any, ...]:
        row = await cursor.fetch_one(
            "SELECT id, location, path FROM images WHERE id = ?", (image_id,)
        )
        if row is None:
            raise UnknownItemError(f"Image {image_id!r} not found")
        return row

    async def move_image(
        self, id: int, path: Path, location: int | None = None
    ) -> None:
        """Move an image's file and record together; on failure neither moves.

        When the file is already gone from its old place and present at
        the new one, only the record is updated, provided the new file has
        the recorded hash (or the image was never read, so has no hash).

        Raises:
            InvalidPathError: the destination exists or is recorded, both
                files are missing, or the file at the destination is not
                the recorded image.
        """
        await run_to_completion(self._move_image(id, path, location))

    async def _move_image(self, id: int, path: Path, location: int | None) -> None:
        moved: tuple[Path, Path] | None = None
        try:
            async with self.transaction() as cursor:
                current, target = await self._record_move(cursor, id, path, location)
                if current.exists() and target.exists():
                    # A move interrupted after linking the new name: the
                    # two names are one file, so only the old name goes.
                    await asyncio.to_thread(current.unlink)
                elif current.exists():
                    await asyncio.to_thread(move_exclusive, current, target)
                    moved = (current, target)
        except BaseException:
            if moved is not None:
                # The record did not change, so the file goes back.
                await asyncio.to_thread(move_exclusive, moved[1], moved[0])
            raise
        logger.info("Moved image %d from %s to %s", id, current, target)

    async def _record_move(
        self, cursor: Cursor, id: int, path: Path, location: int | None
    ) -> tuple[Path, Path]:
        """Update the record of a move and return the old and new full paths."""
        _, old_location_id, old_path = await self._expect_image(cursor, id)
        _, old_root = await self._reachable_location(cursor, old_location_id)
        new_location, new_root = await self._reachable_location(
            cursor, old_location_id if location is None else location
        )
        relative = relative_inside(new_root, path)
        target = resolve_inside(new_root, relative)
        current = resolve_inside(old_root, old_path)
        await self._check_path_free(cursor, new_location.id, relative, target)
        if not current.exists() and not target.exists():
            raise InvalidPathError(
                f"The file of image {id} is missing from {current}; restore it "
                f"or remove the image with remove_image()"
            )
        if current.exists() and target.exists() and not _same_file(current, target):
            raise InvalidPathError(
                f"File {target} already exists; PicPocket never overwrites "
                f"a file, so choose another destination"
            )
        if not current.exists():
            await self._check_already_moved(cursor, id, current, target)
        name, extension = split_name(relative)
        await cursor.execute(
            "UPDATE images SET location = ?, path = ?, name = ?, extension = ? "
            "WHERE id = ?",
            (new_location.id, relative.as_posix(), name, extension, id),
        )
        return current, target

    async def _check_already_moved(
        self, cursor: Cursor, id: int, current: Path, target: Path
    ) -> None:
        """Raise InvalidPathError unless the target has the image's recorded hash."""
        row = await cursor.fetch_one("SELECT hash FROM images WHERE id = ?", (id,))
        assert row is not None
        if await differs_from_record(target, row[0]):
            raise InvalidPathError(
                f"Cannot record image {id} as moved: {target} is a different "
                f"file than the recorded image (its SHA-256 differs). Nothing "
                f"changed; restore the image at {current} or choose another "
                f"destination"
            )

    async def remove_image(self, id: int, *, delete: bool = False) -> None:
        """Remove an image's record; with `delete`, remove the file first.

        With `delete`, the record goes only after the file is gone (a
        file already missing counts as gone).

        Raises:
            InvalidPathError: with `delete`, the location is unreachable, or
                the file's SHA-256 differs from the recorded hash, so it is
                not the recorded image and stays, as does the record.
        """
        await run_to_completion(self._remove_image(id, delete))

    async def _remove_image(self, id: int, delete: bool) -> None:
        async with self.transaction() as cursor:
            row = await cursor.fetch_one(
                "SELECT location, path, hash FROM images WHERE id = ?", (id,)
            )
            if row is None:
                return
            if delete:
                # The file goes first, so the record outlives it only when
                # the commit fails; never the other way round.
                _, root = await self._reachable_location(cursor, row[0])
                full = resolve_inside(root, row[1])
                await _delete_if_unchanged(id, full, row[2])
            await self.ensure_foreign_keys(cursor)
            await cursor.execute("DELETE FROM images WHERE id = ?", (id,))

    async def _existing_paths(
        self, cursor: Cursor, location_id: int
    ) -> dict[str, tuple[int, datetime | None]]:
        rows = await cursor.fetch_all(
            "SELECT path, id, last_modified FROM images WHERE location = ?",
            (location_id,),
        )
        convert = self.sql.convert
        # A large location has tens of thousands of dates to parse, which
        # would hold the event loop.
        return await asyncio.to_thread(
            lambda: {
                path: (image_id, convert(Types.DATETIME, modified))
                for path, image_id, modified in rows
            }
        )

    async def _update_file_facts(
        self, cursor: Cursor, updates: Iterable[tuple[int, Sequence[Any]]]
    ) -> None:
        """Store new file facts, given as (image id, file_values()) pairs."""
        assignments = ", ".join(f"{column} = ?" for column in FILE_COLUMNS)
        await cursor.executemany(
            f"UPDATE images SET {assignments} WHERE id = ?",
            [(*values, image_id) for image_id, values in updates],
        )
