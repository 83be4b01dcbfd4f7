"""Opening the library and resolving the names that commands take."""

from __future__ import annotations

import getpass
import logging
from collections.abc import Iterable
from pathlib import Path

import picpocket
from picpocket.cli.errors import CommandError
from picpocket.database.types import Image, Location

logger = logging.getLogger(__name__)

# The configuration file that marks a folder as a PicPocket library.
CONFIG_NAME = "picpocket-config.toml"


async def open_library(directory: Path) -> picpocket.PicPocket:
    """Open the library in `directory`, asking for a password if one is needed."""
    if not (directory / CONFIG_NAME).is_file():
        raise CommandError(
            f"No PicPocket library in {directory}: it has no {CONFIG_NAME}. "
            f"Create one with 'picpocket --config {directory} init', or point "
            f"--config at the folder of an existing library"
        )
    logger.debug("Opening the library in %s", directory)
    return await picpocket.load(directory, prompt=ask_password)


def ask_password() -> str:
    """Read the database password from the terminal without echoing it."""
    return getpass.getpass("Database password: ")


async def require_location(api: picpocket.PicPocket, name: str) -> Location:
    """Return the location called `name`, or raise CommandError."""
    location = await api.get_location(name)
    if location is None:
        raise CommandError(
            f"Location {name!r} not found; 'picpocket location list' shows "
            f"the known locations"
        )
    return location


async def require_image(api: picpocket.PicPocket, image_id: int) -> Image:
    """Return the image with its tags, or raise CommandError."""
    image = await api.get_image(image_id, tags=True)
    if image is None:
        raise CommandError(
            f"Image {image_id} not found; 'picpocket search --ids' lists image ids"
        )
    return image


async def location_names(api: picpocket.PicPocket) -> dict[int, str]:
    """Return every location's name by id."""
    return {location.id: location.name for location in await api.list_locations()}


async def mount_locations(
    api: picpocket.PicPocket, mounts: Iterable[tuple[str, Path]]
) -> None:
    """Mount each named location at its path for the rest of this run."""
    for name, path in mounts:
        await require_location(api, name)
        await api.mount(name, path)
