"""Reading files in worker processes, so that parsing them uses every core.

Headers and EXIF are parsed in Python code that holds the GIL, so reader
threads share one core. Reader processes do not. They are started
with the interpreter and a short command, not through multiprocessing,
which would import the caller's main module again in each of them (and
re-run a user's script that lacks an `if __name__ == "__main__":` guard).

An import starts them during its listing, so that they are mostly
ready when reading begins. A process that dies or cannot start is
replaced by reading in this process, with a warning.
"""

from __future__ import annotations

import logging
import pickle
import queue
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any, Sequence

import picpocket
from picpocket.database.file_reads import FileRead, read_files

logger = logging.getLogger(__name__)

# Imports with fewer files to read than this use reader threads only,
# unless the processes are already running.
MIN_FILES = 200

# The registry of warnings from reader processes issued here, so that each
# is shown once, as it would be if it came from a thread of this process.
_WARNINGS_SHOWN: dict[Any, Any] = {}
_Job = tuple["Future[list[FileRead]]", Path, Sequence[str]]
_BOOT = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from picpocket.database.reader_worker import main; main(int(sys.argv[2]))"
)


def processes_available() -> bool:
    """Return whether this interpreter can start reader processes.

    A frozen application has no interpreter to start.
    """
    return bool(sys.executable) and not getattr(sys, "frozen", False)


class ReaderPool:
    """Read chunks of files in worker processes, each fed by a thread of this one."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError(f"A reader pool needs 1 process or more, not {processes}")
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._lanes = [
            threading.Thread(target=self._read_in_process, name=f"picpocket-read-{n}")
            for n in range(processes)
        ]
        self._workers: list[subprocess.Popen[bytes]] = []
        for lane in self._lanes:
            lane.daemon = True
            lane.start()

    def submit(self, root: Path, relatives: Sequence[str]) -> Future[list[FileRead]]:
        """Queue one chunk of files, given relative to root with '/'.

        The future gives their reads in order.
        """
        if self._closed:
            raise RuntimeError("The reader processes were shut down")
        future: Future[list[FileRead]] = Future()
        self._jobs.put((future, root, relatives))
        return future

    def shutdown(self) -> None:
        """Cancel the queued chunks and stop every lane after its current one.

        The processes then exit.
        """
        self._closed = True
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[0].cancel()
        for _ in self._lanes:
            self._jobs.put(None)

    def worker_ids(self) -> list[int]:
        """Return the process ids of the reader processes started so far."""
        return [worker.pid for worker in self._workers]

    def _read_in_process(self) -> None:
        worker = self._start_worker()
        while (job := self._jobs.get()) is not None:
            worker = _run(job, worker)
        if worker is not None:
            _stop(worker)

    def _start_worker(self) -> subprocess.Popen[bytes] | None:
        package_root = str(Path(picpocket.__file__).resolve().parent.parent)
        level = logging.getLogger("picpocket").getEffectiveLevel()
        try:
            worker = subprocess.Popen(
                [sys.executable, "-c", _BOOT, package_root, str(level)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError as error:
            logger.warning(
                "Could not start a reader process (%s), so files are read in "
                "this process, which is slower",
                error,
            )
            return None
        self._workers.append(worker)
        started = time.monotonic()
        try:
            _receive(worker)
        except (OSError, EOFError, pickle.UnpicklingError) as error:
            _give_up(worker, error)
            return None
        logger.debug(
            "Reader process %d started in %.3f s",
            worker.pid,
            time.monotonic() - started,
        )
        return worker


def _run(
    job: _Job, worker: subprocess.Popen[bytes] | None
) -> subprocess.Popen[bytes] | None:
    """Read one chunk, in the worker if there is one; return the worker if usable."""
    future, root, relatives = job
    if not future.set_running_or_notify_cancel():
        return worker
    try:
        if worker is not None:
            try:
                reads = _ask(worker, root, relatives)
            except (OSError, EOFError, pickle.UnpicklingError) as error:
                _give_up(worker, error)
                worker = None
        if worker is None:
            reads = read_files(root, relatives)
        future.set_result(reads)
    except BaseException as error:
        future.set_exception(error)
    return worker


def _ask(
    worker: subprocess.Popen[bytes], root: Path, relatives: Sequence[str]
) -> list[FileRead]:
    # NOTE: the reply has no timeout, so a reader that stops without exiting
    # (stopped by a signal, or stuck on a hung drive) holds up the import.
    request = (str(root), list(relatives))
    requests: IO[bytes] = worker.stdin  # type: ignore[assignment]
    pickle.dump(request, requests, pickle.HIGHEST_PROTOCOL)
    requests.flush()
    reads, records, issued = _receive(worker)
    for record in records:
        _log(record)
    for message, category, filename, lineno in issued:
        warnings.warn_explicit(
            message, category, filename, lineno, registry=_WARNINGS_SHOWN
        )
    return reads


def _receive(worker: subprocess.Popen[bytes]) -> Any:
    return pickle.load(worker.stdout)  # type: ignore[arg-type]


def _log(attributes: dict[str, Any]) -> None:
    """Log a record from a reader process through this process's handlers."""
    record = logging.makeLogRecord(attributes)
    target = logging.getLogger(record.name)
    if target.isEnabledFor(record.levelno):
        target.handle(record)


def _give_up(worker: subprocess.Popen[bytes], error: BaseException) -> None:
    logger.warning(
        "Reader process %d stopped (%s: %s), so its files are read in this "
        "process, which is slower",
        worker.pid,
        type(error).__name__,
        error,
    )
    _stop(worker)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Close the worker's input, which ends it, and reap it."""
    for stream in (worker.stdin, worker.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    try:
        worker.wait(timeout=5)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
