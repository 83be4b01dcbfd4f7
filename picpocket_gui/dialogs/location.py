"""Add, edit and remove locations, with validation messages next to the fields."""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.logic import Comparator, Number
from picpocket.database.types import Location
from picpocket.errors import PicPocketError
from picpocket_gui.background import spawn
from picpocket_gui.dialogs import clicked_button

logger = logging.getLogger(__name__)

ERROR_STYLE = "color: #b00020;"
NOTE_STYLE = "color: palette(placeholder-text);"
PATH_CHECK_DELAY_MS = 250
FIELDS = ("name", "path", "description", "roles", "general")


@dataclass(frozen=True)
class FieldMessage:
    """A message shown under a field; errors block saving, notes do not."""

    text: str
    error: bool = True


def path_message(text: str, removable: bool) -> FieldMessage | None:
    """Return the message for a location path typed as `text`, or None.

    This touches the file system, so run it in a worker thread.
    """
    if not text.strip():
        return FieldMessage(
            "No path: mount the location whenever you want to use it.", error=False
        )
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        return FieldMessage("Give an absolute path, such as /home/me/Pictures.")
    if not path.exists():
        if removable:
            return FieldMessage(
                "This folder does not exist now. That is fine for a removable "
                "drive that is not connected: mount it when it is.",
                error=False,
            )
        return FieldMessage(
            "This folder does not exist. Choose an existing folder, or tick "
            "Removable if it is on a drive that is not connected now."
        )
    if not path.is_dir():
        return FieldMessage("This is a file, not a folder.")
    return None


def field_for_error(message: str) -> str:
    """Return the field an engine error message is about, or "general".

    NOTE: engine errors carry no field attribute, so this matches the
    wording of the messages in picpocket.database.locations.
    """
    lowered = message.lower()
    if "source" in lowered and "destination" in lowered:
        return "roles"
    if "location name" in lowered or "location named" in lowered:
        return "name"
    if "path" in lowered:
        return "path"
    if "description" in lowered:
        return "description"
    return "general"


class LocationDialog(QDialog):
    """Add a location, or edit `location` when one is given."""

    def __init__(
        self,
        api: PicPocket,
        location: Location | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._location = location
        self._taken_names: set[str] = set()
        self._messages: dict[str, FieldMessage | None] = dict.fromkeys(FIELDS)
        self._touched: set[str] = set()
        self._path_check = 0
        self._saved_id: int | None = None
        self._build()
        self._fill()
        title = f"Edit Location {location.name}" if location else "Add Location"
        self.setWindowTitle(title)
        spawn(self.load(), name="list the locations")

    # Public state ------------------------------------------------------

    def saved_location_id(self) -> int | None:
        """Return the id of the added or edited location, or None before saving."""
        return self._saved_id

    def message_text(self, field: str) -> str:
        """Return the message under `field` (one of FIELDS), or ""."""
        message = self._messages[field]
        return message.text if message else ""

    def has_errors(self) -> bool:
        """Return whether any field shows an error."""
        return any(message and message.error for message in self._messages.values())

    # Building ----------------------------------------------------------

    def _build(self) -> None:
        self.name_edit = QLineEdit(self)
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("Folder of the location, if it is fixed")
        self.description_edit = QLineEdit(self)
        self.description_edit.setPlaceholderText(
            "What the location is, such as “main photo storage”"
        )
        self.source_box = QCheckBox("Source: images are imported or copied from here")
        self.destination_box = QCheckBox("Destination: images are copied into here")
        self.removable_box = QCheckBox(
            "Removable: a drive or card that is not always connected"
        )
        self._labels = {field: self._message_label() for field in FIELDS}
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self._buttons.accepted.connect(self._on_ok_clicked)
        self._buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_form())
        layout.addWidget(self._labels["general"])
        layout.addWidget(self._buttons)
        self._connect_fields()
        self.resize(560, self.sizeHint().height())

    def _build_form(self) -> QFormLayout:
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._on_browse_clicked)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        roles = QVBoxLayout()
        for box in (self.source_box, self.destination_box, self.removable_box):
            roles.addWidget(box)

        form = QFormLayout()
        form.addRow("Name:", self._with_message(self.name_edit, "name"))
        form.addRow("Path:", self._with_message(path_row, "path"))
        description = self._with_message(self.description_edit, "description")
        form.addRow("Description:", description)
        form.addRow("Use:", self._with_message(roles, "roles"))
        return form

    def _message_label(self) -> QLabel:
        label = QLabel(self)
        label.setWordWrap(True)
        label.hide()
        return label

    def _with_message(self, field: QWidget | QHBoxLayout | QVBoxLayout, key: str):
        column = QVBoxLayout()
        column.setSpacing(2)
        if isinstance(field, QWidget):
            column.addWidget(field)
        else:
            column.addLayout(field)
        column.addWidget(self._labels[key])
        return column

    def _connect_fields(self) -> None:
        self._path_timer = QTimer(self)
        self._path_timer.setSingleShot(True)
        self._path_timer.setInterval(PATH_CHECK_DELAY_MS)
        self._path_timer.timeout.connect(self._on_path_timer_timeout)
        self.name_edit.textChanged.connect(self._on_name_changed)
        self.path_edit.textChanged.connect(self._on_path_changed)
        self.description_edit.textChanged.connect(
            lambda: self._set_message("description", None)
        )
        for box in (self.source_box, self.destination_box):
            box.toggled.connect(self._validate_roles)
        self.removable_box.toggled.connect(self._on_path_changed)

    def _fill(self) -> None:
        location = self._location
        if location is None:
            self.source_box.setChecked(True)
            self.destination_box.setChecked(True)
            self._touched.clear()
            return
        self.name_edit.setText(location.name)
        self.path_edit.setText(str(location.path) if location.path else "")
        self.description_edit.setText(location.description or "")
        self.source_box.setChecked(location.source)
        self.destination_box.setChecked(location.destination)
        self.removable_box.setChecked(location.removable)

    # Validation --------------------------------------------------------

    async def load(self) -> None:
        """Fetch the names in use, then check the name and path fields."""
        await self._fetch_taken_names()
        if shiboken6.isValid(self):
            self._validate_name()
            await self.check_path()

    async def _fetch_taken_names(self) -> None:
        locations = await self._api.list_locations()
        own_id = self._location.id if self._location else None
        self._taken_names = {
            location.name for location in locations if location.id != own_id
        }

    def _on_name_changed(self) -> None:
        self._touched.add("name")
        self._validate_name()

    def _validate_name(self) -> None:
        name = self.name_edit.text().strip()
        message = None
        if not name and "name" in self._touched:
            message = FieldMessage("Enter a name for the location.")
        elif name in self._taken_names:
            message = FieldMessage(
                f"A location named {name!r} already exists; choose another name."
            )
        self._set_message("name", message)

    def _validate_roles(self) -> None:
        message = None
        if not self.source_box.isChecked() and not self.destination_box.isChecked():
            message = FieldMessage(
                "Tick Source, Destination or both: a location is a place images "
                "are imported from, copied to, or both."
            )
        self._set_message("roles", message)

    def _on_path_changed(self) -> None:
        self._path_timer.start()

    def _on_path_timer_timeout(self) -> None:
        spawn(self.check_path(), name="check the location path")

    async def check_path(self) -> None:
        """Check the path field in a worker thread and show the result under it."""
        self._path_check += 1
        check = self._path_check
        text, removable = self.path_edit.text(), self.removable_box.isChecked()
        message = await asyncio.to_thread(path_message, text, removable)
        # A newer check started while this one ran, or the dialog is gone.
        if check == self._path_check and shiboken6.isValid(self):
            self._set_message("path", message)

    def _set_message(self, field: str, message: FieldMessage | None) -> None:
        self._messages[field] = message
        label = self._labels[field]
        label.setText(message.text if message else "")
        label.setStyleSheet(ERROR_STYLE if message and message.error else NOTE_STYLE)
        label.setVisible(message is not None)
        self._grow_to_fit()

    def _grow_to_fit(self) -> None:
        # Wrapped messages need more height than the layout's minimum size
        # reports, so grow the window rather than let the layout squeeze fields.
        needed = self.heightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    # Saving ------------------------------------------------------------

    def _on_ok_clicked(self) -> None:
        verb = "edit" if self._location else "add"
        spawn(self.save(), name=f"{verb} the location {self.name_edit.text()!r}")

    def _on_browse_clicked(self) -> None:
        start = self.path_edit.text() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Location Folder", start)
        if folder:
            self.path_edit.setText(folder)

    async def save(self) -> bool:
        """Check every field, then add or edit the location and accept the dialog.

        Returns whether the location was saved. Problems, including errors
        from the engine, are shown next to their fields.
        """
        self._buttons.setEnabled(False)
        try:
            saved = await self._save()
        finally:
            if shiboken6.isValid(self):
                self._buttons.setEnabled(True)
        if saved and shiboken6.isValid(self):
            self.accept()
        return saved

    async def _save(self) -> bool:
        self._set_message("general", None)
        await self._fetch_taken_names()
        self._touched.add("name")
        self._validate_name()
        self._validate_roles()
        await self.check_path()
        if self.has_errors():
            return False
        try:
            self._saved_id = await self._write()
        except PicPocketError as error:
            logger.info("Location not saved: %s", error)
            self._set_message(field_for_error(str(error)), FieldMessage(str(error)))
            return False
        return True

    async def _write(self) -> int:
        name = self.name_edit.text().strip()
        path_text = self.path_edit.text().strip()
        path = Path(path_text).expanduser() if path_text else None
        description = self.description_edit.text().strip() or None
        flags = {
            "source": self.source_box.isChecked(),
            "destination": self.destination_box.isChecked(),
            "removable": self.removable_box.isChecked(),
        }
        if self._location is None:
            return await self._api.add_location(
                name, path, description=description, **flags
            )
        new_name = name if name != self._location.name else None
        await self._api.edit_location(
            self._location.id, new_name, path=path, description=description, **flags
        )
        return self._location.id


class RemovalOutcome(enum.Enum):
    """Result of confirm_remove_location."""

    KEPT = "kept"
    REMOVED = "removed"
    REMOVED_WITH_RECORDS = "removed with records"


async def confirm_remove_location(
    parent: QWidget | None, api: PicPocket, location: Location
) -> RemovalOutcome:
    """Ask the user to confirm removing `location` and remove it if they do.

    The question names the location's image and task counts. Removing a
    location with images or tasks drops their records too (force=True).
    Image files are never touched.
    """
    images = await api.count_images(Number("location", Comparator.EQUALS, location.id))
    tasks = [
        task.name
        for task in await api.list_tasks()
        if location.id in (task.source, task.destination)
    ]
    box, remove_button = _removal_box(parent, location, images, tasks)
    clicked = await clicked_button(box)
    if clicked is not remove_button:
        logger.info("Kept location %r", location.name)
        return RemovalOutcome.KEPT
    with_records = bool(images or tasks)
    await api.remove_location(location.id, force=with_records)
    if with_records:
        return RemovalOutcome.REMOVED_WITH_RECORDS
    return RemovalOutcome.REMOVED


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _removal_box(
    parent: QWidget | None, location: Location, images: int, tasks: list[str]
) -> tuple[QMessageBox, QAbstractButton]:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Remove Location")
    uses = [f"{_count(images, 'image')} in the library"]
    if tasks:
        uses.append(f"{_count(len(tasks), 'task')} ({', '.join(sorted(tasks))})")
    contents = " and ".join(uses)
    box.setText(f"Remove the location “{location.name}”? It has {contents}.")
    if images or tasks:
        box.setInformativeText(_drop_warning(images, tasks))
        remove_text = "Remove Location and Records"
    else:
        box.setInformativeText("No file on disk is touched.")
        remove_text = "Remove Location"
    remove = box.addButton(remove_text, QMessageBox.ButtonRole.DestructiveRole)
    remove.setObjectName("remove")
    keep = box.addButton("Keep Location", QMessageBox.ButtonRole.RejectRole)
    keep.setObjectName("keep")
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    return box, remove


def _drop_warning(images: int, tasks: list[str]) -> str:
    dropped = []
    if images:
        dropped.append(
            "the library's records of its images (tags, ratings, captions)"
        )
    if tasks:
        dropped.append("its tasks")
    return (
        f"Removing it also drops {' and '.join(dropped)}. The image files stay on "
        "disk untouched; importing the folder again adds them back without that "
        "metadata."
    )
