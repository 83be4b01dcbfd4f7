"""Tag searches and counts give the same images whatever form of query runs.

SQLite runs a search for a page of images that match common tags by
walking the order's index, and other tag searches by looking the tagged
images up. Counts with tag criteria only count rows of image_tags. Each
test compares the engine's result with one computed in Python from the
stored records, on a library where some tags are on most images and
others on one or two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from picpocket.database.logic import Comparator, Number, Types
from picpocket.database.search import leading_order_column, tag_criteria
from picpocket.database.types import Image
from tests.reliability.worker_process import make_photos

# SQLite walks the index for a tag on 1 image in 20 or more, here 2 images.
IMAGE_COUNT = 40
BASE_DATE = datetime(2020, 1, 1, tzinfo=UTC)

# Every criterion the tests run, with the images they match computed in
# Python. "common" is on most images, so SQLite walks the index for it.
CRITERIA: list[dict[str, Any]] = [
    {"any_tags": ["common"]},
    {"any_tags": ["rare"]},
    {"any_tags": ["nested"]},
    {"any_tags": ["rare", "mid"]},
    {"any_tags": ["missing"]},
    {"all_tags": ["common", "mid"]},
    {"all_tags": ["common", "nested"], "no_tags": ["rare"]},
    {"any_tags": ["common"], "no_tags": ["mid"]},
    {"tagged": True},
    {"tagged": True, "no_tags": ["common"]},
    {"tagged": False},
    {"no_tags": ["common"]},
]
ORDERS: list[tuple[str, ...] | None] = [
    ("-creation_date",),
    ("creation_date",),
    ("!creation_date",),
    ("-!creation_date",),
    ("-rating",),
    ("rating!", "-creation_date"),
    ("-name",),
    None,
    ("-id",),
]
PAGES = [(5, None), (5, 7), (100, None), (None, None)]


def tags_for(position: int) -> set[str]:
    """Return the tags the library gives its image at this position."""
    tags = set()
    if position % 4 != 3:
        tags.add("common")
    if position % 4 == 1:
        tags.add("mid")
    if position == 6:
        tags.add("rare")
    if position % 5 == 0:
        tags.add("nested/a")
    if position % 10 == 0:
        # Two tags under "nested" on one image, which a count must not
        # count twice.
        tags.add("nested/b")
    return tags


def creation_date_for(position: int) -> datetime | None:
    """Return a date, missing for some images and shared by others."""
    if position % 7 == 2:
        return None
    return BASE_DATE + timedelta(days=(position * 13) % 17)


def rating_for(position: int) -> int | None:
    return None if position % 3 == 0 else position % 5


@dataclass
class Library:
    """The test library: its API, records and tags, by image id."""

    api: Any
    images: dict[int, Image]
    tags: dict[int, set[str]]

    def matches(self, image_id: int, criteria: dict[str, Any]) -> bool:
        tags = self.tags[image_id]

        def has(name: str) -> bool:
            return any(tag == name or tag.startswith(name + "/") for tag in tags)

        tagged = criteria.get("tagged")
        if tagged is not None and bool(tags) != tagged:
            return False
        any_tags = criteria.get("any_tags")
        if any_tags and not any(has(name) for name in any_tags):
            return False
        if not all(has(name) for name in criteria.get("all_tags", [])):
            return False
        return not any(has(name) for name in criteria.get("no_tags", []))

    def expected(
        self,
        criteria: dict[str, Any],
        order: tuple[str, ...] | None,
        limit: int | None,
        offset: int | None,
    ) -> list[int]:
        ids = sorted(
            image_id for image_id in self.images if self.matches(image_id, criteria)
        )
        # Python's sort is stable, so sorting by the last key first gives
        # the order of the whole tuple, with ties by id.
        for key in reversed(order or ()):
            ids = self._sorted(ids, key)
        start = offset or 0
        end = None if limit is None else start + limit
        return ids[start:end]

    def _sorted(self, ids: list[int], key: str) -> list[int]:
        descending = key.startswith("-")
        name = key.lstrip("-")
        nulls_first = name.startswith("!")
        name = name.strip("!")
        values = {image_id: getattr(self.images[image_id], name) for image_id in ids}
        present = [image_id for image_id in ids if values[image_id] is not None]
        missing = [image_id for image_id in ids if values[image_id] is None]
        present.sort(key=lambda image_id: values[image_id], reverse=descending)
        return missing + present if nulls_first else present + missing


async def set_creation_dates(api: Any, dates: dict[int, datetime | None]) -> None:
    """Store creation dates directly, because no public call edits them."""
    async with api.transaction() as cursor:
        for image_id, date in dates.items():
            await cursor.execute(
                "UPDATE images SET creation_date = ? WHERE id = ?",
                (api.sql.adapt(Types.DATETIME, date), image_id),
            )


@pytest.fixture
async def library(api: Any, tmp_path: Path, photo_source: Path) -> Library:
    """Return a library of IMAGE_COUNT images with dates, ratings and tags."""
    folder = tmp_path / "photos"
    make_photos(folder, photo_source, IMAGE_COUNT)
    await api.add_location("main", folder, source=True, removable=False)
    await api.import_location("main")
    ids = await api.get_image_ids()
    assert len(ids) == IMAGE_COUNT
    tags = {image_id: tags_for(position) for position, image_id in enumerate(ids)}
    for image_id, names in tags.items():
        for name in sorted(names):
            await api.tag_image(image_id, name)
    for position, image_id in enumerate(ids):
        await api.edit_image(image_id, rating=rating_for(position))
    dates = {
        image_id: creation_date_for(position) for position, image_id in enumerate(ids)
    }
    await set_creation_dates(api, dates)
    images = {image.id: image for image in await api.search_images()}
    return Library(api, images, tags)


@pytest.mark.parametrize("order", ORDERS, ids=str)
async def test_search_pages(library, order):
    for criteria in CRITERIA:
        for limit, offset in PAGES:
            case = f"{criteria}, limit {limit}, offset {offset}"
            found = await library.api.search_images(
                order=order, limit=limit, offset=offset, **criteria
            )
            expected = library.expected(criteria, order, limit, offset)
            assert [image.id for image in found] == expected, case


@pytest.mark.parametrize("order", ORDERS, ids=str)
async def test_image_id_pages(library, order):
    for criteria in CRITERIA:
        for limit, offset in PAGES:
            case = f"{criteria}, limit {limit}, offset {offset}"
            found = await library.api.get_image_ids(
                order=order, limit=limit, offset=offset, **criteria
            )
            expected = library.expected(criteria, order, limit, offset)
            assert found == expected, case


async def test_search_tags_and_filter(library):
    rated = Number("rating", Comparator.GREATER_EQUALS, 2)
    for criteria in CRITERIA:
        found = await library.api.get_image_ids(
            rated, order=("-creation_date",), limit=6, **criteria
        )
        expected = [
            image_id
            for image_id in library.expected(criteria, ("-creation_date",), None, None)
            if (library.images[image_id].rating or 0) >= 2
        ][:6]
        assert found == expected, criteria


async def test_count_tags(library):
    for criteria in CRITERIA:
        expected = len(library.expected(criteria, None, None, None))
        assert await library.api.count_images(**criteria) == expected, criteria


async def test_count_tags_and_filter(library):
    rated = Number("rating", Comparator.GREATER_EQUALS, 2)
    for criteria in CRITERIA:
        expected = sum(
            1
            for image_id in library.expected(criteria, None, None, None)
            if (library.images[image_id].rating or 0) >= 2
        )
        assert await library.api.count_images(rated, **criteria) == expected, criteria


async def test_count_reachable_tags(library):
    for criteria in CRITERIA:
        expected = len(library.expected(criteria, None, None, None))
        count = await library.api.count_images(reachable=True, **criteria)
        assert count == expected, criteria


async def test_count_two_matching_tags(library):
    # Images 0, 10, 20 and 30 have both nested/a and nested/b.
    assert await library.api.count_images(any_tags=["nested"]) == 8


async def test_count_tagged(library):
    # Most tagged images have several tags.
    expected = sum(1 for tags in library.tags.values() if tags)
    assert await library.api.count_images(tagged=True) == expected


# How SQLite picks the form ----------------------------------------------


async def tag_conditions(
    api: Any, order: tuple[str, ...] | None, limit: int | None, **criteria: Any
) -> list[str]:
    async with api.transaction(commit=False) as cursor:
        conditions, _params = await api._tag_conditions(
            cursor, tag_criteria(**criteria), order, limit
        )
    return conditions


def criteria_of(**values: Any) -> dict[str, Any]:
    arguments = {"tagged": None, "any_tags": None, "all_tags": None, "no_tags": None}
    arguments.update(values)
    return arguments


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_walks_common_tag(library):
    conditions = await tag_conditions(
        library.api, ("-creation_date",), 5, **criteria_of(any_tags=["common"])
    )
    assert conditions[0].startswith("+images.id IN")


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("order", "limit", "criteria"),
    [
        (("-creation_date",), 5, criteria_of(any_tags=["rare"])),
        (("-creation_date",), 5, criteria_of(all_tags=["common", "rare"])),
        (("-creation_date",), None, criteria_of(any_tags=["common"])),
        (None, 5, criteria_of(any_tags=["common"])),
        (("id",), 5, criteria_of(any_tags=["common"])),
        (("random",), 5, criteria_of(any_tags=["common"])),
    ],
    ids=["rare", "all_with_rare", "no_limit", "no_order", "id", "random"],
)
async def test_sqlite_looks_up_tagged(library, order, limit, criteria):
    conditions = await tag_conditions(library.api, order, limit, **criteria)
    assert conditions[0].startswith("images.id IN")


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_excluded_only(library):
    conditions = await tag_conditions(
        library.api, ("-creation_date",), 5, **criteria_of(no_tags=["common"])
    )
    assert len(conditions) == 1
    assert conditions[0].startswith("images.id NOT IN")


@pytest.mark.parametrize(
    ("order", "column"),
    [
        (None, None),
        ((), None),
        (("random",), None),
        (("-creation_date",), "creation_date"),
        (("!rating",), "rating"),
        (("-!name", "id"), "name"),
        (("id",), "id"),
    ],
)
def test_leading_order_column(order, column):
    assert leading_order_column(order) == column
