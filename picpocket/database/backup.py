"""JSON backups of everything but the image files themselves."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from picpocket.database.base import IMAGE_COLUMNS, Cursor, placeholders
from picpocket.database.images import FILE_COLUMNS, USER_COLUMNS
from picpocket.database.logic import Types
from picpocket.database.task_runs import TasksMixin
from picpocket.database.types import Location
from picpocket.database.tags import normalize_tag
from picpocket.errors import (
    InputValidationError,
    InvalidPathError,
    PathOutsideRootError,
)
from picpocket.images import normalize_formats
from picpocket.tasks import parse_source_path, validate_destination_format

logger = logging.getLogger(__name__)

BACKUP_FORMAT = "picpocket-backup"
BACKUP_VERSION = 1


def _load_backup(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidPathError(f"Backup file {path} not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputValidationError(
            f"Backup file {path} is not valid JSON: {error}"
        ) from None
    if not isinstance(data, dict) or data.get("format") != BACKUP_FORMAT:
        raise InputValidationError(
            f"File {path} is not a PicPocket backup; create one with export_data()"
        )
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputValidationError(
            f"Backup {path} has an invalid format version {version!r}; it must be "
            f"a whole number from 1 to {BACKUP_VERSION}"
        )
    if version > BACKUP_VERSION:
        raise InputValidationError(
            f"Backup {path} has format version {version}, newer than "
            f"{BACKUP_VERSION}; upgrade PicPocket to read it"
        )
    for section in _SECTIONS:
        _check_section(path, section, data.get(section, []))
    return data


# The keys each entry of a backup section must have (as text), and those it
# may have, by the type their values must be when they are not null.
_SECTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "locations": {
        "required": ("name",),
        "text": ("path", "description"),
        "boolean": ("source", "destination", "removable"),
    },
    "tasks": {
        "required": ("name", "source", "destination"),
        "text": ("description", "creator", "source_path", "destination_format"),
        "date": ("last_ran",),
        "text list": ("tags", "file_formats"),
    },
    "tags": {"required": ("name",), "text": ("description",)},
    "images": {
        "required": ("location", "path"),
        "text": ("creator", "title", "caption", "alt", "hash"),
        "number": ("rating", "width", "height"),
        "date": ("creation_date", "last_modified"),
        "text list": ("tags",),
        "object": ("exif",),
    },
}


def _check_section(path: Path, section: str, items: Any) -> None:
    if not isinstance(items, list):
        raise InputValidationError(
            f"Backup {path} is damaged: {section!r} must be a list"
        )
    for number, item in enumerate(items):
        entry = f"Backup {path} is damaged: entry {number} of {section!r}"
        try:
            problem = _entry_problem(section, item)
        except PathOutsideRootError as error:
            raise PathOutsideRootError(f"{entry} is invalid: {error}") from None
        if problem is not None:
            raise InputValidationError(f"{entry} {problem}")
        if section == "images":
            _check_image_path(entry, item["path"])


def _entry_problem(section: str, item: Any) -> str | None:
    """Describe what is wrong with one backup entry, or return None."""
    if not isinstance(item, dict):
        return "is not an object"
    keys = _SECTIONS[section]
    for key in keys["required"]:
        if not isinstance(item.get(key), str) or not item[key]:
            return f"has no text {key!r}"
    for kind, names in keys.items():
        for key in names:
            value = item.get(key)
            if kind != "required" and value is not None and not _has_kind(kind, value):
                return f"has a {key!r} that is not a {kind}: {value!r}"
    try:
        _check_values(section, item)
    except PathOutsideRootError:
        raise
    except InputValidationError as error:
        return f"is invalid: {error}"
    return None


def _check_values(section: str, item: dict[str, Any]) -> None:
    """Run the checks add_task and tagging run, so a backup brings in nothing
    that they would reject."""
    for tag in item.get("tags") or []:
        normalize_tag(tag)
    if section == "tags":
        normalize_tag(item["name"])
    if section != "tasks":
        return
    parse_source_path(item.get("source_path") or "")
    if item.get("destination_format") is not None:
        validate_destination_format(item["destination_format"])
    if item.get("file_formats") is not None:
        normalize_formats(item["file_formats"])


def _has_kind(kind: str, value: Any) -> bool:
    if kind == "text":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "text list":
        return isinstance(value, list) and all(
            isinstance(entry, str) for entry in value
        )
    if kind == "object":
        return isinstance(value, dict)
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_image_path(entry: str, text: str) -> None:
    """Raise unless an image's path names a file inside its location.

    Raises:
        PathOutsideRootError: the path is absolute or has a `..` segment.
        InputValidationError: the path contains NUL or names the root.
    """
    relative = PurePosixPath(text)
    if relative.is_absolute() or ".." in relative.parts:
        raise PathOutsideRootError(
            f"{entry} has the path {text!r}, which leads outside its location; "
            f"correct or remove it"
        )
    if "\x00" in text or relative == PurePosixPath("."):
        raise InputValidationError(
            f"{entry} has the path {text!r}, which names no file; correct or "
            f"remove it"
        )


def _write_backup(path: Path, text: str) -> None:
    """Write the backup through a temporary file, so a failed export leaves
    any earlier backup at `path` whole."""
    if not path.parent.is_dir():
        raise InvalidPathError(
            f"Cannot write backup {path}: folder {path.parent} does not exist"
        )
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


class BackupMixin(TasksMixin):
    """Export and import locations, tasks, images and tags as JSON."""

    async def export_data(
        self, path: Path, locations: list[str | int] | None = None
    ) -> None:
        """Write a backup of the library's records (not the image files) to `path`."""
        async with self.transaction(commit=False) as cursor:
            chosen = await self._chosen_locations(cursor, locations)
            data = {
                "format": BACKUP_FORMAT,
                "version": BACKUP_VERSION,
                "created": datetime.now(UTC).isoformat(),
                "locations": [_location_data(location) for location in chosen],
                "tasks": await self._export_tasks(cursor, chosen),
                "tags": await self._export_tags(cursor),
                "images": await self._export_images(cursor, chosen),
            }
        text = json.dumps(data, ensure_ascii=False, indent=1)
        await asyncio.to_thread(_write_backup, Path(path), text)
        logger.info("Exported %d images to %s", len(data["images"]), path)

    async def _chosen_locations(
        self, cursor: Cursor, names: list[str | int] | None
    ) -> list[Location]:
        if names is None:
            return await self._all_locations(cursor)
        return [await self._location(cursor, name) for name in names]

    async def _export_tasks(self, cursor: Cursor, chosen: list[Location]) -> list[dict]:
        names = {location.id: location.name for location in chosen}
        exported = []
        for task in await self._all_tasks(cursor):
            if task.source in names and task.destination in names:
                data = task.serialize()
                data.pop("id")
                data.update(
                    source=names[task.source], destination=names[task.destination]
                )
                exported.append(data)
        return exported

    async def _export_tags(self, cursor: Cursor) -> list[dict]:
        rows = await cursor.fetch_all(
            "SELECT name, description FROM tags ORDER BY name"
        )
        return [
            {"name": name, "description": description} for name, description in rows
        ]

    async def _export_images(
        self, cursor: Cursor, chosen: list[Location]
    ) -> list[dict]:
        names = {location.id: location.name for location in chosen}
        if not names:
            return []
        columns = ", ".join(IMAGE_COLUMNS)
        rows = await cursor.fetch_all(
            f"SELECT {columns} FROM images WHERE location IN "
            f"({placeholders(len(names))}) ORDER BY id",
            list(names),
        )
        tags = await self._image_tags(cursor, [row[0] for row in rows])
        exported = []
        for row in rows:
            image = self._image_from_row(row, {}, tags[row[0]]).serialize()
            for key in ("id", "full_path", "name", "extension"):
                image.pop(key)
            image["location"] = names[row[1]]
            exported.append(image)
        return exported

    async def import_data(
        self,
        path: Path,
        locations: list[str] | dict[str, Path | None] | None = None,
    ) -> None:
        """Load a backup made by export_data(); rerunning it adds nothing.

        Records that already exist are kept: missing values and tags are
        filled in from the backup, stored values are never overwritten.
        `locations` limits the import to those locations. As a dict it
        also gives the folder each is at now, which a location without a
        path in the backup must have. The backup contains every file fact,
        so no file is read, and the folders are only checked to exist.

        Raises:
            InvalidPathError: the file or a given folder does not exist.
            InputValidationError: the file is not a valid backup, or a
                location is not in it or lacks a folder.
        """
        data = await asyncio.to_thread(_load_backup, Path(path))
        requested = _requested_locations(data, locations)
        for name, folder in (locations if isinstance(locations, dict) else {}).items():
            if folder is not None and not Path(folder).is_dir():
                raise InvalidPathError(
                    f"Folder {folder} given for location {name!r} does not exist; "
                    f"attach the drive or correct the path"
                )
        async with self.transaction() as cursor:
            ids = await self._import_locations(cursor, data, requested)
            await self._import_tags(cursor, data.get("tags", []))
            await self._import_tasks(cursor, data.get("tasks", []), ids)
            count = await self._import_images(cursor, data.get("images", []), ids)
        logger.info("Imported backup %s: %d images", path, count)

    async def _import_locations(
        self, cursor: Cursor, data: dict, requested: set[str] | None
    ) -> dict[str, int]:
        ids = {}
        boolean = self.sql.adapt
        for item in data.get("locations", []):
            name = item["name"]
            if requested is not None and name not in requested:
                continue
            found = await self._find_location(cursor, name, expect=False)
            if found is not None:
                ids[name] = found.id
                continue
            row = await cursor.fetch_one(
                "INSERT INTO locations (name, path, description, source, destination, "
                "removable) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (name, item.get("path"), item.get("description"),
                 boolean(Types.BOOLEAN, bool(item.get("source"))),
                 boolean(Types.BOOLEAN, bool(item.get("destination"))),
                 boolean(Types.BOOLEAN, bool(item.get("removable", True)))),
            )
            assert row is not None
            ids[name] = int(row[0])
        return ids

    async def _import_tags(self, cursor: Cursor, tags: list[dict]) -> None:
        for item in tags:
            tag_id = await self._ensure_tag(cursor, item["name"])
            if item.get("description") is not None:
                await cursor.execute(
                    "UPDATE tags SET description = ? "
                    "WHERE id = ? AND description IS NULL",
                    (item["description"], tag_id),
                )

    async def _import_tasks(
        self, cursor: Cursor, tasks: list[dict], ids: dict[str, int]
    ) -> None:
        for item in tasks:
            if item["source"] not in ids or item["destination"] not in ids:
                continue
            if await cursor.fetch_one(
                "SELECT id FROM tasks WHERE name = ?", (item["name"],)
            ):
                continue
            settings = {key: item.get(key) for key in
                        ("creator", "tags", "source_path", "destination_format",
                         "file_formats")}
            row = await cursor.fetch_one(
                "INSERT INTO tasks "
                "(name, description, source, destination, configuration) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (item["name"], item.get("description"), ids[item["source"]],
                 ids[item["destination"]], self.sql.adapt(Types.JSON, settings)),
            )
            if item.get("last_ran") and row is not None:
                await cursor.execute(
                    "INSERT INTO task_invocations (task, last_ran) VALUES (?, ?)",
                    (row[0], self.sql.adapt(
                        Types.DATETIME, datetime.fromisoformat(item["last_ran"])
                    )),
                )

    async def _import_images(
        self, cursor: Cursor, images: list[dict], ids: dict[str, int]
    ) -> int:
        count = 0
        for item in images:
            location_id = ids.get(item["location"])
            if location_id is None:
                continue
            relative = PurePosixPath(item["path"])
            row = await cursor.fetch_one(
                "SELECT id FROM images WHERE location = ? AND path = ?",
                (location_id, relative.as_posix()),
            )
            if row is None:
                user = {column: item.get(column) for column in USER_COLUMNS}
                image_id = await self._insert_image(
                    cursor, location_id, relative, self._backup_file_values(item), user
                )
                count += 1
            else:
                image_id = int(row[0])
                await self._fill_missing(cursor, image_id, item)
            await self._apply_tags(cursor, [image_id], item.get("tags") or [])
        return count

    def _backup_file_values(self, item: dict) -> list[Any]:
        adapt = self.sql.adapt
        dates = {
            key: None if item.get(key) is None else datetime.fromisoformat(item[key])
            for key in ("creation_date", "last_modified")
        }
        values = {**{key: item.get(key) for key in FILE_COLUMNS}, **dates}
        values["exif"] = adapt(Types.JSON, values["exif"])
        for key in dates:
            values[key] = adapt(Types.DATETIME, values[key])
        return [values[key] for key in FILE_COLUMNS]

    async def _fill_missing(self, cursor: Cursor, image_id: int, item: dict) -> None:
        for column in USER_COLUMNS:
            if item.get(column) is not None:
                await cursor.execute(
                    f"UPDATE images SET {column} = ? WHERE id = ? AND {column} IS NULL",
                    (item[column], image_id),
                )


def _location_data(location: Location) -> dict[str, Any]:
    data = location.serialize()
    for key in ("id", "mount_point"):
        data.pop(key)
    return data


def _requested_locations(
    data: dict, locations: list[str] | dict[str, Path | None] | None
) -> set[str] | None:
    if locations is None:
        return None
    known = {item["name"]: item for item in data.get("locations", [])}
    for name in locations:
        if name not in known:
            raise InputValidationError(
                f"Location {name!r} is not in the backup; it has: "
                f"{', '.join(sorted(known))}"
            )
        has_folder = isinstance(locations, dict) and locations[name] is not None
        if known[name].get("path") is None and not has_folder:
            raise InputValidationError(
                f"Location {name!r} has no path in the backup; pass locations as a "
                f"dict that gives the folder it is at now"
            )
    return set(locations)
