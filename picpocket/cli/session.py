"""Opening the library, and resolving the names and ids that commands take."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path

import picpocket
from picpocket.cli.errors import CommandError
from picpocket.database.types import Image, Location, Task

logger = logging.getLogger(__name__)

# The configuration file that marks a folder as a PicPocket library.
CONFIG_NAME = "picpocket-config.toml"
# The environment variable that libpq, and so psql, reads a password from.
PASSWORD_VARIABLE = "PGPASSWORD"


async def open_library(directory: Path) -> picpocket.PicPocket:
    """Open the library in `directory`, asking for a password if one is needed."""
    if not (directory / CONFIG_NAME).is_file():
        raise CommandError(
            f"No PicPocket library in {directory}: it has no {CONFIG_NAME}. "
            f"Create one with 'picpocket --library {directory} initialize', or "
            f"pass --library with the folder of an existing library"
        )
    logger.debug("Opening the library in %s", directory)
    return await picpocket.load(directory, prompt=database_password)


def database_password() -> str:
    """Return the database password from PGPASSWORD or from the terminal.

    Raises CommandError when neither is available, because a prompt
    without a terminal would wait forever.
    """
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise CommandError(
            f"The database needs a password: set {PASSWORD_VARIABLE}, run the "
            f"command on a terminal, or initialize the library with "
            f"--store-password"
        )
    return getpass.getpass("Database password: ")


async def require_location(api: picpocket.PicPocket, name: str | int) -> Location:
    """Return the location with this name (or id), or raise CommandError."""
    location = await api.get_location(name)
    if location is None:
        raise CommandError(
            f"Location {name!r} not found; 'picpocket locations list' shows "
            f"the known locations"
        )
    return location


async def require_image(api: picpocket.PicPocket, image_id: int) -> Image:
    """Return the image with its tags, or raise CommandError."""
    image = await api.get_image(image_id, tags=True)
    if image is None:
        raise CommandError(
            f"Image {image_id} not found; 'picpocket images search' lists image "
            f"ids in its first column"
        )
    return image


async def require_task(api: picpocket.PicPocket, name: str) -> Task:
    """Return the task called `name`, or raise CommandError."""
    task = await api.get_task(name)
    if task is None:
        raise CommandError(
            f"Task {name!r} not found; 'picpocket tasks list' shows the known tasks"
        )
    return task


async def location_names(api: picpocket.PicPocket) -> dict[int, str]:
    """Return every location's name by id."""
    return {location.id: location.name for location in await api.list_locations()}


async def mount_location(
    api: picpocket.PicPocket, location: Location, mount: Path | None
) -> Location:
    """Mount the location at `mount` when given, and return it as it is now."""
    if mount is None:
        return location
    await api.mount(location.name, mount)
    mounted = await api.get_location(location.name)
    assert mounted is not None
    return mounted


def require_reachable(location: Location, mount_option: str | None) -> Path:
    """Return the folder the location is at now, or raise CommandError.

    `mount_option` names the option that would give the folder for this
    run (such as --mount PATH), or is None when the command has none.
    """
    root = location.root
    if mount_option is not None:
        remedy = f"pass {mount_option}"
    else:
        remedy = (
            f"set its folder with 'picpocket locations edit {location.name} "
            f"--path PATH'"
        )
    if root is None:
        raise CommandError(
            f"Location {location.name!r} is not mounted and has no path; {remedy}"
        )
    if not root.is_dir():
        raise CommandError(
            f"Location {location.name!r} is not reachable: its folder {root} does "
            f"not exist. Attach the drive, or {remedy}"
        )
    return root
