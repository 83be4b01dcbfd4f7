"""PostgreSQL servers and throwaway databases for the test suite.

Tests use the server named by the PICPOCKET_TEST_POSTGRES environment variable
when it is set. Otherwise `start_server` runs a throwaway server from the local
PostgreSQL installation: it listens on 127.0.0.1 only, trusts every local
connection, and keeps its data, Unix socket and log in one temporary folder that
`RunningServer.stop` deletes.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

try:
    import pwd
except ImportError:  # Windows has no pwd module and no runuser.
    pwd = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

ENVIRONMENT_VARIABLE = "PICPOCKET_TEST_POSTGRES"
# Database that administrative connections (CREATE and DROP DATABASE) use.
MAINTENANCE_DATABASE = "postgres"
# System account that runs initdb and the server when the tests run as root,
# because PostgreSQL exits at startup when run as root.
SERVER_ACCOUNT = "postgres"
# Superuser that initdb creates in a throwaway server.
SUPERUSER = "postgres"
LISTEN_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 5432
START_TIMEOUT = 30.0  # seconds until a started server must accept connections
STOP_TIMEOUT = 30.0  # seconds that pg_ctl stop waits for the server to exit
INITDB_TIMEOUT = 120.0  # seconds
CONNECT_TIMEOUT = 10  # seconds, for connections to create and drop databases
LOG_TAIL_LINES = 60

_CONNECTION_KEYWORDS = frozenset({"host", "port", "user", "password", "dbname"})
# Trade durability for speed: a crash loses the throwaway data, which is fine.
_SPEED_SETTINGS = dict(fsync="off", synchronous_commit="off", full_page_writes="off")


class ServerStartError(RuntimeError):
    """A throwaway PostgreSQL server could not be found, set up or started."""


@dataclass(frozen=True)
class PostgresServer:
    """Address and credentials of a PostgreSQL server that tests may use."""

    host: str
    port: int
    user: str
    password: str | None

    def connection_info(self, dbname: str) -> dict[str, Any]:
        """Return psycopg connection keywords for database `dbname`."""
        info: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "dbname": dbname,
        }
        if self.password is not None:
            info["password"] = self.password
        return info


def server_from_environment(
    environ: Mapping[str, str] | None = None,
) -> PostgresServer | None:
    """Parse PICPOCKET_TEST_POSTGRES into a server, or return None when it is unset.

    The value is a libpq connection string or URI, for example
    "postgresql://user:secret@127.0.0.1:5432/postgres". It must name a host and a
    user. The port defaults to 5432. A database name in the value is ignored,
    because tests create their own databases through the "postgres" database.

    Raises:
        ValueError: the value is not a valid connection string, lacks a host or
            user, has an invalid port, or uses keywords other than host, port,
            user, password and dbname.
    """
    if environ is None:
        environ = os.environ
    text = environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return None

    try:
        params = conninfo_to_dict(text)
    except psycopg.ProgrammingError:
        # libpq's message and traceback can repeat parts of the value, such as the
        # password, so neither is passed on.
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE} is not a valid libpq connection string or URI"
        ) from None

    unsupported = sorted(set(params) - _CONNECTION_KEYWORDS)
    if unsupported:
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE} contains unsupported keywords "
            f"({', '.join(unsupported)}). Use only host, port, user, password "
            "and dbname."
        )
    for keyword in ("host", "user"):
        if not params.get(keyword):
            raise ValueError(
                f"{ENVIRONMENT_VARIABLE} is missing the {keyword}. Write it as, "
                "for example, postgresql://postgres@127.0.0.1:5432/postgres"
            )

    return PostgresServer(
        host=str(params["host"]),
        port=_parse_port(params.get("port")),
        user=str(params["user"]),
        password=params.get("password"),
    )


def _parse_port(value: Any) -> int:
    if value is None or value == "":
        return DEFAULT_PORT
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE} has an invalid port {value!r}. "
            "Expected one number from 1 to 65535."
        )
    return port


def fail_or_skip(reason: str, environ: Mapping[str, str] | None = None) -> NoReturn:
    """Fail the current test when running in CI, otherwise skip it.

    CI counts as set when the CI environment variable is non-empty and is
    neither "false" nor "0" (compared without case).
    """
    if environ is None:
        environ = os.environ
    ci = environ.get("CI", "").strip().lower()
    if ci not in ("", "false", "0"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def create_database(server: PostgresServer, name: str) -> None:
    """Create the empty database `name` on `server`."""
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    with _maintenance_connection(server) as connection:
        connection.execute(statement)
    logger.debug("Created database %s on %s:%s", name, server.host, server.port)


def drop_database(server: PostgresServer, name: str) -> None:
    """Drop the database `name` and close its connections, if the database exists."""
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(name)
    )
    with _maintenance_connection(server) as connection:
        connection.execute(statement)
    logger.debug("Dropped database %s on %s:%s", name, server.host, server.port)


def _maintenance_connection(server: PostgresServer) -> psycopg.Connection[Any]:
    # CREATE and DROP DATABASE cannot run inside a transaction block.
    return psycopg.connect(
        **server.connection_info(MAINTENANCE_DATABASE),
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT,
    )


def start_server() -> RunningServer:
    """Start a throwaway PostgreSQL server on 127.0.0.1 and a free port.

    Use the result as a context manager, or call its `stop` method, so that the
    server stops and its folder is deleted.

    Raises:
        ServerStartError: the server programs or the postgres system account are
            missing, or initdb or the server failed. The message contains the
            initdb output or the end of the server log.
    """
    bindir = _find_bindir()
    account = _server_account()
    try:
        running = RunningServer(bindir, account)
    except OSError as error:
        message = f"creating a folder for PostgreSQL failed: {error}"
        raise ServerStartError(message) from error

    try:
        running.start()
    except (OSError, subprocess.SubprocessError) as error:
        running.stop()
        raise ServerStartError(f"starting PostgreSQL failed: {error}") from error
    except BaseException:
        running.stop()
        raise
    return running


class RunningServer:
    """Throwaway PostgreSQL server with data, socket and log in a temporary folder."""

    def __init__(self, bindir: Path, account: pwd.struct_passwd | None) -> None:
        """Create the folder and pick a port. `start` runs initdb and the server."""
        self._bindir = bindir
        # The account that runs the server when the tests run as root, else None.
        self._account = account
        self._process: subprocess.Popen[bytes] | None = None
        self.server = PostgresServer(
            host=LISTEN_ADDRESS, port=_find_free_port(), user=SUPERUSER, password=None
        )
        self.folder = _make_folder(account)
        # Stops the server at interpreter exit if nobody called stop() before.
        atexit.register(self.stop)

    @property
    def data_directory(self) -> Path:
        """Cluster data folder that initdb creates."""
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        """File that receives the server's standard output and error."""
        return self.folder / "server.log"

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Run initdb, start the server and wait until it accepts connections."""
        self._run_initdb()
        self._launch()
        self._wait_until_ready()
        logger.info(
            "Started PostgreSQL on %s:%s in %s",
            self.server.host,
            self.server.port,
            self.folder,
        )

    def stop(self) -> None:
        """Stop the server and delete its folder, unless already stopped."""
        atexit.unregister(self.stop)
        if self._process is not None:
            self._stop_process(self._process)
            self._process = None
            logger.info("Stopped PostgreSQL on port %s", self.server.port)
        if self.folder.exists():
            shutil.rmtree(self.folder)

    def _run_initdb(self) -> None:
        command = [
            str(self._bindir / "initdb"),
            f"--pgdata={self.data_directory}",
            "--auth=trust",
            f"--username={SUPERUSER}",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]
        result = self._run(command, timeout=INITDB_TIMEOUT)
        if result.returncode != 0:
            raise ServerStartError(
                f"initdb failed with exit status {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )

    def _launch(self) -> None:
        command = [str(self._bindir / "postgres"), "-D", str(self.data_directory)]
        settings = {
            "listen_addresses": LISTEN_ADDRESS,
            "port": str(self.server.port),
            "unix_socket_directories": str(self.folder),
            **_SPEED_SETTINGS,
        }
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]

        # The launched process (postgres, or runuser when running as root) stays a
        # child of this process, so stop() reaps it and no defunct process remains.
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._as_server_account(command),
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_server_environment(),
                start_new_session=True,
            )

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while not self._accepts_connections():
            status = self._process.poll()
            if status is not None:
                raise ServerStartError(
                    f"PostgreSQL exited with status {status} during startup. "
                    f"Server log {self.log_path}:\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"PostgreSQL did not accept connections on "
                    f"{self.server.host}:{self.server.port} within "
                    f"{START_TIMEOUT:.0f} s. Server log "
                    f"{self.log_path}:\n{self._log_tail()}"
                )
            time.sleep(0.05)

    def _accepts_connections(self) -> bool:
        """Return whether this server, not another one on its port, is ready."""
        info = self.server.connection_info(MAINTENANCE_DATABASE)
        try:
            with psycopg.connect(**info, connect_timeout=2) as connection:
                row = connection.execute("SHOW data_directory").fetchone()
        except psycopg.Error as error:
            logger.debug("PostgreSQL on port %s not ready: %s", self.server.port, error)
            return False
        # A server that another process started on the same port has other data.
        return row is not None and Path(row[0]) == self.data_directory

    def _stop_process(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None and not self._pg_ctl_stop("fast"):
            self._pg_ctl_stop("immediate")
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.error("PostgreSQL in %s did not stop, so killing it", self.folder)
            if self._account is not None:
                # The launched process is runuser, whose death would leave the
                # postmaster running.
                self._kill_postmaster()
            process.kill()
            process.wait()

    def _kill_postmaster(self) -> None:
        try:
            pid_line = (self.data_directory / "postmaster.pid").read_text().split()
            os.kill(int(pid_line[0]), signal.SIGKILL)
        except (OSError, ValueError, IndexError) as error:
            logger.error("Killing the PostgreSQL postmaster failed: %s", error)

    def _pg_ctl_stop(self, mode: str) -> bool:
        command = [
            str(self._bindir / "pg_ctl"),
            "stop",
            f"--pgdata={self.data_directory}",
            f"--mode={mode}",
            "--wait",
            f"--timeout={STOP_TIMEOUT:.0f}",
        ]
        try:
            result = self._run(command, timeout=STOP_TIMEOUT + 10)
        except subprocess.TimeoutExpired:
            logger.error("pg_ctl stop --mode=%s timed out", mode)
            return False
        if result.returncode != 0:
            logger.error(
                "pg_ctl stop --mode=%s failed with exit status %s: %s",
                mode,
                result.returncode,
                (result.stdout + result.stderr).strip(),
            )
            return False
        return True

    def _run(
        self, command: list[str], *, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        command = self._as_server_account(command)
        logger.debug("Running %s", " ".join(command))
        return subprocess.run(
            command,
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=_server_environment(),
            timeout=timeout,
            check=False,
        )

    def _as_server_account(self, command: list[str]) -> list[str]:
        if self._account is None:
            return command
        return ["runuser", "-u", self._account.pw_name, "--", *command]

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError as error:
            return f"(reading the log failed: {error})"
        return "\n".join(lines[-LOG_TAIL_LINES:])


def _find_bindir() -> Path:
    """Return the folder with initdb, pg_ctl and postgres."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        result = subprocess.run(
            [pg_config, "--bindir"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    initdb = shutil.which("initdb")
    if initdb is not None:
        candidates.append(Path(initdb).resolve().parent)

    programs = ("initdb", "pg_ctl", "postgres")
    for candidate in candidates:
        if all((candidate / program).is_file() for program in programs):
            return candidate
    raise ServerStartError(
        "PostgreSQL server programs (initdb, pg_ctl, postgres) not found through "
        "pg_config --bindir or PATH. Install the PostgreSQL server or set "
        f"{ENVIRONMENT_VARIABLE} to an existing server"
    )


def _server_account() -> pwd.struct_passwd | None:
    """Return the postgres account when running as root, otherwise None."""
    if pwd is None or os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        raise ServerStartError(
            "PostgreSQL cannot run as root, and the system account "
            f"{SERVER_ACCOUNT!r} to run it as does not exist. Create it or set "
            f"{ENVIRONMENT_VARIABLE} to an existing server"
        ) from None
    if shutil.which("runuser") is None:
        raise ServerStartError(
            "runuser not found, but it is needed to run PostgreSQL as "
            f"{SERVER_ACCOUNT!r} when the tests run as root"
        )
    return account


def _make_folder(account: pwd.struct_passwd | None) -> Path:
    """Create the server folder, owned by `account` when given."""
    folder = Path(tempfile.mkdtemp(prefix="picpocket-pg-"))
    try:
        # The server account must be able to reach the folder and write in it.
        folder.chmod(0o755)
        if account is not None:
            os.chown(folder, account.pw_uid, account.pw_gid)
    except OSError:
        shutil.rmtree(folder)
        raise
    return folder


def _find_free_port() -> int:
    # NOTE: another process may take the port before the server binds it. The
    # start then fails with "could not bind" in the server log, without a retry.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LISTEN_ADDRESS, 0))
        return int(probe.getsockname()[1])


def _server_environment() -> dict[str, str]:
    """Return this process's environment without libpq's PG* variables.

    A developer's PGDATA, PGPORT or similar must not redirect the throwaway server.
    """
    return {
        name: value for name, value in os.environ.items() if not name.startswith("PG")
    }
