"""Two processes using one SQLite library at once, as the desktop app and the
command line do.

Readers never wait for a writer (WAL). A writer waits for another
process's write transaction instead of failing, up to the busy timeout,
and only then raises a LibraryBusyError. No change is lost.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import picpocket
from picpocket.api import PicPocket
from picpocket.database import sqlite
from picpocket.database.sqlite import LibraryBusyError
from tests.reliability.worker_process import Worker, make_photos, start_worker

IMAGE_COUNT = 1000
IMPORTED_COUNT = 300  # photos imported while another process reads
IMPORT_BATCH = 20
HOLD_SECONDS = 3.0  # how long a worker keeps its write transaction open
SCRIPT = Path(sys.executable).with_name("picpocket")


async def build_template(directory: Path, card: Path, photo_source: Path) -> None:
    api = await picpocket.initialize(directory)
    try:
        make_photos(card, photo_source, IMAGE_COUNT)
        await api.add_location("card", card, source=True, removable=False)
        await api.import_location("card")
    finally:
        await api.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, photo_source: Path) -> Path:
    """Create, once per module, an SQLite library with IMAGE_COUNT photos.

    Tests change records only, never these files, so they share them.
    """
    folder = tmp_path_factory.mktemp("concurrency")
    directory = folder / "library"
    asyncio.run(build_template(directory, folder / "card", photo_source))
    return directory


@pytest.fixture
async def library(template: Path, tmp_path: Path) -> AsyncIterator[PicPocket]:
    """Return an open copy of the template library."""
    directory = tmp_path / "library"
    shutil.copytree(template, directory)
    api = await picpocket.load(directory)
    try:
        yield api
    finally:
        await api.close()


def hold_write_lock(tmp_path: Path, library: PicPocket, title: str) -> Worker:
    """Start a worker that edits image 1 and keeps the transaction open a while."""
    worker = start_worker(
        tmp_path / "holder",
        "hold",
        library.directory,
        "--image",
        "1",
        "--title",
        title,
        "--pause-before-commit",
        "1",
        "--pause-seconds",
        str(HOLD_SECONDS),
    )
    worker.wait_for_pause()
    return worker


async def test_reads_while_locked(library: PicPocket, tmp_path: Path) -> None:
    holder = hold_write_lock(tmp_path, library, "held")
    # Reads see the state before the other process's open transaction, so
    # they ran without waiting for its commit.
    assert (await library.get_image(1)).title is None
    second = await picpocket.load(library.directory)
    try:
        assert (await second.get_image(1)).title is None
        assert await second.count_images() == IMAGE_COUNT
    finally:
        await second.close()
    assert holder.process.poll() is None

    # The write waits for the other process's commit, then goes through.
    await library.tag_image(2, "waited")
    assert holder.finish() == {"result": "held"}
    assert (await library.get_image(1)).title == "held"
    assert (await library.get_image(2, tags=True)).tags == ["waited"]


async def test_write_busy_error(
    library: PicPocket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A wait longer than the busy timeout ends in a clear error, and no change.
    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT", 0.5)
    impatient = await picpocket.load(library.directory)
    try:
        holder = hold_write_lock(tmp_path, library, "held")
        with pytest.raises(LibraryBusyError) as error:
            await impatient.tag_image(2, "impatient")
        assert str(library.directory) in str(error.value)
        assert "try again" in str(error.value)
        assert holder.finish() == {"result": "held"}
        await impatient.tag_image(3, "later")
    finally:
        await impatient.close()
    assert await library.count_images(any_tags=["impatient"]) == 0
    assert await library.count_images(any_tags=["later"]) == 1


@pytest.mark.parametrize(
    "tags", [("left", "right"), ("shared", "shared")], ids=["different", "same"]
)
async def test_two_taggers(
    library: PicPocket, tmp_path: Path, tags: tuple[str, str]
) -> None:
    go = tmp_path / "go"
    workers = [
        start_worker(
            tmp_path / f"tagger-{number}",
            "tag",
            library.directory,
            "--tag",
            tag,
            "--start-file",
            str(go),
        )
        for number, tag in enumerate(tags)
    ]
    go.touch()
    results = [worker.finish() for worker in workers]
    assert results == [{"result": IMAGE_COUNT}, {"result": IMAGE_COUNT}]
    for tag in set(tags):
        assert await library.count_images(all_tags=[tag]) == IMAGE_COUNT


async def test_reader_during_import(
    library: PicPocket, tmp_path: Path, photo_source: Path
) -> None:
    stop = tmp_path / "stop-reading"
    reader = start_worker(
        tmp_path / "reader", "read", library.directory, "--stop-file", str(stop)
    )
    reader.wait_for_pause()
    card = tmp_path / "second-card"
    make_photos(card, photo_source, IMPORTED_COUNT)
    await library.add_location("second-card", card, source=True, removable=False)
    await library.import_location("second-card", batch_size=IMPORT_BATCH)
    stop.touch()
    outcome = reader.finish()
    assert outcome["result"] >= 1
    assert await library.count_images() == IMAGE_COUNT + IMPORTED_COUNT


def start_together(
    tmp_path: Path, library: PicPocket, action: str, *options: tuple[str, ...]
) -> list[Worker]:
    """Start one worker per option tuple, all beginning their work at once."""
    go = tmp_path / "go"
    workers = [
        start_worker(
            tmp_path / f"{action}-{number}",
            action,
            library.directory,
            *arguments,
            "--start-file",
            str(go),
        )
        for number, arguments in enumerate(options)
    ]
    go.touch()
    return workers


async def test_two_imports(
    library: PicPocket, tmp_path: Path, photo_source: Path
) -> None:
    # The app and the command line import the same card at once.
    card = tmp_path / "second-card"
    photos = make_photos(card, photo_source, IMPORTED_COUNT)
    await library.add_location("second-card", card, source=True, removable=False)
    batch = ("--batch-size", str(IMPORT_BATCH))
    arguments = ("--location", "second-card", *batch)
    workers = start_together(tmp_path, library, "import", arguments, arguments)
    # An import leaves out files the other one recorded before it listed
    # the card, so only the records show that nothing was lost.
    for worker in workers:
        assert list(worker.finish()) == ["result"]
    location = await library.get_location("second-card")
    recorded = await library.search_images(order=("path",))
    paths = [image.path.name for image in recorded if image.location == location.id]
    assert paths == [path.name for path in photos]


async def test_two_task_runs(
    library: PicPocket, tmp_path: Path, photo_source: Path
) -> None:
    card, archive = tmp_path / "second-card", tmp_path / "archive"
    photos = make_photos(card, photo_source, IMPORTED_COUNT)
    archive.mkdir()
    await library.add_location("second-card", card, source=True, removable=False)
    await library.add_location("archive", archive, destination=True, removable=False)
    await library.add_task("offload", "second-card", "archive")
    arguments = ("--task", "offload")
    workers = start_together(tmp_path, library, "task", arguments, arguments)
    imported = [worker.finish()["result"] for worker in workers]
    names = [path.name for path in photos]
    assert sorted(path.name for path in archive.iterdir()) == names
    location = await library.get_location("archive")
    recorded = await library.search_images(order=("path",))
    in_archive = [image for image in recorded if image.location == location.id]
    assert [image.path.name for image in in_archive] == names
    assert set(imported[0]) | set(imported[1]) == {image.id for image in in_archive}
    # Each run found every file copied, by itself or by the other run, so
    # neither left a file for the next run.
    assert (await library.get_task("offload")).last_ran is not None


def run_script(library: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the installed picpocket console script on a library."""
    if not SCRIPT.is_file():
        pytest.fail(f"{SCRIPT} is missing; install the project with pip install -e .")
    environment = dict(os.environ)
    environment.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(SCRIPT), "--library", str(library), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )


async def test_script_while_locked(library: PicPocket, tmp_path: Path) -> None:
    holder = hold_write_lock(tmp_path, library, "held")
    counted = run_script(library.directory, "images", "count")
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout == f"{IMAGE_COUNT}\n"
    assert holder.process.poll() is None

    tagged = run_script(library.directory, "images", "tag", "2", "from-script", "more")
    assert tagged.returncode == 0, tagged.stderr
    assert holder.finish() == {"result": "held"}
    assert (await library.get_image(2, tags=True)).tags == ["from-script", "more"]
    assert (await library.get_image(1)).title == "held"


async def test_script_while_tagging(library: PicPocket, tmp_path: Path) -> None:
    tagger = start_worker(
        tmp_path / "tagger", "tag", library.directory, "--tag", "python"
    )
    tagger.wait_for_pause()
    tagged = run_script(library.directory, "images", "tag", "10", "script")
    assert tagged.returncode == 0, tagged.stderr
    listed = run_script(library.directory, "tags", "list")
    assert listed.returncode == 0, listed.stderr
    assert tagger.finish() == {"result": IMAGE_COUNT}
    assert await library.count_images(all_tags=["python"]) == IMAGE_COUNT
    assert (await library.get_image(10, tags=True)).tags == ["python", "script"]
