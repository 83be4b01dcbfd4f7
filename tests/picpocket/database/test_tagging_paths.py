"""tag_image's one-statement path, tag creation and tagging many images.

tag_image first tries one autocommitted INSERT, which works when the tag
exists and the image is not tagged yet, and otherwise falls back to
tag_images. Both paths must leave the same records and raise the same
errors.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from picpocket.database.tags import BULK_TAGGING_IMAGES
from picpocket.errors import UnknownItemError

POSTGRES_ONLY = [pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
async def ids(api: Any, tmp_path: Path, jpegs: Path) -> list[int]:
    """Add a location with four images and return their ids."""
    root = tmp_path / "main"
    root.mkdir()
    await api.add_location("main", root, destination=True, removable=False)
    return [
        await api.add_image_copy(path, "main", Path(path.name))
        for path in sorted(jpegs.iterdir())
    ]


async def tags_of(api: Any, image_id: int) -> list[str]:
    image = await api.get_image(image_id, tags=True)
    return image.tags


async def add_image_rows(api: Any, folder: Path, count: int) -> list[int]:
    """Record `count` images without files, faster than importing them."""
    location = await api.add_location("rows", folder, destination=True)
    async with api.transaction() as cursor:
        await cursor.executemany(
            "INSERT INTO images (location, path, name) VALUES (?, ?, ?)",
            [(location, f"{number}.jpg", str(number)) for number in range(count)],
        )
    return await api.get_image_ids()


async def test_tag_image_new_tag(api, ids):
    await api.tag_image(ids[0], "bird/goose")
    assert await tags_of(api, ids[0]) == ["bird/goose"]
    assert await api.all_tag_names() == {"bird/goose"}


async def test_tag_image_existing_tag(api, ids):
    await api.add_tag("bird", "Feathered")
    before = await api.get_tag("bird")
    await api.tag_image(ids[1], "bird")
    after = await api.get_tag("bird")
    assert await tags_of(api, ids[1]) == ["bird"]
    assert after.id == before.id
    assert after.description == "Feathered"


async def test_tag_image_others_untouched(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.tag_image(ids[1], "bird")
    assert await tags_of(api, ids[2]) == []
    assert await api.count_images(any_tags=["bird"]) == 2


async def test_tag_image_already_tagged(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.tag_image(ids[0], "bird")
    assert await tags_of(api, ids[0]) == ["bird"]


async def test_tag_image_slashes_existing(api, ids):
    await api.add_tag("bird")
    await api.tag_image(ids[0], "/bird/")
    assert await tags_of(api, ids[0]) == ["bird"]


async def test_tag_image_missing_image_existing_tag(api, ids):
    await api.add_tag("bird")
    with pytest.raises(UnknownItemError):
        await api.tag_image(max(ids) + 100, "bird")
    assert await api.count_images(tagged=True) == 0
    assert await api.all_tag_names() == {"bird"}


async def test_tag_image_missing_image_new_tag(api, ids):
    with pytest.raises(UnknownItemError):
        await api.tag_image(max(ids) + 100, "bird")
    assert await api.all_tag_names() == set()
    assert await api.count_images(tagged=True) == 0


async def test_tag_image_missing_image_message(api, ids):
    await api.add_tag("bird")
    missing = max(ids) + 100
    with pytest.raises(UnknownItemError) as caught:
        await api.tag_image(missing, "bird")
    assert str(missing) in str(caught.value)


async def test_tag_image_same_new_tag_at_once(api, ids):
    await asyncio.gather(*(api.tag_image(image_id, "shared") for image_id in ids))
    assert await api.all_tag_names() == {"shared"}
    assert await api.count_images(any_tags=["shared"]) == len(ids)


async def test_tag_images_same_new_tag_at_once(api, ids):
    halves = (ids[:2], ids[2:])
    await asyncio.gather(*(api.tag_images(half, "shared") for half in halves))
    assert await api.all_tag_names() == {"shared"}
    assert await api.count_images(any_tags=["shared"]) == len(ids)


async def test_tag_images_large_missing_id(api, ids):
    # Beyond 32 bits, so PostgreSQL's array of ids contains 64-bit values.
    with pytest.raises(UnknownItemError):
        await api.tag_images([*ids, 2**40], "bird")
    assert await api.count_images(tagged=True) == 0
    assert await api.all_tag_names() == set()


async def test_tag_images_many(api, tmp_path):
    image_ids = await add_image_rows(api, tmp_path, BULK_TAGGING_IMAGES)
    await api.tag_images(image_ids, "bulk")
    assert await api.count_images(any_tags=["bulk"]) == BULK_TAGGING_IMAGES


async def test_untag_images_many(api, tmp_path):
    image_ids = await add_image_rows(api, tmp_path, BULK_TAGGING_IMAGES)
    await api.tag_images(image_ids, "bulk")
    await api.untag_images(image_ids[1:], "bulk")
    assert await api.get_image_ids(any_tags=["bulk"]) == image_ids[:1]


async def table_rows_estimate(api: Any, table: str) -> float:
    async with api.transaction(commit=False) as cursor:
        row = await cursor.fetch_one(
            "SELECT reltuples FROM pg_class WHERE relname = ?", (table,)
        )
    return row[0]


@pytest.mark.parametrize("backend", POSTGRES_ONLY)
async def test_bulk_tagging_refreshes_statistics(api, tmp_path):
    image_ids = await add_image_rows(api, tmp_path, BULK_TAGGING_IMAGES)
    await api.tag_images(image_ids, "bulk")
    # ANALYZE sets the estimate; before it, PostgreSQL stores -1.
    assert await table_rows_estimate(api, "image_tags") == BULK_TAGGING_IMAGES


@pytest.mark.parametrize("backend", POSTGRES_ONLY)
async def test_existing_tag_row_unchanged(api, ids):
    await api.tag_image(ids[0], "bird")

    async def row_version() -> str:
        async with api.transaction(commit=False) as cursor:
            row = await cursor.fetch_one(
                "SELECT xmin::text FROM tags WHERE name = ?", ("bird",)
            )
        return row[0]

    before = await row_version()
    await api.tag_images(ids[1:], "bird")
    await api.tag_image(ids[0], "bird")
    assert await row_version() == before


async def test_tag_images_no_images(api):
    await api.tag_images([], "empty")
    assert await api.all_tag_names() == {"empty"}
