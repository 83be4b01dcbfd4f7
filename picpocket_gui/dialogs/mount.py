"""The mount dialog: tell the library where a removable location is available now."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QLocale, QStorageInfo, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.types import Location
from picpocket.errors import PicPocketError
from picpocket_gui.background import spawn

logger = logging.getLogger(__name__)

# Memory-backed and image file systems (/run, /dev/shm, snap packages)
# never hold a photo collection, and on Linux they outnumber real drives.
SKIPPED_FILE_SYSTEMS = frozenset({"tmpfs", "devtmpfs", "ramfs", "squashfs"})
COLUMNS = ("Volume", "Folder", "Size", "Free", "Access")
ERROR_STYLE = "color: #b00020;"


@dataclass(frozen=True)
class Volume:
    """A mounted file system as QStorageInfo reports it."""

    label: str
    device: str
    root: Path
    file_system: str
    size: int
    free: int
    read_only: bool


def mounted_volumes() -> list[Volume]:
    """Return the mounted volumes of this computer, sorted by root folder.

    Memory-backed and snap file systems are left out. This queries every
    file system, which can block on a slow network drive, so run it in a
    worker thread.
    """
    volumes = []
    for storage in QStorageInfo.mountedVolumes():
        file_system = bytes(storage.fileSystemType().data()).decode(errors="replace")
        if not storage.isValid() or not storage.isReady():
            continue
        if file_system in SKIPPED_FILE_SYSTEMS:
            continue
        volumes.append(
            Volume(
                label=storage.name(),
                device=bytes(storage.device().data()).decode(errors="replace"),
                root=Path(storage.rootPath()),
                file_system=file_system,
                size=storage.bytesTotal(),
                free=storage.bytesAvailable(),
                read_only=storage.isReadOnly(),
            )
        )
    return sorted(volumes, key=lambda volume: str(volume.root))


def folder_problem(path: Path) -> str | None:
    """Return why `path` cannot be mounted, or None when it is a readable folder.

    This touches the file system, so run it in a worker thread.
    """
    if not path.is_absolute():
        return f"{path} is a relative path; choose a folder or give an absolute path."
    if not path.exists():
        return f"{path} does not exist. Connect the drive, or choose another folder."
    if not path.is_dir():
        return f"{path} is a file, not a folder."
    try:
        with os.scandir(path) as entries:
            next(entries, None)
    except OSError as error:
        return f"Cannot read {path}: {error.strerror or error}."
    return None


def _first_folder(candidates: list[Path | None]) -> Path | None:
    for candidate in candidates:
        if candidate is not None and candidate.is_dir():
            return candidate
    return None


async def unmount(api: PicPocket, location: Location) -> Path | None:
    """Forget where `location` is mounted and return the mount point it had.

    The caller can remember the returned path as the next suggestion.
    """
    previous = api.mounts.get(location.id)
    await api.unmount(location.id)
    logger.info("Unmounted location %r from %s", location.name, previous)
    return previous


class MountDialog(QDialog):
    """Choose the volume or folder where a location is available, then mount it.

    The folder field starts with the first existing folder among the current
    mount point, `last_mount` and the location's stored path. When none
    exists, it starts with the root of the volume whose label is the
    location's name. The table selects the volume whose root is that folder,
    or else the volume with that label.
    """

    def __init__(
        self,
        api: PicPocket,
        location: Location,
        parent: QWidget | None = None,
        *,
        last_mount: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._location = location
        self._last_mount = last_mount
        self._volumes: list[Volume] = []
        self._chosen: Path | None = None
        self._syncing = False
        self.setWindowTitle(f"Mount {location.name}")
        self._build()
        self.resize(720, 380)
        spawn(self.refresh_volumes(), name="list the mounted volumes")

    def chosen_path(self) -> Path | None:
        """Return the folder the location was mounted at, or None before that."""
        return self._chosen

    def path_text(self) -> str:
        """Return the folder field's text."""
        return self._path.text()

    def set_path_text(self, text: str) -> None:
        """Set the folder field as if the user had typed `text`."""
        self._path.setText(text)
        self._on_path_edited(text)

    def message_text(self) -> str:
        """Return the error shown next to the folder field, or ""."""
        return self._message.text()

    def volumes(self) -> list[Volume]:
        """Return the volumes listed in the table."""
        return list(self._volumes)

    def selected_volume(self) -> Volume | None:
        """Return the volume selected in the table, if any."""
        rows = self._table.selectionModel().selectedRows()
        return self._volumes[rows[0].row()] if rows else None

    def _build(self) -> None:
        intro = QLabel(self._intro_text(), self)
        intro.setWordWrap(True)
        self._table = self._build_table()
        self._path = QLineEdit(self)
        self._path.setPlaceholderText("Folder where the location's files are now")
        # Enter needs no handler here: the dialog presses its default button.
        self._path.textEdited.connect(self._on_path_edited)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._on_browse_clicked)
        self._message = QLabel(self)
        self._message.setWordWrap(True)
        self._message.setStyleSheet(ERROR_STYLE)
        self._message.hide()
        self._buttons = self._build_buttons()

        path_row = QHBoxLayout()
        path_row.addWidget(QLabel("Folder:", self))
        path_row.addWidget(self._path, 1)
        path_row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self._table, 1)
        layout.addLayout(path_row)
        layout.addWidget(self._message)
        layout.addWidget(self._buttons)

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS), self)
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.itemSelectionChanged.connect(self._on_table_selection_changed)
        return table

    def _build_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(self)
        self._mount_button = buttons.addButton(
            "Mount", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        refresh = buttons.addButton("Refresh", QDialogButtonBox.ButtonRole.ResetRole)
        refresh.setToolTip("List the mounted volumes again, after plugging in a drive")
        refresh.clicked.connect(
            lambda: spawn(self.refresh_volumes(), name="list the mounted volumes")
        )
        buttons.accepted.connect(self._on_mount_clicked)
        buttons.rejected.connect(self.reject)
        return buttons

    def _intro_text(self) -> str:
        location = self._location
        lines = [
            f"Where is the location “{location.name}” available on this computer? "
            "Pick a mounted volume or any folder; image paths are relative to it."
        ]
        if location.path is not None:
            lines.append(f"Stored path: {location.path}")
        if location.mount_point is not None:
            lines.append(f"Mounted now at: {location.mount_point}")
        return "\n".join(lines)

    # Volumes -----------------------------------------------------------

    async def refresh_volumes(self) -> None:
        """List the mounted volumes again and preselect the likely one."""
        candidates = [self._location.mount_point, self._last_mount, self._location.path]
        volumes, folder = await asyncio.to_thread(
            lambda: (mounted_volumes(), _first_folder(candidates))
        )
        if not shiboken6.isValid(self):
            return
        self._volumes = volumes
        self._fill_table()
        if self._path.text():
            # Keep what the user typed or picked; only mark the matching row.
            self._select_volume(self._volume_at(Path(self._path.text())))
            return
        volume = self._volume_at(folder) or self._volume_named()
        if folder is None and volume is not None:
            folder = volume.root
        self._select_volume(volume)
        if folder is not None:
            self._path.setText(str(folder))

    def _fill_table(self) -> None:
        locale = QLocale()
        self._syncing = True
        self._table.setRowCount(len(self._volumes))
        for row, volume in enumerate(self._volumes):
            cells = (
                volume.label or volume.device,
                str(volume.root),
                locale.formattedDataSize(volume.size),
                locale.formattedDataSize(volume.free),
                "Read-only" if volume.read_only else "Read and write",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column in (2, 3):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self._table.setItem(row, column, item)
        self._syncing = False

    def _volume_at(self, folder: Path | None) -> Volume | None:
        for volume in self._volumes:
            if folder is not None and volume.root == folder:
                return volume
        return None

    def _volume_named(self) -> Volume | None:
        name = self._location.name.casefold()
        for volume in self._volumes:
            if volume.label and volume.label.casefold() == name:
                return volume
        return None

    def _select_volume(self, volume: Volume | None) -> None:
        self._syncing = True
        self._table.clearSelection()
        if volume is not None:
            self._table.selectRow(self._volumes.index(volume))
        self._syncing = False

    def _on_table_selection_changed(self) -> None:
        if self._syncing:
            return
        volume = self.selected_volume()
        if volume is not None:
            self._path.setText(str(volume.root))
            self._show_error("")

    def _on_path_edited(self, text: str) -> None:
        self._show_error("")
        stripped = text.strip()
        self._select_volume(self._volume_at(Path(stripped)) if stripped else None)

    def _on_browse_clicked(self) -> None:
        start = self._path.text() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(
            self, f"Folder of {self._location.name}", start
        )
        if folder:
            self.set_path_text(folder)

    # Mounting ----------------------------------------------------------

    def _on_mount_clicked(self) -> None:
        spawn(self.mount_chosen(), name=f"mount {self._location.name}")

    async def mount_chosen(self) -> bool:
        """Check the chosen folder, mount the location there and accept the dialog.

        Returns whether the location was mounted. A problem is shown next
        to the folder field and leaves the dialog open.
        """
        text = self._path.text().strip()
        if not text:
            self._show_error("Choose a volume in the list or a folder.")
            return False
        path = Path(text).expanduser()
        self._mount_button.setEnabled(False)
        try:
            problem = await self._mount(path)
        finally:
            if shiboken6.isValid(self):
                self._mount_button.setEnabled(True)
        if not shiboken6.isValid(self):
            # The dialog was closed and deleted while the check ran.
            return problem is None
        if problem is not None:
            self._show_error(problem)
            return False
        self._chosen = path
        self.accept()
        return True

    async def _mount(self, path: Path) -> str | None:
        """Mount the location at `path` and return None, or return the problem."""
        try:
            problem = await asyncio.to_thread(folder_problem, path)
            if problem is None:
                await self._api.mount(self._location.id, path)
        except PicPocketError as error:
            problem = str(error)
        if problem is not None:
            logger.info("Not mounting %r at %s: %s", self._location.name, path, problem)
        return problem

    def _show_error(self, text: str) -> None:
        self._message.setText(text)
        self._message.setVisible(bool(text))
