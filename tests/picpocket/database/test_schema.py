"""Schema version 3 (indexes for descending sorts) and planner statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import picpocket
from picpocket.database import schema
from picpocket.database.schema import SchemaTypes
from tests.picpocket.test_library import new_backend_object

DESCENDING_INDEXES = {
    "images_creation_date_descending": "creation_date",
    "images_rating_descending": "rating",
    "images_name_descending": "name",
    "images_path_descending": "path",
}
INDEX_DEFINITIONS = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index'",
    "postgres": "SELECT indexname, indexdef FROM pg_indexes",
}
# How each backend writes the index column that sorts newest first.
DESCENDING_COLUMN = {
    "sqlite": "{column} DESC, id)",
    "postgres": "{column} DESC NULLS LAST, id)",
}
TYPES = SchemaTypes(
    id="ID", reference="REF", boolean="BOOL", datetime="DT", json="JSON", text="TEXT"
)


async def index_definitions(api: Any, backend: str) -> dict[str, str]:
    async with api.transaction(commit=False) as cursor:
        rows = await cursor.fetch_all(INDEX_DEFINITIONS[backend])
    return {name: definition or "" for name, definition in rows}


async def add_image_rows(api: Any, folder: Path, count: int) -> None:
    """Record `count` images without files, faster than importing them."""
    location = await api.add_location("rows", folder, destination=True)
    async with api.transaction() as cursor:
        await cursor.executemany(
            "INSERT INTO images (location, path, name) VALUES (?, ?, ?)",
            [(location, f"{number}.jpg", str(number)) for number in range(count)],
        )


def test_migration_3_statements():
    statements = schema.pending_statements(TYPES, 2, 3)
    assert statements == [
        f"CREATE INDEX {name} ON images ({column} DESC, id)"
        for name, column in DESCENDING_INDEXES.items()
    ]


def test_migration_3_descending_filled():
    types = SchemaTypes(
        id="ID",
        reference="REF",
        boolean="BOOL",
        datetime="DT",
        json="JSON",
        text="TEXT",
        descending="DESC NULLS LAST",
    )
    statements = schema.pending_statements(types, 2, 3)
    assert all("DESC NULLS LAST, id)" in statement for statement in statements)


async def test_new_library_indexes(api, backend):
    definitions = await index_definitions(api, backend)
    for name, column in DESCENDING_INDEXES.items():
        expected = DESCENDING_COLUMN[backend].format(column=column)
        assert expected in definitions.get(name, ""), name


async def test_migrate_from_version_2(tmp_path, backend, connection_info):
    directory = tmp_path / "library"
    old = new_backend_object(directory, backend, connection_info)
    try:
        await old.migrate(target=2)
        await add_image_rows(old, tmp_path, 3)
        await old.tag_images(await old.get_image_ids(), "kept")
        before = await index_definitions(old, backend)
    finally:
        await old.close()
    assert not set(DESCENDING_INDEXES) & set(before)

    api = await picpocket.load(directory)
    try:
        version = await api.get_version()
        after = await index_definitions(api, backend)
        tagged = await api.count_images(any_tags=["kept"])
        newest = await api.get_image_ids(order=("-name",), limit=1)
    finally:
        await api.close()
    assert version == schema.SCHEMA_VERSION
    assert set(DESCENDING_INDEXES) <= set(after)
    assert tagged == 3
    assert len(newest) == 1


async def test_refresh_statistics_sqlite(tmp_path):
    api = await picpocket.initialize(tmp_path / "library")
    try:
        await add_image_rows(api, tmp_path, 50)
        await api.refresh_statistics()
        async with api.transaction(commit=False) as cursor:
            rows = await cursor.fetch_all(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'images'"
            )
    finally:
        await api.close()
    # Each index's row starts with the table's row count.
    assert rows
    assert all(stat.split()[0] == "50" for (stat,) in rows)


@pytest.mark.postgres
async def test_refresh_statistics_postgres(tmp_path, postgres_database):
    api = await picpocket.initialize(
        tmp_path / "library", "postgres", store_credentials=True, **postgres_database
    )
    try:
        await add_image_rows(api, tmp_path, 50)
        await api.refresh_statistics()
        async with api.transaction(commit=False) as cursor:
            rows = await cursor.fetch_all(
                "SELECT relname, reltuples FROM pg_class "
                "WHERE relname IN ('images', 'image_tags', 'tags')"
            )
    finally:
        await api.close()
    # Before ANALYZE, PostgreSQL stores -1 for a table never analyzed.
    assert dict(rows) == {"images": 50, "image_tags": 0, "tags": 0}
