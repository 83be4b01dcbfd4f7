"""Running one import task: options, progress, cancel and a summary of problems."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.types import Location, Task
from picpocket_gui.background import spawn
from picpocket_gui.dialogs import error_label, set_error
from picpocket_gui.dialogs.task_edit import TagListCompleter, split_list
from picpocket_gui.jobs import JobFactory, JobManager, JobState

logger = logging.getLogger(__name__)

MountCallback = Callable[[Location], Awaitable[bool]]
TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_time(moment: datetime | None) -> str:
    """Return `moment` in local time as text, or "never"."""
    return "never" if moment is None else moment.astimezone().strftime(TIME_FORMAT)


async def is_reachable(location: Location) -> bool:
    """Return whether the location's folder exists now, checked in a worker thread."""
    root = location.root
    return root is not None and await asyncio.to_thread(root.is_dir)


class RunProblems(logging.Handler):
    """Collect the engine's warnings about the files of one task run.

    NOTE: run_task returns only the imported ids, so conflicts and failed
    copies are read from the warnings the engine logs under `picpocket`
    while the run lasts, which needs WARNING enabled for that logger. A
    warning counts when its first argument is a path inside `source_root`,
    and it is a conflict when its second argument is a path too (the
    existing target). Another run from the same source folder at the same
    time would add its warnings here.
    """

    def __init__(self, source_root: Path | None) -> None:
        super().__init__(logging.WARNING)
        self._root = source_root
        self.conflicts: list[tuple[Path, Path]] = []
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if self._root is None or not args or not isinstance(args[0], Path):
            return
        if not args[0].is_relative_to(self._root):
            return
        # Worker threads call this, but appending to a list is atomic.
        if len(args) > 1 and isinstance(args[1], Path):
            self.conflicts.append((args[0], args[1]))
        else:
            self.failures.append(record.getMessage())

    @contextmanager
    def attached(self) -> Iterator[RunProblems]:
        """Collect warnings while the block runs."""
        engine_logger = logging.getLogger("picpocket")
        engine_logger.addHandler(self)
        try:
            yield self
        finally:
            engine_logger.removeHandler(self)


@dataclass
class RunSummary:
    """The outcome of one task run: counts, conflicts and failures."""

    imported: int = 0  # images added to the library
    done: int = 0  # files handled, of `total`
    total: int = 0
    conflicts: list[tuple[Path, Path]] = field(default_factory=list)  # source, target
    failures: list[str] = field(default_factory=list)
    error: str | None = None  # why the run stopped early
    cancelled: bool = False

    def has_problems(self) -> bool:
        """Return whether anything was left uncopied or went wrong."""
        return bool(self.conflicts or self.failures or self.error)

    def headline(self) -> str:
        """Return one paragraph that sums up the run."""
        if self.error is not None:
            first = f"The run failed: {self.error}"
        elif self.cancelled:
            first = f"The run was cancelled after {self.done} of {self.total} files."
        elif self.total == 0:
            first = "No new files were found, so nothing was imported."
        else:
            imported = _count(self.imported, "image")
            first = f"{imported} imported from {self.total} files."
        lines = [first]
        if self.error is not None or self.cancelled:
            lines.append("The images copied before that stay in the library.")
        if self.conflicts:
            lines.append(
                f"{_count(len(self.conflicts), 'file')} not copied because a "
                "different file is already at the target, and nothing was overwritten. "
                "Add {index} or {hash} to the destination format to keep both."
            )
        if self.failures:
            lines.append(f"{_count(len(self.failures), 'problem')} with files.")
        if self.conflicts or self.failures:
            lines.append("The next run looks at these files again.")
        return "\n".join(lines)

    def details(self) -> str:
        """Return the conflicts and failures, one a line, or ""."""
        lines = []
        if self.conflicts:
            lines.append("Not copied because a different file is at the target:")
            for source, target in self.conflicts:
                lines += [f"  {target}", f"      from {source}"]
        if self.failures:
            lines.append("Problems:")
            lines += [f"  {failure}" for failure in self.failures]
        return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


class RunTaskDialog(QDialog):
    """Ask for a run's options, run the task with progress and show a summary.

    With `jobs` the run is a background job that the status bar also
    shows; without it, the run is a plain asyncio task. `mount` is asked
    to mount a removable source or destination that is not reachable.
    """

    progress_changed = Signal(int, int)  # done, total
    run_ended = Signal(object)  # the RunSummary of a run that started

    def __init__(
        self,
        api: PicPocket,
        task: Task,
        parent: QWidget | None = None,
        *,
        jobs: JobManager | None = None,
        mount: MountCallback | None = None,
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._task = task
        self._jobs = jobs
        self._mount = mount
        self._running = False
        self._cancel_run: Callable[[], Any] | None = None
        self._summary: RunSummary | None = None
        self._progress = RunSummary()  # the running summary, updated by progress
        self.setWindowTitle(f"Run Task {task.name}")
        self._build()
        spawn(self._load_tag_names(), name="list the tag names")

    def is_running(self) -> bool:
        """Return whether a run is in progress."""
        return self._running

    def summary(self) -> RunSummary | None:
        """Return the summary of the last run, or None before one ended."""
        return self._summary

    def message_text(self) -> str:
        """Return the message about why the task could not start, or ""."""
        return self._message.text()

    def cancel(self) -> None:
        """Cancel the run. Copies already started finish and are recorded."""
        if self._cancel_run is not None:
            logger.info("Cancelling the run of task %r", self._task.name)
            self._cancel_run()

    # Building ----------------------------------------------------------

    def _build(self) -> None:
        intro = QLabel(
            f"Copy new images as the task “{self._task.name}” defines. "
            "Existing files are never overwritten.", self,
        )
        intro.setWordWrap(True)
        self._options = QWidget(self)
        self._options_form(self._options)
        self._message = error_label()
        self.progress_bar = QProgressBar(self)
        self.progress_bar.hide()
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.details_view = QPlainTextEdit(self)
        self.details_view.setReadOnly(True)
        self.details_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_view.hide()
        layout = QVBoxLayout(self)
        for widget in (intro, self._options, self._message, self.progress_bar,
                       self.summary_label):
            layout.addWidget(widget)
        layout.addWidget(self.details_view, 1)
        layout.addWidget(self._build_buttons())
        self.resize(620, self.sizeHint().height())

    def _options_form(self, widget: QWidget) -> None:
        self.tags_edit = QLineEdit(widget)
        self.tags_edit.setPlaceholderText("Extra tags for this run only, by commas")
        self._tag_completer = TagListCompleter(self.tags_edit)
        self.tags_edit.setCompleter(self._tag_completer)
        self.new_button = QRadioButton(widget)
        self._show_last_run()
        self.full_button = QRadioButton("All files (full run)", widget)
        self.since_button = QRadioButton("Files modified since:", widget)
        self.new_button.setChecked(True)
        start = self._task.last_ran or datetime.now().astimezone() - timedelta(days=1)
        self.since_edit = QDateTimeEdit(QDateTime(start.astimezone()), widget)
        self.since_edit.setCalendarPopup(True)
        self.since_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.since_edit.setEnabled(False)
        self.since_button.toggled.connect(self.since_edit.setEnabled)
        since_row = QHBoxLayout()
        since_row.addWidget(self.since_button)
        since_row.addWidget(self.since_edit, 1)
        form = QFormLayout(widget)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Tags:", self.tags_edit)
        form.addRow("Files:", self.new_button)
        form.addRow("", self.full_button)
        form.addRow("", since_row)

    def _build_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(self)
        self.run_button = buttons.addButton(
            "Run", QDialogButtonBox.ButtonRole.ApplyRole
        )
        self.run_button.setDefault(True)
        self.cancel_button = buttons.addButton(
            "Cancel Run", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.cancel_button.hide()
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setToolTip("Close this window; a run in progress goes on")
        self.run_button.clicked.connect(
            lambda: spawn(self.run(), name=f"run the task {self._task.name!r}")
        )
        self.cancel_button.clicked.connect(self.cancel)
        buttons.rejected.connect(self.reject)
        return buttons

    def _show_last_run(self) -> None:
        last = self._task.last_ran
        since = f"last run, {local_time(last)}" if last else "never run: all files"
        self.new_button.setText(f"New files since the last run ({since})")

    async def _load_tag_names(self) -> None:
        names = await self._api.all_tag_names()
        if shiboken6.isValid(self):
            self._tag_completer.set_tag_names(names)

    # Running -----------------------------------------------------------

    async def run(self) -> RunSummary | None:
        """Mount the locations if needed, run the task and show the summary.

        Returns the summary, or None when the task did not start because
        a location is not reachable or a run is already in progress.
        """
        if self._running:
            return None
        self._set_running(True)
        summary = None
        try:
            if await self._ensure_reachable():
                summary = await self._run_task()
        finally:
            if shiboken6.isValid(self):
                self._set_running(False)
        if summary is not None and shiboken6.isValid(self):
            self._show_summary(summary)
            self.run_ended.emit(summary)
            await self._refresh_task()
        return summary

    async def _refresh_task(self) -> None:
        task = await self._api.get_task(self._task.name)
        if task is not None and shiboken6.isValid(self):
            self._task = task
            self._show_last_run()

    def _set_running(self, running: bool) -> None:
        self._running = running
        self._options.setEnabled(not running)
        self.run_button.setVisible(not running)
        self.cancel_button.setVisible(running)
        if running:
            set_error(self._message, "")
            self.summary_label.setText("")
            self.details_view.hide()
        else:
            self._cancel_run = None

    async def _ensure_reachable(self) -> bool:
        """Offer to mount an unreachable source or destination.

        Returns whether both are reachable now.
        """
        roles = (("source", self._task.source), ("destination", self._task.destination))
        for role, location_id in roles:
            location = await self._api.get_location(location_id)
            if location is None:
                self._show_message(
                    f"The task's {role} location was not found. Edit the task to "
                    "choose another."
                )
                return False
            if not await is_reachable(location):
                if not await self._mount_location(location, role):
                    return False
        return True

    async def _mount_location(self, location: Location, role: str) -> bool:
        name = location.name
        if not location.removable:
            where = f" at {location.path}" if location.path else ""
            self._show_message(
                f"The {role} “{name}” has no folder{where}. Connect its drive or "
                "correct the location's path, then run the task again."
            )
            return False
        if self._mount is None:
            self._show_message(
                f"The {role} “{name}” is a removable location that is not mounted. "
                "Connect the drive, mount the location from the location manager, "
                "then run the task again."
            )
            return False
        logger.info("Asking to mount %r before running task %r", name, self._task.name)
        mounted = await self._mount(location)
        refreshed = await self._api.get_location(location.id)
        if mounted and refreshed is not None and await is_reachable(refreshed):
            return True
        self._show_message(
            f"The {role} “{name}” is not mounted, so the task did not run."
        )
        return False

    def _show_message(self, text: str) -> None:
        if shiboken6.isValid(self):
            set_error(self._message, text)

    async def _run_task(self) -> RunSummary:
        source = await self._api.get_location(self._task.source)
        problems = RunProblems(source.root if source else None)
        arguments = self._run_arguments()
        summary = self._progress = RunSummary()
        self._on_progress(0, 0)

        async def work(progress: Callable[[int, int], None]) -> list[int]:
            with problems.attached():
                return await self._api.run_task(
                    self._task.name, progress=progress, **arguments
                )

        imported, error, cancelled = await self._start(work)
        summary.imported = len(imported or [])
        summary.error = None if error is None else str(error) or type(error).__name__
        summary.cancelled = cancelled
        summary.conflicts = problems.conflicts
        summary.failures = problems.failures
        return summary

    def _run_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {"tags": split_list(self.tags_edit.text())}
        if self.full_button.isChecked():
            arguments["full"] = True
        elif self.since_button.isChecked():
            arguments["since"] = self.since_edit.dateTime().toPython().astimezone()
        return arguments

    async def _start(
        self, work: JobFactory
    ) -> tuple[list[int] | None, BaseException | None, bool]:
        """Run `work` as a job or a plain task.

        Returns its result, the error it raised and whether it was cancelled.
        """
        name = f"run task {self._task.name}"
        if self._jobs is not None:
            job = self._jobs.start(name, work)
            job.progress.connect(self._on_progress)
            self._cancel_run = job.cancel
            await job.wait()
            return job.result, job.error, job.state is JobState.CANCELLED
        running = asyncio.ensure_future(work(self._on_progress))
        self._cancel_run = running.cancel
        try:
            await asyncio.wait([running])
        except asyncio.CancelledError:
            running.cancel()
            raise
        if running.cancelled():
            return None, None, True
        if running.exception() is not None:
            logger.error(
                "Task %r failed", self._task.name, exc_info=running.exception()
            )
            return None, running.exception(), False
        return running.result(), None, False

    def _on_progress(self, done: int, total: int) -> None:
        self._progress.done = done
        self._progress.total = total
        if shiboken6.isValid(self):
            self.progress_bar.show()
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            self.progress_changed.emit(done, total)

    def _show_summary(self, summary: RunSummary) -> None:
        self._summary = summary
        self.progress_bar.setVisible(summary.total > 0)
        self.summary_label.setText(summary.headline())
        details = summary.details()
        self.details_view.setPlainText(details)
        self.details_view.setVisible(bool(details))
        if summary.has_problems() and not self.isVisible():
            # The window was closed during the run; bring back what needs a look.
            self.show()
        logger.info("Task %r: %s", self._task.name, summary.headline())
