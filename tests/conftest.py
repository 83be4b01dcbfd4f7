"""Fixtures shared by the whole suite: real photos and a library on each backend."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

import picpocket
from tests.postgres_server import (
    PostgresServer,
    ServerStartError,
    create_database,
    drop_database,
    fail_or_skip,
    server_from_environment,
    start_server,
)

# The sample photos live beside the repository, in shared/photos; a
# PICPOCKET_PHOTOS environment variable can point elsewhere.
PHOTOS = Path(
    os.environ.get(
        "PICPOCKET_PHOTOS", Path(__file__).resolve().parents[2] / "shared" / "photos"
    )
)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def photo_source() -> Path:
    """Return the read-only folder of sample photos (never write into it)."""
    if not PHOTOS.is_dir():
        pytest.fail(f"Sample photos not found at {PHOTOS}; set PICPOCKET_PHOTOS")
    return PHOTOS


@pytest.fixture
def photos(tmp_path: Path, photo_source: Path) -> Path:
    """Return a writable copy of every sample photo."""
    copy = tmp_path / "photos"
    shutil.copytree(photo_source, copy)
    return copy


@pytest.fixture
def jpegs(tmp_path: Path, photo_source: Path) -> Path:
    """Return a writable folder with a few camera JPEGs, for quick tests."""
    folder = tmp_path / "jpegs"
    folder.mkdir()
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Kodak_CX7530.jpg"):
        shutil.copy2(photo_source / "jpg" / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Return a PostgreSQL server: PICPOCKET_TEST_POSTGRES, or a throwaway one."""
    try:
        configured = server_from_environment()
    except ValueError as error:
        # An explicit setting with a typo must never turn into quiet skips.
        pytest.fail(str(error), pytrace=False)
    if configured is not None:
        yield configured
        return
    try:
        running = start_server()
    except ServerStartError as error:
        reason = f"starting a throwaway PostgreSQL server failed: {error}"
    else:
        with running:
            yield running.server
        return
    fail_or_skip(reason)


@pytest.fixture(scope="session")
def postgres_test_database(postgres_server: PostgresServer) -> Iterator[str]:
    """Create the database the PostgreSQL tests share, one test at a time."""
    name = f"picpocket_test_{uuid.uuid4().hex[:12]}"
    create_database(postgres_server, name)
    try:
        yield name
    finally:
        drop_database(postgres_server, name)


@pytest.fixture
def postgres_database(
    postgres_server: PostgresServer, postgres_test_database: str
) -> dict[str, Any]:
    """Empty the shared test database and return its connection settings.

    Emptying the public schema takes about 10 ms, where creating a
    database per test took about a second.
    """
    info = postgres_server.connection_info(postgres_test_database)
    with psycopg.connect(**info, autocommit=True) as connection:
        # Connections a previous test left open would hold locks.
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return info


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def connection_info(request: pytest.FixtureRequest, backend: str) -> dict[str, Any]:
    """Return the settings that initialize() needs for the backend under test."""
    if backend == "postgres":
        return {"store_credentials": True, **request.getfixturevalue("postgres_database")}
    return {}


@pytest.fixture
async def api(
    tmp_path: Path, backend: str, connection_info: dict[str, Any]
) -> AsyncIterator[picpocket.PicPocket]:
    """Return a new, empty library on the backend under test."""
    library = await picpocket.initialize(tmp_path / "library", backend, **connection_info)
    try:
        yield library
    finally:
        await library.close()
