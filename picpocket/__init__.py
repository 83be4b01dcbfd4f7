"""PicPocket: a photo library for photos kept as plain files.

Create a library with `initialize`, open one with `load`; both return an
object that implements `picpocket.api.PicPocket`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picpocket.api import PicPocket
    from picpocket.configuration import default_directory

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["PicPocket", "default_directory", "initialize", "load"]


def __getattr__(name: str) -> Any:
    # The engine's modules load on first use, so that a reader process,
    # which needs only picpocket.images, starts quickly.
    if name == "PicPocket":
        from picpocket.api import PicPocket

        return PicPocket
    if name == "default_directory":
        from picpocket.configuration import default_directory

        return default_directory
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


async def initialize(
    directory: Path,
    backend: str = "sqlite",
    /,
    *,
    store_credentials: bool | None = None,
    **connection_info: Any,
) -> PicPocket:
    """Create a library in `directory` and return its API object.

    `connection_info` contains the backend's connection settings (psycopg's
    host, port, user, password and dbname for PostgreSQL).
    """
    from picpocket.backends import load_backend
    from picpocket.configuration import (
        new_configuration,
        remove_configuration,
        write_configuration,
    )

    directory = Path(directory).expanduser()
    backend_class = load_backend(backend)
    connection = backend_class.parse_connection_info(
        directory, store_credentials=store_credentials, **connection_info
    )
    configuration = new_configuration(backend, connection)
    write_configuration(directory, configuration)
    try:
        api = await backend_class.create(directory, configuration, connection_info)
    except BaseException:
        # Without this, a retry with corrected settings would find a
        # library here that never came into being.
        remove_configuration(directory)
        raise
    logger.info("Created a %s library in %s", backend, directory)
    return api


async def load(
    directory: Path, prompt: Callable[[], str] | None = None
) -> PicPocket:
    """Open the library in `directory`.

    `prompt` returns the database password when the configuration does
    not store one.
    """
    from picpocket.backends import load_backend
    from picpocket.configuration import read_configuration

    directory = Path(directory).expanduser()
    configuration = read_configuration(directory)
    backend_class = load_backend(configuration["backend"]["type"])
    return await backend_class.open(directory, configuration, prompt)
