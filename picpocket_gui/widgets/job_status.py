"""Status bar rows for running jobs: name, progress bar and cancel button."""

from __future__ import annotations

import logging
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QStyle,
    QToolButton,
    QWidget,
)

from picpocket_gui.dialogs import ERROR_STYLE
from picpocket_gui.jobs import Job, JobManager

logger = logging.getLogger(__name__)

FINISHED_DELAY_MS = 3000  # how long an ended job stays visible
FAILED_DELAY_MS = 10000
BAR_WIDTH = 120


class JobRow(QWidget):
    """One job: its name, a progress bar and a cancel button."""

    ended = Signal(int)  # milliseconds to keep showing the ended job

    def __init__(self, job: Job, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.label = QLabel(job.name)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(BAR_WIDTH)
        self.bar.setMaximumHeight(self.label.sizeHint().height())
        self.bar.setRange(0, 0)  # busy until the job reports a total
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogCancelButton)
        )
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.setToolTip(f"Cancel {job.name}")
        self.cancel_button.setAccessibleName(f"Cancel {job.name}")
        self.cancel_button.clicked.connect(job.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        job.progress.connect(self._on_job_progress)
        job.finished.connect(self._on_job_finished)
        job.failed.connect(self._on_job_failed)
        job.cancelled.connect(self._on_job_cancelled)
        self._on_job_progress(job.done, job.total)

    def _on_job_finished(self, _result: object) -> None:
        self._show_ended("done", "", FINISHED_DELAY_MS)

    def _on_job_failed(self, message: str) -> None:
        self.label.setStyleSheet(ERROR_STYLE)
        self._show_ended("failed", message, FAILED_DELAY_MS)

    def _on_job_cancelled(self) -> None:
        self._show_ended("cancelled", "", FINISHED_DELAY_MS)

    def _show_ended(self, text: str, tooltip: str, delay: int) -> None:
        self.cancel_button.hide()
        self.bar.hide()
        self.label.setText(f"{self.job.name}: {text}")
        self.label.setToolTip(tooltip)
        self.ended.emit(delay)

    def _on_job_progress(self, done: int, total: int) -> None:
        if total <= 0:
            self.bar.setRange(0, 0)
            return
        self.bar.setRange(0, total)
        self.bar.setValue(min(done, total))
        self.bar.setFormat(f"{done} of {total}")
        self.bar.setTextVisible(True)


class JobStatus(QWidget):
    """Shows every running job of a JobManager; hidden while none runs."""

    def __init__(self, manager: JobManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[Job, JobRow] = {}
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(8)
        manager.job_started.connect(self.add_job)
        for job in manager.running():
            self.add_job(job)
        self.setVisible(bool(self._rows))

    def rows(self) -> list[JobRow]:
        """Return the rows shown now, oldest first."""
        return list(self._rows.values())

    def add_job(self, job: Job) -> None:
        """Show `job` until shortly after it ends."""
        if job in self._rows:
            return
        row = JobRow(job, self)
        self._rows[job] = row
        self._layout.addWidget(row, 0, Qt.AlignmentFlag.AlignVCenter)
        row.ended.connect(partial(self._on_row_ended, job))
        self.setVisible(True)

    def _on_row_ended(self, job: Job, delay: int) -> None:
        QTimer.singleShot(delay, self, partial(self._remove, job))

    def _remove(self, job: Job) -> None:
        row = self._rows.pop(job, None)
        if row is not None:
            self._layout.removeWidget(row)
            row.deleteLater()
        self.setVisible(bool(self._rows))
