"""The copy dialog: where dropped photos go in the library, with a live preview.

The dialog scans the drop (image files, their dates and hashes), then
plans the copy for the chosen location, folder and path template each
time one of them changes. Taken targets are listed as conflicts, each
skipped or kept under a new name; files that are not images are listed
and left out. OK starts the copy as a background job.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.tags import normalize_tags
from picpocket.database.types import Location
from picpocket.errors import PicPocketError
from picpocket.tasks.destination import DESTINATION_FIELDS
from picpocket_gui.background import spawn
from picpocket_gui.copying import (
    DEFAULT_TEMPLATE,
    CopyPlan,
    CopyResult,
    DropScan,
    FileProblem,
    PlannedCopy,
    Resolution,
    build_plan,
    describe_result,
    normalize_folder,
    preview_targets,
    run_copy,
    scan_drop,
)
from picpocket_gui.dialogs import error_label, set_error
from picpocket_gui.jobs import Job, JobManager

logger = logging.getLogger(__name__)

PREVIEW_COUNT = 5  # target paths shown in the preview
PLAN_DELAY_MS = 200  # pause in typing before the plan is built again
NOTE_STYLE = "color: palette(placeholder-text);"
FILE_COLUMN, TARGET_COLUMN, CONFLICT_COLUMN, KEEP_COLUMN = range(4)
_COPY_INDEX = Qt.ItemDataRole.UserRole


def parse_tags(text: str) -> list[str]:
    """Return the tags of a comma-separated list, normalized.

    Raises:
        InputValidationError: a tag is invalid, such as one with an empty level.
    """
    return normalize_tags("tags", [part.strip() for part in text.split(",")
                                   if part.strip()])


class TagListCompleter(QCompleter):
    """Completes the tag after the last comma of a comma-separated list."""

    def __init__(self, line_edit: QLineEdit) -> None:
        self._names = QStringListModel()
        super().__init__(self._names, line_edit)
        self._names.setParent(self)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setWidget(line_edit)
        self._line_edit = line_edit

    def set_tag_names(self, names: Iterable[str]) -> None:
        """Offer these tag names as completions."""
        self._names.setStringList(sorted(set(names), key=str.casefold))

    def splitPath(self, path: str) -> list[str]:  # noqa: N802 (Qt override)
        return [path.rsplit(",", 1)[-1].strip()]

    def pathFromIndex(self, index) -> str:  # noqa: N802 (Qt override)
        head, _, _ = self._line_edit.text().rpartition(",")
        tag = str(index.data())
        return f"{head}, {tag}" if head else tag


class CopyDialog(QDialog):
    """Copy dropped files and folders into a destination location.

    `copy_started(job)` is emitted when OK starts the copy; the job's
    `finished` signal carries a CopyResult. Without `jobs`, the dialog
    runs the job on a JobManager of its own.
    """

    copy_started = Signal(object)

    def __init__(
        self,
        api: PicPocket,
        paths: Iterable[Path],
        parent: QWidget | None = None,
        *,
        location_id: int | None = None,
        jobs: JobManager | None = None,
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._paths = [Path(path) for path in paths]
        self._base = _common_folder(self._paths)
        self._requested_location = location_id
        # A fallback manager without a Qt parent outlives a deleted dialog.
        self._jobs = jobs if jobs is not None else JobManager()
        self._scan: DropScan | None = None
        self._plan: CopyPlan | None = None
        self._plan_serial = 0
        self._default_resolution = Resolution.SKIP
        self._resolutions: dict[Path, Resolution] = {}
        self._locations: dict[int, Location] = {}
        self._location_note = ""  # shown under the location until one is chosen
        self.job: Job | None = None
        self.copy_result: CopyResult | None = None
        self.setWindowTitle("Copy Photos into the Library")
        self._build()
        self._load_task = spawn(self.load(), name="read the dropped files")

    # Public state ------------------------------------------------------

    def plan(self) -> CopyPlan | None:
        """Return the plan for the current fields, or None while it is built."""
        return self._plan

    def scan(self) -> DropScan | None:
        """Return the scanned drop, or None while the files are read."""
        return self._scan

    def preview_lines(self) -> list[str]:
        """Return the lines of the target preview."""
        return self.preview_label.text().splitlines()

    # Building ----------------------------------------------------------

    def _build(self) -> None:
        self.summary_label = QLabel("Reading the dropped files…")
        self.summary_label.setWordWrap(True)
        self.conflict_box = self._build_conflicts()
        self.left_out_box = QGroupBox()
        self.left_out_list = QListWidget()
        self.left_out_list.setMaximumHeight(_rows_height(self.left_out_list, 4))
        QVBoxLayout(self.left_out_box).addWidget(self.left_out_list)
        self.left_out_box.setSizePolicy(
            QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.left_out_box.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.copy_button = self.buttons.addButton(
            "Copy", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.copy_button.setEnabled(False)
        self.buttons.accepted.connect(self._on_copy_clicked)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addLayout(self._build_form())
        layout.addWidget(self.conflict_box, 1)
        layout.addWidget(self.left_out_box)
        # Takes the free height while no conflict is listed.
        layout.addStretch(0)
        layout.addWidget(self.buttons)
        self._plan_timer = QTimer(self, singleShot=True, interval=PLAN_DELAY_MS)
        self._plan_timer.timeout.connect(self._on_plan_timer_timeout)
        self.resize(760, 680)

    def _build_fields(self) -> None:
        self.location_combo = QComboBox()
        self.location_combo.currentIndexChanged.connect(self._on_fields_changed)
        self.location_combo.activated.connect(self._on_location_activated)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("The location's top folder")
        self.folder_edit.textChanged.connect(self._on_fields_changed)
        self.template_edit = QLineEdit(DEFAULT_TEMPLATE)
        self.template_edit.textChanged.connect(self._on_fields_changed)
        self.preview_label = QLabel()
        self.preview_label.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_label.setMinimumHeight(
            self.preview_label.fontMetrics().lineSpacing() * (PREVIEW_COUNT + 1))
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.creator_edit = QLineEdit()
        self.creator_edit.setPlaceholderText("From each photo's EXIF when empty")
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("Comma-separated, such as trip/alps, family")
        self.tags_edit.setCompleter(TagListCompleter(self.tags_edit))
        self.tags_edit.textChanged.connect(lambda: set_error(self.tags_error, ""))
        self.location_error = error_label()
        self.folder_error = error_label()
        self.template_error = error_label()
        self.tags_error = error_label()

    def _build_form(self) -> QFormLayout:
        self._build_fields()
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._on_choose_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(choose)
        fields = ", ".join(sorted(DESTINATION_FIELDS))
        template_note = _note(
            f"Fields: {fields}.\nA date takes a format, as in {{date:%Y-%m-%d}}.")
        form = QFormLayout()
        form.addRow("&Location:", _column(self.location_combo, self.location_error))
        form.addRow("&Folder:", _column(folder_row, self.folder_error))
        template = _column(self.template_edit, self.template_error, template_note)
        form.addRow("&Path template:", template)
        form.addRow("Preview:", self.preview_label)
        form.addRow("C&reator:", self.creator_edit)
        form.addRow("T&ags:", _column(self.tags_edit, self.tags_error))
        for field, row in ((self.location_combo, 0), (self.folder_edit, 1),
                           (self.template_edit, 2), (self.tags_edit, 5)):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
            label.setBuddy(field)
        return form

    def _build_conflicts(self) -> QGroupBox:
        box = QGroupBox()
        self.conflict_tree = QTreeWidget()
        self.conflict_tree.setHeaderLabels(["File", "Target", "Why", "Keep both"])
        self.conflict_tree.setRootIsDecorated(False)
        self.conflict_tree.setMinimumHeight(_rows_height(self.conflict_tree, 4))
        header = self.conflict_tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.conflict_tree.itemChanged.connect(self._on_conflict_item_changed)

        self.skip_all_button = QPushButton("Skip All")
        self.skip_all_button.clicked.connect(
            lambda: self.apply_to_all(Resolution.SKIP))
        self.keep_all_button = QPushButton("Keep Both for All")
        self.keep_all_button.clicked.connect(
            lambda: self.apply_to_all(Resolution.KEEP_BOTH))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.skip_all_button)
        buttons.addWidget(self.keep_all_button)

        note = _note("A file is never replaced. Tick Keep both to copy a file "
                     "under a new name; unticked files are skipped.")
        # A wrapped label gives the box a height for width. QBoxLayout
        # (PySide6 6.11) takes that as the box's minimum height, and then
        # squeezed the rows above on top of each other.
        note.setWordWrap(False)
        layout = QVBoxLayout(box)
        layout.addWidget(note)
        layout.addWidget(self.conflict_tree)
        layout.addLayout(buttons)
        box.hide()
        return box

    # Loading -----------------------------------------------------------

    async def load(self) -> None:
        """Fill the locations and tag names, scan the drop, then plan the copy."""
        locations = await self._api.list_locations()
        tag_names = await self._api.all_tag_names()
        if not shiboken6.isValid(self):
            return
        self._fill_locations(locations)
        completer = self.tags_edit.completer()
        assert isinstance(completer, TagListCompleter)
        completer.set_tag_names(tag_names)
        scan = await scan_drop(self._paths, self._on_scan_progress)
        if not shiboken6.isValid(self):
            return
        self._scan = scan
        count = len(scan.images)
        self.summary_label.setText(
            f"The drop has {count} {'photo' if count == 1 else 'photos'}.")
        self._fill_left_out(scan.not_images, scan.unreadable, [])
        self._update_preview()
        await self.update_plan()

    def _on_scan_progress(self, done: int, total: int) -> None:
        if shiboken6.isValid(self) and self._scan is None:
            text = f"Reading the dropped files… {done} of {total}"
            self.summary_label.setText(text)

    def _fill_locations(self, locations: list[Location]) -> None:
        destinations = [location for location in locations if location.destination]
        self._locations = {location.id: location for location in destinations}
        self.location_combo.blockSignals(True)
        for location in destinations:
            self.location_combo.addItem(location.name, location.id)
        self.location_combo.blockSignals(False)
        requested = self._requested_location
        index = self.location_combo.findData(requested)
        if index >= 0:
            self.location_combo.setCurrentIndex(index)
        elif not destinations:
            self._location_note = ("No location is a destination. Edit a location "
                                   "and tick Destination, or add one.")
        elif requested is not None:
            name = next((loc.name for loc in locations if loc.id == requested), "")
            self._location_note = (f"“{name}” is not a destination, so choose "
                                   f"where the photos go.")
        set_error(self.location_error, self._location_note)

    def _on_location_activated(self) -> None:
        self._location_note = ""
        set_error(self.location_error, "")

    # Planning ----------------------------------------------------------

    def _on_fields_changed(self) -> None:
        self._plan = None
        self._plan_serial += 1
        self.copy_button.setEnabled(False)
        self._update_preview()
        self._plan_timer.start()

    def _on_plan_timer_timeout(self) -> None:
        spawn(self.update_plan(), name="plan the copy")

    def _update_preview(self) -> None:
        """Check the template and folder and show the first targets, at once."""
        set_error(self.template_error, "")
        set_error(self.folder_error, "")
        if self._scan is None:
            return
        try:
            folder = normalize_folder(self.folder_edit.text())
        except PicPocketError as error:
            set_error(self.folder_error, str(error))
            return
        files = self._scan.images[:PREVIEW_COUNT]
        try:
            targets = preview_targets(files, self.template_edit.text(), folder)
        except PicPocketError as error:
            set_error(self.template_error, str(error))
            self.preview_label.setText("")
            return
        lines = [f"{file.path.name}  →  {target}"
                 for file, target in zip(files, targets)]
        self._show_preview(lines)

    def _show_preview(self, lines: list[str]) -> None:
        assert self._scan is not None
        more = len(self._scan.images) - len(lines)
        if more > 0:
            lines.append(f"… and {more} more")
        self.preview_label.setText("\n".join(lines) or "No photos to copy")

    async def update_plan(self) -> None:
        """Build the plan for the current fields and show its conflicts."""
        self._plan_serial += 1
        serial = self._plan_serial
        location_id = self.location_combo.currentData()
        if self._scan is None or location_id is None:
            return
        try:
            plan = await build_plan(
                self._api, self._scan, location_id,
                folder=self.folder_edit.text(), template=self.template_edit.text(),
            )
        except PicPocketError as error:
            if serial == self._plan_serial and shiboken6.isValid(self):
                self._show_plan_error(error)
            return
        if serial == self._plan_serial and shiboken6.isValid(self):
            self._show_plan(plan)

    def _show_plan_error(self, error: PicPocketError) -> None:
        self._plan = None
        self.summary_label.setText("Nothing can be copied until this is fixed.")
        if self.template_error.isHidden() and self.folder_error.isHidden():
            set_error(self.location_error, str(error))
        self.copy_button.setText("Copy")
        self.copy_button.setEnabled(False)
        self.conflict_tree.clear()
        self.conflict_box.hide()

    def _show_plan(self, plan: CopyPlan) -> None:
        self._plan = plan
        set_error(self.location_error, self._location_note)
        for copy in plan.conflicts():
            copy.resolution = self._resolutions.get(
                copy.file.path, self._default_resolution)
        self._fill_conflicts(plan)
        self._fill_left_out(plan.not_images, plan.unreadable, plan.errors())
        self._update_summary()

    def _update_summary(self) -> None:
        """Show the plan's targets, what it copies and skips, on the Copy button."""
        plan = self._plan
        if plan is None:
            return
        first = plan.copies[:PREVIEW_COUNT]
        self._show_preview([_preview_line(copy) for copy in first])
        count = len(plan.to_copy())
        noun = "photo" if count == 1 else "photos"
        text = f"{count} {noun} will be copied into “{plan.location_name}”."
        if not count:
            text = f"No photo will be copied into “{plan.location_name}”."
        skipped = sum(1 for copy in plan.conflicts() if copy.destination is None)
        if skipped:
            text += f" {skipped} with a taken target will be skipped."
        self.summary_label.setText(text)
        self.copy_button.setText(f"Copy {count} {noun.capitalize()}")
        self.copy_button.setEnabled(count > 0)

    # Conflicts and files left out --------------------------------------

    def _fill_conflicts(self, plan: CopyPlan) -> None:
        conflicts = plan.conflicts()
        self.conflict_tree.blockSignals(True)
        self.conflict_tree.clear()
        for copy in conflicts:
            self.conflict_tree.addTopLevelItem(self._conflict_item(copy))
        self.conflict_tree.blockSignals(False)
        for column in (FILE_COLUMN, TARGET_COLUMN, CONFLICT_COLUMN):
            self.conflict_tree.resizeColumnToContents(column)
        self.conflict_box.setTitle(f"Target already taken ({len(conflicts)})")
        self.conflict_box.setVisible(bool(conflicts))

    def _conflict_item(self, copy: PlannedCopy) -> QTreeWidgetItem:
        item = QTreeWidgetItem([
            self._display_path(copy.file.path), str(copy.target),
            copy.conflict.value if copy.conflict else "", "",
        ])
        item.setData(FILE_COLUMN, _COPY_INDEX, copy.index - 1)
        item.setToolTip(FILE_COLUMN, str(copy.file.path))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        self._show_resolution(item, copy)
        return item

    def _show_resolution(self, item: QTreeWidgetItem, copy: PlannedCopy) -> None:
        keep = copy.resolution is Resolution.KEEP_BOTH
        state = Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked
        item.setCheckState(KEEP_COLUMN, state)
        name = copy.alternative.name if copy.alternative else ""
        item.setText(KEEP_COLUMN, f"as {name}" if keep else "skip")

    def _on_conflict_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != KEEP_COLUMN or self._plan is None:
            return
        copy = self._plan.copies[item.data(FILE_COLUMN, _COPY_INDEX)]
        keep = item.checkState(KEEP_COLUMN) == Qt.CheckState.Checked
        copy.resolution = Resolution.KEEP_BOTH if keep else Resolution.SKIP
        self._resolutions[copy.file.path] = copy.resolution
        self.conflict_tree.blockSignals(True)
        self._show_resolution(item, copy)
        self.conflict_tree.blockSignals(False)
        self._update_summary()

    def set_resolution(self, copy: PlannedCopy, resolution: Resolution) -> None:
        """Choose what happens to one conflicting file, as its tick box does."""
        for row in range(self.conflict_tree.topLevelItemCount()):
            item = self.conflict_tree.topLevelItem(row)
            if item.data(FILE_COLUMN, _COPY_INDEX) == copy.index - 1:
                keep = resolution is Resolution.KEEP_BOTH
                state = Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked
                item.setCheckState(KEEP_COLUMN, state)

    def apply_to_all(self, resolution: Resolution) -> None:
        """Choose one resolution for every conflict, now and after re-planning."""
        self._default_resolution = resolution
        self._resolutions.clear()
        if self._plan is None:
            return
        self._plan.set_resolution(resolution)
        self._fill_conflicts(self._plan)
        self._update_summary()

    def _fill_left_out(
        self,
        not_images: list[Path],
        unreadable: list[FileProblem],
        errors: list[PlannedCopy],
    ) -> None:
        self.left_out_list.clear()
        for path in not_images:
            self.left_out_list.addItem(f"{self._display_path(path)}: not an image")
        for problem in unreadable:
            self.left_out_list.addItem(
                f"{self._display_path(problem.path)}: {problem.reason}")
        for copy in errors:
            self.left_out_list.addItem(
                f"{self._display_path(copy.file.path)}: {copy.error}")
        count = self.left_out_list.count()
        self.left_out_box.setTitle(f"Not copied ({count})")
        self.left_out_box.setVisible(count > 0)

    def _display_path(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self._base) if self._base else str(path)
        except ValueError:  # another drive on Windows
            return str(path)

    # Choosing a folder -------------------------------------------------

    def _on_choose_clicked(self) -> None:
        location = self._locations.get(self.location_combo.currentData())
        start = location.root if location else None
        try:
            if start is not None:
                start = start / normalize_folder(self.folder_edit.text())
        except PicPocketError:
            pass  # the folder field shows the error; start at the root
        dialog = QFileDialog(self, "Folder inside the location", str(start or ""))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(lambda chosen: self.choose_folder(Path(chosen)))
        dialog.open()

    def choose_folder(self, folder: Path) -> None:
        """Set the folder field from a full path, which must be inside the location."""
        location = self._locations.get(self.location_combo.currentData())
        if location is None or location.root is None:
            return
        root = Path(os.path.realpath(location.root))
        chosen = Path(os.path.realpath(folder))
        if chosen != root and root not in chosen.parents:
            set_error(self.folder_error, f"{folder} is not inside the location "
                      f"“{location.name}” at {location.root}.")
            return
        relative = chosen.relative_to(root)
        self.folder_edit.setText("" if relative == Path(".") else relative.as_posix())

    def done(self, result: int) -> None:
        """Close the dialog and stop reading the drop if that is still running."""
        self._load_task.cancel()
        self._plan_timer.stop()
        super().done(result)

    # Copying -----------------------------------------------------------

    def _on_copy_clicked(self) -> None:
        self.start_copy()

    def start_copy(self) -> Job | None:
        """Start copying the plan as a job and close the dialog; None if not ready."""
        plan = self._plan
        if plan is None or not plan.to_copy():
            return None
        try:
            tags = parse_tags(self.tags_edit.text())
        except PicPocketError as error:
            set_error(self.tags_error, str(error))
            return None
        creator = self.creator_edit.text().strip() or None
        result = CopyResult()
        count = len(plan.to_copy())
        api = self._api
        self.job = self._jobs.start(
            f"copy {count} {'photo' if count == 1 else 'photos'} to "
            f"{plan.location_name}",
            lambda progress: run_copy(api, plan, creator=creator, tags=tags,
                                      progress=progress, result=result),
        )
        self.copy_result = result
        report_parent = self.parentWidget()
        self.job.finished.connect(lambda _: report_copy(report_parent, result))
        self.job.cancelled.connect(lambda: _report_cancel(report_parent, result))
        self.copy_started.emit(self.job)
        self.accept()
        return self.job


def report_copy(parent: QWidget | None, result: CopyResult) -> QMessageBox | None:
    """Show what a copy run left out or failed on; None when all went well."""
    if not (result.failures or result.cancelled):
        return None
    box = QMessageBox(parent)
    box.setObjectName("copy-report")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setIcon(QMessageBox.Icon.Warning if result.failures
                else QMessageBox.Icon.Information)
    box.setWindowTitle("Copy Photos")
    box.setText(describe_result(result))
    if result.cancelled:
        box.setInformativeText("The photos copied before the cancel stay in "
                               "the library.")
    if result.failures:
        box.setDetailedText("\n".join(
            f"{failure.path}: {failure.reason}" for failure in result.failures))
    box.open()
    return box


def _report_cancel(parent: QWidget | None, result: CopyResult) -> None:
    # A job cancelled before its first step never ran run_copy, which
    # otherwise marks the result.
    result.cancelled = True
    report_copy(parent, result)


def _preview_line(copy: PlannedCopy) -> str:
    line = f"{copy.file.path.name}  →  {copy.target or copy.error}"
    if copy.conflict is not None and copy.destination is None:
        line += "  (taken: skipped)"
    elif copy.conflict is not None:
        line += f"  (taken: copied as {copy.destination.name})"
    return line


def _common_folder(paths: list[Path]) -> Path | None:
    parents = [str(path.parent) for path in paths]
    try:
        return Path(os.path.commonpath(parents)) if parents else None
    except ValueError:  # paths on different drives
        return None


def _rows_height(view: QWidget, rows: int) -> int:
    """Return a height that shows about `rows` lines of a list view."""
    return view.fontMetrics().lineSpacing() * (rows + 1) + 2 * view.frameWidth()


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(NOTE_STYLE)
    return label


def _column(*parts: QWidget | QHBoxLayout) -> QVBoxLayout:
    column = QVBoxLayout()
    column.setSpacing(2)
    for part in parts:
        if isinstance(part, QWidget):
            column.addWidget(part)
        else:
            column.addLayout(part)
    return column
