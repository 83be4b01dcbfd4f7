"""Backups of the library's records: export to a JSON file, import from one.

`export_backup` and `import_backup` run the engine's export_data and
import_data and count what was written or added. `BackupDialog` takes
the file and the locations, runs one of them and shows the summary.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.backup import BACKUP_FORMAT
from picpocket.errors import PicPocketError
from picpocket_gui.background import spawn
from picpocket_gui.dialogs import FolderField, error_label, set_error

logger = logging.getLogger(__name__)

SECTIONS = ("locations", "tasks", "tags", "images")
NAME_FILTER = "PicPocket backups (*.json);;All files (*)"
NameRole = Qt.ItemDataRole.UserRole


class BackupMode(enum.Enum):
    """The direction of a backup: export to a file, or import from one."""

    EXPORT = "export"
    IMPORT = "import"


@dataclass(frozen=True)
class BackupSummary:
    """Counts of the records a backup wrote (export) or added (import), by section."""

    mode: BackupMode
    path: Path
    locations: int
    tasks: int
    tags: int
    images: int

    def counts_text(self) -> str:
        """Return the counts as a list, as in "2 locations, 1 task, … and 81 images"."""
        parts = [_count(getattr(self, section), section) for section in SECTIONS]
        return f"{', '.join(parts[:-1])} and {parts[-1]}"

    def text(self) -> str:
        """Return a paragraph that sums up the backup."""
        if self.mode is BackupMode.EXPORT:
            return (f"Wrote {self.path} with {self.counts_text()}. It contains the "
                    "library's records, not the image files.")
        if not any(getattr(self, section) for section in SECTIONS):
            return (f"Nothing new was added from {self.path}: the library already "
                    "has its records. Empty fields and missing tags of those "
                    "records were filled in from it.")
        return f"Added {self.counts_text()} from {self.path}."


def _count(number: int, section: str) -> str:
    noun = section if number != 1 else section.removesuffix("s")
    return f"{number:,} {noun}"


def read_backup(path: Path) -> dict[str, Any]:
    """Read the JSON of a backup file.

    Raises:
        OSError: the file cannot be read.
        ValueError: the file is not valid JSON or not a PicPocket backup.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != BACKUP_FORMAT:
        raise ValueError(f"{path} is not a PicPocket backup")
    return data


@contextmanager
def _busy(widget: QWidget | None) -> Iterator[None]:
    """Show a busy cursor over `widget` while the block runs."""
    if widget is not None:
        widget.setCursor(Qt.CursorShape.BusyCursor)
    try:
        yield
    finally:
        if widget is not None and shiboken6.isValid(widget):
            widget.unsetCursor()


async def export_backup(
    parent: QWidget | None,
    api: PicPocket,
    path: Path,
    locations: list[str | int] | None = None,
) -> BackupSummary:
    """Write the records of `locations` (all when None) to `path` and count them.

    Tags are always written in full, and tasks only when both their
    source and destination are included. `parent` shows a busy cursor meanwhile.
    Engine errors (such as a missing folder) propagate to the caller.
    """
    path = Path(path)
    with _busy(parent):
        await api.export_data(path, locations)
        data = await asyncio.to_thread(read_backup, path)
    counts = {section: len(data.get(section) or []) for section in SECTIONS}
    logger.info("Exported a backup to %s: %s", path, counts)
    return BackupSummary(BackupMode.EXPORT, path, **counts)


async def _library_counts(api: PicPocket) -> dict[str, int]:
    return {
        "locations": len(await api.list_locations()),
        "tasks": len(await api.list_tasks()),
        "tags": len(await api.all_tag_names()),
        "images": await api.count_images(),
    }


async def import_backup(
    parent: QWidget | None,
    api: PicPocket,
    path: Path,
    locations: list[str] | dict[str, Path | None] | None = None,
) -> BackupSummary:
    """Add the records of a backup file and count what the library gained.

    `locations` limits the import as import_data's argument does. As a
    dict it also gives the folder each location is at now. The counts
    compare the library before and after, so records that something else
    adds meanwhile are counted too. `parent` shows a busy cursor
    meanwhile. Engine errors propagate to the caller.
    """
    path = Path(path)
    with _busy(parent):
        before = await _library_counts(api)
        await api.import_data(path, locations)
        after = await _library_counts(api)
    added = {section: max(0, after[section] - before[section]) for section in SECTIONS}
    logger.info("Imported the backup %s: added %s", path, added)
    return BackupSummary(BackupMode.IMPORT, path, **added)


class BackupDialog(QDialog):
    """Ask for a backup file and its locations, export or import it, show a summary.

    For an import, a location without a path in the backup needs the
    folder it is at now. A location given a folder is mounted there for
    this session.
    """

    backup_finished = Signal(object)  # the BackupSummary of a backup that ran
    library_changed = Signal()  # an import ran, so records may have changed

    def __init__(
        self, api: PicPocket, mode: BackupMode | str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._api = api
        self.mode = BackupMode(mode)
        self._exporting = self.mode is BackupMode.EXPORT
        self._summary: BackupSummary | None = None
        self._running = False
        self._folders: dict[str, FolderField] = {}
        self._backup_paths: dict[str, str | None] = {}
        self._listed_path: Path | None = None
        self.setWindowTitle("Export Backup" if self._exporting else "Import Backup")
        self._build()
        self._load = spawn(self._load_locations(), name="list backup locations")

    # Public state -------------------------------------------------------------

    def path(self) -> Path | None:
        """Return the backup file entered, with ~ expanded, or None."""
        text = self.file_field.line_edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_path(self, path: Path) -> None:
        """Use `path` as the backup file, and for an import list its locations."""
        self.file_field.set_path(Path(path))
        self._on_path_changed()

    def summary(self) -> BackupSummary | None:
        """Return the summary of the last backup, or None before one ran."""
        return self._summary

    def message_text(self) -> str:
        """Return the message about why the backup did not run, or ""."""
        return self._message.text()

    def location_names(self) -> list[str]:
        """Return the names of the locations listed, in row order."""
        return [self._item(row).data(0, NameRole) for row in range(self._row_count())]

    def set_location_checked(self, name: str, checked: bool) -> None:
        """Tick or untick the location called `name`."""
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for row in range(self._row_count()):
            if self._item(row).data(0, NameRole) == name:
                self._item(row).setCheckState(0, state)

    def set_location_folder(self, name: str, folder: Path) -> None:
        """Give the folder a location of the backup is at now (import only)."""
        self._folders[name].set_path(Path(folder))

    async def wait_loaded(self) -> None:
        """Wait until the locations of the library or of the backup are listed."""
        await asyncio.wait([self._load])

    def choose_file(self) -> QFileDialog:
        """Open a file dialog for the backup file, without a nested event loop."""
        start = self.path() or Path.home() / "picpocket-backup.json"
        dialog = QFileDialog(self, self.windowTitle(), str(start.parent), NAME_FILTER)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self._exporting:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix("json")
            dialog.selectFile(start.name)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda chosen: self.set_path(Path(chosen)))
        dialog.open()
        return dialog

    # Building -----------------------------------------------------------------

    def _build(self) -> None:
        intro = QLabel(self._intro_text(), self)
        intro.setWordWrap(True)
        self._build_file_field()
        self.location_tree = QTreeWidget(self)
        self.location_tree.setRootIsDecorated(False)
        self.location_tree.setHeaderLabels(
            ["Location", "Folder"] if self._exporting
            else ["Location", "Path in backup", "Folder now"]
        )
        self.location_tree.header().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )

        self._build_status()
        layout = QVBoxLayout(self)
        for widget in (intro, QLabel("Backup file:", self), self.file_field,
                       QLabel("Locations:", self)):
            layout.addWidget(widget)
        layout.addWidget(self.location_tree, 1)
        for widget in (self._message, self.busy_bar, self.summary_label):
            layout.addWidget(widget)
        layout.addWidget(self._build_buttons())
        self.resize(640, 440)

    def _build_status(self) -> None:
        self._message = error_label()
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.hide()
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )

    def _build_file_field(self) -> None:
        # A folder field whose Choose… button opens a file dialog instead.
        self.file_field = FolderField(caption=self.windowTitle(), parent=self)
        self.file_field.choose_button.clicked.disconnect()
        self.file_field.choose_button.clicked.connect(self.choose_file)
        self.file_field.line_edit.editingFinished.connect(self._on_path_changed)
        self.file_field.line_edit.setPlaceholderText("A .json file")

    def _intro_text(self) -> str:
        if self._exporting:
            return ("Write the records of the chosen locations to a JSON file: their "
                    "images with tags, ratings and details, the tasks between them "
                    "and every tag. The image files themselves are not copied.")
        return ("Add the records of a backup file to this library. Records the "
                "library has are kept, and only their empty fields and missing tags "
                "are filled in, so importing a file twice adds nothing. A location "
                "given a folder below is mounted there for this session.")

    def _build_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(self)
        text = "Export" if self._exporting else "Import"
        self.run_button = buttons.addButton(text, QDialogButtonBox.ButtonRole.ApplyRole)
        self.run_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.run_button.clicked.connect(
            lambda: spawn(self.run(), name=f"{self.mode.value} a backup")
        )
        buttons.rejected.connect(self.reject)
        return buttons

    def _row_count(self) -> int:
        return self.location_tree.topLevelItemCount()

    def _item(self, row: int) -> QTreeWidgetItem:
        return self.location_tree.topLevelItem(row)

    # Listing locations --------------------------------------------------------

    async def _load_locations(self) -> None:
        if self._exporting:
            await self._list_library_locations()
        else:
            await self._list_backup_locations()

    async def _list_library_locations(self) -> None:
        locations = await self._api.list_locations()
        if not shiboken6.isValid(self):
            return
        self.location_tree.clear()
        for location in locations:
            root = location.root
            folder = str(root) if root is not None else "(not mounted)"
            item = QTreeWidgetItem(self.location_tree, [location.name, folder])
            item.setData(0, NameRole, location.name)
            item.setCheckState(0, Qt.CheckState.Checked)

    async def _list_backup_locations(self) -> None:
        # Listing again would drop the folders entered, so only a new path does.
        path = self._listed_path = self.path()
        entries: list[dict[str, Any]] = []
        if path is not None:
            try:
                data = await asyncio.to_thread(read_backup, path)
                entries = [entry for entry in data.get("locations") or []
                           if isinstance(entry, dict) and entry.get("name")]
            except (OSError, ValueError) as error:
                if shiboken6.isValid(self):
                    self.file_field.set_error(f"Cannot read this backup: {error}")
        if shiboken6.isValid(self):
            self._show_backup_locations(entries)

    def _show_backup_locations(self, entries: list[dict[str, Any]]) -> None:
        self.location_tree.clear()
        self._folders.clear()
        self._backup_paths.clear()
        for entry in entries:
            name, stored = entry["name"], entry.get("path")
            self._backup_paths[name] = stored
            removable = entry.get("removable", True)
            shown = stored or "(none)"
            item = QTreeWidgetItem(self.location_tree, [
                name, f"{shown}, removable" if removable else shown
            ])
            item.setData(0, NameRole, name)
            item.setCheckState(0, Qt.CheckState.Checked)
            field = FolderField(caption=f"Folder of {name}")
            field.line_edit.setPlaceholderText(
                "Required: the folder it is at now" if stored is None
                else "Optional: where its drive is mounted now" if removable
                else "Optional: empty for the backup's path"
            )
            self.location_tree.setItemWidget(item, 2, field)
            self._folders[name] = field

    def _on_path_changed(self) -> None:
        path = self.path()
        if self._exporting:
            exists = path is not None and path.exists()
            self.file_field.set_error(
                "This file exists and will be replaced." if exists else ""
            )
            return
        if path != self._listed_path:
            self._load = spawn(self._list_backup_locations(),
                               name="list backup locations")

    # Running ------------------------------------------------------------------

    async def run(self) -> BackupSummary | None:
        """Export or import the backup and show its summary.

        Returns the summary, or None when an entry is missing or invalid, or
        the engine reported an error, which the dialog then shows.
        """
        if self._running:
            return None
        path, locations = self._checked_request()
        if path is None:
            return None
        self._set_running(True)
        try:
            summary = await self._run_backup(path, locations)
        finally:
            if shiboken6.isValid(self):
                self._set_running(False)
        if summary is not None and shiboken6.isValid(self):
            self._show_summary(summary)
        return summary

    async def _run_backup(self, path: Path, locations: Any) -> BackupSummary | None:
        try:
            if self._exporting:
                return await export_backup(self, self._api, path, locations)
            summary = await import_backup(self, self._api, path, locations)
            await self._mount_given_folders(locations)
        except (PicPocketError, OSError, ValueError) as error:
            logger.warning("Could not %s the backup %s: %s", self.mode.value, path,
                           error)
            self._show_message(str(error))
            return None
        return summary

    async def _mount_given_folders(self, locations: Any) -> None:
        for name, folder in (locations if isinstance(locations, dict) else {}).items():
            if folder is not None:
                await self._api.mount(name, folder)

    def _set_running(self, running: bool) -> None:
        self._running = running
        for widget in (self.file_field, self.location_tree, self.run_button):
            widget.setEnabled(not running)
        self.busy_bar.setVisible(running)
        if running:
            set_error(self._message, "")
            self.summary_label.setText("")

    def _show_message(self, text: str) -> None:
        if shiboken6.isValid(self):
            set_error(self._message, text)

    def _show_summary(self, summary: BackupSummary) -> None:
        self._summary = summary
        self.summary_label.setText(summary.text())
        self.backup_finished.emit(summary)
        if not self._exporting:
            self.library_changed.emit()

    # Checking the entries -----------------------------------------------------

    def _checked_request(self) -> tuple[Path | None, Any]:
        """Return the file and the locations argument, or None and show why not."""
        set_error(self._message, "")
        path = self.path()
        if path is None:
            self.file_field.set_error("Enter or choose the backup file.")
            return None, None
        if not self._exporting and not path.is_file():
            self.file_field.set_error(f"File {path} not found.")
            return None, None
        checked = [self._item(row).data(0, NameRole) for row in range(self._row_count())
                   if self._item(row).checkState(0) == Qt.CheckState.Checked]
        if self._row_count() and not checked:
            self._show_message("Tick at least one location.")
            return None, None
        if self._exporting:
            return path, None if len(checked) == self._row_count() else checked
        folders = self._checked_folders(checked)
        if folders is None:
            return None, None
        everything = len(checked) == self._row_count() and not any(folders.values())
        return path, None if everything else folders

    def _checked_folders(self, checked: list[str]) -> dict[str, Path | None] | None:
        """Return the folder given for each ticked location, or None after
        showing what is missing or wrong."""
        folders: dict[str, Path | None] = {}
        for name in checked:
            field = self._folders[name]
            folder = folders[name] = field.path()
            if folder is None and self._backup_paths.get(name) is None:
                problem = (f"Give the folder where “{name}” is now: the backup has "
                           "no path for it.")
            elif folder is not None and not folder.is_dir():
                problem = f"Folder {folder} given for “{name}” not found."
            else:
                continue
            self._show_message(problem)
            field.line_edit.setFocus()
            return None
        return folders
