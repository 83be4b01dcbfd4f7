"""The import dialog: import a location's image files with progress, cancel, results.

The helpers for reaching a location and running engine work as a job are
shared with the verify dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.logic import And, Number, Or, Text
from picpocket.database.types import Location
from picpocket.images import DEFAULT_FORMATS
from picpocket_gui.background import spawn
from picpocket_gui.dialogs.task_edit import TagListCompleter, split_list
from picpocket_gui.dialogs.running import (
    JobDialog,
    MountCallback,
    count_text,
    reach_location,
)
from picpocket_gui.jobs import JobManager, ProgressCallback

logger = logging.getLogger(__name__)

# The checkable file formats: group, label and the suffixes each entry stands for.
# Suffixes of DEFAULT_FORMATS missing here are listed under "Other".
FORMAT_FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Pictures", "JPEG", ("jpg", "jpeg", "jpe")),
    ("Pictures", "HEIF and HEIC", ("heic", "heif")),
    ("Pictures", "PNG", ("png",)),
    ("Pictures", "TIFF", ("tif", "tiff")),
    ("Pictures", "WebP", ("webp",)),
    ("Pictures", "AVIF", ("avif",)),
    ("Pictures", "GIF", ("gif",)),
    ("Pictures", "BMP", ("bmp",)),
    ("Camera RAW", "Canon", ("cr2", "cr3")),
    ("Camera RAW", "Nikon", ("nef",)),
    ("Camera RAW", "Sony", ("arw",)),
    ("Camera RAW", "Adobe DNG", ("dng",)),
    ("Camera RAW", "Olympus", ("orf",)),
    ("Camera RAW", "Panasonic", ("rw2",)),
    ("Camera RAW", "Fujifilm", ("raf",)),
)
RAW_TOOLTIP = (
    "Pillow cannot read CR3, RW2, RAF or ORF files, so they are recorded without "
    "dimensions or EXIF. For NEF and DNG it reads the first image, which may be a "
    "small preview."
)
BATCH_TOOLTIP = (
    "How many image records are committed to the library together. When you "
    "cancel, every batch finished before the cancel stays in the library. Smaller "
    "batches keep more of a cancelled import but mean more commits."
)
NO_IMAGE_DATA = (
    "The image data could not be read, so it is recorded without dimensions or EXIF."
)
SuffixesRole = Qt.ItemDataRole.UserRole


# Files that could not be read ------------------------------------------------


@dataclass(frozen=True)
class UnreadableFile:
    """A file an import could not read in full, and whether it is in the library."""

    path: PurePosixPath  # relative to the location's folder
    problem: str
    recorded: bool


class ImportProblems(logging.Handler):
    """Collect the engine's warnings about the files under one folder.

    NOTE: import_location returns only the ids it recorded. It reports
    skipped files (unreadable, not regular files, broken links) and damage
    in recorded files only as warnings logged under `picpocket`, so they
    are collected from those, which needs WARNING enabled for that logger.
    A warning counts when its first argument is a path inside the folder,
    so another import or check of the same folder at the same time adds
    its warnings here too.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(logging.WARNING)
        self._root = root
        self.messages: dict[PurePosixPath, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        # Worker threads call this, under the handler's lock.
        args = record.args if isinstance(record.args, tuple) else ()
        if not args or not isinstance(args[0], (str, Path)):
            return
        path = Path(args[0])
        if not path.is_absolute() or not path.is_relative_to(self._root):
            return
        relative = PurePosixPath(path.relative_to(self._root).as_posix())
        message = record.getMessage().replace(str(args[0]), relative.as_posix())
        self.messages.setdefault(relative, []).append(message)

    @contextmanager
    def attached(self) -> Iterator[ImportProblems]:
        """Collect warnings while the block runs."""
        engine_logger = logging.getLogger("picpocket")
        engine_logger.addHandler(self)
        try:
            yield self
        finally:
            engine_logger.removeHandler(self)


async def find_unreadable(
    api: PicPocket,
    location: Location,
    imported: list[int],
    messages: dict[PurePosixPath, list[str]],
) -> list[UnreadableFile]:
    """List the files of an import that were skipped or recorded without image data.

    Images among `imported` without width or height come from the records,
    and the other entries from the warnings in `messages`.
    """
    in_location = Number("location", "=", location.id)
    no_size = Or(Number("width", "=", None), Number("height", "=", None))
    ids = set(imported)
    without_data = [
        image_id
        for image_id in await api.get_image_ids(And(in_location, no_size))
        if image_id in ids
    ]
    found = {
        PurePosixPath(image.path.as_posix())
        for image in await api.get_images(without_data)
    }
    recorded = found | await _recorded_paths(api, in_location, list(messages))
    entries = [
        UnreadableFile(path, " ".join(messages.get(path, [NO_IMAGE_DATA])),
                       path in recorded)
        for path in found | set(messages)
    ]
    return sorted(entries, key=lambda entry: entry.path)


async def _recorded_paths(
    api: PicPocket, in_location: Number, paths: list[PurePosixPath]
) -> set[PurePosixPath]:
    recorded: set[PurePosixPath] = set()
    for start in range(0, len(paths), 200):
        chunk = paths[start : start + 200]
        same_path = Or(*(Text("path", "=", path.as_posix()) for path in chunk))
        for image in await api.search_images(And(in_location, same_path)):
            recorded.add(PurePosixPath(image.path.as_posix()))
    return recorded


# Results ----------------------------------------------------------------------


@dataclass
class ImportResult:
    """The outcome of one import: what was recorded and what could not be read."""

    location: str
    imported: list[int] = field(default_factory=list)  # ids added or updated
    added: int = 0  # new records in the location
    done: int = 0  # files handled, of `total`
    total: int = 0
    unreadable: list[UnreadableFile] = field(default_factory=list)
    cancelled: bool = False
    error: str | None = None

    def headline(self) -> str:
        """Return the paragraph that sums up the import."""
        imported = len(self.imported)
        if self.error is not None:
            lines = [f"The import failed: {self.error}"]
        elif self.cancelled:
            lines = [f"The import was cancelled, with {count_text(self.total, 'file')} "
                     "found."]
        elif self.total == 0:
            lines = ["No image files of the chosen formats were found."]
        else:
            lines = [f"{count_text(imported, 'image')} imported from "
                     f"{count_text(self.total, 'file')}: {self.added:,} new, "
                     f"{max(0, imported - self.added):,} updated."]
            if imported < self.total:
                lines.append("The other files were unchanged since the last import "
                             "or could not be read.")
        if self.error is not None or self.cancelled:
            lines.append(f"{count_text(self.added, 'new image')} recorded: finished "
                         "batches stay in the library, and importing again "
                         "continues with the rest.")
        if self.unreadable:
            lines.append(f"{count_text(len(self.unreadable), 'file')} could not be "
                         "read in full, as listed below.")
        return "\n".join(lines)


# The dialog -------------------------------------------------------------------


def format_groups() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Group DEFAULT_FORMATS for display: {group: [(label, suffixes)]}."""
    groups: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    listed: set[str] = set()
    for group, label, suffixes in FORMAT_FAMILIES:
        known = tuple(suffix for suffix in suffixes if suffix in DEFAULT_FORMATS)
        if known:
            groups.setdefault(group, []).append((label, known))
            listed.update(known)
    for suffix in sorted(DEFAULT_FORMATS - listed):
        groups.setdefault("Other", []).append((suffix.upper(), (suffix,)))
    return groups


class FormatTree(QTreeWidget):
    """Checkable file formats in groups, every one ticked at first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        for group, families in format_groups().items():
            top = QTreeWidgetItem(self, [group])
            top.setFlags(top.flags() | Qt.ItemFlag.ItemIsAutoTristate
                         | Qt.ItemFlag.ItemIsUserCheckable)
            if group == "Camera RAW":
                top.setToolTip(0, RAW_TOOLTIP)
            for label, suffixes in families:
                text = f"{label}  ({', '.join('.' + suffix for suffix in suffixes)})"
                item = QTreeWidgetItem(top, [text])
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setData(0, SuffixesRole, suffixes)
                item.setCheckState(0, Qt.CheckState.Checked)
            top.setExpanded(group == "Pictures")

    def formats(self) -> set[str]:
        """Return the suffixes of the ticked formats, without dots."""
        return {
            suffix
            for item in self._format_items()
            if item.checkState(0) == Qt.CheckState.Checked
            for suffix in item.data(0, SuffixesRole)
        }

    def _format_items(self) -> list[QTreeWidgetItem]:
        return [
            self.topLevelItem(group).child(row)
            for group in range(self.topLevelItemCount())
            for row in range(self.topLevelItem(group).childCount())
        ]


class ImportDialog(JobDialog):
    """Ask for an import's options, import a location with progress, show the results.

    The import runs as a job of `jobs`, which the status bar also shows,
    or of a manager of its own. `mount` is asked to mount a removable
    location that is not mounted.
    """

    import_finished = Signal(object)  # the ImportResult of an import that started
    show_imported = Signal(list)  # ids of the images the last import recorded

    def __init__(
        self,
        api: PicPocket,
        location: Location,
        parent: QWidget | None = None,
        *,
        jobs: JobManager | None = None,
        mount: MountCallback | None = None,
    ) -> None:
        super().__init__(parent, jobs, mount)
        self._api = api
        self._location = location
        self._result: ImportResult | None = None
        self.setWindowTitle(f"Import {location.name}")
        self._build()
        spawn(self._load_tag_names(), name="list the tag names")

    # Public state -------------------------------------------------------------

    def import_result(self) -> ImportResult | None:
        """Return the outcome of the last import, or None before one ended."""
        return self._result

    def options(self) -> dict[str, Any]:
        """Return the keyword arguments for import_location from the fields."""
        return {
            "creator": self.creator_edit.text().strip() or None,
            "tags": split_list(self.tags_edit.text()),
            "file_formats": self.format_tree.formats(),
            "batch_size": self.batch_spin.value(),
        }

    # Building -----------------------------------------------------------------

    def _build(self) -> None:
        root = self._location.root
        intro = QLabel(
            f"Record the image files in “{self._location.name}” "
            f"({root if root is not None else 'not mounted'}). Images recorded "
            "before keep their tags and details, and only new and changed files "
            "are read.", self,
        )
        intro.setWordWrap(True)
        self._options = QWidget(self)
        self._build_options(self._options)
        layout = QVBoxLayout(self)
        for widget in (intro, self._options, self._message, self.progress_bar):
            layout.addWidget(widget)
        layout.addWidget(self._build_results(), 1)
        layout.addStretch(0)
        buttons = self._build_buttons("Import", "Cancel Import",
                                      f"import {self._location.name}")
        layout.addWidget(buttons)
        self.resize(640, self.sizeHint().height())

    def _build_options(self, widget: QWidget) -> None:
        self.creator_edit = QLineEdit(widget)
        self.creator_edit.setPlaceholderText("Empty: the artist in each photo's EXIF")
        self.creator_edit.setToolTip(
            "The creator of new images and of recorded images that have none. When "
            "empty, new images take the artist from their EXIF, if it has one."
        )
        self.tags_edit = QLineEdit(widget)
        self.tags_edit.setPlaceholderText("Tags for every image found, by commas")
        self._tag_completer = TagListCompleter(self.tags_edit)
        self.tags_edit.setCompleter(self._tag_completer)
        self.format_tree = FormatTree(widget)
        # Room for the expanded "Pictures" group. The tree scrolls beyond that.
        self.format_tree.setFixedHeight(10 * self.fontMetrics().height() + 24)
        self.format_tree.itemChanged.connect(lambda *_args: self._update_buttons())
        self.batch_spin = QSpinBox(widget)
        self.batch_spin.setRange(1, 100_000)
        self.batch_spin.setValue(1000)
        self.batch_spin.setSuffix(" images")
        self.batch_spin.setToolTip(BATCH_TOOLTIP)
        form = QFormLayout(widget)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Creator:", self.creator_edit)
        form.addRow("Tags:", self.tags_edit)
        form.addRow("File formats:", self.format_tree)
        form.addRow("Batch size:", self.batch_spin)
        form.labelForField(self.batch_spin).setToolTip(BATCH_TOOLTIP)

    def _build_results(self) -> QWidget:
        self._results = QWidget(self)
        self.summary_label = QLabel(self._results)
        self.summary_label.setWordWrap(True)
        self.show_button = QPushButton("Show Imported Images", self._results)
        self.show_button.setAutoDefault(False)
        self.show_button.setToolTip("Show exactly the images this import recorded")
        self.show_button.clicked.connect(self._on_show_button_clicked)
        self.unreadable_tree = QTreeWidget(self._results)
        self.unreadable_tree.setHeaderLabels(["File that could not be read",
                                              "In library", "Problem"])
        self.unreadable_tree.setRootIsDecorated(False)
        self.unreadable_tree.setAlternatingRowColors(True)
        header = self.unreadable_tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self._results)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.show_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.unreadable_tree, 1)
        self._results.hide()
        return self._results

    def _update_buttons(self) -> None:
        has_formats = bool(self.format_tree.formats())
        self.run_button.setEnabled(has_formats and not self._running)
        self.run_button.setToolTip(
            "" if has_formats else "Tick at least one file format to import"
        )

    async def _load_tag_names(self) -> None:
        names = await self._api.all_tag_names()
        if shiboken6.isValid(self):
            self._tag_completer.set_tag_names(names)

    # Running ------------------------------------------------------------------

    async def _execute(self) -> ImportResult | None:
        arguments = self.options()
        if not arguments["file_formats"]:
            self._show_message("Tick at least one file format to import.")
            return None
        location, message = await reach_location(self._api, self._location,
                                                 self._mount)
        if location is None:
            self._show_message(message)
            return None
        return await self._import(location, arguments)

    def _set_running(self, running: bool) -> None:
        super()._set_running(running)
        self._options.setEnabled(not running)
        self._update_buttons()
        if running:
            self._results.hide()

    async def _import(self, location: Location, arguments: dict) -> ImportResult:
        assert location.root is not None
        in_location = Number("location", "=", location.id)
        before = await self._api.count_images(in_location)
        problems = ImportProblems(location.root)

        async def work(progress: ProgressCallback) -> list[int]:
            with problems.attached():
                return await self._api.import_location(
                    location.id, progress=progress, **arguments
                )

        ids, error, cancelled = await self._run_job(f"Import {location.name}", work)
        imported = list(ids or [])
        result = ImportResult(location.name, imported, error=error,
                              cancelled=cancelled)
        result.added = await self._api.count_images(in_location) - before
        result.done, result.total = self._progress
        result.unreadable = await find_unreadable(
            self._api, location, imported, problems.messages
        )
        logger.info("Import of %r: %s", location.name, result.headline())
        return result

    def _show_result(self, result: ImportResult) -> None:
        self._result = result
        self.progress_bar.setVisible(result.total > 0)
        self.summary_label.setText(result.headline())
        self.show_button.setVisible(bool(result.imported))
        self.unreadable_tree.clear()
        for entry in result.unreadable:
            item = QTreeWidgetItem([entry.path.as_posix(),
                                    "yes" if entry.recorded else "no", entry.problem])
            item.setToolTip(2, entry.problem)
            self.unreadable_tree.addTopLevelItem(item)
        self.unreadable_tree.setVisible(bool(result.unreadable))
        self._results.show()
        self._fit_height()
        self.run_button.setText("Import Again")
        self.import_finished.emit(result)

    def _on_show_button_clicked(self) -> None:
        if self._result is not None:
            self.show_imported.emit(list(self._result.imported))
