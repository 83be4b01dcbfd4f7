"""Tests for the records the engine returns."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path

import pytest

from picpocket.database.base import IMAGE_COLUMNS
from picpocket.database.types import Image

FIELDS = {
    "id": 7,
    "location": 2,
    "path": Path("2024/heron.jpg"),
    "name": "heron",
    "extension": "jpg",
    "creator": "Ada",
    "title": "Heron",
    "caption": None,
    "alt": "A grey heron",
    "rating": 4,
    "hash": "ab12",
    "width": 1600,
    "height": 1200,
    "creation_date": datetime(2024, 5, 1, tzinfo=timezone.utc),
    "last_modified": datetime(2024, 5, 2, tzinfo=timezone.utc),
    "exif": {"Artist": "Ada"},
    "full_path": Path("/photos/2024/heron.jpg"),
    "tags": ["bird/heron"],
}


def test_image_from_fields_same_as_init():
    image = Image.from_fields(dict(FIELDS))

    assert image == Image(**FIELDS)
    assert repr(image) == repr(Image(**FIELDS))
    assert image.serialize() == Image(**FIELDS).serialize()


def test_image_from_fields_stays_frozen():
    image = Image.from_fields(dict(FIELDS))

    with pytest.raises(dataclasses.FrozenInstanceError):
        image.rating = 5  # type: ignore[misc]


def test_image_columns_cover_every_field():
    # Rows become images through from_fields, which fills only the fields
    # it is given, so a field missing from the columns would be missing
    # from every image a search returns.
    names = {field.name for field in dataclasses.fields(Image)}

    assert set(IMAGE_COLUMNS) | {"full_path", "tags"} == names
