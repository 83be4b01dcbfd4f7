"""Background jobs: engine coroutines with progress, a result and a cancel button.

A job runs on the qasync loop as an asyncio task. Its coroutine receives a
progress callback `(done, total)`. The job turns those calls into Qt
signals, at most about ten a second, so that a fast import cannot flood
the UI with updates.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
JobFactory = Callable[[ProgressCallback], Coroutine[Any, Any, Any]]

PROGRESS_INTERVAL = 0.1  # seconds between progress signals


class JobState(enum.Enum):
    """The stage of a job: running, or how it ended."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Job(QObject):
    """One background job; create it with JobManager.start()."""

    progress = Signal(int, int)  # done, total; a total of 0 means not known yet
    finished = Signal(object)  # the coroutine's result
    failed = Signal(str)  # the error message
    cancelled = Signal()

    def __init__(self, name: str, factory: JobFactory, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.state = JobState.RUNNING
        self.done = 0
        self.total = 0
        self.result: Any = None
        self.error: BaseException | None = None
        self._loop = asyncio.get_event_loop()
        self._thread = threading.get_ident()
        self._last_emit = 0.0
        self._flush_pending = False
        self._task = self._loop.create_task(self._run(factory), name=name)
        self._task.add_done_callback(self._on_task_done)

    @property
    def task(self) -> asyncio.Task[Any]:
        """The asyncio task that runs the coroutine."""
        return self._task

    def is_running(self) -> bool:
        """Return whether the coroutine has not ended yet."""
        return self.state is JobState.RUNNING

    def cancel(self) -> None:
        """Cancel the coroutine, which stops at its next await."""
        if self.is_running():
            logger.info("Cancelling job %r", self.name)
            self._task.cancel()

    async def wait(self) -> None:
        """Wait until the job has finished, failed or been cancelled."""
        await asyncio.wait([self._task])

    def report_progress(self, done: int, total: int) -> None:
        """Record progress; safe to call from any thread."""
        if threading.get_ident() != self._thread:
            self._loop.call_soon_threadsafe(self.report_progress, done, total)
            return
        self.done, self.total = int(done), int(total)
        if self._flush_pending or not self.is_running():
            return
        wait = self._last_emit + PROGRESS_INTERVAL - time.monotonic()
        if wait <= 0:
            self._emit_progress()
        else:
            self._flush_pending = True
            self._loop.call_later(wait, self._emit_progress)

    def _emit_progress(self) -> None:
        self._flush_pending = False
        if not self.is_running():
            return
        self._last_emit = time.monotonic()
        self.progress.emit(self.done, self.total)

    async def _run(self, factory: JobFactory) -> Any:
        logger.info("Starting job %r", self.name)
        return await factory(self.report_progress)

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        # Handled here rather than in _run, because a task cancelled before
        # its first step never enters _run's body.
        if task.cancelled():
            self._end(JobState.CANCELLED)
            self.cancelled.emit()
            return
        error = task.exception()
        if error is not None:
            logger.error("Job %r failed", self.name, exc_info=error)
            self.error = error
            self._end(JobState.FAILED)
            self.failed.emit(str(error) or type(error).__name__)
            return
        self.result = task.result()
        self._end(JobState.FINISHED)
        self.finished.emit(self.result)

    def _end(self, state: JobState) -> None:
        if state is JobState.FINISHED and self.total and self.done < self.total:
            self.done = self.total
        if self.done or self.total:
            # The last update may still be waiting for its interval to pass.
            self.progress.emit(self.done, self.total)
        self.state = state
        logger.info("Job %r %s", self.name, state.value)


class JobManager(QObject):
    """Starts jobs and keeps every running one reachable, for the status bar."""

    job_started = Signal(object)  # the new Job

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []

    def start(self, name: str, factory: JobFactory) -> Job:
        """Start `factory(progress)` as a job named `name`, as in "import photos".

        Must be called with the qasync loop set as the current event loop.
        """
        # Jobs have no Qt parent, so that a finished one is freed once the
        # status bar lets go of it.
        job = Job(name, factory)
        self._jobs.append(job)
        job.task.add_done_callback(lambda _task: self._forget(job))
        self.job_started.emit(job)
        return job

    def running(self) -> list[Job]:
        """Return the jobs whose coroutines have not ended, oldest first."""
        return [job for job in self._jobs if job.is_running()]

    def cancel_all(self) -> None:
        """Cancel every running job."""
        for job in self.running():
            job.cancel()

    async def shutdown(self) -> None:
        """Cancel every running job and wait until all have ended."""
        jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.wait([job.task for job in jobs])

    def _forget(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
