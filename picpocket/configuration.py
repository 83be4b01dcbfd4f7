"""The library directory and its picpocket-config.toml."""

from __future__ import annotations

import logging
import os
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from picpocket.errors import InputValidationError, InvalidPathError

logger = logging.getLogger(__name__)

CONFIG_NAME = "picpocket-config.toml"


def default_directory() -> Path:
    """Return the per-user library directory used when none is given."""
    return platformdirs.user_config_path("picpocket", appauthor=False)


def package_version() -> str:
    try:
        return metadata.version("picpocket")
    except metadata.PackageNotFoundError:
        return "unknown"


def read_configuration(directory: Path) -> dict[str, Any]:
    """Read a library's configuration.

    Raises:
        InvalidPathError: the directory contains no library.
        InputValidationError: the file is not valid UTF-8 TOML, or lacks a
            backend type.
    """
    path = Path(directory) / CONFIG_NAME
    try:
        with open(path, "rb") as file:
            configuration = tomllib.load(file)
    except FileNotFoundError:
        raise InvalidPathError(
            f"No PicPocket library at {directory}: {CONFIG_NAME} is missing; "
            f"create one with initialize()"
        ) from None
    except UnicodeDecodeError as error:
        raise InputValidationError(
            f"{path} is not valid UTF-8 text: {error}; restore it from a backup"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise InputValidationError(f"{path} is not valid TOML: {error}") from None
    backend = configuration.get("backend")
    if not isinstance(backend, dict) or not isinstance(backend.get("type"), str):
        raise InputValidationError(
            f"{path} names no backend; it needs a [backend] table with a type"
        )
    return configuration


def connection_table(directory: Path, configuration: dict[str, Any]) -> dict[str, Any]:
    """Return a configuration's [connection] table.

    Raises:
        InputValidationError: the configuration has no [connection] table.
    """
    connection = configuration.get("connection")
    if not isinstance(connection, dict):
        raise InputValidationError(
            f"{Path(directory) / CONFIG_NAME} has no [connection] table with the "
            f"database settings; restore it from a backup"
        )
    return connection


def write_configuration(directory: Path, configuration: dict[str, Any]) -> None:
    """Write a new library's configuration; an existing one is never replaced."""
    directory = Path(directory)
    try:
        text = tomli_w.dumps(configuration)
    except TypeError as error:
        raise InputValidationError(
            f"The library settings cannot be stored in {CONFIG_NAME}: {error}"
        ) from None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidPathError(
            f"Cannot create the library folder {directory}: {error.strerror}. "
            f"Choose a folder that does not exist yet or an empty one"
        ) from None
    path = directory / CONFIG_NAME
    try:
        # Created readable by the owner only from the start, because the
        # file may store a database password.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidPathError(
            f"{directory} already contains a PicPocket library; open it "
            f"instead of creating a new one"
        ) from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    logger.info("Wrote library configuration %s", path)


def remove_configuration(directory: Path) -> None:
    """Delete the configuration that a failed initialize() wrote."""
    (Path(directory) / CONFIG_NAME).unlink(missing_ok=True)
    logger.info("Removed the configuration in %s after a failed start", directory)


def new_configuration(backend: str, connection: dict[str, Any]) -> dict[str, Any]:
    return {
        "picpocket": {"version": package_version()},
        "backend": {"type": backend},
        "connection": connection,
    }
