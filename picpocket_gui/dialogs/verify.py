"""The verify dialog: check recorded files against disk and act on the missing ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.types import Image, Location
from picpocket_gui.background import spawn
from picpocket_gui.dialogs import show_dialog
from picpocket_gui.dialogs.running import (
    JobDialog,
    MountCallback,
    count_text,
    folder_exists,
    reach_location,
)
from picpocket_gui.jobs import JobManager, ProgressCallback

logger = logging.getLogger(__name__)

COLUMNS = ("Path", "Location", "Title")
ImageRole = Qt.ItemDataRole.UserRole


# Results ----------------------------------------------------------------------


@dataclass
class VerifyResult:
    """The outcome of one check: the missing images and what was left out."""

    missing: list[Image] = field(default_factory=list)
    done: int = 0  # files checked, of `total`
    total: int = 0
    skipped: list[str] = field(default_factory=list)  # unreachable location names
    cancelled: bool = False
    error: str | None = None

    def headline(self) -> str:
        """Return the paragraph that sums up the check."""
        if self.error is not None:
            lines = [f"The check failed: {self.error}"]
        elif self.cancelled:
            lines = [f"The check was cancelled after {self.done:,} of "
                     f"{count_text(self.total, 'file')}."]
        elif not self.missing:
            lines = [f"Every recorded file is on disk ({self.total:,} checked)."]
        else:
            lines = [f"{count_text(len(self.missing), 'image')} of {self.total:,} "
                     "recorded are missing from disk. Select them to remove their "
                     "records, or point their location at where its drive is now."]
        if self.skipped:
            lines.append("Not checked because they are not reachable: "
                         f"{', '.join(self.skipped)}.")
        return "\n".join(lines)


# The dialog -------------------------------------------------------------------


class VerifyDialog(JobDialog):
    """Check recorded files with progress and cancel, then list the missing images.

    Checks one location, or every reachable one when `location` is None.
    The check runs as a job of `jobs`, which the status bar also shows, or
    of a manager of its own. `mount` is asked to mount a removable location.
    """

    verify_finished = Signal(object)  # the VerifyResult of a check that started
    library_changed = Signal()  # records were removed or a location was mounted

    def __init__(
        self,
        api: PicPocket,
        location: Location | None = None,
        parent: QWidget | None = None,
        *,
        jobs: JobManager | None = None,
        mount: MountCallback | None = None,
    ) -> None:
        super().__init__(parent, jobs, mount)
        self._api = api
        self._location = location
        self._result: VerifyResult | None = None
        self._locations: dict[int, Location] = {}
        self._removed = 0
        where = f" {location.name}" if location is not None else ""
        self.setWindowTitle(f"Verify Files{where}")
        self._build()

    # Public state -------------------------------------------------------------

    def verify_result(self) -> VerifyResult | None:
        """Return the outcome of the last check, or None before one ended."""
        return self._result

    def listed_images(self) -> list[Image]:
        """Return the missing images listed, in row order."""
        tree = self.missing_tree
        return [tree.topLevelItem(row).data(0, ImageRole)
                for row in range(tree.topLevelItemCount())]

    def selected_images(self) -> list[Image]:
        """Return the images of the selected rows."""
        return [item.data(0, ImageRole) for item in self.missing_tree.selectedItems()]

    # Building -----------------------------------------------------------------

    def _build(self) -> None:
        scope = (f"recorded in “{self._location.name}”" if self._location is not None
                 else "recorded in the reachable locations")
        intro = QLabel(
            f"Check that every file {scope} is still on disk. Files that changed "
            "get their dimensions, hash and EXIF read again. Records of missing "
            "files stay until you remove them below.", self,
        )
        intro.setWordWrap(True)
        self.reparse_check = QCheckBox(
            "Read every file again, not only the changed ones (slower)", self
        )
        self.reparse_check.setToolTip(
            "Read the dimensions, hash and EXIF of every file again, also of files "
            "whose modification time has not changed"
        )
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        for widget in (intro, self.reparse_check, self._message, self.progress_bar,
                       self.summary_label):
            layout.addWidget(widget)
        layout.addWidget(self._build_missing_list(), 1)
        layout.addStretch(0)
        layout.addWidget(self._build_buttons("Verify", "Cancel Check", "verify files"))
        self.resize(680, self.sizeHint().height())

    def _build_missing_list(self) -> QWidget:
        self._missing_box = QWidget(self)
        self.missing_tree = QTreeWidget(self._missing_box)
        self.missing_tree.setHeaderLabels(COLUMNS)
        self.missing_tree.setRootIsDecorated(False)
        self.missing_tree.setAlternatingRowColors(True)
        self.missing_tree.setSortingEnabled(True)
        self.missing_tree.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection
        )
        header = self.missing_tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.missing_tree.itemSelectionChanged.connect(self._update_actions)
        layout = QVBoxLayout(self._missing_box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.missing_tree, 1)
        layout.addLayout(self._build_actions())
        self._missing_box.hide()
        return self._missing_box

    def _build_actions(self) -> QHBoxLayout:
        self.remove_button = QPushButton("Remove from Library…", self._missing_box)
        self.remove_button.setToolTip(
            "Remove the records of the selected images. No file is deleted."
        )
        self.remount_button = QPushButton(
            "Point the Location at Its New Mount…", self._missing_box
        )
        self.remove_button.clicked.connect(
            lambda: spawn(self.remove_selected(), name="remove missing images")
        )
        self.remount_button.clicked.connect(
            lambda: spawn(self.remount_selected(), name="mount a location")
        )
        actions = QHBoxLayout()
        for button in (self.remove_button, self.remount_button):
            button.setAutoDefault(False)
            actions.addWidget(button)
        actions.addStretch(1)
        return actions

    # Checking -----------------------------------------------------------------

    async def _execute(self) -> VerifyResult | None:
        scope = await self._reach_scope()
        return None if scope is None else await self._verify(*scope)

    def _set_running(self, running: bool) -> None:
        super()._set_running(running)
        self.reparse_check.setEnabled(not running)
        if running:
            self.summary_label.setText("")
            self._missing_box.hide()
        self._update_actions()

    async def _reach_scope(self) -> tuple[int | None, list[str]] | None:
        """Return the location id to check (None for all) and the names of the
        locations left out, or None when the chosen location is not reachable."""
        locations = await self._api.list_locations()
        self._locations = {location.id: location for location in locations}
        if self._location is None:
            skipped = [location.name for location in locations
                       if not await folder_exists(location)]
            return None, skipped
        location, message = await reach_location(
            self._api, self._location, self._mount
        )
        if location is None:
            self._show_message(message)
            return None
        self._locations[location.id] = location
        return location.id, []

    async def _verify(
        self, location_id: int | None, skipped: list[str]
    ) -> VerifyResult:
        reparse = self.reparse_check.isChecked()

        async def work(progress: ProgressCallback) -> list[Image]:
            return await self._api.verify_image_files(
                location=location_id, reparse_exif=reparse, progress=progress
            )

        name = "Verify files" if location_id is None else (
            f"Verify {self._locations[location_id].name}"
        )
        missing, error, cancelled = await self._run_job(name, work)
        result = VerifyResult(list(missing or []), skipped=skipped, error=error,
                              cancelled=cancelled)
        result.done, result.total = self._progress
        logger.info("Verify files: %s", result.headline())
        return result

    def _show_result(self, result: VerifyResult) -> None:
        self._result = result
        self._removed = 0
        self.progress_bar.setVisible(result.total > 0)
        self.summary_label.setText(result.headline())
        self.missing_tree.setSortingEnabled(False)
        self.missing_tree.clear()
        for image in result.missing:
            self.missing_tree.addTopLevelItem(self._row(image))
        self.missing_tree.setSortingEnabled(True)
        self.missing_tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.missing_tree.resizeColumnToContents(0)
        self._missing_box.setVisible(bool(result.missing))
        self._fit_height(480 if result.missing else 0)
        self._update_actions()
        self.verify_finished.emit(result)

    def _row(self, image: Image) -> QTreeWidgetItem:
        location = self._locations.get(image.location)
        name = location.name if location is not None else f"#{image.location}"
        item = QTreeWidgetItem([image.path.as_posix(), name, image.title or ""])
        item.setData(0, ImageRole, image)
        if location is not None and location.root is not None:
            item.setToolTip(0, str(location.root / image.path))
        return item

    # Actions on missing images --------------------------------------------------

    async def remove_selected(self) -> int:
        """Remove the selected images' records once the user confirms.

        Files are never touched. Returns how many records were removed.
        """
        images = self.selected_images()
        if not images or not await self._confirm_removal(len(images)):
            return 0
        removed: list[int] = []
        try:
            for image in images:
                await self._api.remove_image(image.id, delete=False)
                removed.append(image.id)
        finally:
            if removed:
                logger.info("Removed %d missing images from the library", len(removed))
                self._drop_rows(set(removed))
                self.library_changed.emit()
        return len(removed)

    async def _confirm_removal(self, count: int) -> bool:
        box = QMessageBox(
            QMessageBox.Icon.Question, "Remove from Library",
            f"Remove {count_text(count, 'image')} from the library?", parent=self,
        )
        box.setInformativeText(
            "Their records go, with their tags, ratings and details. No file is "
            "deleted or changed."
        )
        remove = box.addButton("Remove from Library",
                               QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        try:
            await show_dialog(box)
            return box.clickedButton() is remove
        finally:
            box.deleteLater()

    def _drop_rows(self, ids: set[int]) -> None:
        if not shiboken6.isValid(self):
            return
        for row in reversed(range(self.missing_tree.topLevelItemCount())):
            if self.missing_tree.topLevelItem(row).data(0, ImageRole).id in ids:
                self.missing_tree.takeTopLevelItem(row)
        self._removed += len(ids)
        left = self.missing_tree.topLevelItemCount()
        headline = self._result.headline() if self._result is not None else ""
        self.summary_label.setText(
            f"{headline}\nRemoved {count_text(self._removed, 'image')} from the "
            f"library, {left:,} still listed."
        )
        self._missing_box.setVisible(left > 0)
        self._update_actions()

    async def remount_selected(self) -> VerifyResult | None:
        """Mount the selected images' removable location anew, then check again.

        Returns the new check's result, or None when nothing was mounted.
        """
        location = self._selected_location()
        if location is None or not location.removable or self._mount is None:
            return None
        logger.info("Asking to mount location %r at its new folder", location.name)
        if not await self._mount(location):
            return None
        self.library_changed.emit()
        return await self.run()

    def _selected_location(self) -> Location | None:
        ids = {image.location for image in self.selected_images()}
        return self._locations.get(ids.pop()) if len(ids) == 1 else None

    def _update_actions(self) -> None:
        chosen = bool(self.missing_tree.selectedItems()) and not self._running
        self.remove_button.setEnabled(chosen)
        location = self._selected_location() if chosen else None
        reason = self._remount_blocker(location) if chosen else ""
        self.remount_button.setEnabled(chosen and not reason)
        self.remount_button.setToolTip(
            reason or "Choose the folder where this location's drive is mounted now, "
            "then check again"
        )

    def _remount_blocker(self, location: Location | None) -> str:
        if location is None:
            return "Select images of one location"
        if not location.removable:
            return (f"“{location.name}” is not removable, so correct its folder in "
                    "the location's settings, then verify again")
        if self._mount is None:
            return (f"Mount “{location.name}” from the location manager, then verify "
                    "again")
        return ""
