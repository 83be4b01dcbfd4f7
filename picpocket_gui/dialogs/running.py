"""Running engine work from a dialog: reaching a location, progress and cancel.

The import and verify dialogs share these: reaching a location (mounting
it first when needed) and running engine work as a background job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QProgressBar,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.types import Location
from picpocket_gui.background import spawn
from picpocket_gui.dialogs import error_label, set_error
from picpocket_gui.jobs import Job, JobFactory, JobManager, JobState

logger = logging.getLogger(__name__)

MountCallback = Callable[[Location], Awaitable[bool]]


# Reaching a location and running jobs -----------------------------------------


async def folder_exists(location: Location) -> bool:
    """Return whether the location's folder exists now, checked in a worker thread."""
    root = location.root
    return root is not None and await asyncio.to_thread(root.is_dir)


async def reach_location(
    api: PicPocket, location: Location, mount: MountCallback | None
) -> tuple[Location | None, str]:
    """Return the location, fetched again, once its folder exists.

    A removable location that is not mounted is passed to `mount` first.
    Returns None and a message for the user when the folder stays missing.
    """
    current = await api.get_location(location.id)
    if current is None:
        return None, f"The location “{location.name}” was not found. It was removed."
    if await folder_exists(current):
        return current, ""
    if not current.removable or mount is None:
        return None, _unreachable_message(current)
    logger.info("Asking to mount location %r", current.name)
    if await mount(current):
        refreshed = await api.get_location(current.id)
        if refreshed is not None and await folder_exists(refreshed):
            return refreshed, ""
    return None, f"“{current.name}” is not mounted, so nothing was done."


def _unreachable_message(location: Location) -> str:
    if location.removable:
        return (f"“{location.name}” is a removable location that is not mounted. "
                "Connect the drive and mount the location from the location "
                "manager, then try again.")
    where = f" at {location.path}" if location.path else ""
    return (f"The folder of “{location.name}”{where} does not exist. Connect its "
            "drive or correct the location's path, then try again.")


def count_text(number: int, noun: str) -> str:
    """Return "1 image" or "3 images"."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


class JobDialog(QDialog):
    """A dialog that runs one engine job at a time, with progress and cancel.

    Subclasses lay out `_message`, `progress_bar` and `_build_buttons()`,
    and implement `async _execute() -> result | None` and
    `_show_result(result)`. The job runs in `jobs`, which the status bar
    also shows, or in a manager of the dialog's own.
    """

    progress_changed = Signal(int, int)  # files done, total

    def __init__(
        self,
        parent: QWidget | None,
        jobs: JobManager | None,
        mount: MountCallback | None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs if jobs is not None else JobManager(self)
        self._mount = mount
        self._job: Job | None = None
        self._running = False
        self._progress = (0, 0)
        self._message = error_label()
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setFormat("%v of %m files")
        self.progress_bar.hide()

    def is_running(self) -> bool:
        """Return whether a job is in progress."""
        return self._running

    def message_text(self) -> str:
        """Return the message about why the job could not start, or ""."""
        return self._message.text()

    def cancel(self) -> None:
        """Cancel the job. The engine keeps the batches it finished."""
        if self._job is not None:
            self._job.cancel()

    async def run(self) -> Any:
        """Run the job and show its result.

        Returns the result (an ImportResult or a VerifyResult), or None when
        the job did not start: a location is not reachable, an option is
        invalid, or a job of this dialog is already running.
        """
        if self._running:
            return None
        self._set_running(True)
        result = None
        try:
            result = await self._execute()
        finally:
            if shiboken6.isValid(self):
                self._set_running(False)
        if result is not None and shiboken6.isValid(self):
            self._show_result(result)
        return result

    def _build_buttons(self, run: str, cancel: str, task: str) -> QDialogButtonBox:
        """Return Run, Cancel and Close buttons. `task` names the run for errors."""
        buttons = QDialogButtonBox(self)
        self.run_button = buttons.addButton(run, QDialogButtonBox.ButtonRole.ApplyRole)
        self.run_button.setDefault(True)
        self.cancel_button = buttons.addButton(
            cancel, QDialogButtonBox.ButtonRole.ActionRole
        )
        self.cancel_button.hide()
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setToolTip("Close this window. A job in progress goes on.")
        self.run_button.clicked.connect(lambda: spawn(self.run(), name=task))
        self.cancel_button.clicked.connect(self.cancel)
        buttons.rejected.connect(self.reject)
        return buttons

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.run_button.setVisible(not running)
        self.cancel_button.setVisible(running)
        if running:
            set_error(self._message, "")
        else:
            self._job = None

    async def _run_job(
        self, name: str, work: JobFactory
    ) -> tuple[Any, str | None, bool]:
        """Run `work` as a job, showing its progress, until it ends.

        Returns its result, its error message and whether it was cancelled.
        Cancelling the awaiting coroutine cancels the job too.
        """
        self._on_progress(0, 0)
        job = self._job = self._jobs.start(name, work)
        job.progress.connect(self._on_progress)
        try:
            await job.wait()
        except asyncio.CancelledError:
            job.cancel()
            raise
        failed = job.state is JobState.FAILED
        error = (str(job.error) or type(job.error).__name__) if failed else None
        return job.result, error, job.state is JobState.CANCELLED

    def _on_progress(self, done: int, total: int) -> None:
        self._progress = (done, total)
        if shiboken6.isValid(self):
            if self.progress_bar.isHidden():
                self.progress_bar.show()
                self._fit_height()
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            self.progress_changed.emit(done, total)

    def _show_message(self, text: str) -> None:
        if shiboken6.isValid(self):
            set_error(self._message, text)
            self._fit_height()

    def _fit_height(self, minimum: int = 0) -> None:
        """Grow the window to fit widgets that were shown since it was sized."""
        height = max(self.height(), self.sizeHint().height(), minimum)
        self.resize(self.width(), height)
