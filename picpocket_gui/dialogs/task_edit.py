"""Add or edit an import task, with live previews of its source path and format."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import shiboken6
from PySide6.QtCore import QModelIndex, QStringListModel, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.types import Location, Task
from picpocket.errors import InputValidationError, PicPocketError
from picpocket.images import DEFAULT_FORMATS, normalize_formats
from picpocket.tasks import (
    DEFAULT_DESTINATION_FORMAT,
    PathPart,
    parse_source_path,
    validate_destination_format,
)
from picpocket_gui.background import spawn
from picpocket_gui.dialogs import error_label, set_error
from picpocket_gui.dialogs.task_preview import (
    SampleFile,
    SourcePreview,
    example_destination,
    made_up_sample,
    preview_source,
)

logger = logging.getLogger(__name__)

PREVIEW_LIMIT = 20  # matching folders listed in the source preview
PREVIEW_DELAY_MS = 300  # typing pause before the source folder is scanned again
NOTE_STYLE = "color: palette(placeholder-text);"
FIELDS = (
    "name", "source", "destination", "description", "source_path",
    "destination_format", "creator", "tags", "formats", "general",
)
SOURCE_PATH_HELP = (
    "<table cellspacing='0' cellpadding='1'>"
    "<tr><td><code>{year}</code></td><td>a year, such as 2024</td></tr>"
    "<tr><td><code>{month}</code> <code>{day}</code></td>"
    "<td>a month or day number, such as 5 or 05</td></tr>"
    "<tr><td><code>{date:FORMAT}</code></td><td>a date in strftime format: "
    "<code>{date:%Y-%m-%d}</code> matches 2024-05-01</td></tr>"
    "<tr><td><code>{regex:PATTERN}</code></td><td>a whole name matching a regular "
    "expression: <code>{regex:\\d{3}CANON}</code> matches 100CANON</td></tr>"
    "<tr><td><code>{str:RAW}</code></td><td>a folder name with braces: "
    "<code>{str:{raw}}</code></td></tr>"
    "</table>Other names are literal folders, separated by /. "
    "Leave empty to look at the whole source."
)
DESTINATION_HELP = (
    "<table cellspacing='0' cellpadding='1'>"
    "<tr><td><code>{directory}</code></td><td>the source folder, such as 2024/05/01"
    "</td><td><code>{date:%Y/%m}</code></td><td>modification time, strftime</td></tr>"
    "<tr><td><code>{file}</code></td><td>the file name, IMG_0001.JPG</td>"
    "<td><code>{hash}</code></td><td>SHA-256 of the contents</td></tr>"
    "<tr><td><code>{name}</code></td><td>the name without extension, IMG_0001</td>"
    "<td><code>{uuid}</code></td><td>a random hex</td></tr>"
    "<tr><td><code>{extension}</code></td><td>the extension, JPG</td>"
    "<td><code>{index}</code></td><td>1, 2, 3… as a run finds files</td></tr>"
    f"</table>Leave empty for <code>{DEFAULT_DESTINATION_FORMAT}</code>."
)


def split_list(text: str, separators: str = ",") -> list[str]:
    """Split `text` at any of `separators` and drop empty, stripped items."""
    items = re.split(f"[{re.escape(separators)}]", text)
    return [item.strip() for item in items if item.strip()]


def field_for_error(message: str) -> str:
    """Return the field (one of FIELDS) an engine error message is about.

    NOTE: engine errors carry no field attribute, so this matches the
    wording of the messages raised by add_task and its checks.
    """
    lowered = message.lower()
    rules = (
        ("source path", "source_path"),
        ("destination format", "destination_format"),
        ("destination path", "destination_format"),
        ("is not a source", "source"),
        ("is not a destination", "destination"),
        ("task name", "name"),
        ("task named", "name"),
        ("creator", "creator"),
        ("tag", "tags"),
        ("format", "formats"),
        ("suffix", "formats"),
        ("description", "description"),
    )
    for words, field in rules:
        if words in lowered:
            return field
    return "general"


class TagListCompleter(QCompleter):
    """Complete the last tag of a comma-separated list in a QLineEdit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = QStringListModel(self)
        self.setModel(self._names)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)

    def set_tag_names(self, names: set[str]) -> None:
        """Offer these tag names as completions."""
        self._names.setStringList(sorted(names, key=str.casefold))

    def splitPath(self, path: str) -> list[str]:  # noqa: N802 (Qt override)
        return [path.rsplit(",", 1)[-1].strip()]

    def pathFromIndex(self, index: QModelIndex) -> str:  # noqa: N802 (Qt override)
        text = self.widget().text() if self.widget() else ""
        head = (text.rsplit(",", 1)[0] + ", ") if "," in text else ""
        return head + str(index.data())


class TaskEditDialog(QDialog):
    """Add a task, or edit `task` when one is given.

    The source path and destination format show live previews: the
    folders the path matches on the mounted source, and where an
    example file would be copied.
    """

    def __init__(
        self, api: PicPocket, task: Task | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._task = task
        self._locations: dict[int, Location] = {}
        self._sample = made_up_sample()
        self._preview_generation = 0
        self._saved_name: str | None = None
        self._build()
        self.setWindowTitle(f"Edit Task {task.name}" if task else "Add Task")
        self._load = spawn(self.load(), name="load the task dialog")

    # Public state ------------------------------------------------------

    def saved_task_name(self) -> str | None:
        """Return the name the task was saved under, or None before saving."""
        return self._saved_name

    def message_text(self, field: str) -> str:
        """Return the error shown under `field` (one of FIELDS), or ""."""
        return self._labels[field].text()

    def preview_folders(self) -> list[str]:
        """Return the folders listed in the source preview, as shown."""
        rows = range(self.preview_list.count())
        return [self.preview_list.item(row).text() for row in rows]

    def preview_status(self) -> str:
        """Return the line above the source preview."""
        return self.preview_status_label.text()

    def destination_example(self) -> str:
        """Return the example target path line, or "" when the format is invalid."""
        return self.destination_preview.text()

    async def wait_loaded(self) -> None:
        """Wait until the locations and tag names are loaded into the fields."""
        await asyncio.wait([self._load])

    def select_location(self, box: QComboBox, name: str) -> None:
        """Choose the location called `name` in a source or destination box."""
        for index in range(box.count()):
            if self._locations[box.itemData(index)].name == name:
                box.setCurrentIndex(index)
                return
        raise KeyError(f"Location {name!r} is not offered in this box")

    # Building ----------------------------------------------------------

    def _build(self) -> None:
        self._labels = {field: error_label() for field in FIELDS}
        self._build_fields()
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
        self.resize(680, self.sizeHint().height())

    def _build_fields(self) -> None:
        self.name_edit = QLineEdit(self)
        self.source_box = QComboBox(self)
        self.destination_box = QComboBox(self)
        self.description_edit = QLineEdit(self)
        self.description_edit.setPlaceholderText("What the task is for (optional)")
        self._build_path_fields()

        self.creator_edit = QLineEdit(self)
        self.creator_edit.setPlaceholderText("Default: the EXIF Artist of each file")
        self.tags_edit = QLineEdit(self)
        self.tags_edit.setPlaceholderText("Tags for every imported image, by commas")
        self._tag_completer = TagListCompleter(self.tags_edit)
        self.tags_edit.setCompleter(self._tag_completer)
        self.formats_edit = QLineEdit(self)
        self.formats_edit.setPlaceholderText(
            "All image formats (" + ", ".join(sorted(DEFAULT_FORMATS)) + ")"
        )

        self.replace_box: QCheckBox | None = None
        if self._task is not None:
            self.replace_box = QCheckBox(
                f"Replace the task “{self._task.name}”. Its last run is reset, so "
                "the next run looks at every file. Untick to save a new task.",
                self,
            )
            self.replace_box.setChecked(True)

    def _build_path_fields(self) -> None:
        self.source_path_edit = QLineEdit(self)
        self.source_path_edit.setPlaceholderText("{year}/{month}/{day}, or empty")
        self.preview_status_label = self._note_label("")
        self.preview_status_label.setContentsMargins(0, 6, 0, 0)
        self.preview_list = QListWidget(self)
        self.preview_list.setMaximumHeight(120)

        self.destination_format_edit = QLineEdit(self)
        self.destination_format_edit.setPlaceholderText(DEFAULT_DESTINATION_FORMAT)
        self.destination_preview = QLabel(self)
        self.destination_preview.setWordWrap(True)

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        form.addRow("Name:", self._column(self.name_edit, "name"))
        form.addRow("Source:", self._column(self.source_box, "source"))
        form.addRow("Destination:", self._column(self.destination_box, "destination"))
        form.addRow("Description:", self._column(self.description_edit, "description"))
        form.addRow(
            "Source path:",
            self._column(
                self.source_path_edit, "source_path",
                self._note_label(SOURCE_PATH_HELP), self.preview_status_label,
                self.preview_list,
            ),
        )
        form.addRow(
            "Destination format:",
            self._column(
                self.destination_format_edit, "destination_format",
                self._note_label(DESTINATION_HELP), self.destination_preview,
            ),
        )
        form.addRow("Creator:", self._column(self.creator_edit, "creator"))
        form.addRow("Tags:", self._column(self.tags_edit, "tags"))
        form.addRow("File formats:", self._column(self.formats_edit, "formats"))
        if self.replace_box is not None:
            form.addRow("", self.replace_box)
        return form

    def _column(self, field: QWidget, key: str, *extras: QWidget) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addWidget(field)
        column.addWidget(self._labels[key])
        for extra in extras:
            column.addWidget(extra)
        return column

    def _note_label(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        label.setStyleSheet(NOTE_STYLE)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _connect_fields(self) -> None:
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._on_preview_timer_timeout)
        self.source_path_edit.textChanged.connect(self._on_source_changed)
        self.source_box.currentIndexChanged.connect(self._on_source_changed)
        self.formats_edit.textChanged.connect(self._on_source_changed)
        self.destination_format_edit.textChanged.connect(self._update_destination)
        for field, edit in (
            ("name", self.name_edit), ("description", self.description_edit),
            ("creator", self.creator_edit), ("tags", self.tags_edit),
        ):
            edit.textChanged.connect(lambda _text, key=field: self._show(key, ""))
        self.destination_box.currentIndexChanged.connect(
            lambda _index: self._show("destination", "")
        )

    # Loading -----------------------------------------------------------

    async def load(self) -> None:
        """Fill the location boxes, the tag completions and the task's values."""
        locations = await self._api.list_locations()
        names = await self._api.all_tag_names()
        if not shiboken6.isValid(self):
            return
        self._locations = {location.id: location for location in locations}
        self._tag_completer.set_tag_names(names)
        self._fill_box(self.source_box, [loc for loc in locations if loc.source])
        self._fill_box(
            self.destination_box, [loc for loc in locations if loc.destination]
        )
        if self._task is not None:
            self._fill_task(self._task)
        self._update_destination()
        await self.refresh_source_preview()

    def _fill_box(self, box: QComboBox, locations: list[Location]) -> None:
        box.blockSignals(True)
        box.clear()
        for location in sorted(locations, key=lambda item: item.name.casefold()):
            box.addItem(location.name, location.id)
        box.blockSignals(False)

    def _fill_task(self, task: Task) -> None:
        self.name_edit.setText(task.name)
        for box, location_id in (
            (self.source_box, task.source), (self.destination_box, task.destination)
        ):
            box.setCurrentIndex(box.findData(location_id))
        self.description_edit.setText(task.description or "")
        self.source_path_edit.setText(task.source_path or "")
        self.destination_format_edit.setText(task.destination_format or "")
        self.creator_edit.setText(task.creator or "")
        self.tags_edit.setText(", ".join(task.tags))
        self.formats_edit.setText(", ".join(sorted(task.file_formats or ())))

    # Previews ----------------------------------------------------------

    def _on_source_changed(self) -> None:
        self._show("source", "")
        self._show("formats", "")
        self._preview_timer.start()

    def _on_preview_timer_timeout(self) -> None:
        spawn(self.refresh_source_preview(), name="preview the task's source folders")

    def _source_location(self) -> Location | None:
        location_id = self.source_box.currentData()
        return None if location_id is None else self._locations.get(location_id)

    async def refresh_source_preview(self) -> None:
        """List the folders the source path matches, scanning in a worker thread."""
        self._preview_timer.stop()
        self._preview_generation += 1
        generation = self._preview_generation
        self.preview_list.clear()
        parts = self._parsed_source_path()
        location = self._source_location()
        if parts is None or location is None:
            self._show_preview_status("" if parts is None else "Choose a source.")
            self._set_sample(None)
            return
        self._show_preview_status("Looking for matching folders…")
        preview, problem = await self._scan_source(location, parts)
        # A newer scan started while this one ran, or the dialog is gone.
        if generation != self._preview_generation or not shiboken6.isValid(self):
            return
        if preview is None:
            self._show_preview_status(problem or "")
            self._set_sample(None)
        else:
            self._show_preview(preview)

    def _parsed_source_path(self) -> list[PathPart] | None:
        try:
            parts = parse_source_path(self.source_path_edit.text().strip())
        except InputValidationError as error:
            self._show("source_path", str(error))
            return None
        self._show("source_path", "")
        return parts

    async def _scan_source(
        self, location: Location, parts: list[PathPart]
    ) -> tuple[SourcePreview | None, str | None]:
        """Return the preview of `location`, or the reason there is none."""
        root = location.root
        reachable = root is not None and await asyncio.to_thread(root.is_dir)
        if not reachable:
            if location.removable:
                return None, (
                    f"Source not mounted: mount “{location.name}” to see which "
                    "folders match."
                )
            return None, f"The folder of “{location.name}” is missing: {root}"
        try:
            formats = normalize_formats(self._formats())
        except InputValidationError as error:
            self._show("formats", str(error))
            formats = DEFAULT_FORMATS
        assert root is not None
        preview = await asyncio.to_thread(
            preview_source, root, parts, formats, PREVIEW_LIMIT
        )
        return preview, None

    def _show_preview(self, preview: SourcePreview) -> None:
        for folder in preview.folders:
            self.preview_list.addItem(folder or "(the whole source)")
        count = len(preview.folders)
        if count == 0:
            status = "No folder matches on the source now."
        elif preview.more:
            status = f"The first {count} matching folders (more match):"
        else:
            noun = "folder" if count == 1 else "folders"
            status = f"{count} matching {noun}:"
        self._show_preview_status(status)
        self._set_sample(preview.sample)

    def _show_preview_status(self, text: str) -> None:
        self.preview_status_label.setText(text)
        self.preview_list.setVisible(self.preview_list.count() > 0)

    def _set_sample(self, sample: SampleFile | None) -> None:
        self._sample = sample or made_up_sample()
        self._update_destination()

    def _update_destination(self) -> None:
        sample = self._sample
        try:
            target = example_destination(
                self.destination_format_edit.text().strip(), sample
            )
        except InputValidationError as error:
            self._show("destination_format", str(error))
            self.destination_preview.setText("")
            return
        self._show("destination_format", "")
        source = f"{sample.directory}/{sample.name}".lstrip("/")
        origin = "" if sample.real else "made-up "
        modified = sample.modified.strftime("%Y-%m-%d %H:%M")
        self.destination_preview.setText(
            f"Example: the {origin}file {source} (modified {modified}) is copied to "
            f"<b>{target}</b>"
        )

    # Saving ------------------------------------------------------------

    def _on_ok_clicked(self) -> None:
        spawn(self.save(), name=f"save the task {self.name_edit.text()!r}")

    async def save(self) -> bool:
        """Check the fields, store the task and accept the dialog.

        Returns whether the task was saved. Problems, including errors
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
        for field in FIELDS:
            self._show(field, "")
        definition = self._definition()
        if definition is None or not await self._name_available(definition["name"]):
            return False
        if self._task is not None and self._unchanged(definition):
            # Replacing would reset the last run for nothing.
            self._saved_name = self._task.name
            return True
        try:
            await self._write(definition)
        except PicPocketError as error:
            logger.info("Task not saved: %s", error)
            self._show(field_for_error(str(error)), str(error))
            return False
        self._saved_name = definition["name"]
        return True

    def _definition(self) -> dict[str, Any] | None:
        """Return add_task's arguments from the fields, or None after showing errors."""
        filled = self._check_required()
        valid_path = self._parsed_source_path() is not None
        template = self.destination_format_edit.text().strip()
        valid_template = self._check_template(template)
        if not (filled and valid_path and valid_template):
            return None
        return {
            "name": self.name_edit.text().strip(),
            "source": self.source_box.currentData(),
            "destination": self.destination_box.currentData(),
            "description": self.description_edit.text().strip() or None,
            "creator": self.creator_edit.text().strip() or None,
            "tags": split_list(self.tags_edit.text()),
            "source_path": self.source_path_edit.text().strip() or None,
            "destination_format": template or None,
            "file_formats": self._formats(),
        }

    def _check_required(self) -> bool:
        """Show a message under each empty required field; return whether none is."""
        messages = {}
        if not self.name_edit.text().strip():
            messages["name"] = "Enter a name for the task."
        if self.source_box.currentData() is None:
            messages["source"] = "Choose the location to copy images from."
        if self.destination_box.currentData() is None:
            messages["destination"] = "Choose the location to copy images into."
        for field, message in messages.items():
            self._show(field, message)
        return not messages

    def _check_template(self, template: str) -> bool:
        try:
            validate_destination_format(template or DEFAULT_DESTINATION_FORMAT)
        except InputValidationError as error:
            self._show("destination_format", str(error))
            return False
        return True

    def _formats(self) -> set[str] | None:
        formats = split_list(self.formats_edit.text(), ", ")
        return set(formats) if formats else None

    async def _name_available(self, name: str) -> bool:
        if self._replacing() and name == self._task.name:  # type: ignore[union-attr]
            return True
        if await self._api.get_task(name) is None:
            return True
        hint = " or tick “Replace”" if self._task and name == self._task.name else ""
        self._show(
            "name", f"A task named {name!r} already exists. Choose another name{hint}."
        )
        return False

    def _replacing(self) -> bool:
        return self.replace_box is not None and self.replace_box.isChecked()

    def _unchanged(self, definition: dict[str, Any]) -> bool:
        task = self._task
        assert task is not None
        stored = {
            "name": task.name, "source": task.source,
            "destination": task.destination, "description": task.description,
            "creator": task.creator, "tags": list(task.tags),
            "source_path": task.source_path,
            "destination_format": task.destination_format,
            "file_formats": task.file_formats,
        }
        return self._replacing() and definition == stored

    async def _write(self, definition: dict[str, Any]) -> None:
        """Add the task, then remove the edited one when it was renamed."""
        arguments = dict(definition)
        name = arguments.pop("name")
        source = arguments.pop("source")
        destination = arguments.pop("destination")
        renamed = self._task is not None and name != self._task.name
        force = self._replacing() and not renamed
        await self._api.add_task(name, source, destination, force=force, **arguments)
        if self._replacing() and renamed:
            assert self._task is not None
            await self._api.remove_task(self._task.name)
            logger.info("Renamed task %r to %r", self._task.name, name)

    def _show(self, field: str, message: str) -> None:
        set_error(self._labels[field], message)
