"""Connections, transactions and row conversion shared by the DbApi parts."""

from __future__ import annotations

import asyncio
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Coroutine, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, TypeVar

from picpocket.database import schema
from picpocket.database.logic import SQL, Column, Types
from picpocket.database.types import Image, Location
from picpocket.errors import InputValidationError, PicPocketError, UnknownItemError

logger = logging.getLogger(__name__)

T = TypeVar("T")

Row = tuple[Any, ...]


class Cursor(Protocol):
    """The statement runner that DbApi code receives inside a transaction.

    Statements use `?` placeholders whatever the driver's style.
    """

    async def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    async def executemany(
        self, statement: str, rows: Iterable[Sequence[Any]]
    ) -> None: ...

    async def fetch_all(
        self, statement: str, params: Sequence[Any] = ()
    ) -> list[Row]: ...

    async def fetch_one(
        self, statement: str, params: Sequence[Any] = ()
    ) -> Row | None: ...


IMAGE_COLUMNS = (
    "id",
    "location",
    "path",
    "name",
    "extension",
    "creator",
    "title",
    "caption",
    "alt",
    "rating",
    "hash",
    "width",
    "height",
    "creation_date",
    "last_modified",
    "exif",
)
LOCATION_COLUMNS = (
    "id",
    "name",
    "path",
    "description",
    "source",
    "destination",
    "removable",
)

# The largest number of values bound in one IN (...) list, below
# SQLite's and PostgreSQL's limits on parameters per statement.
MAX_PARAMETERS = 900


def chunked(
    values: Sequence[Any], size: int = MAX_PARAMETERS
) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


class DbApiBase(ABC):
    """State and helpers that every part of DbApi uses."""

    LOCATIONS_TABLE: dict[str, Types] = {
        "id": Types.ID,
        "name": Types.TEXT,
        "description": Types.TEXT,
        "path": Types.TEXT,
        "source": Types.BOOLEAN,
        "destination": Types.BOOLEAN,
        "removable": Types.BOOLEAN,
    }
    TASKS_TABLE: dict[str, Types] = {
        "id": Types.ID,
        "name": Types.TEXT,
        "description": Types.TEXT,
        "source": Types.ID,
        "destination": Types.ID,
        "configuration": Types.JSON,
    }
    TASK_INVOCATIONS_TABLE: dict[str, Types] = {
        "task": Types.ID,
        "last_ran": Types.DATETIME,
    }
    IMAGES_TABLE: dict[str, Types] = {
        "id": Types.ID,
        "location": Types.ID,
        "path": Types.TEXT,
        "name": Types.TEXT,
        "extension": Types.TEXT,
        "creator": Types.TEXT,
        "title": Types.TEXT,
        "caption": Types.TEXT,
        "alt": Types.TEXT,
        "rating": Types.NUMBER,
        "hash": Types.TEXT,
        "width": Types.NUMBER,
        "height": Types.NUMBER,
        "creation_date": Types.DATETIME,
        "last_modified": Types.DATETIME,
        "exif": Types.JSON,
    }

    # Driver exceptions for a broken UNIQUE or FOREIGN KEY constraint.
    integrity_errors: tuple[type[BaseException], ...] = ()
    # The driver's base exception for errors reported by the database.
    database_errors: tuple[type[BaseException], ...] = ()
    schema_types: schema.SchemaTypes

    def __init__(self, directory: Path, configuration: dict[str, Any]) -> None:
        self._directory = Path(directory)
        self._configuration = configuration
        self._mounts: dict[int, Path] = {}

    @property
    def configuration(self) -> dict[str, Any]:
        """The library's configuration, as read from picpocket-config.toml."""
        return self._configuration

    @property
    def directory(self) -> Path:
        """The library directory that contains the configuration."""
        return self._directory

    @property
    def mounts(self) -> dict[int, Path]:
        """Mount points given to `mount()`, by location id (a copy)."""
        return dict(self._mounts)

    @property
    @abstractmethod
    def sql(self) -> SQL:
        """The sql object to use when dynamically generating SQL."""

    @abstractmethod
    def connect(self) -> AbstractAsyncContextManager[Any]:
        """Lend a connection to the database for the duration of a block."""

    @abstractmethod
    def cursor(
        self, connection: Any, commit: bool = False
    ) -> AbstractAsyncContextManager[Cursor]:
        """Yield a cursor that rolls back on error and optionally commits."""

    async def ensure_foreign_keys(self, cursor: Cursor) -> None:
        """Ensure a cursor will support cascading changes (a no-op by default)."""

    async def refresh_statistics(self) -> None:
        """Update the query planner's statistics (a no-op by default).

        Call it after adding or tagging many images, so that searches are
        planned for the library's new size.
        """

    async def refresh_tag_statistics(self) -> None:
        """Update the query planner's statistics of image tags (a no-op by default).

        Tagging calls it after changing the tags of many images at once.
        """

    @abstractmethod
    async def close(self) -> None:
        """Close every connection to the database."""

    @asynccontextmanager
    async def transaction(self, commit: bool = True) -> AsyncIterator[Cursor]:
        """Run a block in one transaction, committed on success when `commit`."""
        async with self.connect() as connection:
            async with self.cursor(connection, commit=commit) as cursor:
                yield cursor

    def search_cursor(self) -> AbstractAsyncContextManager[Cursor]:
        """Lend a cursor for the read-only statements of a search.

        A backend may plan each of these statements for its parameter
        values, because the best plan depends on how many images the tags
        and filters match. This default reads in a transaction that is
        rolled back.
        """
        return self.transaction(commit=False)

    def autocommit(self) -> AbstractAsyncContextManager[Cursor]:
        """Lend a cursor whose statements each commit on their own.

        Saves BEGIN and COMMIT for a single statement, which is atomic by
        itself. This default runs the block in one transaction instead.
        """
        return self.transaction()

    async def get_version(self) -> int:
        """Return the schema version stored in the database (0 for none).

        Only reads, so that a read-only library can be opened.
        """
        async with self.transaction(commit=False) as cursor:
            if not await self.has_version_table(cursor):
                return 0
            row = await cursor.fetch_one("SELECT max(version) FROM version")
        return 0 if row is None or row[0] is None else int(row[0])

    async def has_version_table(self, cursor: Cursor) -> bool:
        """Return whether the database has a version table, without creating it.

        This default queries the SQL-standard information_schema, which
        PostgreSQL has. Backends without it override this method.
        """
        row = await cursor.fetch_one(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = 'version'"
        )
        return row is not None and row[0] > 0

    def get_api_version(self) -> int:
        """Return the schema version this code writes."""
        return schema.SCHEMA_VERSION

    async def matching_version(self) -> bool:
        """Return whether the stored schema is the one this code writes."""
        return await self.get_version() == schema.SCHEMA_VERSION

    async def migrate(self, target: int = schema.SCHEMA_VERSION) -> None:
        """Bring the schema up to `target` in one transaction.

        A schema already at or past `target` is left as it is.

        Raises:
            InputValidationError: `target` is not a schema version this
                code supports.
            PicPocketError: the library is newer than this code, or a
                migration statement failed (nothing was changed).
        """
        if (
            isinstance(target, bool)
            or not isinstance(target, int)
            or not 1 <= target <= schema.SCHEMA_VERSION
        ):
            raise InputValidationError(
                f"Cannot migrate to schema version {target!r}; this PicPocket "
                f"knows versions 1 to {schema.SCHEMA_VERSION}"
            )
        # Check before writing, so that an up-to-date library on read-only
        # media opens. The transaction below checks again under its lock.
        current = await self.get_version()
        if current >= target:
            # Raises PicPocketError when the library is newer than this code.
            schema.pending_statements(self.schema_types, current, target)
            return
        async with self.transaction() as cursor:
            await self.lock_for_migration(cursor)
            row = await cursor.fetch_one("SELECT max(version) FROM version")
            current = 0 if row is None or row[0] is None else int(row[0])
            statements = schema.pending_statements(self.schema_types, current, target)
            if not statements:
                return
            logger.info("Migrating library schema from %d to %d", current, target)
            try:
                for statement in statements:
                    await cursor.execute(statement)
            except self.database_errors as error:
                raise PicPocketError(
                    f"Migrating the library schema from version {current} to "
                    f"version {target} failed, so the library stays at version "
                    f"{current}: {str(error).strip()}"
                ) from error
            await cursor.execute("DELETE FROM version")
            await cursor.execute("INSERT INTO version (version) VALUES (?)", (target,))

    async def lock_for_migration(self, cursor: Cursor) -> None:
        """Create the version table and keep other migrations out until commit.

        Backends whose transactions do not already exclude other writers
        override this to lock the table.
        """
        await cursor.execute(schema.VERSION_TABLE)

    # Locations ---------------------------------------------------------

    def _location_from_row(self, row: Row) -> Location:
        identifier, name, path, description, source, destination, removable = row
        return Location(
            id=identifier,
            name=name,
            path=None if path is None else Path(path),
            description=description,
            source=bool(source),
            destination=bool(destination),
            removable=bool(removable),
            mount_point=self._mounts.get(identifier),
        )

    async def _find_location(
        self, cursor: Cursor, name_or_id: str | int, expect: bool = True
    ) -> Location | None:
        columns = ", ".join(LOCATION_COLUMNS)
        if isinstance(name_or_id, bool) or not isinstance(name_or_id, (int, str)):
            raise InputValidationError(
                f"A location is named by its name or id, got {name_or_id!r}"
            )
        column = "id" if isinstance(name_or_id, int) else "name"
        row = None
        if _could_be_stored(name_or_id):
            row = await cursor.fetch_one(
                f"SELECT {columns} FROM locations WHERE {column} = ?", (name_or_id,)
            )
        if row is None:
            if expect:
                raise UnknownItemError(
                    f"Location {name_or_id!r} not found; list_locations() "
                    f"shows the known ones"
                )
            return None
        return self._location_from_row(row)

    async def _location(self, cursor: Cursor, name_or_id: str | int) -> Location:
        location = await self._find_location(cursor, name_or_id, expect=True)
        assert location is not None
        return location

    async def _all_locations(self, cursor: Cursor) -> list[Location]:
        columns = ", ".join(LOCATION_COLUMNS)
        rows = await cursor.fetch_all(f"SELECT {columns} FROM locations ORDER BY id")
        return [self._location_from_row(row) for row in rows]

    @staticmethod
    def reachable_root(location: Location) -> Path | None:
        """Return the folder the location can be read at now, if any.

        A mount point wins over the configured path. A removable location
        whose folder is missing (the drive is not attached) is unreachable.
        """
        root = location.root
        if root is None:
            return None
        if location.removable and not root.is_dir():
            return None
        return root

    async def _reachable_roots(self, cursor: Cursor) -> dict[int, Path]:
        roots = {}
        for location in await self._all_locations(cursor):
            root = self.reachable_root(location)
            if root is not None:
                roots[location.id] = root
        return roots

    # Images ------------------------------------------------------------

    def _image_from_row(
        self, row: Row, roots: dict[int, Path], tags: list[str] | None = None
    ) -> Image:
        values = dict(zip(IMAGE_COLUMNS, row))
        path = stored_path(values["path"])
        root = roots.get(values["location"])
        convert = self.sql.convert
        values["path"] = path
        values["creation_date"] = convert(Types.DATETIME, values["creation_date"])
        values["last_modified"] = convert(Types.DATETIME, values["last_modified"])
        values["exif"] = convert(Types.JSON, values["exif"])
        values["full_path"] = None if root is None else root / path
        values["tags"] = tags
        return Image.from_fields(values)

    async def _image_tags(
        self, cursor: Cursor, image_ids: Sequence[int]
    ) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {image_id: [] for image_id in image_ids}
        for chunk in chunked(list(image_ids)):
            rows = await cursor.fetch_all(
                "SELECT image_tags.image, tags.name FROM image_tags "
                "JOIN tags ON tags.id = image_tags.tag "
                f"WHERE image_tags.image IN ({placeholders(len(chunk))}) "
                "ORDER BY tags.name",
                chunk,
            )
            for image_id, name in rows:
                found[image_id].append(name)
        return found

    async def _images_by_ids(
        self, cursor: Cursor, image_ids: Sequence[int], tags: bool = False
    ) -> list[Image]:
        """Fetch images in the order of `image_ids`, skipping unknown ids."""
        columns = ", ".join(IMAGE_COLUMNS)
        rows: dict[int, Row] = {}
        for chunk in chunked(list(image_ids)):
            found = await cursor.fetch_all(
                f"SELECT {columns} FROM images "
                f"WHERE id IN ({placeholders(len(chunk))})",
                chunk,
            )
            rows.update((row[0], row) for row in found)
        roots = await self._reachable_roots(cursor)
        tag_lists = await self._image_tags(cursor, list(rows)) if tags else {}
        return [
            self._image_from_row(rows[image_id], roots, tag_lists.get(image_id))
            for image_id in image_ids
            if image_id in rows
        ]

    def image_columns(self) -> dict[str, Column]:
        """Return the image properties that filters and orderings may name."""
        return {
            name: Column(f"images.{name}", kind)
            for name, kind in self.IMAGE_COLUMNS_SEARCHABLE.items()
        }

    IMAGE_COLUMNS_SEARCHABLE: dict[str, Types] = {
        name: kind for name, kind in IMAGES_TABLE.items() if kind is not Types.JSON
    }


def stored_path(text: str) -> Path:
    """Return an image path as stored (relative, with `/` separators) as a Path."""
    if os.name == "posix":
        # The same parse as through PurePosixPath, done once instead of
        # twice, which matters for pages of hundreds of images.
        return Path(text)
    # Elsewhere only a posix parse keeps a backslash in a name as it is.
    return Path(PurePosixPath(text))


def _could_be_stored(name_or_id: str | int) -> bool:
    """Return whether a location name or id fits the columns of both backends.

    PostgreSQL rejects a NUL character in text and an integer beyond 64
    bits in a query, where the caller expects "not found".
    """
    if isinstance(name_or_id, str):
        return "\x00" not in name_or_id
    return -(2**63) <= name_or_id < 2**63


# Both backends take the limits of the stricter one, PostgreSQL: text
# without NUL characters and 32-bit integers.
RATING_MIN, RATING_MAX = -(2**31), 2**31 - 1


def check_text(name: str, value: Any, allow_none: bool = True) -> None:
    """Raise InputValidationError unless value is storable text (or None if allowed)."""
    if value is None and allow_none:
        return
    if not isinstance(value, str):
        raise InputValidationError(f"{name} must be text, got {value!r}")
    if "\x00" in value:
        raise InputValidationError(
            f"{name} {value!r} contains a NUL character; remove it"
        )
    if not is_encodable(value):
        raise InputValidationError(
            f"{name} {value!r} contains a lone surrogate, which is not valid "
            "Unicode; remove it"
        )


def is_encodable(text: str) -> bool:
    """Return whether `text` can be stored as UTF-8 (it has no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_rating(value: Any) -> None:
    """Raise InputValidationError unless value is a 32-bit whole number or None."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputValidationError(
            f"rating must be a whole number or None, got {value!r}"
        )
    if not RATING_MIN <= value <= RATING_MAX:
        raise InputValidationError(
            f"rating {value} is out of range; give a whole number "
            f"from {RATING_MIN} to {RATING_MAX}"
        )


async def run_to_completion(coroutine: Coroutine[Any, Any, T]) -> T:
    """Await a coroutine that must not stop half-way, even when cancelled.

    Used where a file change and its record must agree: if the caller
    is cancelled, the work finishes first and the cancellation is then
    passed on.
    """
    task = asyncio.ensure_future(coroutine)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await asyncio.wait([task])
        raise
