"""The first-run dialog: create, connect to or open a library when none is found.

Every engine call is awaited on the qasync loop, so the dialog stays
responsive while SQLite creates its file or PostgreSQL takes its time.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import picpocket
from picpocket.configuration import CONFIG_NAME, read_configuration
from picpocket.errors import InvalidPathError, PicPocketError
from picpocket_gui import background
from picpocket_gui.dialogs import (
    ERROR_STYLE,
    FolderField,
    error_label,
    set_error,
    show_dialog,
)
from picpocket_gui.icons import app_icon
from picpocket_gui.identity import APPLICATION_NAME

logger = logging.getLogger(__name__)

DEFAULT_POSTGRES_PORT = 5432
DEFAULT_DATABASE = "picpocket"
TEST_TIMEOUT = 5  # seconds to wait for the PostgreSQL server in Test connection
OK_STYLE = "color: #2e7d32;"


class _PasswordRequiredError(Exception):
    """The database requires a password that the library's configuration lacks."""


def _require_password() -> str:
    raise _PasswordRequiredError


async def load_library(
    folder: Path, parent: QWidget | None = None
) -> picpocket.PicPocket | None:
    """Open the library in `folder`, asking for its database password when needed.

    Returns None when the user cancels the password request. Engine errors
    propagate.
    """
    try:
        return await picpocket.load(folder, prompt=_require_password)
    except _PasswordRequiredError:
        pass
    password = await ask_password(folder, parent)
    if password is None:
        return None
    return await picpocket.load(folder, prompt=lambda: password)


async def ask_password(folder: Path, parent: QWidget | None = None) -> str | None:
    """Ask for the password of a library's PostgreSQL database; None when cancelled."""
    connection = read_configuration(folder).get("connection", {})
    server = f"{connection.get('host') or 'localhost'}:{connection.get('port') or 5432}"
    dialog = QInputDialog(parent)
    dialog.setWindowTitle("Database password")
    dialog.setLabelText(
        f"The library in {folder} uses the PostgreSQL database "
        f"{connection.get('dbname')!r} on {server}.\n"
        f"Password for {connection.get('user') or getpass.getuser()}:"
    )
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
    if await show_dialog(dialog) != QDialog.DialogCode.Accepted:
        return None
    return dialog.textValue()


async def run_first_run(
    default_folder: Path, parent: QWidget | None = None, message: str = ""
) -> tuple[picpocket.PicPocket, Path] | None:
    """Show the first-run dialog; return the opened library and its folder, or None.

    `message` replaces the dialog's opening sentence, for example to say
    why the last library could not be opened.
    """
    dialog = FirstRunDialog(default_folder, parent, message=message)
    code = await show_dialog(dialog)
    if code != QDialog.DialogCode.Accepted or dialog.api is None:
        return None
    assert dialog.library_folder is not None
    return dialog.api, dialog.library_folder


class NewLibraryPage(QWidget):
    """Create an SQLite library in a folder: the one-click default."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        text = QLabel(
            "A new library keeps its records in an SQLite database file in "
            "this folder. Your photos stay where they are: you add the folders "
            "that hold them as locations later."
        )
        text.setWordWrap(True)
        self.folder = FolderField(folder, "Choose the folder for the new library")
        self.create_button = QPushButton("Create library")
        self.create_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(QLabel("Library folder:"))
        layout.addWidget(self.folder)
        layout.addStretch(1)
        layout.addLayout(_button_row(self.create_button))


class PostgresPage(QWidget):
    """Connect to a PostgreSQL database that holds, or will hold, a library."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = QLineEdit("localhost")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_POSTGRES_PORT)
        self.port.setMaximumWidth(self.port.sizeHint().width() * 2)
        self.user = QLineEdit(getpass.getuser())
        self.database = QLineEdit(DEFAULT_DATABASE)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.store_password = QCheckBox(
            "Store the password in the library's configuration file"
        )
        self.store_password.setToolTip(
            f"{CONFIG_NAME} is readable by you only. Without a stored password, "
            f"{APPLICATION_NAME} asks for it each time it opens the library."
        )
        self.folder = FolderField(folder, "Choose the folder for the library settings")

        self.status_label = error_label()
        self.test_button = QPushButton("Test connection")
        self.test_button.setAutoDefault(False)
        self.connect_button = QPushButton("Connect")
        self._build_layout()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("Host:", self.host)
        form.addRow("Port:", self.port)
        form.addRow("User:", self.user)
        form.addRow("Database:", self.database)
        form.addRow("Password:", self.password)
        form.addRow("", self.store_password)
        form.addRow("Settings folder:", self.folder)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        layout.addLayout(_button_row(self.test_button, self.connect_button))

    def connection_info(self) -> dict[str, Any]:
        """Return psycopg's connection keywords, leaving out empty fields."""
        info: dict[str, Any] = {
            "host": self.host.text().strip() or None,
            "port": self.port.value(),
            "user": self.user.text().strip() or None,
            "password": self.password.text() or None,
            "dbname": self.database.text().strip() or None,
        }
        return {key: value for key, value in info.items() if value is not None}

    def server(self) -> str:
        """Return the server as host:port, for messages."""
        return f"{self.host.text().strip() or 'localhost'}:{self.port.value()}"

    def show_status(self, message: str, ok: bool | None = False) -> None:
        """Show a connection result under the form: green when `ok`, red when False."""
        styles = {True: OK_STYLE, False: ERROR_STYLE, None: ""}
        self.status_label.setStyleSheet(styles[ok])
        set_error(self.status_label, message)


class OpenFolderPage(QWidget):
    """Open a library folder that already contains picpocket-config.toml."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        text = QLabel(
            f"Choose the folder that contains a library's {CONFIG_NAME}, for "
            f"example a library created on another computer or with the "
            f"picpocket command."
        )
        text.setWordWrap(True)
        self.folder = FolderField(None, "Choose a library folder")
        self.folder.line_edit.setPlaceholderText(f"Folder with {CONFIG_NAME}")
        self.open_button = QPushButton("Open library")
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(QLabel("Library folder:"))
        layout.addWidget(self.folder)
        layout.addStretch(1)
        layout.addLayout(_button_row(self.open_button))


def _button_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


class FirstRunDialog(QDialog):
    """Offers to create, connect to or open a library; sets `api` on success."""

    def __init__(
        self, default_folder: Path, parent: QWidget | None = None, message: str = ""
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Welcome to {APPLICATION_NAME}")
        self.setMinimumWidth(560)
        self.api: picpocket.PicPocket | None = None
        self.library_folder: Path | None = None
        self._task: asyncio.Task[Any] | None = None
        self.error_label = error_label()
        self.new_page = NewLibraryPage(default_folder)
        self.postgres_page = PostgresPage(default_folder)
        self.open_page = OpenFolderPage()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.new_page, "New library")
        self.tabs.addTab(self.postgres_page, "PostgreSQL library")
        self.tabs.addTab(self.open_page, "Open a library folder")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self._heading(default_folder, message))
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self._connect_buttons()
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.new_page.create_button.setFocus()

    def _heading(self, default_folder: Path, message: str) -> QHBoxLayout:
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(f"<h2>Welcome to {APPLICATION_NAME}</h2>")
        text = QLabel(
            message
            or f"There is no library in {default_folder} yet. Create one there, "
            f"connect to a shared PostgreSQL library, or open an existing one."
        )
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(text)
        row = QHBoxLayout()
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(column, 1)
        return row

    def _connect_buttons(self) -> None:
        self.new_page.create_button.clicked.connect(
            lambda: self._start(self._create_sqlite, "create a library")
        )
        self.postgres_page.test_button.clicked.connect(
            lambda: self._start(self._test_postgres, "test the PostgreSQL connection")
        )
        self.postgres_page.connect_button.clicked.connect(
            lambda: self._start(self._create_postgres, "connect to PostgreSQL")
        )
        self.open_page.open_button.clicked.connect(
            lambda: self._start(self._open_folder, "open a library")
        )

    def _on_tabs_current_changed(self, index: int) -> None:
        # Enter presses the main button of the page on show.
        main_buttons = (
            self.new_page.create_button,
            self.postgres_page.connect_button,
            self.open_page.open_button,
        )
        for position, button in enumerate(main_buttons):
            button.setDefault(position == index)

    def is_busy(self) -> bool:
        """Return whether an engine call started by the dialog is still running."""
        return self._task is not None and not self._task.done()

    def reject(self) -> None:
        """Close the dialog, cancelling any engine call it started."""
        if self.is_busy():
            assert self._task is not None
            self._task.cancel()
        super().reject()

    def _start(
        self, action: Callable[[], Coroutine[Any, Any, None]], name: str
    ) -> None:
        if self.is_busy():
            return
        self._set_busy(True)
        set_error(self.error_label, "")
        self._task = background.spawn(self._run(action, name), name=name)

    async def _run(
        self, action: Callable[[], Coroutine[Any, Any, None]], name: str
    ) -> None:
        # Expected engine errors are shown beside their fields by each action;
        # anything else is shown here, because no main window exists yet.
        try:
            await action()
        except Exception as error:
            logger.exception("Failed to %s", name)
            set_error(self.error_label, f"Could not {name}: {error}")
        finally:
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        for button in (
            self.new_page.create_button,
            self.postgres_page.test_button,
            self.postgres_page.connect_button,
            self.open_page.open_button,
        ):
            button.setEnabled(not busy)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def _finish(self, api: picpocket.PicPocket, folder: Path) -> None:
        logger.info("Opened the library in %s from the first-run dialog", folder)
        self.api = api
        self.library_folder = folder
        self.accept()

    async def _create_sqlite(self) -> None:
        field = self.new_page.folder
        folder = field.path()
        if folder is None:
            field.set_error("Enter or choose a folder for the new library.")
            return
        field.set_error("")
        try:
            api = await picpocket.initialize(folder)
        except (PicPocketError, OSError) as error:
            field.set_error(str(error))
            return
        self._finish(api, folder)

    async def _test_postgres(self) -> None:
        page = self.postgres_page
        page.show_status(f"Connecting to {page.server()}…", ok=None)
        page.show_status(*await check_postgres_connection(page.connection_info()))

    async def _create_postgres(self) -> None:
        page = self.postgres_page
        folder = page.folder.path()
        page.folder.set_error("")
        page.show_status("")
        if folder is None:
            page.folder.set_error("Enter or choose a folder for the library settings.")
            return
        if not page.database.text().strip():
            page.show_status("Enter the name of the database that holds the library.")
            return
        try:
            api = await picpocket.initialize(
                folder,
                "postgres",
                store_credentials=page.store_password.isChecked(),
                **page.connection_info(),
            )
        except InvalidPathError as error:
            page.folder.set_error(str(error))
            return
        except (PicPocketError, OSError) as error:
            page.show_status(str(error))
            return
        self._finish(api, folder)

    async def _open_folder(self) -> None:
        field = self.open_page.folder
        folder = field.path()
        message = _check_library_folder(folder)
        field.set_error(message)
        if message:
            return
        assert folder is not None
        try:
            api = await load_library(folder, self)
        except (PicPocketError, OSError) as error:
            field.set_error(str(error))
            return
        if api is not None:
            self._finish(api, folder)


def _check_library_folder(folder: Path | None) -> str:
    """Return why `folder` cannot be a library folder, or "" when it can."""
    if folder is None:
        return "Enter or choose the library folder."
    if not folder.is_dir():
        return f"The folder {folder} does not exist."
    if not (folder / CONFIG_NAME).is_file():
        return (
            f"{folder} contains no PicPocket library: {CONFIG_NAME} is missing. "
            f"Choose the folder that contains it."
        )
    return ""


async def check_postgres_connection(info: dict[str, Any]) -> tuple[str, bool]:
    """Try to log in to a PostgreSQL server; return a message and whether it worked."""
    server = f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}"
    try:
        import psycopg
    except ImportError:
        return (
            "PostgreSQL support is not installed. Install it with: "
            "pip install 'picpocket[postgres]'",
            False,
        )
    try:
        connection = await psycopg.AsyncConnection.connect(
            **info, connect_timeout=TEST_TIMEOUT
        )
    except psycopg.Error as error:
        detail = "\n".join(line.strip() for line in str(error).splitlines())
        logger.info("Test connection to %s failed: %s", server, detail)
        return f"Could not connect to PostgreSQL at {server}.\n{detail}", False
    try:
        version = connection.info.server_version
    finally:
        await connection.close()
    release = f"{version // 10000}.{version % 10000}"
    return (
        f"Connected to PostgreSQL {release} at {server} as "
        f"{info.get('user') or getpass.getuser()}, database {info.get('dbname')!r}.",
        True,
    )
