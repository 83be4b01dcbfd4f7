"""The library directory and its picpocket-config.toml."""

from __future__ import annotations

import logging
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
        InvalidPathError: the directory holds no library.
        InputValidationError: the file is not valid TOML or lacks a backend.
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
    except tomllib.TOMLDecodeError as error:
        raise InputValidationError(f"{path} is not valid TOML: {error}") from None
    backend = configuration.get("backend", {}).get("type")
    if not isinstance(backend, str):
        raise InputValidationError(
            f"{path} names no backend; it needs a [backend] table with a type"
        )
    return configuration


def write_configuration(directory: Path, configuration: dict[str, Any]) -> None:
    """Write a new library's configuration; an existing one is never replaced."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CONFIG_NAME
    try:
        with open(path, "xb") as file:
            tomli_w.dump(configuration, file)
    except FileExistsError:
        raise InvalidPathError(
            f"{directory} already holds a PicPocket library; open it with load()"
        ) from None
    path.chmod(0o600)
    logger.info("Wrote library configuration %s", path)


def new_configuration(backend: str, connection: dict[str, Any]) -> dict[str, Any]:
    return {
        "picpocket": {"version": package_version()},
        "backend": {"type": backend},
        "connection": connection,
    }
