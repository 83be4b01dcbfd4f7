"""Locations: the folders, cards and drives that hold photos."""

from __future__ import annotations

import logging
from pathlib import Path

from picpocket.database.base import LOCATION_COLUMNS, DbApiBase, check_text
from picpocket.database.logic import Types
from picpocket.database.types import Location
from picpocket.errors import (
    DataIntegrityError,
    InputValidationError,
    InvalidPathError,
)
from picpocket.internal_use import NotSupplied

logger = logging.getLogger(__name__)


def _check_no_nul(name: str, value: str | None) -> None:
    # PostgreSQL text cannot contain NUL, and both backends accept the same
    # values, so SQLite rejects it too.
    if value is not None and "\x00" in value:
        raise InputValidationError(
            f"The location {name} {value!r} contains a NUL character; remove it"
        )


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InputValidationError(
            f"A location name must be non-empty text, got {name!r}"
        )
    _check_no_nul("name", name)
    check_text("location name", name, allow_none=False)
    return name


def _check_description(description: object) -> None:
    check_text("description", description)
    if isinstance(description, str):
        _check_no_nul("description", description)


def _check_path(path: object) -> Path | None:
    if path is None:
        return None
    try:
        checked = Path(path).expanduser()  # type: ignore[arg-type]
    except TypeError:
        raise InputValidationError(f"A location path must be a path, got {path!r}")
    if not checked.is_absolute():
        raise InputValidationError(
            f"Location path {str(path)!r} is relative; give an absolute path"
        )
    _check_no_nul("path", str(checked))
    if checked.exists() and not checked.is_dir():
        raise InvalidPathError(
            f"Location path {str(checked)!r} is a file, not a folder; give the "
            f"folder that holds the photos"
        )
    return checked


def _name_taken(name: str) -> InputValidationError:
    return InputValidationError(
        f"A location named {name!r} already exists; choose another name"
    )


def _check_roles(source: bool, destination: bool) -> None:
    if not source and not destination:
        raise InputValidationError(
            "A location must be a source, a destination, or both; "
            "set source=True or destination=True"
        )


class LocationsMixin(DbApiBase):
    """Add, edit, remove, list and mount locations."""

    async def add_location(
        self,
        name: str,
        path: Path | None = None,
        *,
        description: str | None = None,
        source: bool = False,
        destination: bool = False,
        removable: bool = True,
    ) -> int:
        """Add a new location and return its id.

        Raises:
            InputValidationError: the name is empty or taken, the path is
                relative, or the location is neither source nor destination.
        """
        _check_name(name)
        checked_path = _check_path(path)
        _check_description(description)
        _check_roles(source, destination)
        flags = [
            self.sql.adapt(Types.BOOLEAN, bool(flag))
            for flag in (source, destination, removable)
        ]
        stored_path = None if checked_path is None else str(checked_path)
        async with self.transaction() as cursor:
            if await self._find_location(cursor, name, expect=False):
                raise _name_taken(name)
            try:
                row = await cursor.fetch_one(
                    "INSERT INTO locations (name, path, description, source, "
                    "destination, removable) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (name, stored_path, description, *flags),
                )
            except self.integrity_errors:
                # Another connection added the name after the check above.
                raise _name_taken(name) from None
        assert row is not None
        logger.info("Added location %r (id %d) at %s", name, row[0], checked_path)
        return int(row[0])

    async def edit_location(
        self,
        name_or_id: str | int,
        new_name: str | None = None,
        /,
        *,
        path: Path | NotSupplied | None = NotSupplied(),
        description: str | NotSupplied | None = NotSupplied(),
        source: bool | None = None,
        destination: bool | None = None,
        removable: bool | None = None,
    ) -> None:
        """Edit a location; arguments left out keep their stored value.

        Passing None for `path` or `description` erases it.

        Raises:
            UnknownItemError: no location has that name or id.
            InputValidationError: a value is invalid, `new_name` is taken,
                or the location would be neither source nor destination.
        """
        flags = {"source": source, "destination": destination, "removable": removable}
        changes = self._location_changes(new_name, path, description, flags)
        async with self.transaction() as cursor:
            location = await self._location(cursor, name_or_id)
            _check_roles(
                location.source if source is None else source,
                location.destination if destination is None else destination,
            )
            if new_name is not None and new_name != location.name:
                if await self._find_location(cursor, new_name, expect=False):
                    raise _name_taken(new_name)
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                try:
                    await cursor.execute(
                        f"UPDATE locations SET {assignments} WHERE id = ?",
                        (*changes.values(), location.id),
                    )
                except self.integrity_errors:
                    # Another connection took the name after the check above.
                    raise _name_taken(str(new_name)) from None
        logger.info("Edited location %r: %s", location.name, sorted(changes))

    def _location_changes(
        self,
        new_name: str | None,
        path: Path | NotSupplied | None,
        description: str | NotSupplied | None,
        flags: dict[str, bool | None],
    ) -> dict[str, object]:
        """Check edit_location's arguments and return the column values to set."""
        changes: dict[str, object] = {}
        if new_name is not None:
            changes["name"] = _check_name(new_name)
        if not isinstance(path, NotSupplied):
            checked_path = _check_path(path)
            changes["path"] = None if checked_path is None else str(checked_path)
        if not isinstance(description, NotSupplied):
            _check_description(description)
            changes["description"] = description
        for column, value in flags.items():
            if value is not None:
                changes[column] = self.sql.adapt(Types.BOOLEAN, bool(value))
        return changes

    async def remove_location(
        self, name_or_id: int | str, /, *, force: bool = False
    ) -> bool:
        """Remove a location's record (never its files); return whether it existed.

        Raises:
            DataIntegrityError: the location still has images or tasks and
                `force` is false.
        """
        async with self.transaction() as cursor:
            location = await self._find_location(cursor, name_or_id, expect=False)
            if location is None:
                return False
            images = await cursor.fetch_one(
                "SELECT count(*) FROM images WHERE location = ?", (location.id,)
            )
            tasks = await cursor.fetch_one(
                "SELECT count(*) FROM tasks WHERE source = ? OR destination = ?",
                (location.id, location.id),
            )
            image_count = images[0] if images else 0
            task_count = tasks[0] if tasks else 0
            if (image_count or task_count) and not force:
                raise DataIntegrityError(
                    f"Location {location.name!r} still has {image_count} images "
                    f"and {task_count} tasks; pass force=True to remove their "
                    f"records too (the files stay on disk)"
                )
            await self.ensure_foreign_keys(cursor)
            await cursor.execute("DELETE FROM locations WHERE id = ?", (location.id,))
        self._mounts.pop(location.id, None)
        logger.info(
            "Removed location %r with %d image records and %d tasks",
            location.name,
            image_count,
            task_count,
        )
        return True

    async def get_location(
        self, name_or_id: str | int, /, *, expect: bool = False
    ) -> Location | None:
        """Return a location by name or id (None, or an error when `expect`)."""
        async with self.transaction(commit=False) as cursor:
            return await self._find_location(cursor, name_or_id, expect=expect)

    async def list_locations(self) -> list[Location]:
        """Return every location, oldest first."""
        async with self.transaction(commit=False) as cursor:
            return await self._all_locations(cursor)

    async def mount(self, name_or_id: str | int, /, path: Path) -> None:
        """Record where a location is available for the life of this object."""
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise InvalidPathError(
                f"Cannot mount at {str(path)!r}: it is not an existing folder"
            )
        location = await self.get_location(name_or_id, expect=True)
        assert location is not None
        self._mounts[location.id] = folder.absolute()
        logger.info("Mounted location %r at %s", location.name, folder)

    async def unmount(self, name_or_id: str | int) -> None:
        """Forget a mount point; unmounting an unmounted location is fine."""
        location = await self.get_location(name_or_id, expect=True)
        assert location is not None
        if self._mounts.pop(location.id, None) is not None:
            logger.info("Unmounted location %r", location.name)


__all__ = ["LocationsMixin", "LOCATION_COLUMNS"]
