"""Tests for the throwaway PostgreSQL server and database helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.postgres_server import (
    ENVIRONMENT_VARIABLE,
    PostgresServer,
    RunningServer,
    ServerStartError,
    create_database,
    drop_database,
    fail_or_skip,
    server_from_environment,
    start_server,
)


def _start_or_skip() -> RunningServer:
    try:
        return start_server()
    except ServerStartError as error:
        reason = f"starting a throwaway PostgreSQL server failed: {error}"
    # Skipping or failing outside the except block keeps the report short.
    if os.environ.get(ENVIRONMENT_VARIABLE):
        # The suite runs against that server, so no local server is needed.
        pytest.skip(reason)
    fail_or_skip(reason)


@pytest.fixture(scope="module")
def running_server() -> Iterator[RunningServer]:
    with _start_or_skip() as running:
        yield running


@pytest.fixture
def database_name(running_server: RunningServer) -> Iterator[str]:
    name = f"picpocket_test_{os.urandom(6).hex()}"
    create_database(running_server.server, name)
    yield name
    drop_database(running_server.server, name)


def _show(server: PostgresServer, setting: str) -> str:
    with psycopg.connect(**server.connection_info("postgres")) as connection:
        row = connection.execute(f"SHOW {setting}").fetchone()
    assert row is not None
    return str(row[0])


def _database_exists(server: PostgresServer, name: str) -> bool:
    with psycopg.connect(**server.connection_info("postgres")) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
    assert row is not None
    return bool(row[0])


def _process_exists(pid: int) -> bool:
    # A defunct (unreaped) process also counts, because it is a leftover too.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _processes() -> list[tuple[int, int, int]]:
    """Return (process id, parent process id, session id) of every process."""
    processes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue  # The process exited during the scan.
        # The command name in brackets may contain spaces, so split after it.
        fields = stat.rsplit(")", 1)[1].split()
        processes.append((int(entry.name), int(fields[1]), int(fields[3])))
    return processes


def _child_processes() -> set[int]:
    return {pid for pid, parent, _ in _processes() if parent == os.getpid()}


def _session_members(session_id: int) -> set[int]:
    return {pid for pid, _, session in _processes() if session == session_id}


def test_server_accepts_superuser(running_server: RunningServer) -> None:
    server = running_server.server
    with psycopg.connect(**server.connection_info("postgres")) as connection:
        row = connection.execute("SELECT current_user").fetchone()
    assert row == ("postgres",)


def test_server_info_uses_loopback(running_server: RunningServer) -> None:
    assert running_server.server.host == "127.0.0.1"


def test_server_listens_on_loopback_only(running_server: RunningServer) -> None:
    assert _show(running_server.server, "listen_addresses") == "127.0.0.1"


def test_server_port_matches_info(running_server: RunningServer) -> None:
    assert _show(running_server.server, "port") == str(running_server.server.port)


def test_server_socket_in_folder(running_server: RunningServer) -> None:
    directory = _show(running_server.server, "unix_socket_directories")
    assert directory == str(running_server.folder)


def test_server_data_in_folder(running_server: RunningServer) -> None:
    directory = _show(running_server.server, "data_directory")
    assert directory == str(running_server.data_directory)


@pytest.mark.parametrize("setting", ["fsync", "synchronous_commit", "full_page_writes"])
def test_server_speed_setting_off(running_server: RunningServer, setting: str) -> None:
    assert _show(running_server.server, setting) == "off"


def test_database_table_round_trip(
    running_server: RunningServer, database_name: str
) -> None:
    info = running_server.server.connection_info(database_name)
    with psycopg.connect(**info) as connection:
        connection.execute("CREATE TABLE photos (id serial PRIMARY KEY, name text)")
        connection.execute(
            "INSERT INTO photos (name) VALUES (%s), (%s)", ("a.jpg", "ÿ.heic")
        )
        connection.commit()
    with psycopg.connect(**info) as connection:
        rows = connection.execute("SELECT id, name FROM photos ORDER BY id").fetchall()
    assert rows == [(1, "a.jpg"), (2, "ÿ.heic")]


def test_create_database_exists(
    running_server: RunningServer, database_name: str
) -> None:
    assert _database_exists(running_server.server, database_name)


def test_create_database_quotes_name(running_server: RunningServer) -> None:
    server = running_server.server
    name = 'picpocket "quoted" Name'
    create_database(server, name)
    try:
        assert _database_exists(server, name)
    finally:
        drop_database(server, name)


def test_drop_database_removes_it(running_server: RunningServer) -> None:
    server = running_server.server
    create_database(server, "picpocket_test_dropped")
    drop_database(server, "picpocket_test_dropped")
    assert not _database_exists(server, "picpocket_test_dropped")


def test_drop_database_closes_connections(running_server: RunningServer) -> None:
    server = running_server.server
    create_database(server, "picpocket_test_in_use")
    with psycopg.connect(**server.connection_info("picpocket_test_in_use")) as open_:
        drop_database(server, "picpocket_test_in_use")
        with pytest.raises(psycopg.OperationalError):
            open_.execute("SELECT 1")
    assert not _database_exists(server, "picpocket_test_in_use")


def test_drop_database_missing_name(running_server: RunningServer) -> None:
    drop_database(running_server.server, "picpocket_test_never_created")
    assert not _database_exists(running_server.server, "picpocket_test_never_created")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_stop_ends_server_and_deletes_folder() -> None:
    children_before = _child_processes()
    running = _start_or_skip()
    pid_file = running.data_directory / "postmaster.pid"
    postmaster_pid = int(pid_file.read_text().splitlines()[0])
    session_id = os.getsid(postmaster_pid)

    running.stop()

    assert not _process_exists(postmaster_pid)
    # The server processes (postmaster and its children) share one session.
    assert _session_members(session_id) == set()
    # The launcher (runuser when root, else postgres) must be reaped.
    assert _child_processes() == children_before
    assert not running.folder.exists()
    running.stop()  # A second call must not raise.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "postgresql://alice:secret@127.0.0.1:5433/photos",
            PostgresServer("127.0.0.1", 5433, "alice", "secret"),
        ),
        (
            "host=localhost user=bob dbname=postgres",
            PostgresServer("localhost", 5432, "bob", None),
        ),
        (
            "postgresql://carol@%2Fvar%2Frun%2Fpostgresql/postgres",
            PostgresServer("/var/run/postgresql", 5432, "carol", None),
        ),
    ],
)
def test_environment_parses_value(value: str, expected: PostgresServer) -> None:
    environ = {ENVIRONMENT_VARIABLE: value}
    assert server_from_environment(environ) == expected


@pytest.mark.parametrize("environ", [{}, {ENVIRONMENT_VARIABLE: "  "}])
def test_environment_unset_returns_none(environ: dict[str, str]) -> None:
    assert server_from_environment(environ) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("postgresql://a:secret@127.0.0.1/x?sslmode=require", "sslmode"),
        ("postgresql://alice@/postgres", "missing the host"),
        ("host=127.0.0.1 dbname=postgres", "missing the user"),
        ("postgresql://alice@127.0.0.1:0/postgres", "invalid port"),
        ("host=127.0.0.1 user=alice port=5432,5433", "invalid port"),
        ("host=127.0.0.1 user=alice password='secret", "not a valid"),
        ("host=127.0.0.1 user=alice secret", "not a valid"),
    ],
)
def test_environment_invalid_raises(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        server_from_environment({ENVIRONMENT_VARIABLE: value})
    assert "secret" not in str(caught.value)


def test_environment_error_hides_cause() -> None:
    # libpq's own message would repeat "secret" here.
    with pytest.raises(ValueError) as caught:
        server_from_environment({ENVIRONMENT_VARIABLE: "host=h user=u secret"})
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_connection_info_without_password() -> None:
    info = PostgresServer("127.0.0.1", 5432, "postgres", None).connection_info("db")
    assert info == {
        "host": "127.0.0.1",
        "port": 5432,
        "user": "postgres",
        "dbname": "db",
    }


def test_connection_info_with_password() -> None:
    info = PostgresServer("127.0.0.1", 5432, "alice", "pw").connection_info("db")
    assert info["password"] == "pw"


@pytest.mark.parametrize("ci", ["true", "1", "yes", "TRUE"])
def test_fail_or_skip_in_ci_fails(ci: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="no server"):
        fail_or_skip("no server", {"CI": ci})


@pytest.mark.parametrize("environ", [{}, {"CI": ""}, {"CI": "false"}, {"CI": "0"}])
def test_fail_or_skip_outside_ci_skips(environ: dict[str, str]) -> None:
    with pytest.raises(pytest.skip.Exception, match="no server"):
        fail_or_skip("no server", environ)
