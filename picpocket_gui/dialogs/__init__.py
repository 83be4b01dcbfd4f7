"""Dialogs of the desktop app, and helpers to open them from coroutines.

A dialog's exec() runs a nested event loop, which must not run inside a
coroutine on the qasync loop. `show_dialog` opens the dialog and awaits
its result instead.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)

ERROR_STYLE = "color: #c62828;"


async def show_dialog(dialog: QDialog) -> int:
    """Open `dialog` window-modal and return its result code once it closes.

    Cancelling the awaiting coroutine rejects the dialog.
    """
    result: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_finished(code: int) -> None:
        if not result.done():
            result.set_result(code)

    dialog.finished.connect(on_finished)
    dialog.open()
    try:
        return await result
    except asyncio.CancelledError:
        dialog.reject()
        raise
    finally:
        dialog.finished.disconnect(on_finished)


async def clicked_button(box: QMessageBox) -> QAbstractButton | None:
    """Open `box` without a nested event loop and return the button that closed it."""
    try:
        await show_dialog(box)
        return box.clickedButton()
    finally:
        box.deleteLater()


async def show_message(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    details: str = "",
) -> None:
    """Show a message box with an OK button and wait until it is closed."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    await show_dialog(box)


def error_label() -> QLabel:
    """Return a label for an error message: red, wrapped, hidden while empty."""
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def set_error(label: QLabel, message: str) -> None:
    """Show `message` in an error label, or hide the label when it is empty."""
    label.setText(message)
    label.setVisible(bool(message))


class FolderField(QWidget):
    """A folder path with a Choose… button, and an error line beneath it."""

    def __init__(
        self,
        folder: Path | None = None,
        caption: str = "Choose a folder",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._caption = caption
        self.line_edit = QLineEdit(str(folder) if folder is not None else "")
        self.line_edit.setClearButtonEnabled(True)
        self.choose_button = QPushButton("Choose…")
        # Enter in the dialog presses its default button, not this one.
        self.choose_button.setAutoDefault(False)
        self.choose_button.clicked.connect(self._on_choose_button_clicked)
        self.error_label = error_label()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.line_edit, 1)
        row.addWidget(self.choose_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        self.line_edit.textEdited.connect(lambda _text: self.set_error(""))

    def path(self) -> Path | None:
        """Return the folder entered, with ~ expanded; None when the field is empty."""
        text = self.line_edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_path(self, folder: Path) -> None:
        """Show `folder` in the field and clear any error."""
        self.line_edit.setText(str(folder))
        self.set_error("")

    def set_error(self, message: str) -> None:
        """Show an error under the field; an empty message hides it."""
        set_error(self.error_label, message)

    def _on_choose_button_clicked(self) -> None:
        start = self.path()
        while start is not None and not start.is_dir() and start != start.parent:
            start = start.parent
        dialog = QFileDialog(self, self._caption, str(start or Path.home()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(lambda chosen: self.set_path(Path(chosen)))
        dialog.open()
