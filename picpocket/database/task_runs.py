"""Tasks: stored imports that copy new photos from a source location."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from concurrent.futures import Executor, Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from picpocket.database.base import Cursor, Row, check_text, run_to_completion
from picpocket.database.importer import ImporterMixin
from picpocket.database.logic import Types
from picpocket.database.reading import (
    Progress,
    check_root_present,
    report,
    worker_count,
)
from picpocket.database.tags import normalize_tags
from picpocket.database.task_files import (
    SourceFile,
    Transfer,
    find_source_files,
    transfer_file,
)
from picpocket.database.types import Location, Task
from picpocket.errors import InputValidationError, InvalidPathError, UnknownItemError
from picpocket.images import normalize_formats
from picpocket.tasks import (
    DEFAULT_DESTINATION_FORMAT,
    parse_source_path,
    serialize_source_path,
    validate_destination_format,
)

logger = logging.getLogger(__name__)

_TASK_SELECT = (
    "SELECT tasks.id, tasks.name, tasks.source, tasks.destination, "
    "tasks.description, tasks.configuration, task_invocations.last_ran "
    "FROM tasks LEFT JOIN task_invocations ON task_invocations.task = tasks.id"
)
_WRITE_BATCH = 100


class TasksMixin(ImporterMixin):
    """Define, list, remove and run tasks."""

    def _task_from_row(self, row: Row) -> Task:
        (identifier, name, source, destination,
         description, configuration, last_ran) = row
        settings = self.sql.convert(Types.JSON, configuration)
        formats = settings.get("file_formats")
        return Task(
            id=identifier,
            name=name,
            source=source,
            destination=destination,
            description=description,
            creator=settings.get("creator"),
            tags=list(settings.get("tags") or []),
            source_path=settings.get("source_path"),
            destination_format=settings.get("destination_format"),
            file_formats=None if formats is None else set(formats),
            last_ran=self.sql.convert(Types.DATETIME, last_ran),
        )

    async def add_task(
        self,
        name: str,
        source: str | int,
        destination: str | int,
        *,
        description: str | None = None,
        creator: str | None = None,
        tags: list[str] | None = None,
        source_path: str | None = None,
        destination_format: str | None = None,
        file_formats: set[str] | None = None,
        force: bool = False,
    ) -> int:
        """Define a task that copies images from source to destination.

        Raises:
            InputValidationError: the name is taken (without `force`), a
                location has the wrong role, or a path or format is invalid.
        """
        if not isinstance(name, str) or not name.strip():
            raise InputValidationError(
                f"A task name must be non-empty text, got {name!r}"
            )
        check_text("description", description)
        settings = _task_settings(
            creator, tags, source_path, destination_format, file_formats
        )
        async with self.transaction() as cursor:
            source_location = await self._location(cursor, source)
            destination_location = await self._location(cursor, destination)
            _check_roles(source_location, destination_location)
            values = (description, source_location.id, destination_location.id,
                      self.sql.adapt(Types.JSON, settings))
            return await self._store_task(cursor, name, values, force)

    async def _store_task(
        self, cursor: Cursor, name: str, values: tuple[Any, ...], force: bool
    ) -> int:
        row = await cursor.fetch_one("SELECT id FROM tasks WHERE name = ?", (name,))
        if row is not None and not force:
            raise InputValidationError(
                f"A task named {name!r} already exists; pass force=True to replace it"
            )
        if row is not None:
            await cursor.execute(
                "UPDATE tasks SET description = ?, source = ?, destination = ?, "
                "configuration = ? WHERE id = ?",
                (*values, row[0]),
            )
            # A changed definition should look at every file again.
            await cursor.execute(
                "DELETE FROM task_invocations WHERE task = ?", (row[0],)
            )
            logger.info("Replaced task %r", name)
            return int(row[0])
        row = await cursor.fetch_one(
            "INSERT INTO tasks (name, description, source, destination, configuration) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (name, *values),
        )
        assert row is not None
        logger.info("Added task %r", name)
        return int(row[0])

    async def remove_task(self, name: str) -> None:
        """Remove a task; removing an unknown task is fine."""
        async with self.transaction() as cursor:
            await self.ensure_foreign_keys(cursor)
            await cursor.execute("DELETE FROM tasks WHERE name = ?", (name,))

    async def get_task(self, name: str) -> Task | None:
        """Return a task's definition, or None when there is no such task."""
        async with self.transaction(commit=False) as cursor:
            row = await cursor.fetch_one(
                f"{_TASK_SELECT} WHERE tasks.name = ?", (name,)
            )
        return None if row is None else self._task_from_row(row)

    async def list_tasks(self) -> list[Task]:
        """Return every task, by name."""
        async with self.transaction(commit=False) as cursor:
            return await self._all_tasks(cursor)

    async def _all_tasks(self, cursor: Cursor) -> list[Task]:
        rows = await cursor.fetch_all(f"{_TASK_SELECT} ORDER BY tasks.name")
        return [self._task_from_row(row) for row in rows]

    async def run_task(
        self,
        name: str,
        *,
        since: datetime | None = None,
        full: bool = False,
        tags: list[str] | None = None,
        progress: Progress | None = None,
    ) -> list[int]:
        """Copy the source's new images into the destination; return their ids.

        Without `full`, folders and files dated before `since` (by default
        the task's last run) are skipped. Existing files are never
        overwritten: an identical file already at the destination is
        recorded if needed, a different one is logged and left alone.
        When a file is left uncopied for that reason or because its copy
        failed, the task's last run time stays unchanged, so the next run
        looks at that file again. Every file copied is recorded, also when
        the run fails or is cancelled part-way.

        Raises:
            UnknownItemError: no task has this name.
            InvalidPathError: the source or destination folder is missing,
                before or during the run.
        """
        started = datetime.now(UTC)
        task = await self._expect_task(name)
        extra_tags = normalize_tags("tags", tags)
        run_tags = list(dict.fromkeys(task.tags + extra_tags))
        source, destination = await self._task_drives(task)
        cutoff = None if full else (since or task.last_ran)
        parts = parse_source_path(task.source_path or "")
        formats = normalize_formats(task.file_formats)
        files = await asyncio.to_thread(
            find_source_files, source.root, parts, formats, cutoff
        )
        logger.info("Running task %r: %d files since %s", name, len(files), cutoff)
        recorder = _Recorder(self, task, destination.id, run_tags)
        statuses = await self._transfer_files(
            files, task, (source, destination), recorder, progress
        )
        await self._finish_run(task, started, statuses)
        logger.info("Task %r imported %d images", name, len(recorder.imported))
        return recorder.imported

    async def _finish_run(
        self, task: Task, started: datetime, statuses: Counter[str]
    ) -> None:
        """Store the run's time, unless some file was not copied."""
        # Files before the last run are skipped, so keeping the previous
        # last-run time makes the next run look at the uncopied files again.
        if statuses["failed"]:
            logger.warning(
                "Task %r could not copy %d files; the next run tries them again",
                task.name, statuses["failed"],
            )
        if statuses["conflict"]:
            logger.warning(
                "Task %r did not copy %d photos because a different file is "
                "already at their destination path; change the task's destination "
                "format so that names are unique (for example add {index} or "
                "{hash}), then run the task again",
                task.name, statuses["conflict"],
            )
        if not statuses["failed"] and not statuses["conflict"]:
            await self._mark_task_run(task.id, started)

    async def _expect_task(self, name: str) -> Task:
        task = await self.get_task(name)
        if task is None:
            raise UnknownItemError(
                f"Task {name!r} not found; list_tasks() shows the known ones"
            )
        return task

    async def _task_drives(self, task: Task) -> tuple[_Drive, _Drive]:
        """Return the task's source and destination, whose folders must exist."""
        drives = []
        async with self.transaction(commit=False) as cursor:
            for location_id in (task.source, task.destination):
                location, root = await self._reachable_location(cursor, location_id)
                drives.append(_Drive(location.id, location.name, root))
        for drive in drives:
            if not drive.root.is_dir():
                raise InvalidPathError(
                    f"Location {drive.name!r} has no folder at {drive.root}; "
                    f"attach the drive, or mount() the location where it is, "
                    f"and run the task again"
                )
        return drives[0], drives[1]

    async def _transfer_files(
        self,
        files: list[SourceFile],
        task: Task,
        drives: tuple[_Drive, _Drive],
        recorder: _Recorder,
        progress: Progress | None,
    ) -> Counter[str]:
        """Copy files in worker threads, in order, and count the files by status.

        The statuses are those of Transfer, where 'failed' also counts
        copies that raised OSError. When this stops early (a drive
        disappeared, the caller cancelled), copies still running finish
        and every completed copy is recorded.
        """
        template = task.destination_format or DEFAULT_DESTINATION_FORMAT
        queue = _TransferQueue(self.reader(), files, template, drives[1].root)
        statuses: Counter[str] = Counter()
        report(progress, 0, len(files))
        try:
            for done in range(1, len(files) + 1):
                transfer = await queue.next()
                if transfer is None:
                    statuses["failed"] += 1
                    for drive in drives:
                        check_root_present(drive.root, drive.name, recorder.saved)
                else:
                    statuses[transfer.status] += 1
                    await recorder.add(transfer)
                report(progress, done, len(files))
        except BaseException:
            await run_to_completion(_record_interrupted(queue, recorder))
            raise
        await recorder.flush()
        return statuses

    async def _record_transfers(
        self, location_id: int, batch: list[Transfer], task: Task, tags: list[str]
    ) -> list[int]:
        imported: list[int] = []
        if not batch:
            return imported
        async with self.transaction() as cursor:
            for transfer in batch:
                assert transfer.relative is not None and transfer.facts is not None
                assert transfer.modified is not None
                row = await self._recorded_id(cursor, location_id, transfer)
                values = self.file_values(transfer.facts, transfer.modified)
                image_id = None
                if row is None:
                    creator = task.creator or transfer.facts.creator
                    image_id = await self._insert_image_unless_recorded(
                        cursor, location_id, transfer.relative, values,
                        {"creator": creator},
                    )
                if image_id is None:
                    # Recorded before, or by a run of this task on another
                    # computer since this run looked.
                    row = row or await self._recorded_id(cursor, location_id, transfer)
                    assert row is not None
                    image_id = int(row[0])
                    await self._update_file_facts(cursor, [(image_id, values)])
                await self._apply_tags(cursor, [image_id], tags)
                if transfer.status == "copied" or row is None:
                    imported.append(image_id)
        return imported

    async def _recorded_id(
        self, cursor: Cursor, location_id: int, transfer: Transfer
    ) -> Row | None:
        assert transfer.relative is not None
        return await cursor.fetch_one(
            "SELECT id FROM images WHERE location = ? AND path = ?",
            (location_id, transfer.relative.as_posix()),
        )

    async def _mark_task_run(self, task_id: int, started: datetime) -> None:
        moment = self.sql.adapt(Types.DATETIME, started)
        async with self.transaction() as cursor:
            await cursor.execute(
                "DELETE FROM task_invocations WHERE task = ?", (task_id,)
            )
            await cursor.execute(
                "INSERT INTO task_invocations (task, last_ran) VALUES (?, ?)",
                (task_id, moment),
            )


def _task_settings(
    creator: str | None,
    tags: list[str] | None,
    source_path: str | None,
    destination_format: str | None,
    file_formats: set[str] | None,
) -> dict[str, Any]:
    """Check a task's definition and return it as stored in `configuration`."""
    check_text("creator", creator)
    if destination_format is not None:
        validate_destination_format(destination_format)
    return {
        "creator": creator,
        "tags": normalize_tags("tags", tags),
        "source_path": None if source_path is None
        else serialize_source_path(parse_source_path(source_path)),
        "destination_format": destination_format,
        "file_formats": None if file_formats is None
        else sorted(normalize_formats(file_formats)),
    }


def _check_roles(source: Location, destination: Location) -> None:
    if not source.source:
        raise InputValidationError(
            f"Location {source.name!r} is not a source; edit it "
            f"with source=True to import from it"
        )
    if not destination.destination:
        raise InputValidationError(
            f"Location {destination.name!r} is not a destination; "
            f"edit it with destination=True to copy into it"
        )


class _Drive(NamedTuple):
    """A location that a task run reads from or writes to."""

    id: int
    name: str
    root: Path


class _TransferQueue:
    """Transfer files in worker threads, a bounded window ahead, in order."""

    def __init__(
        self,
        executor: Executor,
        files: list[SourceFile],
        template: str,
        destination_root: Path,
    ) -> None:
        self._executor = executor
        self._remaining = iter(files)
        self._template = template
        self._destination_root = destination_root
        self._pending: deque[Future[Transfer | None]] = deque()
        for _ in range(max(8, 4 * worker_count())):
            self._submit_next()

    def _submit_next(self) -> None:
        for item in self._remaining:
            self._pending.append(
                self._executor.submit(
                    _transfer_or_none, item, self._template, self._destination_root
                )
            )
            return

    async def next(self) -> Transfer | None:
        """Wait for the oldest transfer and return it; None means it failed."""
        # The future leaves the queue only once it is done, so an
        # interruption here leaves it for stop() to collect.
        transfer = await asyncio.wrap_future(self._pending[0])
        self._pending.popleft()
        self._submit_next()
        return transfer

    async def stop(self) -> list[Transfer]:
        """Cancel transfers not yet started, and return those that complete."""
        for future in self._pending:
            future.cancel()
        started = [future for future in self._pending if not future.cancelled()]
        if started:
            await asyncio.wait([asyncio.wrap_future(future) for future in started])
        finished = []
        for future in started:
            error = future.exception()
            if error is not None:
                logger.error("A copy failed as the task stopped", exc_info=error)
            elif future.result() is not None:
                finished.append(future.result())
        return finished


class _Recorder:
    """Write a run's transfers to the database in batches."""

    def __init__(
        self, api: TasksMixin, task: Task, location_id: int, tags: list[str]
    ) -> None:
        self._api = api
        self._task = task
        self._location_id = location_id
        self._tags = tags
        self._batch: list[Transfer] = []
        self.imported: list[int] = []
        self.saved = 0

    async def add(self, transfer: Transfer) -> None:
        if transfer.facts is not None:
            self._batch.append(transfer)
        if len(self._batch) >= _WRITE_BATCH:
            await self.flush()

    async def flush(self) -> None:
        # The batch is cleared only once it is written, so a flush that was
        # interrupted can be retried with the same transfers.
        self.imported += await self._api._record_transfers(
            self._location_id, self._batch, self._task, self._tags
        )
        self.saved += len(self._batch)
        self._batch = []


async def _record_interrupted(queue: _TransferQueue, recorder: _Recorder) -> None:
    """Let started copies finish, then record every completed transfer.

    An error while recording is only logged, so that the caller sees the
    error that stopped the run. The next run records any copied file it
    finds at the destination.
    """
    finished = await queue.stop()
    try:
        for transfer in finished:
            await recorder.add(transfer)
        await recorder.flush()
    except Exception:
        logger.exception("Could not record the files copied before the task stopped")


def _transfer_or_none(
    item: SourceFile, template: str, destination_root: Path
) -> Transfer | None:
    """Transfer a file; None means an OSError, so the caller checks the drives."""
    try:
        return transfer_file(item, template, destination_root)
    except OSError as error:
        logger.warning("Could not copy %s: %s", item.path, error)
        return None
