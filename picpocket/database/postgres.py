"""The PostgreSQL backend (psycopg 3, async), for a library shared by computers."""

from __future__ import annotations

import asyncio
import json
import logging
import select
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC
from functools import lru_cache
from pathlib import Path
from typing import Any

from picpocket.configuration import CONFIG_NAME, connection_table
from picpocket.database import schema
from picpocket.database.base import Row, chunked
from picpocket.database.postgres_copy import copy_image_rows
from picpocket.database.dbapi import DbApi
from picpocket.database.importer import IMPORT_COLUMNS
from picpocket.database.logic import SQL, Types
from picpocket.database.schema import SchemaTypes
from picpocket.errors import InputValidationError, PicPocketError

try:
    import psycopg
    from psycopg.types.json import Jsonb, set_json_loads
    from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout
except ImportError:  # pragma: no cover - depends on the installed extras
    psycopg = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

# Rows per executemany call: few enough that the event loop is never held
# for long, many enough that each call is worth its round trip.
EXECUTEMANY_ROWS = 100

CONNECTION_KEYS = ("host", "port", "user", "password", "dbname")
# A desktop app issues one statement at a time; a few spare connections
# cover a background import running beside the browsing user.
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 4
CONNECT_TIMEOUT = 10  # seconds
# Seconds a pooled connection may sit unused and still be lent without a
# round trip to check it. A server that shuts down or restarts closes its
# connections, which makes them readable, so those are checked at any age.
UNCHECKED_IDLE_SECONDS = 1.0
# Seconds that closing a broken pool waits for its background connection
# attempts to stop.
DISCARD_TIMEOUT = 1.0
# Key of the advisory lock that serializes schema migrations; any fixed
# number works, as long as no other application on the database uses it.
MIGRATION_LOCK_KEY = 0x50_69_63_50  # "PicP" in ASCII
# Collations whose lower() maps every Unicode letter, most preferred first.
# glibc's C.UTF-8 maps one character at a time; ICU's root locale also maps
# a final capital sigma to final sigma, which FOLD_FROM below undoes.
FOLD_COLLATIONS = ("C.utf8", "C.UTF-8", "und-x-icu")
# Lowercase letters that Unicode case folding merges with another letter
# (final sigma, long s, Greek symbol forms), and the letters they become.
FOLD_FROM = (
    "\u00b5\u017f\u03c2\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5\u1e9b\u1fbe"
    "\u0345"
)
FOLD_TO = (
    "\u03bc\u0073\u03c3\u03b2\u03b8\u03c6\u03c0\u03ba\u03c1\u03b5\u1e61\u03b9"
    "\u03b9"
)


class DatabaseUnavailableError(PicPocketError):
    """The PostgreSQL server could not be reached or refused the login."""


@lru_cache(maxsize=512)
def to_driver_style(statement: str) -> str:
    """Turn `?` placeholders into psycopg's `%s`, escaping literal `%`."""
    return statement.replace("%", "%%").replace("?", "%s")


class PostgresSQL(SQL):
    """SQL for PostgreSQL: native booleans, timestamptz and JSONB."""

    def __init__(self) -> None:
        # One of FOLD_COLLATIONS, which PostgreSQL._open_pool looks up.
        self.fold_collation: str | None = None

    def fold_case(self, expression: str) -> str:
        if self.fold_collation is None:
            # NOTE: without a Unicode collation lower() uses the database's
            # default one, which folds only ASCII letters in the C locale.
            lowered = f"lower({expression})"
        else:
            collation = self.identifier(self.fold_collation)
            lowered = f"lower(CAST({expression} AS TEXT) COLLATE {collation})"
        folds = f"{self.literal(FOLD_FROM)}, {self.literal(FOLD_TO)}"
        return f"translate({lowered}, {folds})"

    @property
    def types(self) -> set[Types]:
        return set(Types)

    @property
    def arrays(self) -> bool:
        return True

    @property
    def param(self) -> str:
        return "%s"

    @property
    def like(self) -> str:
        return "ILIKE"

    @property
    def key_share_lock(self) -> str:
        return " FOR KEY SHARE"

    def limit_offset(self, limit: int | None, offset: int | None) -> str:
        clause = "" if limit is None else f" LIMIT {int(limit)}"
        return clause if offset is None else f"{clause} OFFSET {int(offset)}"

    def adapt(self, kind: Types, value: Any) -> Any:
        if value is None:
            return None
        if kind is Types.DATETIME:
            return value if value.tzinfo is not None else value.astimezone()
        if kind is Types.JSON:
            return Jsonb(value)
        if kind is Types.BOOLEAN:
            return bool(value)
        return value

    def convert(self, kind: Types, value: Any) -> Any:
        if value is None:
            return None
        if kind is Types.DATETIME:
            return value.astimezone(UTC)
        return value


class _Cursor:
    """Runs `?`-style statements on a psycopg async cursor.

    `prepare` is psycopg's choice for single statements: None prepares a
    statement once it has run a few times, False never does.
    """

    def __init__(self, cursor: Any, prepare: bool | None = None) -> None:
        self._cursor = cursor
        self._prepare = prepare

    async def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        await self._run(statement, params)

    async def _run(self, statement: str, params: Sequence[Any]) -> None:
        await self._cursor.execute(
            to_driver_style(statement), params, prepare=self._prepare
        )

    async def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        query = to_driver_style(statement)
        # psycopg adapts every row in the event loop's thread, so a batch
        # of a thousand rows held the loop for 20 to 40 ms. Smaller calls
        # let other tasks run in between.
        for part in chunked(list(rows), EXECUTEMANY_ROWS):
            await self._cursor.executemany(query, part)

    def copy(self, statement: str) -> Any:
        """Return psycopg's COPY context for a COPY statement, run as written."""
        return self._cursor.copy(statement)

    async def fetch_all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        await self._run(statement, params)
        return list(await self._cursor.fetchall())

    async def fetch_one(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        await self._run(statement, params)
        return await self._cursor.fetchone()


def stored_connection_info(configuration: dict[str, Any]) -> dict[str, Any]:
    """Return the psycopg connection keywords stored in a configuration."""
    stored = configuration.get("connection", {})
    return {key: value for key, value in stored.items() if key in CONNECTION_KEYS}


def check_connection_types(directory: Path, info: dict[str, Any]) -> None:
    """Raise InputValidationError for a stored setting of the wrong type."""
    for key, value in info.items():
        valid = isinstance(value, str) or (key == "port" and isinstance(value, int))
        if not valid or isinstance(value, bool):
            raise InputValidationError(
                f"The [connection] {key} in {Path(directory) / CONFIG_NAME} must "
                f"be a string, got {value!r}"
            )


def is_password_error(error: Exception) -> bool:
    """Return whether a failed login could succeed with a password."""
    # libpq reports a missing password on the client side, with no SQLSTATE;
    # 28P01 is invalid_password.
    message = str(error)
    return getattr(error, "sqlstate", None) == "28P01" or (
        "password authentication failed" in message
        or "no password supplied" in message
    )


async def needs_password(info: dict[str, Any]) -> bool:
    """Return whether the server rejects a login without the password in `info`.

    libpq then takes the password from PGPASSWORD or the password file.
    Other connection errors return False, so that the backend's own
    connection attempt reports them.
    """
    try:
        connection = await psycopg.AsyncConnection.connect(
            **info, connect_timeout=CONNECT_TIMEOUT
        )
    except psycopg.OperationalError as error:
        if is_password_error(error):
            logger.info("Login to the %s needs a password", describe_server(info))
            return True
        return False
    await connection.close()
    return False


def describe_server(info: dict[str, Any]) -> str:
    host = info.get("host") or "localhost"
    return f"database {info.get('dbname')!r} on {host}:{info.get('port') or 5432}"


class PostgreSQL(DbApi):
    """PicPocket on a PostgreSQL database, through a small connection pool."""

    # An open import batch holds one pooled connection, and others go on.
    streams_import_batches = True

    schema_types = SchemaTypes(
        id="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        reference="BIGINT",
        boolean="BOOLEAN",
        datetime="TIMESTAMPTZ",
        json="JSONB",
        # The C collation sorts text byte by byte, as SQLite does, so
        # orderings and the tag range lookups match on both backends.
        text='TEXT COLLATE "C"',
        # PostgreSQL's DESC alone puts NULL first.
        descending="DESC NULLS LAST",
    )

    def __init__(
        self,
        directory: Path,
        configuration: dict[str, Any],
        connection_info: dict[str, Any] | None = None,
    ) -> None:
        """Set up a backend object, which connects on first use.

        `connection_info` defaults to the settings stored in the
        configuration's [connection] table.
        """
        super().__init__(directory, configuration)
        _require_driver()
        self.integrity_errors = (psycopg.errors.IntegrityError,)
        self.database_errors = (psycopg.Error,)
        self._sql = PostgresSQL()
        if connection_info is None:
            connection_info = stored_connection_info(configuration)
        self._info = {
            key: value
            for key, value in connection_info.items()
            if key in CONNECTION_KEYS and value is not None
        }
        self._pool: AsyncConnectionPool | None = None
        # Keeps two calls from opening two pools at once.
        self._pool_lock = asyncio.Lock()
        # When each pooled connection was last given back (time.monotonic()).
        self._returned_at: weakref.WeakKeyDictionary[Any, float] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def parse_connection_info(
        cls, directory: Path, *, store_credentials: bool | None = None, **info: Any
    ) -> dict[str, Any]:
        """Return the [connection] settings to store in the configuration.

        The password is stored only when `store_credentials` is true, or
        when it is empty and `store_credentials` is None.
        """
        unknown = set(info) - set(CONNECTION_KEYS)
        if unknown:
            raise InputValidationError(
                f"Unknown PostgreSQL settings {sorted(unknown)}. "
                f"Use {', '.join(CONNECTION_KEYS)}"
            )
        if not info.get("dbname"):
            raise InputValidationError("PostgreSQL needs a dbname: the database to use")
        stored = {
            key: info[key] for key in CONNECTION_KEYS if info.get(key) is not None
        }
        password = info.get("password")
        keep_password = store_credentials or (
            store_credentials is None and not password
        )
        if not keep_password:
            stored.pop("password", None)
        stored["store_credentials"] = bool(keep_password)
        return stored

    @classmethod
    async def create(
        cls,
        directory: Path,
        configuration: dict[str, Any],
        connection_info: dict[str, Any],
    ) -> "PostgreSQL":
        api = cls(directory, configuration, connection_info)
        await api._start(migrate=True)
        return api

    @classmethod
    async def open(
        cls,
        directory: Path,
        configuration: dict[str, Any],
        prompt: Callable[[], str] | None = None,
    ) -> "PostgreSQL":
        _require_driver()
        connection_table(directory, configuration)
        info = stored_connection_info(configuration)
        check_connection_types(directory, info)
        stored = configuration["connection"].get("store_credentials")
        if not stored and prompt is not None and await needs_password(info):
            info["password"] = prompt()
        api = cls(directory, configuration, info)
        await api._start(migrate=False)
        try:
            if await api.get_version() == 0:
                raise PicPocketError(
                    f"The PostgreSQL {describe_server(api._info)} contains no "
                    f"PicPocket library; restore it from a backup, or create a "
                    f"new library with initialize()"
                )
            await api.migrate()
        except BaseException:
            await api.close()
            raise
        return api

    async def _start(self, migrate: bool) -> None:
        try:
            await self._open_pool()
            if migrate:
                await self.migrate()
        except BaseException:
            await self.close()
            raise

    async def _open_pool(self) -> None:
        pool = AsyncConnectionPool(
            kwargs={
                **self._info,
                "autocommit": True,
                "connect_timeout": CONNECT_TIMEOUT,
            },
            min_size=POOL_MIN_SIZE,
            max_size=POOL_MAX_SIZE,
            open=False,
            timeout=CONNECT_TIMEOUT,
            configure=configure_connection,
        )
        # Connect once directly first: the pool retries silently, while a
        # direct attempt reports a wrong password or missing database.
        try:
            connection = await psycopg.AsyncConnection.connect(
                **self._info, connect_timeout=CONNECT_TIMEOUT
            )
        except psycopg.OperationalError as error:
            raise DatabaseUnavailableError(
                f"Could not connect to the PostgreSQL {describe_server(self._info)}: "
                f"{str(error).strip()}; check that the server runs, the database "
                f"exists and the user name and password are right"
            ) from None
        try:
            self._sql.fold_collation = await find_fold_collation(connection)
        finally:
            await connection.close()
        await pool.open()
        self._pool = pool

    @property
    def sql(self) -> SQL:
        return self._sql

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Any]:
        """Lend a pooled connection that was just checked or just used.

        When the connection breaks during the block, the pool is replaced,
        so the next call connects afresh instead of waiting out the pool's
        reconnection delays.
        """
        pool, connection = await self._checked_connection()
        try:
            yield connection
        except psycopg.OperationalError as error:
            failure = self._failure(error)
            if isinstance(failure, DatabaseUnavailableError):
                await self._discard_pool(pool)
            raise failure from error
        finally:
            self._returned_at[connection] = time.monotonic()
            await pool.putconn(connection)

    async def _checked_connection(self) -> tuple[AsyncConnectionPool, Any]:
        """Return the pool and one of its connections that is likely to work.

        A connection is checked with an empty query unless it was used
        within UNCHECKED_IDLE_SECONDS and the server has sent it nothing
        since. One that fails the check was broken by a server restart or
        outage since its last use. The pool is then replaced once, and
        opening the new one raises DatabaseUnavailableError at once when
        the server is still unreachable.
        """
        for attempt in range(2):
            pool = await self._current_pool()
            try:
                connection = await self._take_connection(pool)
            except PoolClosed:
                # Another call discarded this pool a moment ago.
                continue
            try:
                if self._needs_check(connection):
                    await pool.check_connection(connection)
            except psycopg.OperationalError as error:
                # Closed first, so that the pool closes the connection
                # instead of logging it as broken and replacing it.
                await self._discard_pool(pool)
                await pool.putconn(connection)
                if attempt > 0:
                    raise self._failure(error) from error
                logger.info(
                    "Reconnecting to the PostgreSQL %s: %s",
                    describe_server(self._info),
                    str(error).strip(),
                )
                continue
            except BaseException:
                await pool.putconn(connection)
                raise
            return pool, connection
        raise DatabaseUnavailableError(
            f"The connections to the PostgreSQL {describe_server(self._info)} "
            f"keep breaking; check the server and try again"
        )

    def _needs_check(self, connection: Any) -> bool:
        returned = self._returned_at.get(connection)
        if returned is None or time.monotonic() - returned > UNCHECKED_IDLE_SECONDS:
            return True
        return has_pending_input(connection)

    async def _take_connection(self, pool: AsyncConnectionPool) -> Any:
        try:
            return await pool.getconn()
        except PoolTimeout as error:
            await self._discard_pool(pool)
            raise DatabaseUnavailableError(
                f"No connection to the PostgreSQL {describe_server(self._info)} "
                f"within {CONNECT_TIMEOUT} s: the server is unreachable or "
                f"slow, or {POOL_MAX_SIZE} calls already use every "
                f"connection; try again"
            ) from error

    async def _current_pool(self) -> AsyncConnectionPool:
        async with self._pool_lock:
            if self._pool is None:
                await self._open_pool()
            assert self._pool is not None
            return self._pool

    async def _discard_pool(self, pool: AsyncConnectionPool) -> None:
        """Close a pool whose connections broke, so the next call opens a new one."""
        if self._pool is pool:
            self._pool = None
        await pool.close(timeout=DISCARD_TIMEOUT)

    def _failure(self, error: Exception) -> PicPocketError:
        server = describe_server(self._info)
        detail = str(error).strip()
        # Client-side failures have no SQLSTATE; class 08 is a connection
        # exception and 57P an operator intervention such as a terminated
        # server process.
        sqlstate = getattr(error, "sqlstate", None)
        if sqlstate is None or sqlstate.startswith(("08", "57P")):
            # A connection that broke during COMMIT leaves the client
            # unsure whether the commit happened, but never half of it.
            return DatabaseUnavailableError(
                f"Lost the connection to the PostgreSQL {server}: {detail}. "
                f"The change in progress was saved whole or not at all; try "
                f"again when the server is back"
            )
        return PicPocketError(
            f"The PostgreSQL {server} could not complete the request: {detail}. "
            f"The transaction was rolled back; try again"
        )

    @asynccontextmanager
    async def cursor(
        self, connection: Any, commit: bool = False
    ) -> AsyncIterator[_Cursor]:
        async with connection.transaction(force_rollback=not commit):
            async with connection.cursor() as cursor:
                yield _Cursor(cursor)

    @asynccontextmanager
    async def search_cursor(self) -> AsyncIterator[_Cursor]:
        """Lend a cursor whose statements are never prepared, in autocommit.

        psycopg prepares a statement once it has run 5 times, and
        PostgreSQL may then reuse one generic plan for any parameters. For
        a tag search that plan sorted every tagged image, 23 ms instead of
        3 ms on 50,000 images (PostgreSQL 15). Outside a transaction block
        each statement reads the data committed when it starts, as it does
        inside one under the default READ COMMITTED isolation. The search
        also saves the round trips of BEGIN and ROLLBACK.
        """
        async with self.connect() as connection:
            async with connection.cursor() as cursor:
                yield _Cursor(cursor, prepare=False)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[_Cursor]:
        """Lend a cursor whose statements each commit on their own."""
        # The pool opens every connection in autocommit mode.
        async with self.connect() as connection:
            async with connection.cursor() as cursor:
                yield _Cursor(cursor)

    async def refresh_statistics(self) -> None:
        """Update the query planner's statistics of the tables searches read.

        Autovacuum does the same, but only some time after a large import,
        and until then PostgreSQL may plan tag searches for far fewer rows.
        """
        async with self.autocommit() as cursor:
            await cursor.execute("ANALYZE images, image_tags, tags")

    async def insert_image_rows(
        self, cursor: Any, location_id: int, rows: list[tuple[Any, ...]]
    ) -> dict[str, int]:
        return await copy_image_rows(cursor, IMPORT_COLUMNS, rows)

    async def refresh_tag_statistics(self) -> None:
        """Update the query planner's statistics of tags and image_tags."""
        # Without this, a search for a tag just given to thousands of
        # images took 28 ms instead of 3 ms (50,000 images, PostgreSQL 15),
        # because the planner expected a few images and sorted them all.
        async with self.autocommit() as cursor:
            await cursor.execute("ANALYZE tags, image_tags")

    async def lock_for_migration(self, cursor: _Cursor) -> None:
        """Make a second computer's migration wait until this one commits."""
        # A transaction-level advisory lock, because two computers may open
        # an old library at once and both would create the same tables.
        await cursor.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))
        await cursor.execute(schema.VERSION_TABLE)

    async def close(self) -> None:
        self.shutdown_reader()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def configure_connection(connection: Any) -> None:
    """Set up a new pooled connection for PicPocket's queries."""
    # json.loads parses text faster than bytes: 0.97 instead of 1.7 ms for
    # the EXIF of 200 images (PostgreSQL 15, psycopg 3.3). The result is
    # the same, because json.loads decodes such bytes as UTF-8 too.
    set_json_loads(load_json, connection)
    # Dates then arrive in UTC, which convert() returns without converting
    # them again. PicPocket's SQL uses no function that depends on the
    # session time zone.
    await connection.execute("SET TIME ZONE 'UTC'")


def load_json(data: bytes | str) -> Any:
    """Parse JSON that psycopg received, as text."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data).decode("utf-8")
    return json.loads(data)


def has_pending_input(connection: Any) -> bool:
    """Return whether the server sent something to an idle connection.

    An idle connection in autocommit mode receives nothing, unless the
    server is shutting down (a notice, then the end of the stream), or
    sends a notification or a changed setting. A closed connection
    counts too.
    """
    if connection.closed:
        return True
    try:
        readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):
        return True
    return bool(readable)


async def find_fold_collation(connection: Any) -> str | None:
    """Return the first of FOLD_COLLATIONS that the database can use, if any."""
    try:
        cursor = await connection.execute(
            "SELECT collname FROM pg_collation WHERE collname = ANY(%s) AND "
            "collencoding IN (-1, (SELECT encoding FROM pg_database "
            "WHERE datname = current_database()))",
            (list(FOLD_COLLATIONS),),
        )
        found = {row[0] for row in await cursor.fetchall()}
    except psycopg.Error as error:
        logger.warning(
            "Could not list PostgreSQL's collations, so text searches ignore "
            "the case of ASCII letters only until the next connection: %s",
            error,
        )
        return None
    for name in FOLD_COLLATIONS:
        if name in found:
            return name
    logger.warning(
        "PostgreSQL has none of the collations %s, so text searches ignore "
        "the case of ASCII letters only",
        ", ".join(FOLD_COLLATIONS),
    )
    return None


def _require_driver() -> None:
    if psycopg is None:
        raise InputValidationError(
            "The postgres backend needs psycopg; install picpocket[postgres]"
        )
