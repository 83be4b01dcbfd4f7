"""Tests for what only the PostgreSQL backend does.

Credentials in the configuration, connection errors, dropped connections,
and two computers sharing one library.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import sys
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

import picpocket
from picpocket.configuration import CONFIG_NAME
from picpocket.database import schema
from picpocket.database.postgres import PostgreSQL
from picpocket.errors import InputValidationError, PicPocketError
from tests.postgres_server import PostgresServer

pytestmark = pytest.mark.postgres

PASSWORD = "s3cret-Pa55word"


def admin_connection(server: PostgresServer) -> psycopg.Connection[Any]:
    return psycopg.connect(**server.connection_info("postgres"), autocommit=True)


def read_configuration(directory: Path) -> dict[str, Any]:
    with open(directory / CONFIG_NAME, "rb") as file:
        return tomllib.load(file)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def password_database(postgres_server: PostgresServer) -> Iterator[dict[str, Any]]:
    """Create a role with a password and a database it owns; return its settings.

    The throwaway server trusts every local connection, so it accepts any
    password; what these tests check is where the password goes.
    """
    suffix = uuid.uuid4().hex[:12]
    role, database = f"picpocket_user_{suffix}", f"picpocket_owned_{suffix}"
    with admin_connection(postgres_server) as connection:
        try:
            connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(PASSWORD)
                )
            )
        except psycopg.errors.InsufficientPrivilege as error:
            pytest.skip(f"the test server does not let us create roles: {error}")
        connection.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(role)
            )
        )
    try:
        yield {
            "host": postgres_server.host,
            "port": postgres_server.port,
            "user": role,
            "password": PASSWORD,
            "dbname": database,
        }
    finally:
        with admin_connection(postgres_server) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database)
                )
            )
            connection.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


class Prompt:
    """A password prompt that records how often it was called."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.password


# Credentials in the configuration ------------------------------------------


async def test_store_true_writes_password(tmp_path, password_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(
        directory, "postgres", store_credentials=True, **password_database
    )
    await api.close()
    connection = read_configuration(directory)["connection"]
    assert connection["password"] == PASSWORD
    assert connection["store_credentials"] is True


async def test_store_false_omits_password(tmp_path, password_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(
        directory, "postgres", store_credentials=False, **password_database
    )
    await api.close()
    connection = read_configuration(directory)["connection"]
    assert "password" not in connection
    assert connection["store_credentials"] is False
    assert PASSWORD not in (directory / CONFIG_NAME).read_text()


async def test_store_none_omits_password(tmp_path, password_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, "postgres", **password_database)
    await api.close()
    connection = read_configuration(directory)["connection"]
    assert "password" not in connection
    assert connection["store_credentials"] is False
    assert PASSWORD not in (directory / CONFIG_NAME).read_text()


async def test_store_none_no_password(tmp_path, postgres_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, "postgres", **postgres_database)
    await api.close()
    connection = read_configuration(directory)["connection"]
    assert "password" not in connection
    assert connection["store_credentials"] is True


async def test_store_none_empty_password(tmp_path, postgres_database):
    directory = tmp_path / "library"
    settings = {**postgres_database, "password": ""}
    api = await picpocket.initialize(directory, "postgres", **settings)
    await api.close()
    connection = read_configuration(directory)["connection"]
    assert connection["password"] == ""
    assert connection["store_credentials"] is True


async def test_configuration_settings(tmp_path, password_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, "postgres", **password_database)
    await api.close()
    connection = read_configuration(directory)["connection"]
    assert connection["host"] == password_database["host"]
    assert connection["port"] == password_database["port"]
    assert connection["user"] == password_database["user"]
    assert connection["dbname"] == password_database["dbname"]


async def test_api_configuration_no_password(tmp_path, password_database):
    api = await picpocket.initialize(
        tmp_path / "library", "postgres", store_credentials=False, **password_database
    )
    await api.close()
    assert "password" not in api.configuration["connection"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
async def test_configuration_private(tmp_path, password_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(
        directory, "postgres", store_credentials=True, **password_database
    )
    await api.close()
    assert os.stat(directory / CONFIG_NAME).st_mode & 0o777 == 0o600


def fail_prompt() -> str:
    pytest.fail("load() asked for a password that libpq could find itself")


@pytest.fixture
def server_requires_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every connection without a password fail as libpq reports it.

    The throwaway server trusts local connections, so it never requests a
    password itself; connections with a password still reach it.
    """
    real_connect = psycopg.AsyncConnection.connect

    async def connect(*args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("password"):
            raise psycopg.OperationalError(
                "connection failed: fe_sendauth: no password supplied"
            )
        return await real_connect(*args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", connect)


async def test_load_prompts(tmp_path, password_database, server_requires_password):
    directory = tmp_path / "library"
    api = await picpocket.initialize(
        directory, "postgres", store_credentials=False, **password_database
    )
    await api.add_location("main", tmp_path, destination=True)
    await api.close()
    prompt = Prompt(PASSWORD)
    loaded = await picpocket.load(directory, prompt=prompt)
    try:
        locations = await loaded.list_locations()
    finally:
        await loaded.close()
    assert prompt.calls == 1
    assert [location.name for location in locations] == ["main"]


async def test_load_pgpassword_no_prompt(tmp_path, password_database, monkeypatch):
    directory = tmp_path / "library"
    api = await picpocket.initialize(
        directory, "postgres", store_credentials=False, **password_database
    )
    await api.add_location("main", tmp_path, destination=True)
    await api.close()
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    loaded = await picpocket.load(directory, prompt=fail_prompt)
    try:
        locations = await loaded.list_locations()
    finally:
        await loaded.close()
    assert [location.name for location in locations] == ["main"]


async def test_load_unreachable_no_prompt(tmp_path, password_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(
        directory, "postgres", store_credentials=False, **password_database
    )
    await api.close()
    settings = {**password_database, "port": free_port()}
    text = (directory / CONFIG_NAME).read_text()
    old_port = f"port = {password_database['port']}"
    (directory / CONFIG_NAME).write_text(
        text.replace(old_port, f"port = {settings['port']}")
    )
    with pytest.raises(PicPocketError) as caught:
        await picpocket.load(directory, prompt=fail_prompt)
    check_connection_error(caught.value, settings)


async def test_load_stored_no_prompt(tmp_path, password_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(
        directory, "postgres", store_credentials=True, **password_database
    )
    await api.close()
    prompt = Prompt("not used")
    loaded = await picpocket.load(directory, prompt=prompt)
    await loaded.close()
    assert prompt.calls == 0


async def test_missing_dbname(tmp_path, postgres_server):
    settings = postgres_server.connection_info("unused")
    del settings["dbname"]
    with pytest.raises(InputValidationError, match="dbname"):
        await picpocket.initialize(tmp_path / "library", "postgres", **settings)
    assert not (tmp_path / "library" / CONFIG_NAME).exists()


async def test_unknown_setting(tmp_path, postgres_database):
    with pytest.raises(InputValidationError, match="server"):
        await picpocket.initialize(
            tmp_path / "library", "postgres", server="db", **postgres_database
        )
    assert not (tmp_path / "library" / CONFIG_NAME).exists()


# Connection errors -----------------------------------------------------


def check_connection_error(error: BaseException, settings: dict[str, Any]) -> None:
    message = str(error)
    assert isinstance(error, PicPocketError)
    assert not isinstance(error, psycopg.Error)
    assert error.__cause__ is None
    assert settings["host"] in message
    assert str(settings["port"]) in message
    assert settings["dbname"] in message


async def test_wrong_database(tmp_path, postgres_server):
    settings = postgres_server.connection_info(f"absent_{uuid.uuid4().hex[:8]}")
    with pytest.raises(PicPocketError) as caught:
        await picpocket.initialize(tmp_path / "library", "postgres", **settings)
    check_connection_error(caught.value, settings)


async def test_unreachable_port(tmp_path, postgres_database):
    settings = {**postgres_database, "host": "127.0.0.1", "port": free_port()}
    with pytest.raises(PicPocketError) as caught:
        await picpocket.initialize(tmp_path / "library", "postgres", **settings)
    check_connection_error(caught.value, settings)


async def test_failed_initialize_leaves_nothing(tmp_path, postgres_database):
    directory = tmp_path / "library"
    wrong = {**postgres_database, "port": free_port()}
    with pytest.raises(PicPocketError):
        await picpocket.initialize(directory, "postgres", **wrong)
    assert not (directory / CONFIG_NAME).exists()


async def test_retry_after_failure(tmp_path, postgres_database):
    directory = tmp_path / "library"
    wrong = {**postgres_database, "port": free_port()}
    with pytest.raises(PicPocketError):
        await picpocket.initialize(directory, "postgres", **wrong)
    api = await picpocket.initialize(directory, "postgres", **postgres_database)
    await api.close()
    stored = read_configuration(directory)["connection"]
    assert stored["port"] == postgres_database["port"]


async def test_load_wrong_database(tmp_path, postgres_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, "postgres", **postgres_database)
    await api.close()
    settings = {**postgres_database, "dbname": f"absent_{uuid.uuid4().hex[:8]}"}
    text = (directory / CONFIG_NAME).read_text()
    (directory / CONFIG_NAME).write_text(
        text.replace(postgres_database["dbname"], settings["dbname"])
    )
    with pytest.raises(PicPocketError) as caught:
        await picpocket.load(directory)
    check_connection_error(caught.value, settings)


async def test_load_no_schema(tmp_path, postgres_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, "postgres", **postgres_database)
    await api.close()
    with psycopg.connect(**postgres_database, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    with pytest.raises(PicPocketError, match="no PicPocket library") as caught:
        await picpocket.load(directory)
    with psycopg.connect(**postgres_database, autocommit=True) as connection:
        row = connection.execute("SELECT to_regclass('version')").fetchone()
    assert postgres_database["dbname"] in str(caught.value)
    assert row == (None,)


async def test_load_port_not_number(tmp_path, postgres_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, "postgres", **postgres_database)
    await api.close()
    text = (directory / CONFIG_NAME).read_text()
    (directory / CONFIG_NAME).write_text(
        text.replace(f"port = {postgres_database['port']}", "port = [5432]")
    )
    with pytest.raises(InputValidationError, match="port") as caught:
        await picpocket.load(directory)
    assert CONFIG_NAME in str(caught.value)


# Dropped connections ---------------------------------------------------


def terminate_connections(server: PostgresServer, database: str) -> int:
    """Terminate every server process connected to `database`; return how many."""
    with admin_connection(server) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


async def test_dropped_connection_read(tmp_path, postgres_server, postgres_database):
    api = await picpocket.initialize(
        tmp_path / "library", "postgres", **postgres_database
    )
    try:
        await api.add_location("main", tmp_path, destination=True)
        assert terminate_connections(postgres_server, postgres_database["dbname"]) >= 1
        try:
            await api.list_locations()
        except PicPocketError:
            pass
        locations = await api.list_locations()
    finally:
        await api.close()
    assert [location.name for location in locations] == ["main"]


async def test_dropped_connection_write(tmp_path, postgres_server, postgres_database):
    api = await picpocket.initialize(
        tmp_path / "library", "postgres", **postgres_database
    )
    try:
        await api.add_location("main", tmp_path, destination=True)
        assert terminate_connections(postgres_server, postgres_database["dbname"]) >= 1
        try:
            await api.add_location("after", tmp_path, destination=True)
            expected = ["main", "after"]
        except PicPocketError:
            expected = ["main"]
        locations = await api.list_locations()
    finally:
        await api.close()
    assert [location.name for location in locations] == expected


async def test_dropped_every_connection(tmp_path, postgres_server, postgres_database):
    api = await picpocket.initialize(
        tmp_path / "library", "postgres", **postgres_database
    )
    try:
        await api.add_location("main", tmp_path, destination=True)
        await asyncio.gather(*(api.list_locations() for _ in range(8)))
        assert terminate_connections(postgres_server, postgres_database["dbname"]) >= 1
        results = await asyncio.gather(
            *(api.get_location("main") for _ in range(8)), return_exceptions=True
        )
        location = await api.get_location("main")
    finally:
        await api.close()
    for result in results:
        assert not isinstance(result, BaseException) or isinstance(
            result, PicPocketError
        )
    assert location.name == "main"


# Two computers on one library ------------------------------------------


@pytest.fixture
async def computers(tmp_path, postgres_database):
    """Return two API objects, each with its own configuration, on one database."""
    first = await picpocket.initialize(
        tmp_path / "first", "postgres", **postgres_database
    )
    second = await picpocket.initialize(
        tmp_path / "second", "postgres", **postgres_database
    )
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_second_computer_sees_data(computers, tmp_path):
    first, second = computers
    location_id = await first.add_location("card", source=True)
    location = await second.get_location("card")
    assert location.id == location_id


async def test_computers_own_mounts(computers, jpegs, tmp_path):
    first, second = computers
    other_card = tmp_path / "other-card"
    shutil.copytree(jpegs, other_card)
    await first.add_location("card", source=True, destination=True)
    await first.mount("card", jpegs)
    ids = await first.import_location("card")
    await second.mount("card", other_card)
    first_image = await first.get_image(ids[0])
    second_image = await second.get_image(ids[0])
    assert first_image.full_path == jpegs / first_image.path
    assert second_image.full_path == other_card / second_image.path


async def test_computer_without_mount(computers, jpegs):
    first, second = computers
    await first.add_location("card", source=True)
    await first.mount("card", jpegs)
    ids = await first.import_location("card")
    image = await second.get_image(ids[0])
    assert image.full_path is None
    assert await second.count_images(reachable=False) == 4
    assert await first.count_images(reachable=True) == 4


async def test_concurrent_tagging(computers, jpegs):
    first, second = computers
    await first.add_location("photos", jpegs, source=True, removable=False)
    ids = await first.import_location("photos")
    calls = []
    for image_id in ids:
        for number in range(12):
            calls.append(first.tag_image(image_id, f"first/{number}"))
            calls.append(second.tag_image(image_id, f"second/{number}"))
        calls.append(first.tag_image(image_id, "shared"))
        calls.append(second.tag_image(image_id, "shared"))
        calls.append(first.edit_image(image_id, title=f"title {image_id}"))
        calls.append(second.edit_image(image_id, caption=f"caption {image_id}"))
        calls.append(second.edit_image(image_id, rating=image_id))
    await asyncio.gather(*calls)
    expected_tags = sorted(
        [f"first/{number}" for number in range(12)]
        + [f"second/{number}" for number in range(12)]
        + ["shared"]
    )
    for image_id in ids:
        image = await second.get_image(image_id, tags=True)
        assert sorted(image.tags) == expected_tags
        assert image.title == f"title {image_id}"
        assert image.caption == f"caption {image_id}"
        assert image.rating == image_id


async def test_concurrent_untagging(computers, jpegs):
    first, second = computers
    await first.add_location("photos", jpegs, source=True, removable=False)
    ids = await first.import_location("photos")
    names = [f"bird/{number}" for number in range(10)]
    for name in names:
        await first.tag_images(ids, name)
    await asyncio.gather(
        *(first.untag_images(ids, name) for name in names[:5]),
        *(second.untag_images(ids, name) for name in names[5:8]),
        *(second.tag_images(ids, f"fish/{number}") for number in range(5)),
    )
    tag_set = await first.get_tag_set(*ids)
    expected = {name: 4 for name in names[8:]}
    expected.update({f"fish/{number}": 4 for number in range(5)})
    assert tag_set == expected


async def test_concurrent_same_name(computers, tmp_path):
    first, second = computers
    results = await asyncio.gather(
        *(
            api.add_location("shared", tmp_path, destination=True)
            for api in (first, second) * 4
        ),
        return_exceptions=True,
    )
    added = [result for result in results if isinstance(result, int)]
    rejected = [r for r in results if isinstance(r, InputValidationError)]
    assert len(added) == 1
    assert len(rejected) == 7
    assert [location.name for location in await second.list_locations()] == ["shared"]


async def test_concurrent_load_migrates(tmp_path, postgres_database):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, "postgres", **postgres_database)
    await api.close()
    old = PostgreSQL(directory, api.configuration)
    async with old.transaction() as cursor:
        # Take the library back to schema version 1.
        await cursor.execute("DROP TABLE sessions")
        for migration in schema.MIGRATIONS[1:]:
            for statement in migration:
                if statement.startswith("CREATE INDEX"):
                    name = statement.split()[2]
                    await cursor.execute(f"DROP INDEX IF EXISTS {name}")
        await cursor.execute("UPDATE version SET version = 1")
    assert await old.get_version() == 1
    await old.close()
    loaded = await asyncio.gather(*(picpocket.load(directory) for _ in range(3)))
    versions = [await library.get_version() for library in loaded]
    for library in loaded:
        await library.close()
    assert versions == [schema.SCHEMA_VERSION] * 3


async def test_concurrent_task_runs(computers, jpegs, tmp_path):
    first, second = computers
    archive = tmp_path / "archive"
    archive.mkdir()
    await first.add_location("card", jpegs, source=True, removable=False)
    await first.add_location("archive", archive, destination=True, removable=False)
    await first.add_task("offload", "card", "archive")

    results = await asyncio.gather(
        first.run_task("offload"), second.run_task("offload"), return_exceptions=True
    )

    failures = [result for result in results if isinstance(result, BaseException)]
    assert failures == []
    names = sorted(path.name for path in jpegs.iterdir())
    assert sorted(path.name for path in archive.iterdir()) == names
    location = await second.get_location("archive")
    recorded = await second.search_images(order=("path",))
    in_archive = [image for image in recorded if image.location == location.id]
    assert sorted(image.path.name for image in in_archive) == names
    assert set(results[0]) | set(results[1]) == {image.id for image in in_archive}


@contextmanager
def login_role(settings: dict[str, Any], prefix: str) -> Iterator[dict[str, Any]]:
    """Create a login role with every right on schema public, yield its
    connection settings, and drop it afterwards."""
    role = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**settings, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'secret'")
        connection.execute(f"GRANT ALL ON SCHEMA public TO {role}")
    try:
        yield {**settings, "user": role, "password": "secret"}
    finally:
        with psycopg.connect(**settings, autocommit=True) as connection:
            connection.execute(f"DROP OWNED BY {role}")
            connection.execute(f"DROP ROLE {role}")


@pytest.fixture
def role_without_temporary(postgres_database):
    """Return connection settings for a role that may not create temporary tables."""
    settings = dict(postgres_database)
    database = settings["dbname"]
    with psycopg.connect(**settings, autocommit=True) as connection:
        connection.execute(f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC')
    try:
        with login_role(settings, "picpocket_no_temp") as role:
            yield role
    finally:
        with psycopg.connect(**settings, autocommit=True) as connection:
            connection.execute(f'GRANT TEMPORARY ON DATABASE "{database}" TO PUBLIC')


async def test_import_without_temporary_tables(tmp_path, jpegs, role_without_temporary):
    library = await picpocket.initialize(
        tmp_path / "library", "postgres", store_credentials=True,
        **role_without_temporary,
    )
    try:
        await library.add_location("card", jpegs, source=True, removable=False)
        ids = await library.import_location("card", tags=["card"])

        assert len(ids) == len(list(jpegs.iterdir()))
        assert await library.count_images(all_tags=["card"]) == len(ids)
    finally:
        await library.close()


@pytest.fixture
def role_without_sequences(postgres_database):
    """Return connection settings for a role with rights on every table of a
    library but none on its sequences, as GRANT ... ON ALL TABLES gives."""
    with login_role(dict(postgres_database), "picpocket_member") as role:
        yield role


async def test_import_without_sequence_rights(
    tmp_path, jpegs, postgres_database, role_without_sequences, caplog
):
    owner = await picpocket.initialize(tmp_path / "owner", "postgres", **postgres_database)
    await owner.close()
    role = role_without_sequences["user"]
    with psycopg.connect(**postgres_database, autocommit=True) as connection:
        connection.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
            f"TO {role}"
        )
    caplog.set_level(logging.INFO, logger="picpocket")
    library = await picpocket.initialize(
        tmp_path / "member", "postgres", store_credentials=True,
        **role_without_sequences,
    )
    try:
        await library.add_location("card", jpegs, source=True, removable=False)
        ids = await library.import_location("card")
        recorded = await library.get_image_ids()
    finally:
        await library.close()

    assert len(ids) == len(list(jpegs.iterdir()))
    assert sorted(ids) == recorded
    assert [r for r in caplog.records if "may not draw image ids" in r.getMessage()]
