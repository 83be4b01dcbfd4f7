"""The thumbnail grid's model: every image id at once, records and thumbnails on demand.

A query loads only the ids of the matching images, so a library of
100,000 photos opens without reading every record. When the view
requests data for a row whose record is missing, the model fetches the
chunk of rows around it with one `get_images()` call, and the loader
renders the thumbnail once the record is known.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QImage

from picpocket.database.types import Image
from picpocket_gui.background import spawn
from picpocket_gui.mime import IMAGE_IDS, image_mime_data
from picpocket_gui.models import tiles
from picpocket_gui.models.roles import (
    THUMBNAIL_FAILED,
    THUMBNAIL_LOADING,
    THUMBNAIL_READY,
    THUMBNAIL_UNREACHABLE,
    ImageIdRole,
    ImageRole,
    ReachableRole,
    ThumbnailStateRole,
)

logger = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

DEFAULT_THUMBNAIL_SIZE = 160

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_THUMBNAIL_ROLES = [_DECORATION, ThumbnailStateRole]


class ImageGridModel(QAbstractListModel):
    """The images of one query, in its order, with lazily fetched records."""

    count_changed = Signal(int)

    chunk_size = 100
    """Rows whose records one get_images() call fetches."""
    margin = 50
    """Rows before and after a painted row whose records are fetched with it."""
    max_fetches = 3
    """Maximum chunk fetches in flight at once. Further chunks wait for a free slot."""
    max_waiting = 16
    """Maximum chunks waiting for a slot. Older requests, scrolled past, are dropped."""

    def __init__(self, api: Any, thumbnails: Any, parent: QObject | None = None):
        super().__init__(parent)
        self._api = api
        self._thumbnails = thumbnails
        self._size = DEFAULT_THUMBNAIL_SIZE
        self._ids: list[int] = []
        self._rows: dict[int, int] = {}
        self._tickets = itertools.count()
        self._query_serial = 0
        self._generation = 0
        self._reset_records()
        self._start_timer = self._single_shot(self._start_fetches)
        self._repaint_timer = self._single_shot(self._emit_repaints)
        thumbnails.ready.connect(self._on_thumbnails_ready)

    def _single_shot(self, slot: Any) -> QTimer:
        # A zero-interval timer fires once the event loop is idle, so every
        # request made while the view paints is handled in one batch.
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(0)
        timer.timeout.connect(slot)
        return timer

    def _reset_records(self) -> None:
        self._records: dict[int, Image] = {}
        self._keys: dict[int, str] = {}
        self._ids_by_key: dict[str, set[int]] = {}
        # Each record's ticket numbers the fetch that stored it, so a fetch
        # that started earlier never overwrites the result of a later one.
        self._stamps: dict[int, int] = {}
        self._gone: set[int] = set()
        self._requested: set[str] = set()
        self._waiting: OrderedDict[int, None] = OrderedDict()
        self._fetching: set[int] = set()
        self._loaded_chunks: set[int] = set()
        self._failed_chunks: set[int] = set()
        self._repaint_rows: set[int] = set()

    # Queries -----------------------------------------------------------

    async def set_query(self, arguments: dict[str, Any]) -> int:
        """Show the images that get_image_ids(**arguments) returns; return the count.

        A call overtaken by a later one returns its count without
        changing the model.
        """
        self._query_serial += 1
        serial = self._query_serial
        ids = await self._api.get_image_ids(**arguments)
        if serial != self._query_serial:
            logger.debug("Dropped the result of an overtaken query: %r", arguments)
            return len(ids)
        self._show(ids)
        logger.debug("Query %r matched %d images", arguments, len(self._ids))
        return len(self._ids)

    def set_ids(self, ids: Iterable[int]) -> int:
        """Show exactly these images, in this order, and return how many there are."""
        self._query_serial += 1
        self._show(list(dict.fromkeys(ids)))
        return len(self._ids)

    def _show(self, ids: Sequence[int]) -> None:
        self.beginResetModel()
        self._generation += 1
        self._ids = list(ids)
        self._rows = {image_id: row for row, image_id in enumerate(self._ids)}
        self._reset_records()
        self.endResetModel()
        self._thumbnails.clear_requests()
        self.count_changed.emit(len(self._ids))

    async def refresh(self, ids: Iterable[int] | None = None) -> None:
        """Fetch the records of the given images again (all when None).

        Only images the model has fetched or is fetching are read again.
        The others are read fresh when they are first shown.
        """
        generation = self._generation
        self._retry_failed_chunks()
        targets = self._refresh_targets(ids)
        for start in range(0, len(targets), self.chunk_size):
            chunk = targets[start : start + self.chunk_size]
            ticket = next(self._tickets)
            images = await self._api.get_images(chunk)
            if generation != self._generation:
                return
            self._store(images, chunk, ticket)

    def _retry_failed_chunks(self) -> None:
        for chunk in sorted(self._failed_chunks):
            self._waiting[chunk] = None
        self._failed_chunks.clear()
        if self._waiting:
            self._start_timer.start()

    def _refresh_targets(self, ids: Iterable[int] | None) -> list[int]:
        fetching = {
            image_id for chunk in self._fetching for image_id in self._chunk_ids(chunk)
        }
        known = self._records.keys() | self._gone | fetching
        if ids is None:
            return sorted(known, key=self._rows.__getitem__)
        return [image_id for image_id in dict.fromkeys(ids) if image_id in known]

    # Access by row and id ------------------------------------------------

    def image_id(self, row: int) -> int:
        """Return the id of the image in `row`."""
        if not 0 <= row < len(self._ids):
            raise IndexError(f"Row {row} is outside the grid of {len(self._ids)} rows")
        return self._ids[row]

    def image_ids(self) -> list[int]:
        """Return the ids of every row, in order."""
        return list(self._ids)

    def image(self, row: int) -> Image | None:
        """Return the record in `row` if it has been fetched, else None."""
        return self._records.get(self.image_id(row))

    def row_of(self, image_id: int) -> int | None:
        """Return the row of an image, or None when the query does not include it."""
        return self._rows.get(image_id)

    def thumbnail_size(self) -> int:
        """Return the longest edge of the thumbnails, in pixels."""
        return self._size

    def set_thumbnail_size(self, size: int) -> None:
        """Render thumbnails and tiles with `size` pixels on the longest edge."""
        size = int(size)
        if size == self._size:
            return
        self._size = size
        self._requested.clear()
        if self._ids:
            last = self.index(len(self._ids) - 1)
            self.dataChanged.emit(self.index(0), last, _THUMBNAIL_ROLES)

    # Qt model interface ------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        if not self._is_valid(index):
            return None
        image_id = self._ids[index.row()]
        if role == ImageIdRole:
            return image_id
        image = self._records.get(image_id)
        if image is None and image_id not in self._gone:
            self._request_rows(index.row())
        if role == _DISPLAY:
            return None if image is None else image.title or image.path.name
        if role == _DECORATION:
            return self._decoration(image_id, image)
        if role == _TOOLTIP:
            return None if image is None else _tooltip(image)
        if role == ImageRole:
            return image
        if role == ReachableRole:
            return None if image is None else image.full_path is not None
        if role == ThumbnailStateRole:
            return self._thumbnail_state(image_id, image)[0]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not self._is_valid(index):
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsDragEnabled
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def mimeTypes(self) -> list[str]:
        return [IMAGE_IDS, "text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({index.row() for index in indexes if self._is_valid(index)})
        ids = [self._ids[row] for row in rows]
        # NOTE: rows whose records are not fetched yet carry only their id,
        # so other apps get file URLs only for fetched, reachable images.
        records = [self._records.get(image_id) for image_id in ids]
        paths = [
            image.full_path
            for image in records
            if image is not None and image.full_path is not None
        ]
        return image_mime_data(ids, paths)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def canDropMimeData(self, *arguments: Any) -> bool:
        return False

    def dropMimeData(self, *arguments: Any) -> bool:
        return False

    def _is_valid(self, index: ModelIndex) -> bool:
        return (
            index.isValid()
            and index.model() is self
            and index.column() == 0
            and 0 <= index.row() < len(self._ids)
        )

    # Thumbnails --------------------------------------------------------

    def _decoration(self, image_id: int, image: Image | None) -> QImage:
        state, thumbnail = self._thumbnail_state(image_id, image)
        if thumbnail is not None:
            return thumbnail
        if state == THUMBNAIL_UNREACHABLE:
            return tiles.unreachable_tile(self._size)
        if state == THUMBNAIL_FAILED:
            return tiles.unreadable_tile(self._size)
        return tiles.placeholder_tile(self._size)

    def _thumbnail_state(
        self, image_id: int, image: Image | None
    ) -> tuple[str, QImage | None]:
        """Return the thumbnail's state and image, requesting it when missing."""
        if image is None:
            # A record missing from a finished fetch was removed from the
            # library after the query ran.
            gone = image_id in self._gone
            return (THUMBNAIL_UNREACHABLE if gone else THUMBNAIL_LOADING), None
        if image.full_path is None:
            return THUMBNAIL_UNREACHABLE, None
        thumbnail = self._thumbnails.get(image, self._size)
        if thumbnail is not None:
            return THUMBNAIL_READY, thumbnail
        key = self._keys[image.id]
        if self._thumbnails.is_failed(key):
            return THUMBNAIL_FAILED, None
        if key not in self._requested:
            self._requested.add(key)
            self._thumbnails.request(image, self._size)
        return THUMBNAIL_LOADING, None

    def _on_thumbnails_ready(self, key: str, size: int) -> None:
        self._requested.discard(key)
        for image_id in self._ids_by_key.get(key, ()):
            self._repaint_rows.add(self._rows[image_id])
        if self._repaint_rows:
            self._repaint_timer.start()

    def _emit_repaints(self) -> None:
        rows = [row for row in self._repaint_rows if row < len(self._ids)]
        self._repaint_rows.clear()
        if rows:
            first, last = self.index(min(rows)), self.index(max(rows))
            self.dataChanged.emit(first, last, _THUMBNAIL_ROLES)

    # Fetching records --------------------------------------------------

    def _request_rows(self, row: int) -> None:
        """Queue the chunks that hold `row` and the rows within `margin` of it."""
        first = max(0, row - self.margin) // self.chunk_size
        last = min(len(self._ids) - 1, row + self.margin) // self.chunk_size
        done = self._fetching | self._loaded_chunks | self._failed_chunks
        for chunk in range(first, last + 1):
            if chunk not in done:
                self._waiting[chunk] = None
                self._waiting.move_to_end(chunk)
        if self._waiting and not self._start_timer.isActive():
            self._start_timer.start()

    def _chunk_ids(self, chunk: int) -> list[int]:
        start = chunk * self.chunk_size
        return self._ids[start : start + self.chunk_size]

    def _start_fetches(self) -> None:
        if not _loop_running():
            # Qt processed events while no asyncio loop ran (before start-up
            # or during shutdown), where a task would find no current loop.
            # The rows stay queued and are requested again when repainted.
            logger.debug("Postponed fetching records: no event loop is running")
            return
        while len(self._waiting) > self.max_waiting:
            self._waiting.popitem(last=False)
        while self._waiting and len(self._fetching) < self.max_fetches:
            chunk, _ = self._waiting.popitem(last=False)
            self._fetching.add(chunk)
            first = chunk * self.chunk_size
            last = min(first + self.chunk_size, len(self._ids))
            spawn(
                self._fetch_chunk(self._generation, chunk),
                name=f"load the records of images {first + 1} to {last}",
            )

    async def _fetch_chunk(self, generation: int, chunk: int) -> None:
        ids = [
            image_id
            for image_id in self._chunk_ids(chunk)
            if image_id not in self._records
        ]
        ticket = next(self._tickets)
        try:
            images = await self._api.get_images(ids) if ids else []
        except Exception:
            # A failed chunk is not fetched again until the next query or
            # refresh, so a broken connection does not fail on every paint.
            if generation == self._generation:
                self._failed_chunks.add(chunk)
            raise
        finally:
            if not shiboken6.isValid(self):
                # The model was deleted, with its window, during the fetch.
                return
            if generation == self._generation:
                self._fetching.discard(chunk)
                if self._waiting:
                    self._start_timer.start()
        if generation != self._generation:
            return
        self._loaded_chunks.add(chunk)
        self._store(images, ids, ticket)

    def _store(self, images: list[Image], requested: list[int], ticket: int) -> None:
        """Keep fetched records and mark the requested ids that no longer exist."""
        changed = []
        found = {image.id for image in images}
        for image in images:
            if image.id in self._rows and self._take_ticket(image.id, ticket):
                self._keep(image)
                changed.append(self._rows[image.id])
        for image_id in requested:
            if image_id not in found and self._take_ticket(image_id, ticket):
                self._forget(image_id)
                self._gone.add(image_id)
                changed.append(self._rows[image_id])
        if changed:
            self.dataChanged.emit(self.index(min(changed)), self.index(max(changed)))

    def _take_ticket(self, image_id: int, ticket: int) -> bool:
        if self._stamps.get(image_id, -1) > ticket:
            return False
        self._stamps[image_id] = ticket
        return True

    def _keep(self, image: Image) -> None:
        self._forget(image.id)
        key = self._thumbnails.key_for(image)
        self._records[image.id] = image
        self._keys[image.id] = key
        self._ids_by_key.setdefault(key, set()).add(image.id)
        self._gone.discard(image.id)

    def _forget(self, image_id: int) -> None:
        self._records.pop(image_id, None)
        key = self._keys.pop(image_id, None)
        if key is None:
            return
        sharing = self._ids_by_key.get(key, set())
        sharing.discard(image_id)
        if not sharing:
            self._ids_by_key.pop(key, None)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _tooltip(image: Image) -> str:
    if image.full_path is not None:
        lines = [str(image.full_path)]
    else:
        lines = [f"{image.path.as_posix()} (its location is not reachable now)"]
    if image.width and image.height:
        lines.append(f"{image.width} × {image.height} pixels")
    return "\n".join(lines)
