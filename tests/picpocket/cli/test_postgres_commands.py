"""Tests of `picpocket init` and library opening on a PostgreSQL server."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.picpocket.cli.conftest import Runner

pytestmark = pytest.mark.postgres


def server_options(info: dict[str, Any]) -> list[str]:
    """Return the init options for a server's connection settings (no password)."""
    options = ["--backend", "postgres"]
    for key in ("host", "port", "user", "dbname"):
        if info.get(key) is not None:
            options += [f"--{key}", str(info[key])]
    return options


@pytest.fixture
def password_prompts(
    monkeypatch: pytest.MonkeyPatch, postgres_database: dict[str, Any]
) -> list[str]:
    """Answer getpass with the server's password and record each prompt."""
    prompts: list[str] = []

    def answer(prompt: str = "Password: ") -> str:
        prompts.append(prompt)
        return postgres_database.get("password") or "unused-by-trust-auth"

    monkeypatch.setattr("getpass.getpass", answer)
    return prompts


def read_connection(library_dir: Path) -> dict[str, Any]:
    with open(library_dir / "picpocket-config.toml", "rb") as file:
        return tomllib.load(file)["connection"]


def test_postgres_prompted_password(
    cli: Runner,
    library_dir: Path,
    postgres_database: dict[str, Any],
    password_prompts: list[str],
) -> None:
    created = cli("init", *server_options(postgres_database), "--password-prompt")
    assert created.code == 0, created.err
    assert "password" not in read_connection(library_dir)
    assert len(password_prompts) == 1
    listed = cli("location", "list", "--json")
    assert listed.code == 0, listed.err
    assert listed.out == "[]\n"
    # Opening tries the login without a password first, and the test
    # server trusts local logins, so no second prompt is needed.
    assert len(password_prompts) == 1


def test_postgres_stored_password(
    cli: Runner,
    library_dir: Path,
    postgres_database: dict[str, Any],
    password_prompts: list[str],
) -> None:
    created = cli(
        "init",
        *server_options(postgres_database),
        "--password-prompt",
        "--store-password",
    )
    assert created.code == 0, created.err
    assert read_connection(library_dir)["store_credentials"] is True
    assert "password" in read_connection(library_dir)
    assert cli("location", "list").code == 0
    assert len(password_prompts) == 1

