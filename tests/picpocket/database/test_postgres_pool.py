"""Which pooled PostgreSQL connections are checked before they are lent.

A connection used within the last UNCHECKED_IDLE_SECONDS is lent without a
round trip, unless the server has sent it something, as it does when it
terminates the connection.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
import pytest

import picpocket
from picpocket.database.postgres import (
    POOL_MAX_SIZE,
    UNCHECKED_IDLE_SECONDS,
    has_pending_input,
)
from picpocket.database.postgres_sql import load_json
from tests.postgres_server import PostgresServer

pytestmark = pytest.mark.postgres

EXIT_TIMEOUT = 5.0  # seconds a terminated server process may take to exit
# Runs of one statement after which psycopg has prepared it on each of the
# pool's connections.
PREPARE_RUNS = 5 * POOL_MAX_SIZE + 1


def terminate_and_wait(server: PostgresServer, database: str) -> int:
    """Terminate the server processes of `database`, wait until they exit."""
    info = server.connection_info("postgres")
    with psycopg.connect(**info, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
        pids = [pid for (pid,) in rows]
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest(%s) AS pid", (pids,)
        )
        deadline = time.monotonic() + EXIT_TIMEOUT
        while time.monotonic() < deadline:
            left = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
            ).fetchone()
            if left[0] == 0:
                break
            time.sleep(0.01)
    return len(pids)


@pytest.fixture
async def library(tmp_path, postgres_database) -> Any:
    api = await picpocket.initialize(
        tmp_path / "library", "postgres", store_credentials=True, **postgres_database
    )
    try:
        yield api
    finally:
        await api.close()


async def test_pending_input_idle(postgres_database):
    connection = await psycopg.AsyncConnection.connect(
        **postgres_database, autocommit=True
    )
    try:
        await connection.execute("SELECT 1")
        assert not has_pending_input(connection)
    finally:
        await connection.close()


async def test_pending_input_terminated(postgres_server, postgres_database):
    connection = await psycopg.AsyncConnection.connect(
        **postgres_database, autocommit=True
    )
    try:
        assert terminate_and_wait(postgres_server, postgres_database["dbname"]) >= 1
        assert has_pending_input(connection)
    finally:
        await connection.close()


async def test_pending_input_closed(postgres_database):
    connection = await psycopg.AsyncConnection.connect(
        **postgres_database, autocommit=True
    )
    await connection.close()
    assert has_pending_input(connection)


async def test_terminated_recent_connection(
    library, postgres_server, postgres_database
):
    await library.add_tag("before")
    assert terminate_and_wait(postgres_server, postgres_database["dbname"]) >= 1
    # Well within UNCHECKED_IDLE_SECONDS of the last call, so only the
    # server's termination message on the socket shows that it is gone.
    await library.add_tag("after")
    assert await library.all_tag_names() == {"before", "after"}


async def test_recent_connection_unchecked(library):
    checks = []
    pool = library._pool
    original = pool.check_connection

    async def counted(connection: Any) -> None:
        checks.append(connection)
        await original(connection)

    await library.all_tag_names()
    # Only this pool object uses the counting wrapper.
    pool.check_connection = counted
    for _ in range(3):
        await library.all_tag_names()
    recent = len(checks)
    await asyncio.sleep(UNCHECKED_IDLE_SECONDS + 0.2)
    await library.all_tag_names()
    assert library._pool is pool
    assert recent == 0
    assert len(checks) == 1


async def test_search_never_prepared(library):
    # psycopg prepares a statement on its sixth run on one connection, and
    # the pool takes turns between its connections.
    for _ in range(PREPARE_RUNS):
        await library.search_images(any_tags=["bird"], order=("-creation_date",))
    async with library.transaction(commit=False) as cursor:
        rows = await cursor.fetch_all("SELECT statement FROM pg_prepared_statements")
    statements = [statement for (statement,) in rows]
    assert not [statement for statement in statements if "FROM images" in statement]


async def test_tag_image_prepared(library, jpegs):
    # The counterpart of the test above: other statements are prepared.
    await library.add_location("main", jpegs, source=True, removable=False)
    ids = await library.import_location("main")
    for _ in range(PREPARE_RUNS):
        for image_id in ids:
            await library.tag_image(image_id, "bird")
    async with library.transaction(commit=False) as cursor:
        rows = await cursor.fetch_all("SELECT statement FROM pg_prepared_statements")
    statements = [statement for (statement,) in rows]
    assert [statement for statement in statements if "INTO image_tags" in statement]


async def test_pooled_time_zone(library):
    async with library.transaction(commit=False) as cursor:
        row = await cursor.fetch_one("SHOW TimeZone")
    assert row[0] == "UTC"


ESCAPED_JSON = '{"Artist": "Jos\\u00e9", "Make": "Canon"}'


@pytest.mark.parametrize(
    "data", [ESCAPED_JSON.encode(), ESCAPED_JSON], ids=["bytes", "text"]
)
def test_load_json(data):
    assert load_json(data) == {"Artist": "José", "Make": "Canon"}


def test_load_json_utf8():
    assert load_json('{"Artist": "José"}'.encode()) == {"Artist": "José"}
