"""Tests of `picpocket initialize` on SQLite and PostgreSQL, and of password input."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path
from typing import Any

import pytest

from picpocket.cli import initialize, session
from picpocket.cli.errors import CommandError
from picpocket.cli.parser import build_parser
from tests.picpocket.cli.conftest import Runner, postgres_options


class TerminalInput(io.StringIO):
    """Standard input that reports being a terminal."""

    def isatty(self) -> bool:
        return True


def read_connection(library_dir: Path) -> dict[str, Any]:
    with open(library_dir / "picpocket-config.toml", "rb") as file:
        return tomllib.load(file)["connection"]


@pytest.fixture
def password_prompts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answer getpass with 'secret' on a fake terminal and record each prompt."""
    prompts: list[str] = []

    def answer(prompt: str = "Password: ") -> str:
        prompts.append(prompt)
        return "secret"

    monkeypatch.setattr("getpass.getpass", answer)
    monkeypatch.setattr("sys.stdin", TerminalInput())
    monkeypatch.delenv("PGPASSWORD", raising=False)
    return prompts


def test_initialize_default_sqlite(cli: Runner, library_dir: Path) -> None:
    result = cli("initialize")
    assert result.code == 0
    assert (library_dir / "picpocket-config.toml").is_file()
    assert result.out == f"Created a sqlite library in {library_dir}\n"


def test_initialize_sqlite_named(cli: Runner, library_dir: Path) -> None:
    result = cli("initialize", "sqlite")
    assert result.code == 0
    assert (library_dir / "picpocket.sqlite3").is_file()


def test_initialize_existing(cli: Runner) -> None:
    cli("initialize")
    result = cli("initialize")
    assert result.code == 1
    assert "already contains a PicPocket library" in result.err


def test_initialize_sqlite_server_option(cli: Runner, library_dir: Path) -> None:
    result = cli("initialize", "sqlite", "--host", "localhost")
    assert result.code == 2
    assert "unrecognized arguments: --host localhost" in result.err
    assert not library_dir.exists()


def test_initialize_postgres_needs_dbname(cli: Runner) -> None:
    result = cli("initialize", "postgres", "--host", "127.0.0.1")
    assert result.code == 2
    assert "the following arguments are required: --dbname" in result.err


def test_initialize_postgres_bad_port(cli: Runner) -> None:
    result = cli("initialize", "postgres", "--port", "70000", "--dbname", "x")
    assert result.code == 2
    assert "invalid port '70000'" in result.err


def test_initialize_server_unreachable(
    cli: Runner, library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "unused")
    result = cli(
        "initialize", "postgres", "--host", "127.0.0.1", "--port", "1",
        "--dbname", "missing",
    )
    assert result.code == 1
    assert result.err.startswith("picpocket: error: Could not connect")
    assert result.err.count("\n") == 1
    assert not (library_dir / "picpocket-config.toml").exists()


@pytest.mark.postgres
def test_postgres_prompted_password(
    cli: Runner,
    library_dir: Path,
    postgres_database: dict[str, Any],
    password_prompts: list[str],
) -> None:
    created = cli("initialize", *postgres_options(postgres_database))
    assert created.code == 0, created.err
    assert len(password_prompts) == 1
    assert "(leave empty for none)" in password_prompts[0]
    assert "password" not in read_connection(library_dir)
    listed = cli("locations", "list", "--json")
    assert listed.code == 0, listed.err
    assert listed.out == "[]\n"


@pytest.mark.postgres
def test_postgres_stored_password(
    cli: Runner,
    library_dir: Path,
    postgres_database: dict[str, Any],
    password_prompts: list[str],
) -> None:
    options = postgres_options(postgres_database)
    created = cli("initialize", *options, "--store-password")
    assert created.code == 0, created.err
    assert read_connection(library_dir)["password"] == "secret"
    assert read_connection(library_dir)["store_credentials"] is True
    assert cli("locations", "list").code == 0
    assert len(password_prompts) == 1


@pytest.mark.postgres
def test_postgres_password_variable(
    cli: Runner,
    library_dir: Path,
    postgres_database: dict[str, Any],
    password_prompts: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PGPASSWORD", postgres_database.get("password") or "env")
    options = postgres_options(postgres_database)
    created = cli("initialize", *options, "--store-password")
    assert created.code == 0, created.err
    assert password_prompts == []
    expected = postgres_database.get("password") or "env"
    assert read_connection(library_dir)["password"] == expected


def test_password_from_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "from-env")
    assert session.database_password() == "from-env"


def test_password_without_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())
    with pytest.raises(CommandError, match="set PGPASSWORD"):
        session.database_password()


def test_password_on_terminal(password_prompts: list[str]) -> None:
    assert session.database_password() == "secret"
    assert password_prompts == ["Database password: "]


def test_other_backend_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        initialize,
        "available_backends",
        lambda: {"sqlite": None, "postgres": None, "memory": None},
    )
    args = build_parser().parse_args(
        ["initialize", "memory", "--setting", "size=10", "--setting", "name=a=b"]
    )
    assert args.backend == "memory"
    assert initialize.connection_info(args) == {"size": "10", "name": "a=b"}
