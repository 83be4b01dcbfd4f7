"""SIGKILL in the middle of library work leaves a library that opens and finishes.

Each test runs the work in a child process (workers.py) that pauses at a
chosen point, writes a marker file and waits there, with its transaction
still open where the point is inside one. The test then kills the child
with SIGKILL, checks the library, and runs the same work again.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import picpocket
from picpocket.api import PicPocket
from picpocket.database.sqlite import DEFAULT_FILE
from picpocket.files import PARTIAL_SUFFIX
from tests.reliability.worker_process import (
    hidden_files,
    make_photos,
    sqlite_problems,
    start_worker,
    visible_files,
)

PHOTO_COUNT = 60
IMPORT_BATCH = 10
TAGGED_COUNT = 500


async def check_library(api: PicPocket, backend: str) -> None:
    """Open the library again and check that its records agree with the disk.

    Every image's file must exist where it is recorded, unless verify
    reports the image as missing. No tag may keep the temporary name that
    a tag move gives it. On SQLite the file must pass SQLite's own checks.
    """
    reopened = await picpocket.load(api.directory)
    try:
        images = await reopened.search_images()
        missing = {image.id for image in await reopened.verify_image_files()}
        tag_names = await reopened.all_tag_names()
    finally:
        await reopened.close()
    for image in images:
        assert image.full_path is not None
        assert image.full_path.is_file() or image.id in missing, image
    assert [name for name in tag_names if name.startswith("/")] == []
    if backend == "sqlite":
        assert sqlite_problems(api.directory / DEFAULT_FILE) == []


async def recorded_paths(api: PicPocket, location: str) -> list[str]:
    """Return the recorded paths of a location's images, sorted, duplicates kept."""
    location_id = (await api.get_location(location)).id
    return sorted(
        image.path.as_posix()
        for image in await api.search_images()
        if image.location == location_id
    )


def kill_when_paused(
    tmp_path: Path, action: str, api: PicPocket, *options: str
) -> None:
    worker = start_worker(tmp_path / "worker", action, api.directory, *options)
    worker.wait_for_pause()
    assert worker.kill() == -signal.SIGKILL


@pytest.mark.parametrize(
    ("pause", "saved"),
    [
        (("--pause-before-commit", "3"), {2 * IMPORT_BATCH}),
        # The third batch is written while files 31 to 35 are read, so it
        # may or may not be committed when the import stops there.
        (("--pause-at-file", "35"), {2 * IMPORT_BATCH, 3 * IMPORT_BATCH}),
    ],
    ids=["inside-batch", "between-batches"],
)
async def test_import_killed(
    api: PicPocket,
    backend: str,
    tmp_path: Path,
    photo_source: Path,
    pause: tuple[str, str],
    saved: set[int],
) -> None:
    card = tmp_path / "card"
    photos = make_photos(card, photo_source, PHOTO_COUNT)
    await api.add_location("card", card, source=True, removable=False)
    batch = ("--batch-size", str(IMPORT_BATCH))
    kill_when_paused(tmp_path, "import", api, "--location", "card", *batch, *pause)

    await check_library(api, backend)
    assert await api.count_images() in saved
    await api.import_location("card")
    assert await recorded_paths(api, "card") == sorted(path.name for path in photos)


@pytest.mark.parametrize(
    "pause",
    [("--pause-at-file", "15"), ("--pause-before-commit", "1")],
    ids=["copying", "recording"],
)
async def test_task_killed(
    api: PicPocket,
    backend: str,
    tmp_path: Path,
    photo_source: Path,
    pause: tuple[str, str],
) -> None:
    card, archive = tmp_path / "card", tmp_path / "archive"
    photos = make_photos(card, photo_source, PHOTO_COUNT)
    archive.mkdir()
    await api.add_location("card", card, source=True, removable=False)
    await api.add_location("archive", archive, destination=True, removable=False)
    await api.add_task("offload", "card", "archive")
    kill_when_paused(tmp_path, "task", api, "--task", "offload", *pause)

    await check_library(api, backend)
    sources = {path.name: path.read_bytes() for path in photos}
    copied = visible_files(archive)
    # A copy is published under its name only when complete.
    assert {name: sources[name] for name in copied} == copied
    leftovers = hidden_files(archive)
    assert [name for name in leftovers if not name.endswith(PARTIAL_SUFFIX)] == []

    await api.run_task("offload")
    assert visible_files(archive) == sources
    assert await recorded_paths(api, "archive") == sorted(sources)


async def imported_photo(api: PicPocket, folder: Path) -> tuple[int, bytes]:
    """Import `folder` as location "photos"; return the first image's id and bytes."""
    await api.add_location("photos", folder, destination=True, removable=False)
    await api.import_location("photos")
    image = (await api.search_images(order=("path",)))[0]
    assert image.full_path is not None
    return image.id, image.full_path.read_bytes()


async def check_moved(api: PicPocket, image_id: int, target: Path, data: bytes) -> None:
    image = await api.get_image(image_id)
    assert image is not None
    assert image.full_path == target
    assert target.read_bytes() == data
    assert await api.verify_image_files() == []


async def test_move_killed_before_commit(
    api: PicPocket, backend: str, tmp_path: Path, jpegs: Path
) -> None:
    image_id, data = await imported_photo(api, jpegs)
    old = (await api.get_image(image_id)).full_path
    target = jpegs / "moved" / "kept.jpg"
    move = ("--image", str(image_id), "--path", "moved/kept.jpg")
    kill_when_paused(tmp_path, "move", api, *move, "--pause-before-commit", "1")

    await check_library(api, backend)
    # The file moved but its record did not: exactly one copy exists, and
    # verify reports the image as missing until the move is run again.
    assert [old.exists(), target.exists()] == [False, True]
    missing = [image.id for image in await api.verify_image_files()]
    assert missing == [image_id]
    await api.move_image(image_id, Path("moved/kept.jpg"))
    await check_moved(api, image_id, target, data)


async def test_move_killed_before_unlink(
    api: PicPocket, backend: str, tmp_path: Path, jpegs: Path
) -> None:
    image_id, data = await imported_photo(api, jpegs)
    old = (await api.get_image(image_id)).full_path
    target = jpegs / "moved" / "kept.jpg"
    move = ("--image", str(image_id), "--path", "moved/kept.jpg")
    kill_when_paused(tmp_path, "move", api, *move, "--pause-before-unlink")

    await check_library(api, backend)
    assert [old.exists(), target.exists()] == [True, True]
    await api.move_image(image_id, Path("moved/kept.jpg"))
    await check_moved(api, image_id, target, data)
    assert old.exists() is False


async def test_tag_move_killed(
    api: PicPocket, backend: str, tmp_path: Path, photo_source: Path
) -> None:
    card = tmp_path / "card"
    make_photos(card, photo_source, TAGGED_COUNT)
    await api.add_location("card", card, source=True, removable=False)
    ids = await api.import_location("card")
    await api.tag_images(ids, "trip/day")
    await api.tag_images(ids[::2], "trip/day/beach")
    # An existing target takes the merge path of move_tag as well.
    await api.tag_images(ids[:10], "places/day")
    before = await api.tag_counts()
    kill_when_paused(
        tmp_path,
        "move-tag",
        api,
        "--current",
        "trip",
        "--new",
        "places",
        "--pause-before-commit",
        "1",
    )

    await check_library(api, backend)
    assert await api.tag_counts() == before
    await api.move_tag("trip", "places")
    counts = await api.tag_counts()
    assert counts == {
        "places": TAGGED_COUNT,
        "places/day": TAGGED_COUNT,
        "places/day/beach": TAGGED_COUNT // 2,
    }


SCRIPT_WITHOUT_CLOSE = """
import asyncio, sys
import picpocket

async def main():
    api = await picpocket.initialize(sys.argv[1])
    await api.count_images()
    raise RuntimeError("the script failed before closing the library")

asyncio.run(main())
"""


def test_script_error_exits(tmp_path: Path) -> None:
    # A script that fails before close() must still exit, with its traceback.
    script = textwrap.dedent(SCRIPT_WITHOUT_CLOSE)
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "library")],
        capture_output=True,
        text=True,
        timeout=15,
    )
    assert result.returncode == 1
    assert "the script failed before closing the library" in result.stderr
