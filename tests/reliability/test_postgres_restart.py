"""The PostgreSQL server stops or restarts while a library is open.

These tests run their own throwaway server, because they stop it. The next
call after a restart must reconnect. A call while the server is down must
fail at once with a DatabaseUnavailableError that names host and port. A
change that was cut off must be in the database wholly or not at all.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

import picpocket
from picpocket.api import PicPocket
from picpocket.database.postgres import DatabaseUnavailableError
from tests.postgres_server import (
    RunningServer,
    ServerStartError,
    create_database,
    fail_or_skip,
    start_server,
)
from tests.reliability.worker_process import make_photos

pytestmark = pytest.mark.postgres

IMPORT_BATCH = 20
PHOTO_COUNT = 200
TAGGED_COUNT = 300
# Seconds a call may take to fail while the server is down, or to succeed
# once it is back. The pool's own timeout (10 s) or its reconnection delays
# (1 s, doubling) would mean the call waited on a pool that lost its server.
PROMPT_SECONDS = 5.0


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """Start a throwaway PostgreSQL server that the tests may stop and start."""
    try:
        running = start_server()
    except ServerStartError as error:
        fail_or_skip(f"starting a throwaway PostgreSQL server failed: {error}")
    with running:
        yield running


def stop(server: RunningServer, mode: str = "fast") -> None:
    """Stop the server: "fast" as for a restart, "immediate" as for a crash."""
    # NOTE: RunningServer has no public stop-and-keep-data method, so this
    # uses its pg_ctl helper and process handle.
    assert server._pg_ctl_stop(mode)
    assert server._process is not None
    server._process.wait(timeout=30)


def start(server: RunningServer) -> None:
    """Start the stopped server again on the same port and data folder."""
    server._launch()
    server._wait_until_ready()


@pytest.fixture
async def library(server: RunningServer, tmp_path: Path) -> AsyncIterator[PicPocket]:
    """Create a library in a new database on the restartable server."""
    name = f"restart_{uuid.uuid4().hex[:12]}"
    create_database(server.server, name)
    info: dict[str, Any] = server.server.connection_info(name)
    # The throwaway server turns synchronous_commit off for speed, so a crash
    # would also lose the last commits, which no client can prevent.
    statement = sql.SQL("ALTER DATABASE {} SET synchronous_commit = on")
    with psycopg.connect(**info, autocommit=True) as connection:
        connection.execute(statement.format(sql.Identifier(name)))
    api = await picpocket.initialize(
        tmp_path / "library", "postgres", store_credentials=True, **info
    )
    try:
        yield api
    finally:
        if server._process is None or server._process.poll() is not None:
            start(server)
        await api.close()


def address(server: RunningServer) -> str:
    return f"{server.server.host}:{server.server.port}"


async def test_restart_between_calls(library: PicPocket, server: RunningServer) -> None:
    await library.add_tag("before")
    stop(server)
    start(server)
    await library.add_tag("after")
    assert await library.all_tag_names() == {"before", "after"}


async def test_call_while_down(library: PicPocket, server: RunningServer) -> None:
    await library.add_tag("before")
    stop(server)
    began = time.monotonic()
    with pytest.raises(DatabaseUnavailableError) as error:
        await library.add_tag("lost")
    assert time.monotonic() - began < PROMPT_SECONDS
    assert address(server) in str(error.value)

    # A second call while down fails the same way, without a pool to wait on.
    with pytest.raises(DatabaseUnavailableError):
        await library.all_tag_names()
    start(server)
    began = time.monotonic()
    await library.add_tag("after")
    assert time.monotonic() - began < PROMPT_SECONDS
    assert await library.all_tag_names() == {"before", "after"}


async def test_restart_mid_import(
    library: PicPocket, server: RunningServer, tmp_path: Path, photo_source: Path
) -> None:
    card = tmp_path / "card"
    photos = make_photos(card, photo_source, PHOTO_COUNT)
    await library.add_location("card", card, source=True, removable=False)
    stopped_at = 3 * IMPORT_BATCH + IMPORT_BATCH // 2

    def stop_server(done: int, total: int) -> None:
        if done == stopped_at:
            stop(server)

    with pytest.raises(DatabaseUnavailableError) as error:
        await library.import_location(
            "card", batch_size=IMPORT_BATCH, progress=stop_server
        )
    assert address(server) in str(error.value)

    start(server)
    # Whole batches are kept and the one cut off is not. The third batch is
    # written while the next files are read, so the stop may cut it off too.
    assert await library.count_images() in {2 * IMPORT_BATCH, 3 * IMPORT_BATCH}
    await library.import_location("card", batch_size=IMPORT_BATCH)
    paths = sorted(image.path.as_posix() for image in await library.search_images())
    assert paths == sorted(path.name for path in photos)


async def test_crash_mid_transaction(
    library: PicPocket,
    server: RunningServer,
    tmp_path: Path,
    photo_source: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    card = tmp_path / "card"
    make_photos(card, photo_source, TAGGED_COUNT)
    await library.add_location("card", card, source=True, removable=False)
    ids = await library.import_location("card")
    apply_tags = library._apply_tags

    async def apply_then_crash(*arguments: Any) -> None:
        # Every row is written, and the server dies before the commit.
        await apply_tags(*arguments)
        stop(server, "immediate")

    monkeypatch.setattr(library, "_apply_tags", apply_then_crash)
    with pytest.raises(DatabaseUnavailableError):
        await library.tag_images(ids, "cut-off")
    monkeypatch.undo()

    start(server)
    assert await library.count_images(any_tags=["cut-off"]) == 0
    await library.tag_images(ids, "cut-off")
    assert await library.count_images(any_tags=["cut-off"]) == TAGGED_COUNT
