"""The details panel: edit the selected images' metadata and read their file facts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from picpocket.database.types import Image
from picpocket_gui.background import spawn
from picpocket_gui.widgets.rating import RatingWidget
from picpocket_gui.widgets.tag_entry import TagEntry

logger = logging.getLogger(__name__)

# The editable text properties of an image, with their labels.
TEXT_FIELDS = {
    "title": "Title",
    "caption": "Caption",
    "alt": "Alt text",
    "creator": "Creator",
}
MIXED_TEXT = "Mixed"
_EXIF_CELL_CHARACTERS = 120
_EXIF_TOOLTIP_CHARACTERS = 2000


class _Mixed:
    """The value of a property that differs between the selected images."""

    def __repr__(self) -> str:
        return "MIXED"


MIXED = _Mixed()
# The stored value of a field whose last save failed. It equals no text, so
# committing the same text again retries the save.
_UNSAVED = object()


def common_value(values: Iterable[Any]) -> Any:
    """Return the one value all items share, MIXED when they differ, None if empty."""
    distinct = list(dict.fromkeys(values))
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else MIXED


def format_exif_value(value: Any) -> str:
    """Format an EXIF value (as the engine stores it) as one line of text."""
    if isinstance(value, (list, tuple)):
        return ", ".join(format_exif_value(item) for item in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def exif_rows(exif: Mapping[str, Any] | None) -> dict[str, str]:
    """Flatten EXIF data into text by key, naming nested keys "GPSInfo.GPSLatitude"."""
    rows: dict[str, str] = {}

    def walk(prefix: str, mapping: Mapping[str, Any]) -> None:
        for key, value in mapping.items():
            name = f"{prefix}{key}"
            if isinstance(value, Mapping):
                walk(name + ".", value)
            else:
                rows[name] = format_exif_value(value)

    walk("", exif or {})
    return rows


def merged_exif_rows(images: list[Image]) -> list[tuple[str, str | _Mixed]]:
    """Return EXIF rows sorted by key, MIXED where the images disagree or lack a key."""
    per_image = [exif_rows(image.exif) for image in images]
    keys = {key for rows in per_image for key in rows}
    merged = []
    for key in sorted(keys, key=str.casefold):
        merged.append((key, common_value(rows.get(key) for rows in per_image)))
    return merged


def _format_date(value: datetime | None) -> str:
    if value is None:
        return "Unknown"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _format_size(image: Image) -> str:
    if image.width is None or image.height is None:
        return "Unknown"
    return f"{image.width} × {image.height} pixels"


def _format_path(image: Image) -> str:
    if image.full_path is None:
        return f"{image.path.as_posix()} (not reachable)"
    return str(image.full_path)


class _CaptionEdit(QPlainTextEdit):
    """A multi-line editor that emits editing_finished on focus out or Ctrl+Enter."""

    editing_finished = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.editing_finished.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.editing_finished.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class DetailsPanel(QWidget):
    """Metadata editors and file facts for the images selected in the grid.

    A field is saved on every selected image when it is committed: by
    Enter or focus out, or for the caption by focus out or Ctrl+Enter.
    Then `images_changed(ids)` is emitted with the ids that were changed.
    Empty text erases the value. A field that shows MIXED_TEXT keeps each
    image's own value until something is typed into it. Errors from the
    engine are shown under the field. Saves run as tasks, and `wait_idle()`
    waits for all of them.
    """

    images_changed = Signal(list)

    def __init__(self, api: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._api = api
        self._images: list[Image] = []
        self._field_values: dict[str, Any] = {}
        self._generation = 0
        self._pending: set[asyncio.Task[Any]] = set()
        # Saves run one at a time in the order they were committed, so the
        # last edit of a field is the one stored.
        self._save_lock = asyncio.Lock()
        self.errors: dict[str, QLabel] = {}
        self.header = QLabel()
        self.header.setWordWrap(True)
        font = self.header.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.header.setFont(font)
        self.editors: dict[str, QLineEdit | _CaptionEdit] = {}
        self.rating = RatingWidget()
        self.tag_entry = TagEntry()
        self.facts: dict[str, QLabel | QLineEdit] = {}
        self.exif = self._build_exif_table()
        self._build_layout()
        self._connect_editors()
        self._set_enabled(False)
        self.header.setText("No image selected")

    # Building ------------------------------------------------------------

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._add_editor_rows(form)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        form.addRow(line)
        self._add_fact_rows(form)
        exif_label = QLabel("EXIF")
        exif_label.setStyleSheet("font-weight: bold")
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.header)
        layout.addLayout(form)
        layout.addWidget(exif_label)
        layout.addWidget(self.exif, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _add_editor_rows(self, form: QFormLayout) -> None:
        for field, label in TEXT_FIELDS.items():
            if field == "caption":
                editor: QLineEdit | _CaptionEdit = _CaptionEdit()
                editor.setTabChangesFocus(True)
                editor.setFixedHeight(editor.fontMetrics().lineSpacing() * 4 + 12)
            else:
                editor = QLineEdit()
            editor.setAccessibleName(label)
            self.editors[field] = editor
            form.addRow(label, self._with_error(field, editor))
        form.addRow("Rating", self._with_error("rating", self.rating))
        form.addRow("Tags", self._with_error("tags", self.tag_entry))

    def _with_error(self, field: str, editor: QWidget) -> QWidget:
        """Return the editor stacked over its (hidden) error label."""
        error = QLabel()
        error.setWordWrap(True)
        error.setStyleSheet("color: #b00020")
        error.hide()
        self.errors[field] = error
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(error)
        return box

    def _add_fact_rows(self, form: QFormLayout) -> None:
        labels = (
            ("path", "File"),
            ("location", "Location"),
            ("dimensions", "Size"),
            ("created", "Taken"),
            ("modified", "Modified"),
        )
        for key, label in labels:
            if key == "path":
                # A read-only line edit scrolls a long path instead of
                # widening the panel, and still lets the user copy it.
                fact: QLabel | QLineEdit = QLineEdit()
                fact.setReadOnly(True)
                fact.setFrame(False)
                fact.setStyleSheet("background: transparent; padding: 0")
            else:
                fact = QLabel()
                fact.setTextInteractionFlags(
                    Qt.TextInteractionFlag.TextSelectableByMouse
                )
            self.facts[key] = fact
            form.addRow(label, fact)

    def _build_exif_table(self) -> QTableWidget:
        table = QTableWidget(0, 2)
        table.setHorizontalHeaderLabels(["Tag", "Value"])
        rows = table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(table.fontMetrics().height() + 6)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.setMinimumHeight(180)
        table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        return table

    def _connect_editors(self) -> None:
        for field, editor in self.editors.items():
            signal = (
                editor.editing_finished
                if isinstance(editor, _CaptionEdit)
                else editor.editingFinished
            )
            signal.connect(lambda f=field: self._on_field_committed(f))
        self.rating.rating_changed.connect(self._on_rating_changed)
        self.tag_entry.tag_added.connect(self._on_tag_added)
        self.tag_entry.tag_removed.connect(self._on_tag_removed)

    # Public interface ----------------------------------------------------

    def selected_ids(self) -> list[int]:
        """Return the ids of the images shown."""
        return [image.id for image in self._images]

    def set_tag_names(self, names: Iterable[str]) -> None:
        """Offer these tag names as completions in the tag entry."""
        self.tag_entry.set_tag_names(names)

    def focus_tag_entry(self) -> None:
        """Move keyboard focus to the line that adds a tag."""
        self.tag_entry.focus_entry()

    async def show_images(self, images: list[Image]) -> None:
        """Show the images' metadata, with MIXED_TEXT where their values differ.

        Edits typed for the previous selection and not yet committed are
        saved to that selection first.
        """
        for field in TEXT_FIELDS:
            self._on_field_committed(field)
        self._generation += 1
        generation = self._generation
        self._images = list(images)
        for error in self.errors.values():
            error.hide()
        self._show_header()
        self._set_enabled(bool(self._images))
        self._show_text_fields()
        self.rating.set_rating(self._common_rating())
        self._show_facts()
        self._show_exif()
        await self._load_extras(generation)

    async def wait_idle(self) -> None:
        """Wait until every save started from the panel's controls has finished."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def save_text(self, field: str, value: str | None, ids: list[int]) -> bool:
        """Store a text field on the images and return whether every edit succeeded."""
        failure = f"{TEXT_FIELDS[field]} not saved"
        saved = await self._edit_each(field, ids, {field: value}, failure)
        if not saved and await self._reload_records(ids):
            # The editor keeps the rejected text, so committing it again retries.
            self._field_values[field] = _UNSAVED
        return saved

    async def save_rating(self, rating: int | None, ids: list[int]) -> bool:
        """Store a rating (None erases it) and return whether every edit succeeded."""
        changes = {"rating": rating}
        saved = await self._edit_each("rating", ids, changes, "Rating not saved")
        if not saved and await self._reload_records(ids):
            self.rating.set_rating(self._common_rating())
        return saved

    async def add_tag(self, tag: str, ids: list[int]) -> bool:
        """Tag the images in one batch call and return whether it succeeded."""
        return await self._change_tag(self._api.tag_images, tag, ids, "not added")

    async def remove_tag(self, tag: str, ids: list[int]) -> bool:
        """Untag the images in one batch call and return whether it succeeded."""
        return await self._change_tag(self._api.untag_images, tag, ids, "not removed")

    # Showing -------------------------------------------------------------

    def _set_enabled(self, enabled: bool) -> None:
        for editor in self.editors.values():
            editor.setEnabled(enabled)
        self.rating.setEnabled(enabled)
        self.tag_entry.setEnabled(enabled)

    def _show_header(self) -> None:
        if not self._images:
            text = "No image selected"
        elif len(self._images) == 1:
            image = self._images[0]
            text = image.path.name
        else:
            text = f"{len(self._images)} images selected"
        self.header.setText(text)
        self.header.setToolTip(text)

    def _show_text_fields(self) -> None:
        for field, editor in self.editors.items():
            value = common_value(getattr(image, field) for image in self._images)
            self._field_values[field] = value
            text = "" if value is None or value is MIXED else value
            placeholder = MIXED_TEXT if value is MIXED else ""
            # Equal text is left alone, so that a refresh after saving another
            # field does not move the cursor of an editor in use.
            if isinstance(editor, _CaptionEdit):
                if editor.toPlainText() != text:
                    editor.setPlainText(text)
            elif editor.text() != text:
                editor.setText(text)
                editor.setCursorPosition(0)
            editor.setPlaceholderText(placeholder)
            editor.setToolTip(
                "The selected images have different values; typing replaces them all"
                if value is MIXED
                else ""
            )

    def _common_rating(self) -> int | None:
        value = common_value(image.rating for image in self._images)
        if value is MIXED:
            return None
        return value or 0

    def _show_fact(self, key: str, value: Any, format: Callable[[Any], str]) -> None:
        fact = self.facts[key]
        if not self._images:
            text = ""
        elif value is MIXED:
            text = MIXED_TEXT
        else:
            text = format(value)
        fact.setText(text)
        if isinstance(fact, QLineEdit):
            fact.setCursorPosition(0)
        fact.setToolTip(text)

    def _show_facts(self) -> None:
        images = self._images
        self._show_fact("path", common_value(map(_format_path, images)), str)
        self._show_fact("dimensions", common_value(map(_format_size, images)), str)
        created = common_value(image.creation_date for image in images)
        self._show_fact("created", created, _format_date)
        modified = common_value(image.last_modified for image in images)
        self._show_fact("modified", modified, _format_date)
        # The location name arrives with the tags, in _load_extras.
        self.facts["location"].setText("")

    def _show_exif(self) -> None:
        table = self.exif
        rows = merged_exif_rows(self._images)
        table.setRowCount(len(rows))
        for row, (key, value) in enumerate(rows):
            text = MIXED_TEXT if value is MIXED else value
            cell_text = text
            if len(text) > _EXIF_CELL_CHARACTERS:
                cell_text = text[:_EXIF_CELL_CHARACTERS] + "…"
            key_item = QTableWidgetItem(key)
            value_item = QTableWidgetItem(cell_text)
            value_item.setToolTip(text[:_EXIF_TOOLTIP_CHARACTERS])
            if value is MIXED:
                font = value_item.font()
                font.setItalic(True)
                value_item.setFont(font)
            table.setItem(row, 0, key_item)
            table.setItem(row, 1, value_item)

    async def _load_extras(self, generation: int) -> None:
        """Fetch the tag counts and location names, which the records lack."""
        ids = self.selected_ids()
        try:
            counts = await self._api.get_tag_set(*ids) if ids else {}
            locations = {image.location for image in self._images}
            names = await self._location_names(locations)
        except Exception as error:  # engine and driver errors are shown, not raised
            logger.warning("Failed to load tags or locations of %s", ids, exc_info=True)
            self._show_error("tags", f"Tags not loaded: {error}")
            return
        if generation != self._generation:
            return
        self.tag_entry.set_tags(counts, len(ids))
        location = common_value(names.get(image.location) for image in self._images)
        self._show_fact("location", location, lambda name: name or "Unknown")

    async def _location_names(self, location_ids: set[int]) -> dict[int, str | None]:
        names = {}
        for location_id in location_ids:
            location = await self._api.get_location(location_id)
            names[location_id] = None if location is None else location.name
        return names

    def _show_error(self, field: str, message: str | None) -> None:
        error = self.errors[field]
        error.setText(message or "")
        error.setVisible(bool(message))

    # Saving --------------------------------------------------------------

    def _start(self, coroutine: Coroutine[Any, Any, Any], name: str) -> None:
        task = spawn(coroutine, name=name)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _on_field_committed(self, field: str) -> None:
        if not self._images:
            return
        editor = self.editors[field]
        if isinstance(editor, _CaptionEdit):
            text = editor.toPlainText()
        else:
            text = editor.text()
        value = text.strip() or None
        previous = self._field_values.get(field)
        if value == previous or (previous is MIXED and value is None):
            return
        # Recorded before saving, so a second editingFinished (Enter, then
        # focus out) does not save the same value again.
        self._field_values[field] = value
        ids = self.selected_ids()
        name = f"edit the {field} of {len(ids)} images"
        self._start(self.save_text(field, value, ids), name)

    def _on_rating_changed(self, rating: int) -> None:
        ids = self.selected_ids()
        if ids:
            # Zero stars means "not rated", which the engine stores as None.
            name = f"rate {len(ids)} images"
            self._start(self.save_rating(rating or None, ids), name)

    def _on_tag_added(self, tag: str) -> None:
        ids = self.selected_ids()
        if ids:
            self._start(self.add_tag(tag, ids), f"tag {len(ids)} images")

    def _on_tag_removed(self, tag: str) -> None:
        ids = self.selected_ids()
        if ids:
            self._start(self.remove_tag(tag, ids), f"untag {len(ids)} images")

    async def _edit_each(
        self, field: str, ids: list[int], changes: dict[str, Any], failure: str
    ) -> bool:
        """Apply changes to each image and show the first failure under the field."""
        changed: list[int] = []
        failures: list[str] = []
        async with self._save_lock:
            for image_id in ids:
                try:
                    await self._api.edit_image(image_id, **changes)
                except Exception as error:  # engine and driver errors are shown
                    logger.warning("Failed to edit image %d: %s", image_id, error)
                    failures.append(str(error))
                else:
                    changed.append(image_id)
        if failures:
            count = f" on {len(failures)} of {len(ids)} images" if len(ids) > 1 else ""
            self._show_error(field, f"{failure}{count}: {failures[0]}")
        else:
            self._show_error(field, None)
        if changed:
            self.images_changed.emit(changed)
        return not failures

    async def _reload_records(self, ids: list[int]) -> bool:
        """Re-read the shown records when ids are still the selection."""
        if ids != self.selected_ids():
            return False
        images = await self._api.get_images(ids)
        if ids != self.selected_ids():
            return False
        self._images = images
        return True

    async def _change_tag(
        self,
        method: Callable[[list[int], str], Coroutine[Any, Any, None]],
        tag: str,
        ids: list[int],
        failure: str,
    ) -> bool:
        try:
            async with self._save_lock:
                await method(ids, tag)
        except Exception as error:  # engine and driver errors are shown, not raised
            logger.warning("Failed to change tag %r on images %s: %s", tag, ids, error)
            self._show_error("tags", f"Tag {tag!r} {failure}: {error}")
            return False
        self._show_error("tags", None)
        self.images_changed.emit(list(ids))
        if ids == self.selected_ids():
            counts = await self._api.get_tag_set(*ids)
            if ids == self.selected_ids():
                self.tag_entry.set_tags(counts, len(ids))
        return True
