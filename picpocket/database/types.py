"""Records returned by the engine, each with a JSON-ready serialize()."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


def _text_or_none(value: Path | None) -> str | None:
    return None if value is None else str(value)


def _iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class Location:
    """A folder, card or drive that images are imported from or stored in.

    `path` is the configured root; `mount_point` is the path given to
    `mount()` in this session, which takes precedence over `path`.
    """

    id: int
    name: str
    path: Path | None
    description: str | None
    source: bool
    destination: bool
    removable: bool
    mount_point: Path | None = None

    @property
    def root(self) -> Path | None:
        """The folder the location is reachable at now, if known."""
        return self.mount_point or self.path

    def serialize(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "path": _text_or_none(self.path),
            "description": self.description,
            "source": self.source,
            "destination": self.destination,
            "removable": self.removable,
            "mount_point": _text_or_none(self.mount_point),
        }


@dataclass(frozen=True)
class Image:
    """An image file in a location, with the user's metadata.

    `path` is relative to the location's root; `full_path` is set when
    the location is reachable. `tags` is None unless tags were fetched.
    """

    id: int
    location: int
    path: Path
    name: str
    extension: str | None
    creator: str | None = None
    title: str | None = None
    caption: str | None = None
    alt: str | None = None
    rating: int | None = None
    hash: str | None = None
    width: int | None = None
    height: int | None = None
    creation_date: datetime | None = None
    last_modified: datetime | None = None
    exif: dict[str, Any] | None = None
    full_path: Path | None = None
    tags: list[str] | None = None

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Image:
        """Return an image with these values, which must name every field.

        It skips the generated __init__, whose one object.__setattr__ per
        field of a frozen class was a quarter of the time a search spent
        turning 200 rows into images.
        """
        image = object.__new__(cls)
        image.__dict__.update(fields)
        return image

    def serialize(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "location": self.location,
            "path": self.path.as_posix(),
            "name": self.name,
            "extension": self.extension,
            "creator": self.creator,
            "title": self.title,
            "caption": self.caption,
            "alt": self.alt,
            "rating": self.rating,
            "hash": self.hash,
            "width": self.width,
            "height": self.height,
            "creation_date": _iso_or_none(self.creation_date),
            "last_modified": _iso_or_none(self.last_modified),
            "exif": self.exif,
            "full_path": _text_or_none(self.full_path),
            "tags": None if self.tags is None else list(self.tags),
        }


@dataclass(frozen=True)
class Tag:
    """A tag such as `bird/goose/Canada Goose`.

    `id` is None for a tag that is only implied by its descendants.
    `children` contains the full names of the tags one level below, and is
    None unless children were fetched.
    """

    name: str
    id: int | None = None
    description: str | None = None
    children: set[str] | None = None

    def serialize(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.id,
            "description": self.description,
            "children": None if self.children is None else sorted(self.children),
        }


@dataclass(frozen=True)
class Task:
    """A repeatable import that copies new photos from a source location.

    `source` and `destination` are location ids.
    """

    id: int
    name: str
    source: int
    destination: int
    description: str | None = None
    creator: str | None = None
    tags: list[str] = field(default_factory=list)
    source_path: str | None = None
    destination_format: str | None = None
    file_formats: set[str] | None = None
    last_ran: datetime | None = None

    def serialize(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "destination": self.destination,
            "description": self.description,
            "creator": self.creator,
            "tags": list(self.tags),
            "source_path": self.source_path,
            "destination_format": self.destination_format,
            "file_formats": (
                None if self.file_formats is None else sorted(self.file_formats)
            ),
            "last_ran": _iso_or_none(self.last_ran),
        }
