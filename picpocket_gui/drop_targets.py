"""Drops from outside the app onto the grid, and drops onto locations."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QDropEvent

from picpocket_gui import background
from picpocket_gui.drops import accepts_file_drop, drop_images_on_location, open_copy_dialog
from picpocket_gui.mime import IMAGE_IDS
from picpocket_gui.models.roles import LocationRole

if TYPE_CHECKING:
    from picpocket_gui.main_window import MainWindow

logger = logging.getLogger(__name__)

_DRAG_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove)


class GridDropTarget(QObject):
    """Event filter that accepts files from a file manager on the grid."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Accept file drags and open the copy dialog on a drop."""
        if event.type() in _DRAG_EVENTS and accepts_file_drop(event.mimeData()):
            event.acceptProposedAction()
            return True
        if event.type() == QEvent.Type.Drop and accepts_file_drop(event.mimeData()):
            event.acceptProposedAction()
            self.window.copy_dropped_files(event.mimeData(), None)
            return True
        return False


class LocationDropTarget(QObject):
    """Event filter for location rows: files are copied in, thumbnails moved in."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Accept drags over a location row and copy or move on a drop."""
        if event.type() not in (*_DRAG_EVENTS, QEvent.Type.Drop):
            return False
        mime = event.mimeData()
        carries_images = mime.hasFormat(IMAGE_IDS)
        if not (carries_images or accepts_file_drop(mime)):
            return False
        location = self._location_at(event)
        if location is None:
            event.ignore()
            return True
        event.acceptProposedAction()
        if event.type() == QEvent.Type.Drop:
            if carries_images:
                self.window.move_dropped_images(mime, location.id)
            else:
                self.window.copy_dropped_files(mime, location.id)
        return True

    def _location_at(self, event: QDropEvent):
        view = self.window.location_panel.view
        index = view.indexAt(event.position().toPoint())
        return index.siblingAtColumn(0).data(LocationRole) if index.isValid() else None


def install_drop_targets(window: MainWindow) -> None:
    """Let the grid and the location list take drops."""
    grid_target = GridDropTarget(window)
    window.grid.setAcceptDrops(True)
    window.grid.viewport().installEventFilter(grid_target)
    location_target = LocationDropTarget(window)
    view = window.location_panel.view
    view.setAcceptDrops(True)
    view.viewport().setAcceptDrops(True)
    view.viewport().installEventFilter(location_target)


def copy_files(window: MainWindow, mime, location_id: int | None) -> None:
    """Open the copy dialog for dropped files. The window refreshes when the job ends."""
    dialog = open_copy_dialog(window, window.api, mime, location_id=location_id,
                              jobs=window.jobs)
    if dialog is None:
        window.statusBar().showMessage("Only files on this computer can be copied in",
                                       5_000)


def move_images(window: MainWindow, mime, location_id: int) -> None:
    """Ask, then move dragged thumbnails into a location."""

    async def move() -> None:
        await drop_images_on_location(window, window.api, mime, location_id,
                                      jobs=window.jobs)
        await window.refresh_all()

    background.spawn(move(), name="move photos to another location")
