"""ThumbnailLoader: thumbnails for the grid from memory, the disk cache or a worker.

`get()` returns only what is in memory and never blocks. `request()`
queues a load: a thread looks the file up in the disk cache, and on a
miss a worker process renders it (see render.py). The UI thread only
wraps the returned pixels in a QImage and emits `ready`.

Thumbnails are rendered at a few fixed sizes (SIZES) and scaled down on
the UI thread for other display sizes.

The worker processes start with "spawn", so each one imports the main
module again. A script that creates a ThumbnailLoader must therefore
start the app under `if __name__ == "__main__":`, and a frozen build must
call `multiprocessing.freeze_support()` first.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
from collections import OrderedDict
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

from picpocket.database.types import Image
from picpocket_gui.thumbnails import render
from picpocket_gui.thumbnails.cache import ThumbnailCache
from picpocket_gui.thumbnails.render import Failure, RenderJob, RenderOutcome, Thumbnail

logger = logging.getLogger(__name__)

# Longest edges, in pixels, of the thumbnails that are rendered and cached.
SIZES = (128, 256, 512)
# About 1,000 thumbnails of 256x192 pixels at 4 bytes per pixel.
MEMORY_LIMIT = 192 * 1024 * 1024
# A worker that crashes (a decoder fault, the out-of-memory killer) takes
# its pool down. The files that the pool had are tried once more in a new one.
MAX_ATTEMPTS = 2
# Seconds for the first worker process to start and take work. The
# thumbnail benchmark measured 0.7 to 2.3 s on a busy 2-core machine.
WORKER_START_TIMEOUT = 60.0


def size_bucket(size: int) -> int:
    """Return the rendered size used to display a thumbnail at `size` pixels."""
    for bucket in SIZES:
        if size <= bucket:
            return bucket
    # NOTE: larger displays get the largest rendered size, scaled up by the painter.
    return SIZES[-1]


def default_workers() -> int:
    """Return the number of CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # Not available on macOS and Windows.
        return os.cpu_count() or 1


@dataclass(frozen=True)
class LoaderStats:
    """Counts of where the loader's thumbnails came from, since it was created."""

    cache_hits: int = 0
    renders: int = 0
    failures: int = 0


@dataclass
class _Job:
    key: str
    bucket: int
    source: Path
    content_hash: str | None
    display_sizes: set[int] = field(default_factory=set)
    attempts: int = 0


class _MemoryCache:
    """QImages by (key, size), least recently used dropped beyond a byte limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._images: OrderedDict[tuple[str, int], QImage] = OrderedDict()
        self._bytes = 0

    def get(self, key: str, size: int) -> QImage | None:
        image = self._images.get((key, size))
        if image is not None:
            self._images.move_to_end((key, size))
        return image

    def put(self, key: str, size: int, image: QImage) -> None:
        old = self._images.pop((key, size), None)
        if old is not None:
            self._bytes -= old.sizeInBytes()
        self._images[(key, size)] = image
        self._bytes += image.sizeInBytes()
        while self._bytes > self.limit and len(self._images) > 1:
            _, dropped = self._images.popitem(last=False)
            self._bytes -= dropped.sizeInBytes()

    def __len__(self) -> int:
        return len(self._images)


class ThumbnailLoader(QObject):
    """Thumbnails of library images, loaded in the background and kept in memory.

    `ready(key, size)` is emitted on the UI thread when a requested
    thumbnail can be fetched with `get()`, and also when the file failed,
    which `is_failed(key)` then reports.
    """

    ready = Signal(str, int)

    def __init__(
        self,
        cache_dir: Path,
        *,
        workers: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache = ThumbnailCache(cache_dir)
        self.workers = workers if workers is not None else default_workers()
        # Maximum loads in flight. Further requests wait in the loader's own
        # queue, where newer requests go first and clear_requests() can drop
        # them, so the pool's queue stays short.
        self.max_running = self.workers + 2
        self._memory = _MemoryCache(MEMORY_LIMIT)
        self._failed: dict[str, str] = {}
        self._queued: OrderedDict[tuple[str, int], _Job] = OrderedDict()
        self._running: dict[tuple[str, int], _Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._pool: Executor | None = None
        # Whether the current pool's workers started, decided before any
        # render is submitted to it, so that a crash on a file is never
        # taken for workers that cannot start. None for a thread pool.
        self._pool_started: asyncio.Task[bool] | None = None
        self._render_in_threads = False
        self._reader = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="picpocket-thumbnail-cache"
        )
        self._stats = LoaderStats()
        self._cache_error_logged = False
        self._closed = False

    @staticmethod
    def key_for(image: Image) -> str:
        """Return the image's content hash, or a key from its path and mtime."""
        if image.hash:
            return image.hash
        modified = image.last_modified.isoformat() if image.last_modified else ""
        state = f"{image.location}\0{image.path.as_posix()}\0{modified}"
        return (
            "path-"
            + hashlib.sha256(state.encode("utf-8", "surrogateescape")).hexdigest()
        )

    @property
    def stats(self) -> LoaderStats:
        """Where the thumbnails loaded so far came from."""
        return self._stats

    @property
    def memory_limit(self) -> int:
        """Maximum bytes of thumbnails kept in memory."""
        return self._memory.limit

    @memory_limit.setter
    def memory_limit(self, limit: int) -> None:
        self._memory.limit = limit

    def get(self, image: Image, size: int) -> QImage | None:
        """Return the thumbnail with a longest edge of at most `size`, if in memory."""
        key = self.key_for(image)
        scaled = self._memory.get(key, size)
        if scaled is not None:
            return scaled
        bucket = size_bucket(size)
        rendered = self._memory.get(key, bucket)
        if rendered is None or bucket == size:
            return rendered
        if max(rendered.width(), rendered.height()) <= size:
            return rendered
        scaled = rendered.scaled(
            size,
            size,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self._memory.put(key, size, scaled)
        return scaled

    def request(self, image: Image, size: int) -> None:
        """Queue a load of the image's thumbnail and emit `ready` when it is done.

        The most recent request is served first. Nothing is queued, and no
        signal follows, for an image without a reachable file (`full_path`
        None), a file that failed before, or a thumbnail that `get()` can
        already return.
        """
        if self._closed or image.full_path is None:
            return
        key = self.key_for(image)
        bucket = size_bucket(size)
        if key in self._failed or self._memory.get(key, bucket) is not None:
            return
        job = self._running.get((key, bucket))
        if job is None:
            job = self._queued.pop((key, bucket), None)
            if job is None:
                job = _Job(key, bucket, image.full_path, image.hash)
            self._queued[(key, bucket)] = job  # The end of the queue is served first.
        job.display_sizes.add(size)
        self._start_queued()

    def is_failed(self, key: str) -> bool:
        """Return whether the file with this key could not be decoded."""
        return key in self._failed

    def failure_reason(self, key: str) -> str | None:
        """Return why the file with this key could not be decoded, if it failed."""
        return self._failed.get(key)

    def clear_requests(self) -> None:
        """Drop queued requests that have not started. Running loads finish."""
        self._queued.clear()

    def pending_count(self) -> int:
        """Return the number of requests queued or running."""
        return len(self._queued) + len(self._running)

    async def close(self) -> None:
        """Drop queued requests, cancel running loads and stop the workers."""
        self._closed = True
        self._queued.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        loop = asyncio.get_running_loop()
        executors: list[Executor] = [self._reader]
        if self._pool is not None:
            executors.append(self._pool)
            self._pool = None
        for executor in executors:
            # Waiting for the processes to exit would block the UI thread.
            await loop.run_in_executor(None, _shut_down, executor)

    # Scheduling ------------------------------------------------------------

    def _start_queued(self) -> None:
        loop = asyncio.get_event_loop()
        while self._queued and len(self._running) < self.max_running:
            slot, job = self._queued.popitem(last=True)
            self._running[slot] = job
            task = loop.create_task(self._load(job), name=f"thumbnail {job.source}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _load(self, job: _Job) -> None:
        slot = (job.key, job.bucket)
        try:
            result, new = await self._load_result(job)
        except BrokenProcessPool:
            result, new = None, False
        except Exception as error:  # noqa: BLE001 - the task's boundary, logged here.
            logger.exception("Loading the thumbnail of %s failed", job.source)
            result, new = Failure(f"loading failed: {error}", permanent=False), True
        finally:
            self._running.pop(slot, None)
        if result is None:
            self._on_pool_broken(job)
        else:
            self._finish(job, result, new)
        if not self._closed:
            self._start_queued()

    async def _load_result(self, job: _Job) -> tuple[Thumbnail | Failure, bool]:
        """Return the thumbnail or failure, and whether it is new (not from a cache)."""
        loop = asyncio.get_running_loop()
        name, result = await loop.run_in_executor(
            self._reader,
            render.read_cached,
            self.cache,
            job.content_hash,
            job.source,
            job.bucket,
        )
        if isinstance(result, Thumbnail):
            self._count(cache_hits=1)
            return result, False
        if isinstance(result, Failure):
            # A marker means the failure was logged when it was recorded.
            return result, not result.permanent
        render_job = RenderJob(str(job.source), job.bucket, str(self.cache.root), name)
        pool = await self._render_executor()
        try:
            outcome: RenderOutcome = await loop.run_in_executor(
                pool, render.render_job, render_job
            )
        except BrokenProcessPool:
            self._discard_pool(pool)
            raise
        self._count(renders=1)
        if outcome.cache_error is not None and not self._cache_error_logged:
            self._cache_error_logged = True
            logger.warning("Thumbnail cache not updated: %s", outcome.cache_error)
        return outcome.result, True

    def _finish(self, job: _Job, result: Thumbnail | Failure, new: bool) -> None:
        if isinstance(result, Failure):
            if job.key not in self._failed:
                level = logging.WARNING if new else logging.DEBUG
                logger.log(level, "Cannot read %s: %s", job.source, result.reason)
                self._count(failures=1)
            self._failed[job.key] = result.reason
        else:
            self._memory.put(job.key, job.bucket, qimage_from(result))
        for size in sorted(job.display_sizes):
            self.ready.emit(job.key, size)

    def _discard_pool(self, pool: Executor) -> None:
        if self._pool is not pool:
            return  # Another load that used this pool has replaced it already.
        logger.error("A thumbnail worker process stopped; starting new workers")
        self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def _on_pool_broken(self, job: _Job) -> None:
        job.attempts += 1
        if job.attempts < MAX_ATTEMPTS:
            self._queued[(job.key, job.bucket)] = job
            return
        reason = "the image decoder crashed on this file"
        self._finish(job, Failure(reason, permanent=False), new=True)

    async def _render_executor(self) -> Executor:
        """Return the executor for renders, once its worker processes have started."""
        while True:
            if self._pool is None:
                self._start_pool()
            pool, started = self._pool, self._pool_started
            assert pool is not None
            if started is None or await asyncio.shield(started):
                return pool

    def _start_pool(self) -> None:
        if self._render_in_threads:
            self._pool = ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="picpocket-thumbnail"
            )
            self._pool_started = None
            return
        logger.info("Starting %d thumbnail worker processes", self.workers)
        # "spawn" everywhere: a forked child of a Qt process could inherit
        # locks that some thread held at the moment of the fork.
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=render.init_worker,
        )
        self._pool = pool
        started = asyncio.get_running_loop().create_task(self._check_start(pool))
        self._tasks.add(started)
        started.add_done_callback(self._tasks.discard)
        self._pool_started = started

    async def _check_start(self, pool: ProcessPoolExecutor) -> bool:
        """Return whether a worker starts; switch to threads for good if not."""
        probe = asyncio.wrap_future(pool.submit(os.getpid))
        try:
            await asyncio.wait_for(probe, WORKER_START_TIMEOUT)
        except (BrokenProcessPool, TimeoutError) as error:
            logger.error(
                "Thumbnail worker processes failed to start (%s), so thumbnails "
                "are now rendered in threads of this process. Each worker imports "
                'the main script: run the app under `if __name__ == "__main__":`, '
                "and call multiprocessing.freeze_support() first in a frozen build.",
                error or type(error).__name__,
            )
        else:
            return True
        self._render_in_threads = True
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        return False

    def _count(self, cache_hits: int = 0, renders: int = 0, failures: int = 0) -> None:
        old = self._stats
        self._stats = LoaderStats(
            old.cache_hits + cache_hits, old.renders + renders, old.failures + failures
        )


def qimage_from(thumbnail: Thumbnail) -> QImage:
    """Return a QImage that owns a copy of the thumbnail's pixels."""
    if thumbnail.mode == "RGBA":
        source_format = QImage.Format.Format_RGBA8888
        target_format = QImage.Format.Format_ARGB32_Premultiplied
        bytes_per_line = thumbnail.width * 4
    else:
        source_format = QImage.Format.Format_RGB888
        target_format = QImage.Format.Format_RGB32
        bytes_per_line = thumbnail.width * 3
    wrapped = QImage(
        thumbnail.pixels,
        thumbnail.width,
        thumbnail.height,
        bytes_per_line,
        source_format,
    )
    # The conversion copies the pixels into memory that the QImage owns, in
    # the format that QPainter draws fastest.
    return wrapped.convertToFormat(target_format)


def _shut_down(executor: Executor) -> None:
    executor.shutdown(wait=True, cancel_futures=True)
