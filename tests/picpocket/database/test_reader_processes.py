"""Imports that read in reader processes record what reader threads record.

Setting reader_processes.MIN_FILES to 0 makes every import use the processes.
Most tests first import a small warm-up folder until a reader process has
read a file, so that the import under test is read by the processes rather
than by the thread that reads while they start.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

import picpocket
from picpocket.database import reader_processes
from picpocket.database.logic import Number
from picpocket.database.types import Image
from tests.reliability.test_bad_files import (
    EXIF_CASES,
    jpeg,
    jpeg_with_exif,
    write_bad_files,
)
from tests.reliability.worker_process import make_photos

# Reader threads let Pillow's warnings about damaged EXIF reach the warnings
# module, where pytest would list them.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tag data larger than file:UserWarning"),
]

START_TIMEOUT = 30.0  # seconds until a reader process must have read a file
EXIT_TIMEOUT = 10.0  # seconds until a stopped reader process must be reaped
IMPORT_TIMEOUT = 60.0  # seconds for an import, so that a stuck reader fails the test
SCRIPT_TIMEOUT = 120.0  # seconds for the script that imports 250 photos
NO_PROCESSES = 10**9  # a MIN_FILES that no import reaches


@pytest.fixture
def force_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every import read in reader processes, however few its files."""
    monkeypatch.setattr(reader_processes, "MIN_FILES", 0)


# Helpers ---------------------------------------------------------------------


async def add_folder(api, name: str, folder: Path) -> int:
    return await api.add_location(
        name, folder, source=True, destination=True, removable=False
    )


def warning_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


def warnings_naming(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """Return the messages of logged warnings that contain text."""
    return [
        record.getMessage()
        for record in warning_records(caplog)
        if text in record.getMessage()
    ]


async def start_readers(
    api, folder: Path, caplog: pytest.LogCaptureFixture
) -> list[int]:
    """Import text files named .jpg until a reader process has read one.

    The process id on the forwarded warning about the file shows which
    process read it. Returns the ids of the reader processes.
    """
    folder.mkdir()
    await add_folder(api, "warm-up", folder)
    deadline = time.monotonic() + START_TIMEOUT
    attempt = 0
    while True:
        name = f"note-{attempt}.jpg"
        (folder / name).write_text("not a photo")
        await asyncio.wait_for(api.import_location("warm-up"), IMPORT_TIMEOUT)
        workers = api._processes.worker_ids()
        readers = {
            record.process
            for record in warning_records(caplog)
            if name in record.getMessage()
        }
        if readers & set(workers):
            return workers
        assert time.monotonic() < deadline, "no reader process read a file in time"
        attempt += 1
        await asyncio.sleep(0.05)


def process_exists(pid: int) -> bool:
    """Return whether pid exists, as a running process or one not yet reaped."""
    return Path(f"/proc/{pid}").exists()


async def wait_until_gone(pid: int, timeout: float = EXIT_TIMEOUT) -> bool:
    """Wait until process pid has exited and been reaped; return False on timeout."""
    deadline = time.monotonic() + timeout
    while process_exists(pid):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def parent_of(pid: int) -> int:
    # The command name in /proc/PID/stat is in brackets and may contain spaces.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1])


async def images_of(api, location_id: int) -> dict[str, Image]:
    """Return a location's images by path, without the ids that differ by location."""
    images = await api.search_images(Number("location", "=", location_id))
    return {
        image.path.as_posix(): dataclasses.replace(
            image, id=0, location=0, full_path=None
        )
        for image in images
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hashes_of(folder: Path) -> dict[str, str]:
    """Return the SHA-256 of every file under folder, by relative path."""
    return {
        path.relative_to(folder).as_posix(): sha256(path.read_bytes())
        for path in folder.rglob("*")
        if path.is_file()
    }


def mixed_folder(folder: Path, photo_source: Path) -> Path:
    """Copy every sample photo (HEIC and TIFF among them) to folder, next to
    damaged files: a truncated JPEG, text named .jpg, odd EXIF and more."""
    shutil.copytree(photo_source, folder, ignore=shutil.ignore_patterns("*.md"))
    (folder / "cut-short.jpg").write_bytes(jpeg()[:700])
    (folder / "letter.jpg").write_text("Dear Ada, this is not a photo.")
    write_bad_files(folder / "bad")
    for case, (entries, *_rest) in EXIF_CASES.items():
        (folder / "bad" / f"exif-{case}.jpg").write_bytes(jpeg_with_exif(*entries))
    return folder


# Same records as threads ----------------------------------------------------------


async def test_processes_record_as_threads(
    api, tmp_path, photo_source, monkeypatch, caplog
):
    threads_folder = mixed_folder(tmp_path / "threads", photo_source)
    # copytree keeps modification times, which creation dates fall back on.
    processes_folder = shutil.copytree(threads_folder, tmp_path / "processes")
    threads_id = await add_folder(api, "threads", threads_folder)
    processes_id = await add_folder(api, "processes", processes_folder)
    monkeypatch.setattr(reader_processes, "MIN_FILES", NO_PROCESSES)
    await asyncio.wait_for(api.import_location("threads"), IMPORT_TIMEOUT)
    thread_warnings = Counter(
        record.getMessage().replace(str(threads_folder), "ROOT")
        for record in warning_records(caplog)
    )
    assert api._processes is None
    monkeypatch.setattr(reader_processes, "MIN_FILES", 0)
    workers = await start_readers(api, tmp_path / "warm-up", caplog)
    caplog.clear()

    await asyncio.wait_for(api.import_location("processes"), IMPORT_TIMEOUT)

    process_records = warning_records(caplog)
    process_warnings = Counter(
        record.getMessage().replace(str(processes_folder), "ROOT")
        for record in process_records
    )
    by_threads = await images_of(api, threads_id)
    by_processes = await images_of(api, processes_id)
    assert len(by_processes) == len(hashes_of(processes_folder))
    assert by_processes == by_threads
    assert sorted((process_warnings - thread_warnings).elements()) == []
    assert sorted((thread_warnings - process_warnings).elements()) == []
    assert {record.process for record in process_records} & set(workers)


# Process lifetime -----------------------------------------------------------------


async def test_workers_are_child_processes(api, tmp_path, caplog, force_processes):
    workers = await start_readers(api, tmp_path / "warm-up", caplog)

    assert workers
    for pid in workers:
        assert pid != os.getpid()
        assert process_exists(pid)
        assert parent_of(pid) == os.getpid()


async def test_workers_exit_after_close(api, tmp_path, caplog, force_processes):
    workers = await start_readers(api, tmp_path / "warm-up", caplog)

    await api.close()

    for pid in workers:
        assert await wait_until_gone(pid), f"reader process {pid} still runs"


async def test_worker_killed_mid_import(
    api, tmp_path, photo_source, caplog, force_processes
):
    workers = await start_readers(api, tmp_path / "warm-up", caplog)
    folder = tmp_path / "many"
    make_photos(folder, photo_source, 600)
    location_id = await add_folder(api, "many", folder)
    victim = workers[0]
    killed_at = []

    def kill_after_100(done: int, total: int) -> None:
        if done >= 100 and not killed_at:
            os.kill(victim, signal.SIGKILL)
            killed_at.append(done)

    ids = await asyncio.wait_for(
        api.import_location("many", batch_size=50, progress=kill_after_100),
        IMPORT_TIMEOUT,
    )

    images = await images_of(api, location_id)
    assert killed_at
    assert len(ids) == 600
    assert len(set(ids)) == 600
    assert {path: image.hash for path, image in images.items()} == hashes_of(folder)
    assert warnings_naming(caplog, f"Reader process {victim} stopped")
    assert await wait_until_gone(victim), f"killed reader process {victim} not reaped"


@pytest.mark.parametrize(
    ("program", "warning"),
    [
        ("/bin/false", "Reader process"),
        ("no-such-python", "Could not start a reader process"),
    ],
)
async def test_workers_cannot_start(
    api, tmp_path, photo_source, caplog, monkeypatch, force_processes, program, warning
):
    monkeypatch.setattr(reader_processes.sys, "executable", str(tmp_path / program))
    folder = tmp_path / "photos"
    make_photos(folder, photo_source, 100)
    location_id = await add_folder(api, "photos", folder)

    ids = await asyncio.wait_for(api.import_location("photos"), IMPORT_TIMEOUT)

    images = await images_of(api, location_id)
    assert len(ids) == 100
    assert {path: image.hash for path, image in images.items()} == hashes_of(folder)
    # The pool's threads log the failure; the import need not wait for it.
    deadline = time.monotonic() + START_TIMEOUT
    while not warnings_naming(caplog, warning) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert warnings_naming(caplog, warning)


# Cancel ---------------------------------------------------------------------------


async def test_cancel_keeps_whole_batches(
    api, tmp_path, photo_source, caplog, force_processes
):
    await start_readers(api, tmp_path / "warm-up", caplog)
    folder = tmp_path / "many"
    make_photos(folder, photo_source, 300)
    location_id = await add_folder(api, "many", folder)
    in_location = Number("location", "=", location_id)

    # 45 is not a whole number of batches, so a partial batch would show.
    def cancel_after_45(done: int, total: int) -> None:
        if done >= 45 and not task.cancelling():
            task.cancel()

    task = asyncio.create_task(
        api.import_location(
            "many", batch_size=10, tags=["batch"], progress=cancel_after_45
        )
    )
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, IMPORT_TIMEOUT)

    saved = await images_of(api, location_id)
    assert len(saved) % 10 == 0
    assert 40 <= len(saved) < 300
    assert await api.count_images(in_location, any_tags=["batch"]) == len(saved)
    assert {path: image.hash for path, image in saved.items()} == {
        path: digest for path, digest in hashes_of(folder).items() if path in saved
    }
    rest = await asyncio.wait_for(
        api.import_location("many", batch_size=10, tags=["batch"]), IMPORT_TIMEOUT
    )
    assert len(rest) == 300 - len(saved)
    assert await api.count_images(in_location, any_tags=["batch"]) == 300


# Scripts --------------------------------------------------------------------------

# A user's script with no `if __name__ == "__main__":` guard. Each run of its
# top level appends a line to runs.txt. Multiprocessing's spawn start method
# would run it again in every reader process.
SCRIPT = """\
import asyncio
import os
import sys
from pathlib import Path

import picpocket

folder = Path(sys.argv[1])
with open(folder / "runs.txt", "a") as runs:
    runs.write(f"{os.getpid()}\\n")


async def import_photos():
    api = await picpocket.initialize(folder / "library")
    await api.add_location(
        "photos", folder / "photos", source=True, destination=True, removable=False
    )
    ids = await api.import_location("photos")
    readers = api._processes.worker_ids() if api._processes else []
    await api.close()
    print(len(ids), len(readers))


asyncio.run(import_photos())
"""


def test_script_without_main_guard(tmp_path, photo_source):
    make_photos(tmp_path / "photos", photo_source, 250)
    script = tmp_path / "import_photos.py"
    script.write_text(SCRIPT)
    package_root = Path(picpocket.__file__).resolve().parent.parent
    environment = {**os.environ, "PYTHONPATH": str(package_root)}

    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
    )

    imported, readers = result.stdout.split()
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "runs.txt").read_text().splitlines()) == 1
    assert imported == "250"
    assert int(readers) >= 1


def test_shutdown_cancels_queued_chunks(tmp_path: Path, monkeypatch):
    # The process cannot start, so its thread reads here. It takes the
    # first chunk and is held there while the rest wait in the queue.
    first_taken, release = threading.Event(), threading.Event()

    def held_read(root, relatives):
        first_taken.set()
        release.wait(10)
        return []

    monkeypatch.setattr(reader_processes, "read_files", held_read)
    monkeypatch.setattr(reader_processes.sys, "executable", str(tmp_path / "no-python"))
    pool = reader_processes.ReaderPool(1)
    chunks = [pool.submit(tmp_path, [f"photo-{n}.jpg"]) for n in range(5)]
    assert first_taken.wait(10)

    pool.shutdown()
    release.set()

    assert chunks[0].result(timeout=10) == []
    assert all(chunk.cancelled() for chunk in chunks[1:])


def test_submit_after_shutdown_raises(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(reader_processes.sys, "executable", str(tmp_path / "no-python"))
    pool = reader_processes.ReaderPool(1)
    pool.shutdown()

    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(tmp_path, ["photo.jpg"])
