"""Writing an import's rows in batches, each committed on its own, while reading goes on.

A batch is written in one of two ways. A whole batch is kept in memory
and written in one transaction once it is full, which keeps an SQLite
library's single connection free while files are read. A streamed
batch opens its transaction with its first rows and sends each group of
rows as it is read, so that little is left to write when reading ends.
PostgreSQL streams: other connections do not see the rows until the
batch commits. They wait for it only to insert the same paths or to
delete the location, because each new row holds a key lock on its
location until then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, Protocol

from picpocket.database.base import Cursor

logger = logging.getLogger(__name__)


@dataclass
class Pending:
    """Rows read but not yet written: new images and changed ones."""

    new: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[int, list[Any]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.new) + len(self.updates)

    def extend(self, other: Pending) -> None:
        self.new += other.new
        self.updates += other.updates


class Batch(Protocol):
    """The rows of one import batch, committed together."""

    streamed: bool

    def keep(self, pending: Pending) -> None:
        """Keep rows in memory, for a batch that is not streamed."""

    async def add(self, pending: Pending) -> None:
        """Write rows into the batch's open transaction, for a streamed batch."""

    async def finish(self) -> list[int]:
        """Write what is left, commit, and return the new and updated ids."""

    async def abort(self, error: BaseException | None) -> None:
        """Roll back what a streamed batch wrote."""


class BatchRecorder(Protocol):
    """The steps of recording a batch, which a streamed batch runs one by one."""

    def transaction(self) -> Any: ...

    async def insert_image_rows(
        self, cursor: Cursor, location_id: int, rows: list[tuple[Any, ...]]
    ) -> dict[str, int]: ...

    async def update_file_facts(
        self, cursor: Cursor, updates: list[tuple[int, list[Any]]]
    ) -> None: ...

    async def finish_batch(
        self, cursor: Cursor, new_ids: list[int], updated_ids: list[int]
    ) -> None: ...


class StreamedBatch:
    """A batch whose rows go into an open transaction as they are read."""

    streamed = True

    def __init__(self, recorder: BatchRecorder, location_id: int) -> None:
        self._recorder = recorder
        self._location_id = location_id
        self._stack = AsyncExitStack()
        self._cursor: Cursor | None = None
        self._new_ids: list[int] = []
        self._updates: list[tuple[int, list[Any]]] = []

    def keep(self, pending: Pending) -> None:
        raise TypeError("A streamed batch writes its rows with add()")

    async def add(self, pending: Pending) -> None:
        # Updates wait for the finish, because they lock rows that the user
        # may be editing meanwhile. New rows stay invisible to other connections.
        self._updates += pending.updates
        if pending.new:
            cursor = await self._transaction()
            try:
                ids = await self._recorder.insert_image_rows(
                    cursor, self._location_id, pending.new
                )
            except BaseException as error:
                # Leaving the transaction turns a lost connection into the
                # backend's own error, which is raised instead.
                await self.abort(error)
                raise
            self._new_ids += [ids[row[1]] for row in pending.new]

    async def finish(self) -> list[int]:
        if self._cursor is None and not self._updates:
            return []
        updated_ids = [image_id for image_id, _values in self._updates]
        try:
            cursor = await self._transaction()
            if self._updates:
                await self._recorder.update_file_facts(cursor, self._updates)
            await self._recorder.finish_batch(cursor, self._new_ids, updated_ids)
        except BaseException as error:
            await self.abort(error)
            raise
        self._cursor = None
        await self._stack.aclose()
        return self._new_ids + updated_ids

    async def abort(self, error: BaseException | None) -> None:
        self._updates = []
        if self._cursor is None:
            return
        self._cursor = None
        # Leaving the transaction with an exception rolls it back.
        error = error or asyncio.CancelledError()
        await self._stack.__aexit__(type(error), error, error.__traceback__)

    async def _transaction(self) -> Cursor:
        """Return the batch's cursor, opening its transaction on first use."""
        if self._cursor is None:
            self._cursor = await self._stack.enter_async_context(
                self._recorder.transaction()
            )
        return self._cursor


class WholeBatch:
    """A batch kept in memory and written in one transaction when it ends."""

    streamed = False

    def __init__(self, recorder: BatchRecorder, location_id: int) -> None:
        self._recorder = recorder
        self._location_id = location_id
        self._pending = Pending()

    def keep(self, pending: Pending) -> None:
        self._pending.extend(pending)

    async def add(self, pending: Pending) -> None:
        self.keep(pending)

    async def finish(self) -> list[int]:
        # The streamed batch rolls itself back when a step fails.
        batch = StreamedBatch(self._recorder, self._location_id)
        await batch.add(self._pending)
        return await batch.finish()

    async def abort(self, error: BaseException | None) -> None:
        self._pending = Pending()


class BatchWriter:
    """Write an import's batches one step at a time, in a task, while reading
    goes on.

    Leaving the context waits for the step being written, even when the
    import was cancelled or failed, because a cancel that lands inside a
    transaction can leave a connection unusable (an SQLite BEGIN that ran
    without its ROLLBACK). Then an unfinished streamed batch is rolled
    back, so a cancelled import keeps whole batches.
    """

    def __init__(self, open_batch: Callable[[], Batch]) -> None:
        self._open_batch = open_batch
        self._batch: Batch | None = None
        self._task: asyncio.Task[None] | None = None
        self.ids: list[int] = []

    async def add(self, pending: Pending) -> None:
        """Add rows to the current batch, opening one if there is none."""
        if not pending:
            return
        if self._batch is None:
            self._batch = self._open_batch()
        if not self._batch.streamed:
            self._batch.keep(pending)
            return
        await self.drain()
        self._task = asyncio.ensure_future(self._batch.add(pending))

    async def finish(self) -> None:
        """Start committing the current batch, once the step before it is written."""
        if self._batch is None:
            return
        # The batch stays the writer's until its finish starts, so that a
        # cancel meanwhile rolls it back on leaving the context.
        await self.drain()
        batch, self._batch = self._batch, None
        self._task = asyncio.ensure_future(self._finish(batch))

    async def _finish(self, batch: Batch) -> None:
        self.ids += await batch.finish()

    async def drain(self) -> None:
        """Wait for the step being written, raising its error."""
        if self._task is not None:
            task = self._task
            try:
                await asyncio.shield(task)
            finally:
                if task.done():
                    self._task = None

    async def __aenter__(self) -> BatchWriter:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        # Shielded, so that a second cancel (a Cancel button pressed twice)
        # cannot stop the rollback of an unfinished batch.
        await asyncio.shield(self._close(error))

    async def _close(self, error: BaseException | None) -> None:
        """Wait for the step being written, then roll back an unfinished batch."""
        task, self._task = self._task, None
        if task is not None:
            await asyncio.wait([task])
            if not task.cancelled() and task.exception() is not None:
                error = error or task.exception()
        batch, self._batch = self._batch, None
        if batch is None:
            return
        try:
            await batch.abort(error)
        except Exception as failure:
            logger.warning(
                "Rolling back an unfinished import batch failed: %s", failure
            )
