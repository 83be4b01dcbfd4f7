"""The main window's menu actions: files, images, locations and help."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QCheckBox, QFileDialog, QMenu, QMessageBox

from picpocket.configuration import CONFIG_NAME
from picpocket.database.types import Location
from picpocket_gui import background
from picpocket_gui.identity import APPLICATION_NAME
from picpocket_gui.logs import log_directory

if TYPE_CHECKING:
    from picpocket_gui.main_window import MainWindow

logger = logging.getLogger(__name__)


class LibraryActions:
    """Build the menus of a main window and carry out what they ask."""

    def __init__(self, window: MainWindow):
        self.window = window
        self.api = window.api

    def _action(self, menu: QMenu, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _=False: slot())
        return action

    # Menus -------------------------------------------------------------

    def fill_file_menu(self, menu: QMenu) -> None:
        """Add library, backup and quit actions."""
        self._action(menu, "&New Library…", self.new_library)
        self._action(menu, "&Open Library…", self.open_library, QKeySequence.StandardKey.Open)
        self.recent_menu = menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        menu.addSeparator()
        self._action(menu, "&Export Backup…", self.export_backup)
        self._action(menu, "&Import Backup…", self.import_backup)
        menu.addSeparator()
        self._action(menu, "&Quit", self.window.close, QKeySequence.StandardKey.Quit)

    def fill_image_menu(self, menu: QMenu) -> None:
        """Add viewing, rating and removal of the selected photos."""
        self._action(menu, "&View", self.view_selection, "Ctrl+Return")
        rate = menu.addMenu("&Rate")
        for rating in range(6):
            label = f"{'★' * rating or 'No rating'}\t{rating}"
            self._action(rate, label, lambda r=rating: self.window._rating_requested(r))
        menu.addSeparator()
        self._action(menu, "Remove from &Library…", self.remove_selection,
                     QKeySequence.StandardKey.Delete)

    def fill_location_menu(self, menu: QMenu) -> None:
        """Add the location manager's actions for the selected location."""
        self._action(menu, "&Add Location…", self.add_location)
        self._action(menu, "&Tasks…", self.show_tasks)
        self._action(menu, "&Verify All Files…", lambda: self.verify_location(None))
        menu.addSeparator()
        for name, label in (("edit", "&Edit…"), ("import", "&Import New Photos"),
                            ("verify", "&Verify Files"), ("mount", "&Mount…"),
                            ("unmount", "&Unmount"), ("remove", "&Remove…")):
            self._action(menu, label, lambda n=name: self._selected_location_action(n))

    def fill_help_menu(self, menu: QMenu) -> None:
        """Add the log folder and the about box."""
        self._action(menu, "Open &Log Folder", self.open_log_folder)
        self._action(menu, f"&About {APPLICATION_NAME}", self.about)

    # Libraries ---------------------------------------------------------------

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        current = self.window.library_path.absolute()
        for folder in self.window.settings.recent_libraries():
            action = self.recent_menu.addAction(str(folder))
            action.setEnabled(folder != current)
            action.triggered.connect(lambda _=False, f=folder: self.switch_library(f))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent libraries").setEnabled(False)

    def open_library(self) -> None:
        """Ask for a library folder and open it in place of this one."""
        folder = QFileDialog.getExistingDirectory(self.window, "Open library")
        if not folder:
            return
        if not (Path(folder) / CONFIG_NAME).is_file():
            inform(self.window, "Open library",
                   f"{folder} is not a PicPocket library: it has no {CONFIG_NAME}. "
                   "Pick the folder that contains it, or use File > New Library.")
            return
        self.switch_library(Path(folder))

    def new_library(self) -> None:
        """Ask for an empty folder and create a library there, in place of this one."""
        folder = QFileDialog.getExistingDirectory(self.window, "Folder for the new library")
        if folder:
            # The app shows the first-run dialog for a folder without a library.
            self.switch_library(Path(folder))

    def switch_library(self, folder: Path) -> None:
        """Close this window and let the app open `folder` next."""
        self.window.next_library = folder
        self.window.close()

    # Images ------------------------------------------------------------------

    def open_viewer(self, image_id: int) -> None:
        """Open the viewer on a photo, stepping through the current result."""
        from picpocket_gui.dialogs.viewer import ImageViewer

        ids = self.window.result_ids()
        index = ids.index(image_id) if image_id in ids else 0
        viewer = ImageViewer(self.api, ids, index, self.window)
        viewer.rating_changed.connect(
            lambda id, _: background.spawn(self.window.grid_model.refresh([id]),
                                           name="refresh a rated photo")
        )
        viewer.show()

    def view_selection(self) -> None:
        """Open the viewer on the first selected photo."""
        ids = self.window.grid.selected_ids()
        if ids:
            self.open_viewer(ids[0])

    def remove_selection(self) -> None:
        """Ask, then remove the selected photos from the library."""
        ids = self.window.grid.selected_ids()
        if not ids:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove from library",
                          f"Remove {len(ids):,} photos from the library?",
                          QMessageBox.StandardButton.Cancel, self.window)
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        also_files = QCheckBox("Also delete the files from disk")
        box.setCheckBox(also_files)
        box.setInformativeText("Their titles, ratings and tags are forgotten. "
                               "The files stay on disk unless you tick the box.")
        box.exec()
        if box.clickedButton() is remove:
            background.spawn(self.remove_images(ids, also_files.isChecked()),
                             name=f"remove {len(ids)} photos")

    async def remove_images(self, ids: list[int], delete: bool) -> None:
        """Remove photos from the library, and their files when `delete` is true."""
        for image_id in ids:
            await self.api.remove_image(image_id, delete=delete)
        await self.window.refresh_all()

    # Locations --------------------------------------------------------------

    def _selected_location_action(self, name: str) -> None:
        location = self.window.location_panel.current_location()
        if location is None:
            self.window.statusBar().showMessage("Pick a location in the Locations tab first",
                                                5_000)
            return
        self.location_action(name, location)

    def location_action(self, name: str, location: Location) -> None:
        """Carry out a location manager action."""
        handlers = {
            "edit": self.edit_location,
            "import": self.import_location,
            "verify": self.verify_location,
            "mount": self.mount_location,
            "unmount": self.unmount_location,
            "remove": self.remove_location,
        }
        handlers[name](location)

    def add_location(self) -> None:
        """Open the dialog that adds a location."""
        from picpocket_gui.dialogs.location import LocationDialog

        dialog = LocationDialog(self.api, parent=self.window)
        dialog.accepted.connect(self._locations_changed)
        dialog.open()

    def edit_location(self, location: Location) -> None:
        """Open the dialog that edits a location."""
        from picpocket_gui.dialogs.location import LocationDialog

        dialog = LocationDialog(self.api, location, parent=self.window)
        dialog.accepted.connect(self._locations_changed)
        dialog.open()

    def remove_location(self, location: Location) -> None:
        """Ask how to remove a location, then remove it."""
        background.spawn(self._remove_location(location),
                         name=f"remove location {location.name}")

    async def _remove_location(self, location: Location) -> None:
        from picpocket_gui.dialogs.location import RemovalOutcome, confirm_remove_location

        outcome = await confirm_remove_location(self.window, self.api, location)
        if outcome is not RemovalOutcome.KEPT:
            await self.window.refresh_all()

    def mount_location(self, location: Location) -> None:
        """Open the mount dialog for a removable location."""
        background.spawn(self.ask_mount(location), name=f"mount {location.name}")

    async def ask_mount(self, location: Location) -> bool:
        """Open the mount dialog and return whether the location was mounted.

        The dialog suggests the folder this location was last mounted at on
        this computer, and a successful mount becomes the next suggestion.
        """
        from picpocket_gui.dialogs import show_dialog
        from picpocket_gui.dialogs.mount import MountDialog

        settings, library = self.window.settings, self.window.library_path
        dialog = MountDialog(self.api, location, parent=self.window,
                             last_mount=settings.last_mount_point(library, location.id))
        accepted = await show_dialog(dialog) == MountDialog.DialogCode.Accepted
        if accepted:
            settings.set_last_mount_point(library, location.id, dialog.chosen_path())
            await self.window.refresh_all()
        return accepted

    def show_tasks(self) -> None:
        """Open the list of import tasks."""
        from picpocket_gui.dialogs.tasks import TasksDialog

        dialog = TasksDialog(self.api, self.window, jobs=self.window.jobs,
                             mount=self.ask_mount)
        dialog.finished.connect(self._locations_changed)
        dialog.show()

    def unmount_location(self, location: Location) -> None:
        """Forget where a removable location is mounted in this session."""
        background.spawn(self._unmount(location), name=f"unmount {location.name}")

    async def _unmount(self, location: Location) -> None:
        from picpocket_gui.dialogs.mount import unmount

        previous = await unmount(self.api, location)
        if previous is not None:
            self.window.settings.set_last_mount_point(
                self.window.library_path, location.id, previous
            )
        await self.window.refresh_all()

    def import_location(self, location: Location) -> None:
        """Open the import dialog for a location."""
        from picpocket_gui.dialogs.import_location import ImportDialog

        dialog = ImportDialog(self.api, location, self.window, jobs=self.window.jobs,
                              mount=self.ask_mount)
        dialog.import_finished.connect(self._locations_changed)
        dialog.show_imported.connect(self.window.show_only)
        dialog.open()

    def verify_location(self, location: Location | None) -> None:
        """Open the verify dialog for a location, or for every location."""
        from picpocket_gui.dialogs.verify import VerifyDialog

        dialog = VerifyDialog(self.api, location, self.window, jobs=self.window.jobs,
                              mount=self.ask_mount)
        dialog.library_changed.connect(self._locations_changed)
        dialog.open()

    def _locations_changed(self, *_: object) -> None:
        background.spawn(self.window.refresh_all(), name="refresh locations")

    # Backups and help --------------------------------------------------------

    def export_backup(self) -> None:
        """Open the dialog that writes the library's metadata to a JSON file."""
        self._backup("export")

    def import_backup(self) -> None:
        """Open the dialog that adds the records of a JSON backup."""
        self._backup("import")

    def _backup(self, mode: str) -> None:
        from picpocket_gui.dialogs.backup import BackupDialog

        dialog = BackupDialog(self.api, mode, self.window)
        dialog.library_changed.connect(self._locations_changed)
        dialog.open()

    def open_log_folder(self) -> None:
        """Show the folder with the app's log files."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_directory())))

    def about(self) -> None:
        """Show what the app is."""
        QMessageBox.about(self.window, f"About {APPLICATION_NAME}",
                          f"{APPLICATION_NAME} keeps track of photos stored as plain "
                          "files on your own disks and drives.\n\n"
                          f"Library: {self.window.library_path}")


def inform(parent: Any, title: str, text: str) -> QMessageBox:
    """Show a message without a nested event loop, and return the box."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
