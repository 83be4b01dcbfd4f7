"""The embedded SQLite backend (aiosqlite)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from picpocket.database.base import Row
from picpocket.database.dbapi import DbApi
from picpocket.database.logic import SQL, Types
from picpocket.database.schema import SchemaTypes
from picpocket.errors import InputValidationError, InvalidPathError

logger = logging.getLogger(__name__)

DEFAULT_FILE = "picpocket.sqlite3"
PRAGMAS = (
    # Set first, so that the pragmas below wait for a writer in another
    # process instead of failing at once.
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_mode = WAL",
    # In WAL mode NORMAL is still safe from corruption; a power cut can lose
    # only the last commits.
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)
# SQLite result codes that mean the file itself cannot serve as the library.
UNUSABLE_FILE_ERRORS = {"SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CANTOPEN"}


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


class _Cursor:
    """Runs statements on an aiosqlite connection, one thread hop each."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        await self._connection.execute_fetchall(statement, params)

    async def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        cursor = await self._connection.executemany(statement, rows)
        await cursor.close()

    async def fetch_all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._connection.execute_fetchall(statement, params))

    async def fetch_one(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
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
    )

    def __init__(self, directory: Path, configuration: dict[str, Any]) -> None:
        super().__init__(directory, configuration)
        self._sql = SQLiteSQL()
        self._path = Path(directory) / configuration["connection"]["path"]
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
        try:
            await api.migrate()
        except BaseException:
            await api.close()
            raise
        return api

    @property
    def sql(self) -> SQL:
        return self._sql

    async def _open_connection(self) -> aiosqlite.Connection:
        try:
            connection = await aiosqlite.connect(self._path, isolation_level=None)
        except sqlite3.Error as error:
            self._raise_if_unusable(error)
            raise
        try:
            for pragma in PRAGMAS:
                await connection.execute_fetchall(pragma)
        except sqlite3.Error as error:
            await connection.close()
            self._raise_if_unusable(error)
            raise
        except BaseException:
            await connection.close()
            raise
        logger.debug("Opened SQLite database %s", self._path)
        return connection

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
                self._connection = await self._open_connection()
            yield self._connection

    @asynccontextmanager
    async def cursor(
        self, connection: aiosqlite.Connection, commit: bool = False
    ) -> AsyncIterator[_Cursor]:
        cursor = _Cursor(connection)
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
