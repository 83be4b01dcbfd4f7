"""The JSON objects that `--json` prints, and the help text that documents them.

These shapes are the command line's stable output: a key listed here
keeps its name and meaning. Locations are named by name, not id, as
on the command line. Dates are ISO 8601 with a UTC offset; missing
values are null.
"""

from __future__ import annotations

import textwrap
from typing import Any

from picpocket.database.types import Image, Location, Task

LOCATION_KEYS = (
    "id", "name", "path", "description", "source", "destination", "removable",
    "images",
)
TASK_KEYS = (
    "id", "name", "source", "destination", "description", "creator", "tags",
    "path", "format", "formats", "last_ran",
)
IMAGE_KEYS = (
    "id", "location", "path", "full_path", "name", "extension", "title",
    "caption", "alt", "creator", "rating", "hash", "width", "height",
    "creation_date", "last_modified", "tags",
)
IMAGE_SHOW_KEYS = (*IMAGE_KEYS, "exif")
TAG_KEYS = ("name", "description", "images", "children")

LOCATION_NOTES = (
    "path is the location's folder, or null for one that is given with "
    "--mount; images is the number of image records"
)
TASK_NOTES = (
    "source and destination are location names; path and format are the "
    "--path and --format templates; formats is a list of suffixes or null "
    "for the default; last_ran is null before the first run"
)
IMAGE_NOTES = (
    "location is the location name; path is relative to its folder and "
    "full_path is null while the location is not reachable; width and height "
    "are in pixels; tags is a list of tag names"
)
TAG_NOTES = (
    "name is the full tag name, such as bird/goose; images counts the images "
    "with the tag or a descendant of it"
)


def json_details(shape: str, keys: tuple[str, ...], notes: str) -> str:
    """Return a wrapped paragraph for a command's --help that documents --json."""
    text = f"With --json, prints {shape} with the keys {', '.join(keys)}. {notes}."
    return textwrap.fill(text, 76)


def location_record(location: Location, images: int) -> dict[str, Any]:
    """Return the JSON object of a location."""
    record = location.serialize()
    record["images"] = images
    return {key: record[key] for key in LOCATION_KEYS}


def task_record(task: Task, names: dict[int, str]) -> dict[str, Any]:
    """Return the JSON object of a task, with location names."""
    record = task.serialize()
    record.update(
        source=names.get(task.source),
        destination=names.get(task.destination),
        path=record.pop("source_path"),
        format=record.pop("destination_format"),
        formats=record.pop("file_formats"),
    )
    return {key: record[key] for key in TASK_KEYS}


def image_record(
    image: Image, names: dict[int, str], exif: bool = False
) -> dict[str, Any]:
    """Return the JSON object of an image, with EXIF data only when `exif` is true."""
    record = image.serialize()
    record["location"] = names.get(image.location)
    keys = IMAGE_SHOW_KEYS if exif else IMAGE_KEYS
    return {key: record[key] for key in keys}


def tag_records(
    tree: dict[str, Any], counts: dict[str, int], parent: str = ""
) -> list[dict[str, Any]]:
    """Return the tag tree of all_tags() as nested JSON objects, sorted by name."""
    records = []
    for part in sorted(tree):
        node = tree[part]
        name = f"{parent}/{part}" if parent else part
        records.append(
            {
                "name": name,
                "description": node.get("description"),
                "images": counts.get(name, 0),
                "children": tag_records(node.get("children") or {}, counts, name),
            }
        )
    return records
