"""Tests of import batches: streamed ones, written as files are read, and
whole ones, written when full.

PostgreSQL streams its batches. Each test below runs on both backends:
on SQLite with streamed batches forced, which is safe here because
nothing else uses the library's connection meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from picpocket.database import importer
from picpocket.database.import_batches import (
    BatchWriter,
    Pending,
    StreamedBatch,
    WholeBatch,
)
from picpocket.database.images import split_name
from picpocket.database.postgres import DatabaseUnavailableError
from picpocket.images import ImageFacts

MODIFIED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def pending(api: Any, location_id: int, *paths: str) -> Pending:
    """Return new-image rows for paths, as an import builds them."""
    facts = ImageFacts(
        hash="ab",
        width=2,
        height=1,
        exif=None,
        creation_date=MODIFIED,
        creator=None,
        last_modified=MODIFIED,
        size=10,
    )
    values = api.file_values(facts, MODIFIED)
    rows = [(location_id, path, *split_name(path), *values, None) for path in paths]
    return Pending(new=rows)


@pytest.fixture
async def location(api, tmp_path: Path) -> Any:
    location_id = await api.add_location("card", tmp_path, source=True, removable=False)
    return await api.get_location(location_id)


@pytest.fixture
def recorder(api, location, tmp_path: Path) -> Any:
    job = importer._ImportJob(location, tmp_path, {}, "Ada", ["batch"], 100)
    return importer._JobRecorder(api, job)


@pytest.fixture
def outcomes(recorder, monkeypatch) -> list[str]:
    """Record how each of the recorder's transactions ends, as it ends."""
    ended: list[str] = []
    original = recorder.transaction

    @asynccontextmanager
    async def logged() -> AsyncIterator[Any]:
        try:
            async with original() as cursor:
                yield cursor
        except BaseException:
            ended.append("rolled back")
            raise
        ended.append("committed")

    monkeypatch.setattr(recorder, "transaction", logged)
    return ended


@pytest.fixture
def writing(recorder, monkeypatch) -> asyncio.Event:
    """Make each insert of rows take 0.3 s; the event is set when one starts."""
    original = recorder.insert_image_rows
    started = asyncio.Event()

    async def slow_insert(*args: Any) -> dict[str, int]:
        started.set()
        await asyncio.sleep(0.3)
        return await original(*args)

    monkeypatch.setattr(recorder, "insert_image_rows", slow_insert)
    return started


async def test_streamed_batch_finish_commits(api, location, recorder):
    batch = StreamedBatch(recorder, location.id)

    await batch.add(pending(api, location.id, "a.jpg", "b.jpg"))
    await batch.add(pending(api, location.id, "c.jpg"))
    ids = await batch.finish()

    images = {image.id: image for image in await api.search_images()}
    assert sorted(ids) == sorted(images)
    assert [images[image_id].path.name for image_id in ids] == ["a.jpg", "b.jpg", "c.jpg"]
    assert await api.count_images(all_tags=["batch"]) == 3


async def test_streamed_batch_abort_rolls_back(api, location, recorder, outcomes):
    # More aborted batches than the PostgreSQL pool has connections: one
    # left in its transaction would make the next call wait for a connection.
    for round_number in range(6):
        batch = StreamedBatch(recorder, location.id)
        await batch.add(pending(api, location.id, f"{round_number}.jpg"))
        await batch.abort(RuntimeError("stopped"))

    assert outcomes == ["rolled back"] * 6
    count = await asyncio.wait_for(api.count_images(), 10)
    assert count == 0


async def test_streamed_batch_failed_finish_rolls_back(
    api, location, recorder, outcomes, monkeypatch
):
    async def fail(*args: Any) -> None:
        raise RuntimeError("tagging failed")

    monkeypatch.setattr(recorder, "finish_batch", fail)
    batch = StreamedBatch(recorder, location.id)
    await batch.add(pending(api, location.id, "a.jpg"))

    with pytest.raises(RuntimeError, match="tagging failed"):
        await batch.finish()

    assert outcomes == ["rolled back"]
    count = await asyncio.wait_for(api.count_images(), 10)
    assert count == 0


async def test_streamed_batch_empty_finish(api, location, recorder):
    batch = StreamedBatch(recorder, location.id)

    assert await batch.finish() == []
    assert await api.count_images() == 0


async def test_whole_batch_writes_at_finish(api, location, recorder):
    batch = WholeBatch(recorder, location.id)

    batch.keep(pending(api, location.id, "a.jpg"))
    await batch.add(pending(api, location.id, "b.jpg"))
    assert await api.count_images() == 0
    ids = await batch.finish()

    assert len(ids) == 2
    assert await api.count_images() == 2


@pytest.mark.parametrize(
    ("kind", "expected"),
    [(StreamedBatch, ["committed", "rolled back"]), (WholeBatch, ["committed"])],
)
async def test_writer_error_rolls_back_open_batch(
    api, location, recorder, outcomes, kind, expected
):
    writer = BatchWriter(lambda: kind(recorder, location.id))

    with pytest.raises(RuntimeError, match="read failed"):
        async with writer:
            await writer.add(pending(api, location.id, "a.jpg"))
            await writer.finish()
            await writer.drain()
            await writer.add(pending(api, location.id, "b.jpg"))
            raise RuntimeError("read failed")

    # Checked before any await, so not left to the garbage collector.
    assert outcomes == expected
    assert [image.path.name for image in await api.search_images()] == ["a.jpg"]
    assert len(writer.ids) == 1


@pytest.mark.parametrize("kind", [StreamedBatch, WholeBatch])
async def test_writer_cancel_keeps_finished_batch(api, location, recorder, kind):
    writer = BatchWriter(lambda: kind(recorder, location.id))
    started = asyncio.Event()

    async def import_rows() -> None:
        async with writer:
            await writer.add(pending(api, location.id, "a.jpg"))
            await writer.finish()
            await writer.add(pending(api, location.id, "b.jpg"))
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(import_rows())
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert [image.path.name for image in await api.search_images()] == ["a.jpg"]


async def test_import_streamed_batches_match(api, photos, monkeypatch):
    # Small streams and batches, so that each batch is written in parts.
    monkeypatch.setattr(importer, "STREAM_ROWS", 2)
    monkeypatch.setattr(type(api), "streams_import_batches", True)
    await api.add_location("main", photos, source=True, removable=False)

    ids = await api.import_location("main", batch_size=7, tags=["streamed"])

    assert sorted(ids) == sorted(await api.get_image_ids())
    assert len(set(ids)) == len(ids)
    assert await api.count_images(all_tags=["streamed"]) == len(ids)


async def test_writer_cancel_before_finish_rolls_back(
    api, location, recorder, outcomes, writing
):
    # The cancel lands while finish() waits for a slow write of the batch.
    writer = BatchWriter(lambda: StreamedBatch(recorder, location.id))

    async def import_rows() -> None:
        async with writer:
            await writer.add(pending(api, location.id, "a.jpg"))
            await writer.finish()

    task = asyncio.create_task(import_rows())
    await asyncio.wait_for(writing.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert outcomes == ["rolled back"]
    assert await asyncio.wait_for(api.count_images(), 10) == 0


# On SQLite, the edit would run inside the batch, on its one connection.
@pytest.mark.parametrize("backend", ["postgres"])
async def test_streamed_updates_leave_rows_unlocked(api, location, recorder):
    # A changed file's new facts are written when the batch finishes, so
    # an edit of that image from another connection meanwhile does not
    # wait for the batch.
    [image_id] = (await _record(api, location, recorder, "a.jpg"))
    batch = StreamedBatch(recorder, location.id)
    values = pending(api, location.id, "a.jpg").new[0][4:-1]
    await batch.add(pending(api, location.id, "b.jpg"))
    await batch.add(Pending(updates=[(image_id, list(values))]))

    await asyncio.wait_for(api.edit_image(image_id, title="Heron"), 5)

    assert sorted(await batch.finish()) == sorted(await api.get_image_ids())
    assert (await api.get_image(image_id)).title == "Heron"


async def _record(api: Any, location: Any, recorder: Any, *paths: str) -> list[int]:
    batch = StreamedBatch(recorder, location.id)
    await batch.add(pending(api, location.id, *paths))
    return await batch.finish()


async def test_writer_second_cancel_rolls_back(
    api, location, recorder, outcomes, writing
):
    writer = BatchWriter(lambda: StreamedBatch(recorder, location.id))

    async def import_rows() -> None:
        async with writer:
            await writer.add(pending(api, location.id, "a.jpg"))
            await asyncio.sleep(60)

    task = asyncio.create_task(import_rows())
    await asyncio.wait_for(writing.wait(), 10)
    task.cancel()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    # The rollback goes on after the task ends, once the write in flight is done.
    deadline = asyncio.get_running_loop().time() + 10
    while not outcomes and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert outcomes == ["rolled back"]
    assert await asyncio.wait_for(api.count_images(), 10) == 0


@pytest.mark.parametrize("backend", ["postgres"])
async def test_streamed_batch_lost_connection(api, location, recorder, monkeypatch):
    original = recorder.insert_image_rows

    async def cut_then_insert(cursor: Any, *args: Any) -> dict[str, int]:
        await cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return await original(cursor, *args)

    monkeypatch.setattr(recorder, "insert_image_rows", cut_then_insert)
    batch = StreamedBatch(recorder, location.id)

    with pytest.raises(DatabaseUnavailableError):
        await batch.add(pending(api, location.id, "a.jpg"))

    assert await asyncio.wait_for(api.count_images(), 10) == 0
