"""The location manager beside the grid: every location, its state and its actions."""

from __future__ import annotations

import logging

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from picpocket.database.types import Location
from picpocket_gui.models.locations import HEADERS, LocationListModel
from picpocket_gui.models.roles import LocationRole

logger = logging.getLogger(__name__)

WHERE_COLUMN = HEADERS.index("Where")
# Each action the panel offers, by the signal it emits.
ACTIONS = (
    ("edit", "Edit…"),
    ("import", "Import new photos"),
    ("verify", "Verify files"),
    ("mount", "Mount…"),
    ("unmount", "Unmount"),
    ("remove", "Remove…"),
)


class LocationPanel(QWidget):
    """A list of locations with their kind, reachability and image count.

    The panel does no work itself: each action emits
    `action_requested(name, location)`, and the main window opens the dialog
    or starts the job.
    """

    action_requested = Signal(str, object)
    add_requested = Signal()

    def __init__(self, model: LocationListModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.view = QTreeView()
        self.view.setModel(model)
        self.view.setRootIsDecorated(False)
        self.view.setAlternatingRowColors(True)
        # Long mount paths are shortened in the middle; the tooltip has them whole.
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)
        self.view.doubleClicked.connect(lambda index: self._request("edit"))
        self.view.selectionModel().currentChanged.connect(self._update_buttons)
        model.modelReset.connect(self._after_reset)
        self._buttons = self._build_buttons()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(self._buttons_row())
        self._update_buttons()

    def _build_buttons(self) -> dict[str, QPushButton]:
        buttons = {"add": QPushButton("Add…")}
        buttons["add"].clicked.connect(self.add_requested.emit)
        for name, label in (("import", "Import"), ("mount", "Mount…")):
            buttons[name] = QPushButton(label)
            buttons[name].clicked.connect(lambda _=False, n=name: self._request(n))
        buttons["add"].setToolTip("Record a new folder, card or drive")
        buttons["import"].setToolTip("Record new and changed photos in this location")
        buttons["mount"].setToolTip("Say where this removable location is plugged in")
        return buttons

    def _buttons_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for button in self._buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        return row

    def current_location(self) -> Location | None:
        """Return the selected location, if any."""
        index = self.view.currentIndex()
        return index.siblingAtColumn(0).data(LocationRole) if index.isValid() else None

    async def reload(self) -> None:
        """Read the locations, mounts and counts again."""
        await self.model.reload()

    def _after_reset(self) -> None:
        header = self.view.header()
        header.setStretchLastSection(False)
        for column in range(self.model.columnCount()):
            if column == WHERE_COLUMN:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            else:
                self.view.resizeColumnToContents(column)
        self._update_buttons()

    def _update_buttons(self, *_: object) -> None:
        location = self.current_location()
        self._buttons["import"].setEnabled(location is not None)
        self._buttons["mount"].setEnabled(bool(location and location.removable))

    def _show_menu(self, point: QPoint) -> None:
        location = self.current_location() if self.view.indexAt(point).isValid() else None
        menu = QMenu(self)
        menu.addAction("Add location…", self.add_requested.emit)
        if location is not None:
            menu.addSeparator()
            for name, label in ACTIONS:
                action = menu.addAction(label, lambda n=name: self._request(n))
                if name in ("mount", "unmount"):
                    action.setEnabled(location.removable)
        menu.exec(self.view.viewport().mapToGlobal(point))

    def _request(self, name: str) -> None:
        location = self.current_location()
        if location is not None:
            self.action_requested.emit(name, location)
