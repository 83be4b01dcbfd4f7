"""The location list: every location's kind, where it is reachable now and its size."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    Qt,
)
from PySide6.QtGui import QColor, QImage, QPainter

from picpocket.database.logic import Comparator, Number
from picpocket.database.types import Location
from picpocket_gui.models.roles import (
    ImageCountRole,
    LocationIdRole,
    LocationRole,
    ReachableRole,
)

logger = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

NAME_COLUMN, KIND_COLUMN, WHERE_COLUMN, IMAGES_COLUMN = range(4)
HEADERS = ("Name", "Kind", "Where", "Images")
NOT_MOUNTED = "not mounted"

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)


@dataclass(frozen=True)
class _Row:
    location: Location
    reachable: bool
    where: str
    count: int


class LocationListModel(QAbstractTableModel):
    """Every location, oldest first, with its kind, state and image count."""

    def __init__(self, api: Any, parent: QObject | None = None):
        super().__init__(parent)
        self._api = api
        self._rows: list[_Row] = []
        self._serial = 0

    async def reload(self) -> None:
        """Read the locations, their mounts and image counts again, then reset."""
        self._serial += 1
        serial = self._serial
        locations = await self._api.list_locations()
        mounts = self._api.mounts
        # Checking folders can stall on a sleeping drive or a network
        # share, so it runs off the UI thread.
        states = await asyncio.to_thread(_states, locations, mounts)
        counts = [await self._count(location) for location in locations]
        if serial != self._serial:
            return
        self.beginResetModel()
        self._rows = [
            _Row(location, reachable, where, count)
            for location, (reachable, where), count in zip(locations, states, counts)
        ]
        self.endResetModel()
        logger.debug("Loaded %d locations", len(self._rows))

    async def _count(self, location: Location) -> int:
        condition = Number("location", Comparator.EQUALS, location.id)
        return await self._api.count_images(filter=condition)

    def location(self, row: int) -> Location:
        """Return the location in `row`."""
        return self._rows[row].location

    def row_of(self, location_id: int) -> int | None:
        """Return the row of a location by id, or None when it is not listed."""
        for row, entry in enumerate(self._rows):
            if entry.location.id == location_id:
                return row
        return None

    # Qt model interface ------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry = self._rows[index.row()]
        if role == _DISPLAY:
            return _display(entry, index.column())
        if role == _TOOLTIP:
            return _tooltip(entry)
        if role == _DECORATION and index.column() == NAME_COLUMN:
            return _status_dot(entry.reachable)
        if role == _ALIGNMENT and index.column() == IMAGES_COLUMN:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return _custom_data(entry, role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == _DISPLAY
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemNeverHasChildren
        )


def _states(
    locations: list[Location], mounts: Mapping[int, Path]
) -> list[tuple[bool, str]]:
    return [_state(location, mounts.get(location.id)) for location in locations]


def _state(location: Location, mount: Path | None) -> tuple[bool, str]:
    """Return whether a location can be read now, and where (or "not mounted").

    NOTE: the engine treats a fixed location whose folder is missing as
    reachable, but this list reports it as unreachable, with "folder missing".
    """
    if mount is not None:
        if mount.is_dir():
            return True, str(mount)
        return False, f"{mount} (folder missing)"
    if location.path is None:
        return False, NOT_MOUNTED
    if location.path.is_dir():
        return True, str(location.path)
    if location.removable:
        return False, NOT_MOUNTED
    return False, f"{location.path} (folder missing)"


def kind_text(location: Location) -> str:
    """Return a location's roles in words, such as "source, removable"."""
    if location.source and location.destination:
        kind = "source, destination"
    elif location.source:
        kind = "source"
    elif location.destination:
        kind = "destination"
    else:
        kind = "neither source nor destination"
    return f"{kind}, removable" if location.removable else kind


def _display(entry: _Row, column: int) -> Any:
    if column == NAME_COLUMN:
        return entry.location.name
    if column == KIND_COLUMN:
        return kind_text(entry.location)
    if column == WHERE_COLUMN:
        return entry.where
    if column == IMAGES_COLUMN:
        return entry.count
    return None


def _tooltip(entry: _Row) -> str:
    lines = []
    if entry.location.description:
        lines.append(entry.location.description)
    if entry.reachable:
        lines.append(f"Reachable at {entry.where}")
    elif entry.where == NOT_MOUNTED:
        lines.append("Not mounted, so its images are not reachable")
    else:
        lines.append(f"Not reachable: {entry.where}")
    return "\n".join(lines)


def _custom_data(entry: _Row, role: int) -> Any:
    if role == LocationRole:
        return entry.location
    if role == LocationIdRole:
        return entry.location.id
    if role == ReachableRole:
        return entry.reachable
    if role == ImageCountRole:
        return entry.count
    return None


_dots: dict[bool, QImage] = {}


def _status_dot(reachable: bool) -> QImage:
    """Return a small filled dot for a reachable location, a hollow one otherwise."""
    dot = _dots.get(reachable)
    if dot is None:
        dot = QImage(12, 12, QImage.Format.Format_ARGB32_Premultiplied)
        dot.fill(Qt.GlobalColor.transparent)
        painter = QPainter(dot)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(46, 160, 67) if reachable else QColor(140, 140, 140)
        painter.setPen(color)
        painter.setBrush(color if reachable else Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QPointF(6, 6), 4.5, 4.5)
        painter.end()
        _dots[reachable] = dot
    return dot
