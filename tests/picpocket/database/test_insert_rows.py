"""Tests of insert_image_rows, which writes an import's new rows.

PostgreSQL sends the rows by COPY, with ids drawn from the id sequence,
and SQLite inserts them one statement per row. Both leave out rows whose
(location, path) is recorded, and a rollback undoes the whole batch.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from picpocket.database.images import split_name
from picpocket.images import ImageFacts

MODIFIED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def image_row(api: Any, location_id: int, path: str, digest: str) -> tuple[Any, ...]:
    """Return an import row for a photo at path whose hash is digest."""
    facts = ImageFacts(
        hash=digest,
        width=1600,
        height=1200,
        exif={"Artist": "Ada", "FNumber": 2.8},
        creation_date=MODIFIED,
        creator="Ada",
        last_modified=MODIFIED,
        size=1000,
    )
    values = api.file_values(facts, MODIFIED)
    return (location_id, path, *split_name(path), *values, facts.creator)


async def insert(api: Any, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Insert rows of one location in a transaction, returning their ids by path."""
    async with api.transaction() as cursor:
        return await api.insert_image_rows(cursor, rows[0][0], rows)


async def recorded(api: Any) -> dict[str, str]:
    """Return the hash of every recorded image, by path."""
    async with api.transaction(commit=False) as cursor:
        rows = await cursor.fetch_all("SELECT path, hash FROM images")
    return {path: digest for path, digest in rows}


async def recorded_ids(api: Any) -> dict[str, int]:
    async with api.transaction(commit=False) as cursor:
        rows = await cursor.fetch_all("SELECT path, id FROM images")
    return {path: int(image_id) for path, image_id in rows}


@pytest.fixture
async def location_id(api, tmp_path: Path) -> int:
    return await api.add_location("card", tmp_path, source=True, removable=False)


async def test_insert_rows_all_columns(api, location_id):
    await insert(api, [image_row(api, location_id, "2024/Heron.JPG", "a1")])

    [image] = await api.search_images()
    assert image.path == Path("2024/Heron.JPG")
    assert image.name == "Heron"
    assert image.extension == "jpg"
    assert image.hash == "a1"
    assert (image.width, image.height) == (1600, 1200)
    assert image.exif == {"Artist": "Ada", "FNumber": 2.8}
    assert image.creation_date == MODIFIED
    assert image.last_modified == MODIFIED
    assert image.creator == "Ada"


async def test_insert_rows_recorded_path_kept(api, location_id):
    first = await insert(api, [image_row(api, location_id, "a.jpg", "first")])

    second = await insert(
        api,
        [
            image_row(api, location_id, "a.jpg", "second"),
            image_row(api, location_id, "b.jpg", "b"),
        ],
    )

    assert await recorded(api) == {"a.jpg": "first", "b.jpg": "b"}
    assert second == await recorded_ids(api)
    assert second["a.jpg"] == first["a.jpg"]


async def test_insert_rows_rollback_undone(api, location_id):
    async with api.connect() as connection:
        with pytest.raises(RuntimeError):
            async with api.cursor(connection, commit=True) as cursor:
                rows = [image_row(api, location_id, "a.jpg", "a")]
                await api.insert_image_rows(cursor, location_id, rows)
                raise RuntimeError("stop before the commit")
        async with api.cursor(connection, commit=True) as cursor:
            rows = [image_row(api, location_id, "b.jpg", "b")]
            await api.insert_image_rows(cursor, location_id, rows)

    assert await recorded(api) == {"b.jpg": "b"}


async def test_insert_rows_batches_separate(api, location_id):
    # On one connection, nothing of the first batch may come back with the
    # second one after its image was deleted.
    async with api.connect() as connection:
        async with api.cursor(connection, commit=True) as cursor:
            rows = [image_row(api, location_id, "a.jpg", "a")]
            await api.insert_image_rows(cursor, location_id, rows)
        async with api.cursor(connection, commit=True) as cursor:
            await cursor.execute("DELETE FROM images WHERE path = ?", ("a.jpg",))
        async with api.cursor(connection, commit=True) as cursor:
            rows = [image_row(api, location_id, "b.jpg", "b")]
            await api.insert_image_rows(cursor, location_id, rows)

    assert await recorded(api) == {"b.jpg": "b"}


async def test_insert_rows_many(api, location_id):
    rows = [image_row(api, location_id, f"{n:04}.jpg", f"h{n}") for n in range(1500)]

    ids = await insert(api, rows)

    assert await api.count_images() == 1500
    assert ids == await recorded_ids(api)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_executemany_in_parts(api, location_id, monkeypatch):
    # The connection's thread holds the GIL while it binds rows, so one
    # call for a whole batch kept the event loop waiting for milliseconds.
    from picpocket.database import sqlite

    parts = []
    original = aiosqlite.Connection.executemany

    async def recording(connection, statement, rows):
        rows = list(rows)
        parts.append(len(rows))
        return await original(connection, statement, rows)

    monkeypatch.setattr(aiosqlite.Connection, "executemany", recording)
    rows = [
        image_row(api, location_id, f"{number}.jpg", f"h{number}")
        for number in range(2 * sqlite.EXECUTEMANY_ROWS + 1)
    ]

    ids = await insert(api, rows)

    assert parts == [sqlite.EXECUTEMANY_ROWS, sqlite.EXECUTEMANY_ROWS, 1]
    assert ids == await recorded_ids(api)
    assert len(ids) == len(rows)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_executemany_no_rows_checked(api):
    # With no rows the statement still runs once, so a wrong one fails.
    with pytest.raises(sqlite3.OperationalError, match="nosuch"):
        async with api.transaction() as cursor:
            await cursor.executemany("INSERT INTO nosuch VALUES (?)", [])


async def test_insert_rows_same_paths_other_location(api, location_id, tmp_path):
    other = await api.add_location(
        "other", tmp_path / "other", source=True, removable=False
    )
    first = await insert(api, [image_row(api, location_id, "a.jpg", "first")])

    second = await insert(api, [image_row(api, other, "a.jpg", "second")])

    assert second["a.jpg"] != first["a.jpg"]
    assert second == {"a.jpg": (await recorded_ids_of(api, other))["a.jpg"]}


async def recorded_ids_of(api: Any, location: int) -> dict[str, int]:
    async with api.transaction(commit=False) as cursor:
        rows = await cursor.fetch_all(
            "SELECT path, id FROM images WHERE location = ?", (location,)
        )
    return {path: int(image_id) for path, image_id in rows}


@pytest.mark.parametrize("backend", ["postgres"])
async def test_postgres_copy_fallback_for_recorded_path(api, location_id, caplog):
    # COPY has no ON CONFLICT, so a recorded path sends the batch through
    # one statement a row, which leaves the recorded row as it was.
    caplog.set_level(logging.INFO, logger="picpocket")
    await insert(api, [image_row(api, location_id, "a.jpg", "first")])
    copied = [r for r in caplog.records if "one at a time" in r.getMessage()]

    await insert(
        api,
        [
            image_row(api, location_id, "a.jpg", "second"),
            image_row(api, location_id, "b.jpg", "b"),
        ],
    )
    fallbacks = [r for r in caplog.records if "one at a time" in r.getMessage()]

    assert copied == []
    assert len(fallbacks) == 1
    assert await recorded(api) == {"a.jpg": "first", "b.jpg": "b"}


@pytest.mark.parametrize("backend", ["postgres"])
async def test_postgres_copy_reads_no_images(api, location_id):
    # A library that grows during an import has no planner statistics yet,
    # and a lookup of a batch's new rows read every image for each batch.
    statements: list[str] = []
    rows = [image_row(api, location_id, f"{n}.jpg", f"h{n}") for n in range(3)]
    async with api.transaction() as cursor:
        original = cursor.fetch_all

        async def recording(statement, params=()):
            statements.append(statement)
            return await original(statement, params)

        cursor.fetch_all = recording
        ids = await api.insert_image_rows(cursor, location_id, rows)

    assert ids == await recorded_ids(api)
    assert statements
    assert not [s for s in statements if "FROM images" in s]


@pytest.mark.parametrize("backend", ["postgres"])
async def test_postgres_copy_id_clash_raises(api, location_id):
    # Only a recorded (location, path) sends a batch row by row. Another
    # unique violation, such as an id some other tool wrote, is an error.
    async with api.transaction() as cursor:
        [(next_id,)] = await cursor.fetch_all(
            "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END "
            "FROM images_id_seq"
        )
        await cursor.execute(
            "INSERT INTO images (id, location, path, name) VALUES (?, ?, ?, ?)",
            (next_id, location_id, "other.jpg", "other"),
        )

    with pytest.raises(api.integrity_errors):
        await insert(api, [image_row(api, location_id, "a.jpg", "a")])


@pytest.mark.parametrize("backend", ["postgres"])
async def test_postgres_copy_fallback_releases_savepoint(api, location_id):
    await insert(api, [image_row(api, location_id, "a.jpg", "first")])

    async with api.transaction() as cursor:
        rows = [image_row(api, location_id, "a.jpg", "second")]
        await api.insert_image_rows(cursor, location_id, rows)
        with pytest.raises(api.database_errors, match="picpocket_copy"):
            await cursor.execute("RELEASE SAVEPOINT picpocket_copy")
