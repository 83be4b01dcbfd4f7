"""Tests for ThumbnailLoader on the qasync loop, with worker processes and photos."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

import picpocket
from picpocket.database.types import Image
from picpocket_gui.thumbnails import ThumbnailLoader, render
from picpocket_gui.thumbnails.loader import LoaderStats, size_bucket

TIMEOUT = 60.0


async def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


def record(path: Path, image_id: int = 1, content_hash: str | None = "") -> Image:
    """Return an image record for a file, hashed unless content_hash is None."""
    if content_hash == "":
        content_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    return Image(
        id=image_id,
        location=1,
        path=Path(path.name),
        name=path.stem,
        extension=path.suffix[1:],
        hash=content_hash,
        full_path=path,
    )


class Signals:
    """The (key, size) pairs that a loader's ready signal emitted, in order."""

    def __init__(self, loader: ThumbnailLoader) -> None:
        self.emitted: list[tuple[str, int]] = []
        loader.ready.connect(lambda key, size: self.emitted.append((key, size)))

    async def wait_for(self, count: int) -> None:
        await wait_until(lambda: len(self.emitted) >= count)


@pytest.fixture
async def loader(tmp_path: Path) -> AsyncIterator[ThumbnailLoader]:
    thumbnails = ThumbnailLoader(tmp_path / "thumbnail-cache", workers=1)
    yield thumbnails
    await thumbnails.close()


async def test_ready_for_library_images(
    loader: ThumbnailLoader, library: picpocket.PicPocket
):
    ids = await library.get_image_ids()
    images = await library.get_images(ids)
    signals = Signals(loader)
    for image in images:
        loader.request(image, 200)
    # Files with the same content share a key and one load.
    keys = {loader.key_for(image) for image in images}
    await signals.wait_for(len(keys))
    assert {key for key, _ in signals.emitted} == keys
    assert loader.pending_count() == 0


async def test_library_thumbnails_in_memory(
    loader: ThumbnailLoader, library: picpocket.PicPocket
):
    images = await library.get_images(await library.get_image_ids())
    signals = Signals(loader)
    for image in images:
        loader.request(image, 200)
    await signals.wait_for(len({loader.key_for(image) for image in images}))
    readable = [
        image for image in images if not loader.is_failed(loader.key_for(image))
    ]
    thumbnails = [loader.get(image, 200) for image in readable]
    assert len(readable) == len(images)
    assert all(isinstance(thumbnail, QImage) for thumbnail in thumbnails)
    assert all(max(t.width(), t.height()) <= 200 for t in thumbnails)


async def test_get_scales_to_size(loader: ThumbnailLoader, samples: Path):
    image = record(samples / "jpg" / "orientation" / "portrait_6.jpg")
    signals = Signals(loader)
    loader.request(image, 200)
    await signals.wait_for(1)
    thumbnail = loader.get(image, 200)
    assert thumbnail is not None
    assert (thumbnail.width(), thumbnail.height()) == (150, 200)


async def test_orientation_in_qimage(loader: ThumbnailLoader, samples: Path):
    image = record(samples / "jpg" / "orientation" / "landscape_8.jpg")
    signals = Signals(loader)
    loader.request(image, 256)
    await signals.wait_for(1)
    thumbnail = loader.get(image, 256)
    assert thumbnail is not None
    assert (thumbnail.width(), thumbnail.height()) == (256, 192)


async def test_get_before_request(loader: ThumbnailLoader, samples: Path):
    assert loader.get(record(samples / "jpg" / "Nikon_D70.jpg"), 128) is None


async def test_heic_through_loader(loader: ThumbnailLoader, samples: Path):
    image = record(samples / "heic" / "mobile" / "iphone_13_pro_max.HEIC")
    signals = Signals(loader)
    loader.request(image, 256)
    await signals.wait_for(1)
    thumbnail = loader.get(image, 256)
    assert thumbnail is not None
    assert (thumbnail.width(), thumbnail.height()) == (192, 256)


async def test_cache_hit_skips_worker(tmp_path: Path, samples: Path):
    image = record(samples / "jpg" / "gps" / "DSCN0010.jpg")
    first = ThumbnailLoader(tmp_path / "cache", workers=1)
    signals = Signals(first)
    first.request(image, 256)
    await signals.wait_for(1)
    await first.close()
    second = ThumbnailLoader(tmp_path / "cache", workers=1)
    signals = Signals(second)
    second.request(image, 256)
    await signals.wait_for(1)
    await second.close()
    assert first.stats == LoaderStats(cache_hits=0, renders=1, failures=0)
    assert second.stats == LoaderStats(cache_hits=1, renders=0, failures=0)


async def test_cached_thumbnail_matches(tmp_path: Path, samples: Path):
    image = record(samples / "jpg" / "orientation" / "portrait_3.jpg")
    sizes = []
    for _ in range(2):
        thumbnails = ThumbnailLoader(tmp_path / "cache", workers=1)
        signals = Signals(thumbnails)
        thumbnails.request(image, 256)
        await signals.wait_for(1)
        thumbnail = thumbnails.get(image, 256)
        assert thumbnail is not None
        sizes.append((thumbnail.width(), thumbnail.height()))
        await thumbnails.close()
    assert sizes == [(192, 256), (192, 256)]


async def test_duplicate_requests_coalesce(loader: ThumbnailLoader, samples: Path):
    image = record(samples / "jpg" / "gps" / "DSCN0012.jpg")
    signals = Signals(loader)
    for _ in range(3):
        loader.request(image, 256)
    loader.request(image, 200)
    await signals.wait_for(2)
    await asyncio.sleep(0.2)
    key = loader.key_for(image)
    assert loader.stats.renders == 1
    assert sorted(signals.emitted) == [(key, 200), (key, 256)]


async def test_request_in_memory_ignored(loader: ThumbnailLoader, samples: Path):
    image = record(samples / "jpg" / "gps" / "DSCN0027.jpg")
    signals = Signals(loader)
    loader.request(image, 256)
    await signals.wait_for(1)
    loader.request(image, 256)
    loader.request(image, 180)
    await asyncio.sleep(0.2)
    assert signals.emitted == [(loader.key_for(image), 256)]
    assert loader.pending_count() == 0


async def test_same_content_coalesces(
    loader: ThumbnailLoader, samples: Path, tmp_path: Path
):
    original = samples / "jpg" / "gps" / "DSCN0021.jpg"
    copy = tmp_path / "copy-of-DSCN0021.jpg"
    shutil.copyfile(original, copy)
    signals = Signals(loader)
    loader.request(record(original, 1), 256)
    loader.request(record(copy, 2), 256)
    await signals.wait_for(1)
    await asyncio.sleep(0.2)
    assert loader.stats.renders == 1
    assert len(signals.emitted) == 1


async def test_newest_request_first(loader: ThumbnailLoader, samples: Path):
    loader.max_running = 1
    images = [
        record(path, index)
        for index, path in enumerate(sorted((samples / "jpg" / "gps").glob("*.jpg")))
    ]
    signals = Signals(loader)
    for image in images:
        loader.request(image, 128)
    await signals.wait_for(len(images))
    # The first request starts at once; the queued ones run newest first.
    expected = [images[0], *reversed(images[1:])]
    assert [key for key, _ in signals.emitted] == [loader.key_for(i) for i in expected]


async def test_clear_requests_drops_queued(loader: ThumbnailLoader, samples: Path):
    images = [
        record(path, index)
        for index, path in enumerate(
            sorted((samples / "jpg" / "exif-org").glob("*.jpg"))
        )
    ]
    signals = Signals(loader)
    for image in images:
        loader.request(image, 128)
    started = loader.max_running
    loader.clear_requests()
    await wait_until(lambda: loader.pending_count() == 0)
    await asyncio.sleep(0.3)
    assert len(images) > started
    assert sorted(key for key, _ in signals.emitted) == sorted(
        loader.key_for(image) for image in images[:started]
    )


async def test_unreachable_not_requested(loader: ThumbnailLoader, samples: Path):
    reachable = record(samples / "jpg" / "Nikon_D70.jpg")
    unreachable = Image(
        id=reachable.id,
        location=reachable.location,
        path=reachable.path,
        name=reachable.name,
        extension=reachable.extension,
        hash=reachable.hash,
        full_path=None,
    )
    signals = Signals(loader)
    loader.request(unreachable, 128)
    await asyncio.sleep(0.3)
    assert loader.pending_count() == 0
    assert signals.emitted == []


async def test_truncated_file_fails(
    loader: ThumbnailLoader,
    samples: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
):
    data = (samples / "jpg" / "Reconyx_HC500_Hyperfire.jpg").read_bytes()
    path = tmp_path / "Reconyx_HC500_Hyperfire.jpg"
    path.write_bytes(data[:20_000])
    image = record(path)
    signals = Signals(loader)
    with caplog.at_level(logging.WARNING, logger="picpocket_gui.thumbnails"):
        loader.request(image, 256)
        await signals.wait_for(1)
    key = loader.key_for(image)
    assert signals.emitted == [(key, 256)]
    assert loader.is_failed(key)
    assert loader.get(image, 256) is None
    assert loader.failure_reason(key) == "the image data is truncated"
    messages = [r.getMessage() for r in caplog.records if str(path) in r.getMessage()]
    assert messages == [f"Cannot read {path}: the image data is truncated"]


async def test_failed_file_not_retried(loader: ThumbnailLoader, tmp_path: Path):
    path = tmp_path / "garbage.jpg"
    path.write_bytes(b"not a photo at all\n" * 100)
    image = record(path)
    signals = Signals(loader)
    loader.request(image, 256)
    await signals.wait_for(1)
    loader.request(image, 256)
    loader.request(image, 128)
    await asyncio.sleep(0.3)
    assert loader.stats == LoaderStats(cache_hits=0, renders=1, failures=1)
    assert loader.pending_count() == 0


async def test_failure_marker_skips_worker(tmp_path: Path):
    path = tmp_path / "garbage.jpg"
    path.write_bytes(b"not a photo at all\n" * 100)
    image = record(path)
    for expected_renders in (1, 0):
        thumbnails = ThumbnailLoader(tmp_path / "cache", workers=1)
        signals = Signals(thumbnails)
        thumbnails.request(image, 256)
        await signals.wait_for(1)
        await thumbnails.close()
        assert thumbnails.is_failed(thumbnails.key_for(image))
        assert thumbnails.stats.renders == expected_renders


async def test_changed_file_new_thumbnail(tmp_path: Path, samples: Path):
    path = tmp_path / "edited.jpg"
    shutil.copyfile(samples / "jpg" / "orientation" / "landscape_1.jpg", path)
    before = record(path)
    thumbnails = ThumbnailLoader(tmp_path / "cache", workers=1)
    signals = Signals(thumbnails)
    thumbnails.request(before, 256)
    await signals.wait_for(1)
    shutil.copyfile(samples / "jpg" / "orientation" / "portrait_1.jpg", path)
    after = record(path)
    thumbnails.request(after, 256)
    await signals.wait_for(2)
    await thumbnails.close()
    old, new = thumbnails.get(before, 256), thumbnails.get(after, 256)
    assert old is not None and new is not None
    assert thumbnails.key_for(before) != thumbnails.key_for(after)
    assert (old.width(), old.height()) == (256, 192)
    assert (new.width(), new.height()) == (192, 256)
    assert thumbnails.stats.renders == 2


async def test_changed_file_without_hash(tmp_path: Path, samples: Path):
    path = tmp_path / "edited.jpg"
    shutil.copyfile(samples / "jpg" / "orientation" / "landscape_1.jpg", path)
    for expected_renders, source in ((1, "landscape_1.jpg"), (1, "portrait_1.jpg")):
        shutil.copyfile(samples / "jpg" / "orientation" / source, path)
        thumbnails = ThumbnailLoader(tmp_path / "cache", workers=1)
        signals = Signals(thumbnails)
        thumbnails.request(record(path, content_hash=None), 256)
        await signals.wait_for(1)
        await thumbnails.close()
        assert thumbnails.stats.renders == expected_renders


async def test_memory_limit_evicts(loader: ThumbnailLoader, samples: Path):
    images = [
        record(samples / "jpg" / "gps" / name, index)
        for index, name in enumerate(["DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg"])
    ]
    loader.memory_limit = 256 * 192 * 4  # One 256x192 thumbnail.
    signals = Signals(loader)
    for image in images:
        loader.request(image, 256)
        await signals.wait_for(len(signals.emitted) + 1)
    assert loader.get(images[0], 256) is None
    assert loader.get(images[-1], 256) is not None


async def test_request_after_close_ignored(tmp_path: Path, samples: Path):
    thumbnails = ThumbnailLoader(tmp_path / "cache", workers=1)
    await thumbnails.close()
    thumbnails.request(record(samples / "jpg" / "Nikon_D70.jpg"), 128)
    assert thumbnails.pending_count() == 0


def fail_worker_start() -> None:
    """Stand in for the worker initializer; runs in the spawned worker process."""
    raise RuntimeError("worker start-up failed on purpose")


async def test_workers_fail_to_start(
    tmp_path: Path,
    samples: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    monkeypatch.setattr(render, "init_worker", fail_worker_start)
    thumbnails = ThumbnailLoader(tmp_path / "cache", workers=1)
    signals = Signals(thumbnails)
    image = record(samples / "jpg" / "gps" / "DSCN0025.jpg")
    with caplog.at_level(logging.ERROR, logger="picpocket_gui.thumbnails"):
        thumbnails.request(image, 256)
        await signals.wait_for(1)
    await thumbnails.close()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert thumbnails.get(image, 256) is not None
    assert len(errors) == 1
    assert "rendered in threads" in errors[0]


def worker_processes() -> list[int]:
    """Return the ids of this process's children that run multiprocessing workers."""
    children = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        children += (task / "children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_worker_crash_retried(
    loader: ThumbnailLoader, samples: Path, caplog: pytest.LogCaptureFixture
):
    signals = Signals(loader)
    loader.request(record(samples / "jpg" / "Nikon_D70.jpg"), 128)
    await signals.wait_for(1)
    slow = record(samples / "heic" / "mobile" / "HMD_Nokia_8.3_5G.heif", 2)
    with caplog.at_level(logging.ERROR, logger="picpocket_gui.thumbnails"):
        loader.request(slow, 256)
        await asyncio.sleep(0.2)
        for pid in worker_processes():
            os.kill(pid, signal.SIGKILL)
        await signals.wait_for(2)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["A thumbnail worker process stopped; starting new workers"]
    assert loader.get(slow, 256) is not None


def test_size_bucket():
    assert [size_bucket(size) for size in (64, 128, 129, 256, 400, 512, 900)] == [
        128,
        128,
        256,
        256,
        512,
        512,
        512,
    ]


def test_key_without_hash_follows_mtime(samples: Path):
    path = samples / "jpg" / "Nikon_D70.jpg"
    image = record(path, content_hash=None)
    first = replace(image, last_modified=datetime(2024, 1, 1, tzinfo=UTC))
    second = replace(image, last_modified=datetime(2024, 1, 2, tzinfo=UTC))
    assert ThumbnailLoader.key_for(first) != ThumbnailLoader.key_for(second)


def test_key_uses_hash(samples: Path):
    image = record(samples / "jpg" / "Nikon_D70.jpg")
    assert ThumbnailLoader.key_for(image) == image.hash
