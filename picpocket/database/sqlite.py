"""The embedded SQLite backend (aiosqlite)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from picpocket.configuration import CONFIG_NAME, connection_table
from picpocket.database.base import Cursor, Row, chunked
from picpocket.database.dbapi import DbApi
from picpocket.database.logic import SQL, Types, casefold_text
from picpocket.database.schema import SchemaTypes
from picpocket.database.search import TagCriteria, leading_order_column
from picpocket.errors import InputValidationError, InvalidPathError, PicPocketError

logger = logging.getLogger(__name__)

DEFAULT_FILE = "picpocket.sqlite3"
# Seconds a statement waits for another process's write transaction (the
# desktop app's or the command line's) before raising LibraryBusyError.
# Write transactions here take well under a second, apart from moves of
# large files between drives, deletes of large files and backup imports.
BUSY_TIMEOUT = 10.0
PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    # In WAL mode NORMAL is still safe from corruption; a power cut can lose
    # only the last commits.
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)
# Rows per executemany call: few enough that the event loop waits for the
# GIL no more than about a millisecond, many enough that each call is worth
# its hop to the connection's thread.
EXECUTEMANY_ROWS = 100
# SQLite result codes that mean the file itself cannot serve as the library.
UNUSABLE_FILE_ERRORS = {"SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CANTOPEN"}
# A tag search for one page walks the order's index when each tag
# criterion matches at least 1 image in WALK_COST_RATIO. Then a walk past
# every image costs about as much as reading and sorting every tagged
# image, and a walk that finds the page early costs far less. An estimate
# from SQLite 3.40 on the 50,000-image library of bench_search.py in
# tests/benchmarks (2 CPUs): reading and sorting a matched image took
# about 2.4 microseconds, and walking past one about 0.11.
WALK_COST_RATIO = 20
# Rows that ANALYZE reads per index, which bounds its time on large
# libraries. SQLite's ANALYZE documentation recommends 100 to 1000.
ANALYSIS_LIMIT = 400


class LibraryBusyError(PicPocketError):
    """Another process held the SQLite library's write lock for too long."""


def is_read_only_error(error: sqlite3.Error) -> bool:
    """Return whether SQLite rejected a write because the database is read-only."""
    # Extended codes such as SQLITE_READONLY_DIRECTORY share the prefix.
    name = getattr(error, "sqlite_errorname", None) or ""
    return name.startswith("SQLITE_READONLY")


def database_path(directory: Path, configuration: dict[str, Any]) -> Path:
    """Return the database file that a configuration's [connection] names.

    Raises:
        InputValidationError: the [connection] table is missing, or its
            path is not a non-empty string.
    """
    path = connection_table(directory, configuration).get("path", DEFAULT_FILE)
    if not isinstance(path, str) or not path:
        raise InputValidationError(
            f"The [connection] path in {Path(directory) / CONFIG_NAME} must be "
            f"the database file name as a string, got {path!r}"
        )
    return Path(directory) / path


def to_utc(value: datetime) -> datetime:
    """Return an aware UTC datetime; a naive value is taken as local time."""
    if value.tzinfo is None:
        value = value.astimezone()
    return value.astimezone(UTC)


class SQLiteSQL(SQL):
    """SQL for SQLite: dates as fixed-width UTC ISO text, JSON as text."""

    @property
    def types(self) -> set[Types]:
        return set(Types)

    @property
    def param(self) -> str:
        return "?"

    def fold_case(self, expression: str) -> str:
        # _open_connection registers picpocket_casefold.
        folded = f"picpocket_casefold({expression})"
        if expression == "?":
            return folded
        # SQLite's LIKE already ignores the case of ASCII letters, so only
        # text with other characters (more bytes than characters) pays for
        # the call into Python.
        return (
            f"(CASE WHEN length({expression}) = length(CAST({expression} AS BLOB)) "
            f"THEN {expression} ELSE {folded} END)"
        )

    def adapt(self, kind: Types, value: Any) -> Any:
        if value is None:
            return None
        if kind is Types.DATETIME:
            # Fixed-width UTC text sorts in time order.
            return to_utc(value).isoformat(timespec="microseconds")
        if kind is Types.JSON:
            return json.dumps(value, ensure_ascii=False)
        if kind is Types.BOOLEAN:
            return int(bool(value))
        return value

    def convert(self, kind: Types, value: Any) -> Any:
        if value is None:
            return None
        if kind is Types.DATETIME:
            return datetime.fromisoformat(value).astimezone(UTC)
        if kind is Types.JSON:
            return json.loads(value)
        if kind is Types.BOOLEAN:
            return bool(value)
        return value


@contextmanager
def read_only_as_picpocket_error(path: Path) -> Iterator[None]:
    """Turn SQLite's read-only errors in a block into a PicPocketError."""
    try:
        yield
    except sqlite3.OperationalError as error:
        if not is_read_only_error(error):
            raise
        raise PicPocketError(
            f"The library at {path} is read-only, so it cannot be changed: "
            f"{error}. Make the file and its folder writable to change it"
        ) from error


@contextmanager
def busy_as_picpocket_error(path: Path) -> Iterator[None]:
    """Turn SQLite's "database is locked" in a block into a LibraryBusyError."""
    try:
        yield
    except sqlite3.OperationalError as error:
        name = getattr(error, "sqlite_errorname", None) or ""
        if not name.startswith("SQLITE_BUSY"):
            raise
        raise LibraryBusyError(
            f"The library at {path} is busy: another program, such as the "
            f"desktop app or the command line, kept changing it for more than "
            f"{BUSY_TIMEOUT:g} s ({error}). Nothing was changed; try again "
            f"when that program has finished"
        ) from error


class _Cursor:
    """Runs statements on an aiosqlite connection, one thread hop each."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._connection = connection
        self._path = path

    async def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        with read_only_as_picpocket_error(self._path):
            await self._connection.execute_fetchall(statement, params)

    async def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        # The connection's thread holds the GIL while it binds each row, so
        # the event loop waited up to 5 ms at a time for a batch of a
        # thousand rows. Smaller calls let it in between.
        # No rows still run the statement once, so that an invalid one fails.
        for part in list(chunked(list(rows), EXECUTEMANY_ROWS)) or [[]]:
            with read_only_as_picpocket_error(self._path):
                cursor = await self._connection.executemany(statement, part)
            await cursor.close()

    async def fetch_all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        with read_only_as_picpocket_error(self._path):
            return list(await self._connection.execute_fetchall(statement, params))

    async def fetch_one(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        with read_only_as_picpocket_error(self._path):
            rows = await self._connection.execute_fetchall(statement, params)
        return next(iter(rows), None)


class SQLite(DbApi):
    """PicPocket on one SQLite file in the library directory.

    One connection serves every call, guarded by a lock: SQLite allows one
    writer at a time anyway, and reusing the connection keeps a single
    tag change well under a millisecond.
    """

    integrity_errors = (sqlite3.IntegrityError,)
    database_errors = (sqlite3.Error,)
    schema_types = SchemaTypes(
        # AUTOINCREMENT keeps ids of deleted images from being reused.
        id="INTEGER PRIMARY KEY AUTOINCREMENT",
        reference="INTEGER",
        boolean="INTEGER",
        datetime="TEXT",
        json="TEXT",
        text="TEXT",
        descending="DESC",
    )

    def __init__(self, directory: Path, configuration: dict[str, Any]) -> None:
        super().__init__(directory, configuration)
        self._sql = SQLiteSQL()
        self._path = database_path(directory, configuration)
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def parse_connection_info(
        cls, directory: Path, *, store_credentials: bool | None = None, **info: Any
    ) -> dict[str, Any]:
        """Return the [connection] settings to store: the database file's path."""
        unknown = set(info) - {"path"}
        if unknown:
            raise InputValidationError(
                f"The sqlite backend takes only a 'path' setting, got {sorted(unknown)}"
            )
        return {"path": str(info.get("path", DEFAULT_FILE))}

    @classmethod
    async def create(
        cls,
        directory: Path,
        configuration: dict[str, Any],
        connection_info: dict[str, Any],
    ) -> "SQLite":
        api = cls(directory, configuration)
        try:
            await api.migrate()
        except BaseException:
            await api.close()
            raise
        return api

    @classmethod
    async def open(
        cls,
        directory: Path,
        configuration: dict[str, Any],
        prompt: Callable[[], str] | None = None,
    ) -> "SQLite":
        api = cls(directory, configuration)
        if not api._path.exists():
            raise InvalidPathError(
                f"The library's database file {api._path} is missing; restore it "
                f"from a backup, or import a backup into a new library"
            )
        # An empty file is checked before connecting, because the journal
        # mode pragma would write a database header into it.
        # NOTE: a WAL database in a read-only folder without its -shm file
        # still fails to open (SQLITE_CANTOPEN). Reading it would need the
        # immutable=1 URI parameter.
        if api._path.stat().st_size == 0:
            raise api._no_library_error()
        try:
            if await api.get_version() == 0:
                raise api._no_library_error()
            await api.migrate()
        except BaseException:
            await api.close()
            raise
        return api

    async def _tag_conditions(
        self,
        cursor: Cursor,
        tags: TagCriteria,
        order: tuple[str, ...] | None,
        limit: int | None,
    ) -> tuple[list[str], list[Any]]:
        """Return the tag conditions in the form SQLite runs fastest for a page.

        For `images.id IN (...)`, SQLite fetches every listed image and
        sorts them all, even when an index gives the order and only one
        page is needed. The unary plus in `+images.id IN (...)` keeps the
        planner from looking images up by the listed ids, so it walks the
        order's index, tests each image against the list and stops at the
        limit. That pays when the tags match many images.
        """
        # Sorted by id, SQLite reads the listed ids in order and stops at
        # the limit already.
        column = leading_order_column(order)
        if (
            tags.required
            and limit is not None
            and column not in (None, "id")
            and await self._tags_match_many(cursor, tags)
        ):
            return tags.conditions("+images.id")
        return tags.conditions()

    async def _tags_match_many(self, cursor: Cursor, tags: TagCriteria) -> bool:
        """Return whether each required criterion matches enough images to walk.

        Enough is 1 image in WALK_COST_RATIO, and the counts stop there.
        """
        # SQLite reads max(id) from the end of the table instead of counting
        # every row. It can only overstate the image count, which makes the
        # walk less likely.
        threshold = f"(SELECT coalesce(max(id), 0) FROM images) / {WALK_COST_RATIO}"
        counts = ", ".join(
            f"(SELECT count(*) FROM ({query} LIMIT {threshold}))"
            for query, _ in tags.required
        )
        params = [value for _, values in tags.required for value in values]
        row = await cursor.fetch_one(f"SELECT {threshold}, {counts}", params)
        assert row is not None
        minimum, *matches = row
        return all(count >= minimum for count in matches)

    async def refresh_statistics(self) -> None:
        """Update the query planner's statistics (sqlite_stat1) with ANALYZE."""
        async with self.transaction() as cursor:
            await cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
            await cursor.execute("ANALYZE")

    def _no_library_error(self) -> InvalidPathError:
        return InvalidPathError(
            f"The database file {self._path} contains no PicPocket library; "
            f"restore it from a backup, or create a new library with initialize()"
        )

    async def has_version_table(self, cursor: Cursor) -> bool:
        """Return whether the database has a version table, without creating it."""
        row = await cursor.fetch_one(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
            ("version",),
        )
        return row is not None and row[0] > 0

    @property
    def sql(self) -> SQL:
        return self._sql

    async def _open_connection(self) -> aiosqlite.Connection:
        try:
            pending = aiosqlite.connect(self._path, isolation_level=None)
            _run_as_daemon(pending)
            connection = await pending
        except sqlite3.Error as error:
            self._raise_if_unusable(error)
            raise
        try:
            await self._apply_pragmas(connection)
            await connection.create_function(
                "picpocket_casefold", 1, casefold_text, deterministic=True
            )
        except sqlite3.Error as error:
            await connection.close()
            self._raise_if_unusable(error)
            raise
        except BaseException:
            await connection.close()
            raise
        logger.debug("Opened SQLite database %s", self._path)
        return connection

    async def _apply_pragmas(self, connection: aiosqlite.Connection) -> None:
        # The busy timeout comes first, so that the pragmas after it wait
        # for a writer in another process instead of failing at once.
        busy_timeout = f"PRAGMA busy_timeout = {round(BUSY_TIMEOUT * 1000)}"
        for pragma in (busy_timeout, *PRAGMAS):
            try:
                await connection.execute_fetchall(pragma)
            except sqlite3.OperationalError as error:
                # A read-only database keeps its journal mode, and can
                # still be read.
                if not is_read_only_error(error):
                    raise
                logger.info("Skipped %r on read-only %s: %s", pragma, self._path, error)

    def _raise_if_unusable(self, error: sqlite3.Error) -> None:
        """Raise InvalidPathError when the database file cannot be opened at all."""
        if getattr(error, "sqlite_errorname", None) in UNUSABLE_FILE_ERRORS:
            raise InvalidPathError(
                f"Cannot open the library's database file {self._path}: {error}. "
                f"Check that it is a PicPocket SQLite database and that its "
                f"folder is writable, or restore it from a backup"
            ) from error

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            if self._connection is None:
                with busy_as_picpocket_error(self._path):
                    self._connection = await self._open_connection()
            yield self._connection

    @asynccontextmanager
    async def cursor(
        self, connection: aiosqlite.Connection, commit: bool = False
    ) -> AsyncIterator[_Cursor]:
        # BEGIN and COMMIT can fail on a read-only database too, and
        # BEGIN IMMEDIATE waits at most BUSY_TIMEOUT for another writer.
        with (
            read_only_as_picpocket_error(self._path),
            busy_as_picpocket_error(self._path),
        ):
            async with self._transaction(connection, commit) as cursor:
                yield cursor

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[_Cursor]:
        """Lend a cursor whose statements each commit on their own."""
        # The connection has no open transaction between calls, because
        # isolation_level=None leaves BEGIN to _transaction.
        async with self.connect() as connection:
            with (
                read_only_as_picpocket_error(self._path),
                busy_as_picpocket_error(self._path),
            ):
                yield _Cursor(connection, self._path)

    @asynccontextmanager
    async def _transaction(
        self, connection: aiosqlite.Connection, commit: bool
    ) -> AsyncIterator[_Cursor]:
        cursor = _Cursor(connection, self._path)
        if not commit:
            yield cursor
            return
        # IMMEDIATE takes the write lock up front, so two writers queue
        # instead of failing half-way with "database is locked".
        # A cancellation can land on any of these awaits while the statement
        # still runs in aiosqlite's thread, so the rollback (queued behind
        # it) covers BEGIN and COMMIT too, never leaving a transaction open.
        try:
            await connection.execute_fetchall("BEGIN IMMEDIATE")
            yield cursor
            await connection.execute_fetchall("COMMIT")
        except BaseException:
            try:
                await connection.execute_fetchall("ROLLBACK")
            except sqlite3.OperationalError as error:
                # No transaction was open: SQLite already rolled back, the
                # commit went through, or the BEGIN never ran.
                logger.debug("Rollback not needed: %s", error)
            raise

    async def close(self) -> None:
        self.shutdown_reader()
        async with self._lock:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None


def _run_as_daemon(connection: aiosqlite.Connection) -> None:
    """Let the interpreter exit while a connection is still open.

    aiosqlite runs each connection in a thread that the interpreter waits
    for at exit, so a script that fails before close() would hang instead
    of exiting. Exiting with a transaction open is safe, because SQLite
    discards it as it does after a crash.
    """
    # NOTE: aiosqlite (0.22) has no public setting for this, so this sets
    # its private _thread before the thread starts, and does nothing when a
    # later version renames it.
    thread = getattr(connection, "_thread", None)
    if isinstance(thread, threading.Thread) and not thread.is_alive():
        thread.daemon = True
