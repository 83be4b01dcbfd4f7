"""Tests for the app's start-up: which library opens, the first run, shutting down."""

import asyncio
import logging
import os
import signal
import sys
import types
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMainWindow

import picpocket
from picpocket.configuration import CONFIG_NAME
from picpocket_gui import app, platform_check
from picpocket_gui.dialogs.first_run import FirstRunDialog
from picpocket_gui.logs import APP_LOGGERS, LOG_FILE_NAME
from picpocket_gui.settings import Settings


class FakeWindow(QMainWindow):
    """Stands in for the main window: records its library and closes at once."""

    opened: list = []
    closes_by = "close"  # or "quit", "signal"

    def __init__(self, api, library_path):
        super().__init__()
        self.api = api
        self.library_path = Path(library_path)
        self.closed_library = False
        original_close = api.close

        async def close():
            self.closed_library = True
            await original_close()

        api.close = close
        FakeWindow.opened.append(self)

    async def start(self):
        await asyncio.sleep(0)
        if FakeWindow.closes_by == "quit":
            QApplication.quit()
        elif FakeWindow.closes_by == "signal":
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            self.close()


@pytest.fixture
def isolated(tmp_path, monkeypatch, qapp):
    """Give main() its own home, XDG folders, QSettings file and a fake window."""
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        folder = tmp_path / name.lower()
        folder.mkdir()
        monkeypatch.setenv(name, str(folder))

    QSettings.setPath(
        QSettings.Format.IniFormat,
        QSettings.Scope.UserScope,
        str(tmp_path / "settings"),
    )
    module = types.ModuleType("picpocket_gui.main_window")
    module.MainWindow = FakeWindow
    monkeypatch.setitem(sys.modules, "picpocket_gui.main_window", module)
    monkeypatch.setattr(FakeWindow, "opened", [])
    monkeypatch.setattr(FakeWindow, "closes_by", "close")

    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in ("", *APP_LOGGERS)}
    yield tmp_path
    for window in FakeWindow.opened:
        # A window left open would keep lastWindowClosed from firing later.
        window.close()
        window.deleteLater()
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    qInstallMessageHandler(None)


def create_library(folder):
    async def create():
        api = await picpocket.initialize(folder)
        await api.close()

    asyncio.run(create())


def answer_first_run(choice):
    """Call `choice(dialog)` once the first-run dialog shows; return what it saw."""
    seen = []
    timer = QTimer()
    timer.setInterval(20)

    def poll():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, FirstRunDialog) and widget.isVisible() and not seen:
                seen.append(widget)
                timer.stop()
                choice(widget)

    timer.timeout.connect(poll)
    timer.start()
    return seen, timer


def test_arguments_split_qt_options():
    arguments, rest = app.parse_arguments(
        ["--library", "lib", "-platform", "offscreen"]
    )
    assert arguments.library == Path("lib")
    assert rest == ["-platform", "offscreen"]


def test_folder_requested_first(isolated):
    settings = Settings()
    last = isolated / "last"
    create_library(last)
    settings.set_last_library(last)
    chosen = app.library_folder(isolated / "requested", settings)
    assert chosen == isolated / "requested"


def test_folder_last_library(isolated):
    settings = Settings()
    last = isolated / "last"
    create_library(last)
    settings.set_last_library(last)
    assert app.library_folder(None, settings) == last


def test_folder_last_library_gone(isolated):
    settings = Settings()
    settings.set_last_library(isolated / "gone")
    expected = isolated / "xdg_config_home" / "picpocket"
    assert app.library_folder(None, settings) == expected


def test_main_opens_requested(isolated):
    folder = isolated / "library"
    create_library(folder)
    assert app.main(["--library", str(folder)]) == 0
    [window] = FakeWindow.opened
    assert window.library_path == folder
    assert window.closed_library
    assert Settings().last_library() == folder


def test_main_opens_last_library(isolated):
    folder = isolated / "last"
    create_library(folder)
    Settings().set_last_library(folder)
    assert app.main([]) == 0
    assert FakeWindow.opened[0].library_path == folder


def test_main_opens_default(isolated):
    default = isolated / "xdg_config_home" / "picpocket"
    assert picpocket.default_directory() == default
    create_library(default)
    assert app.main([]) == 0
    assert FakeWindow.opened[0].library_path == default


def test_main_first_run_creates(isolated):
    folder = isolated / "new"
    seen, timer = answer_first_run(lambda dialog: dialog.new_page.create_button.click())
    assert app.main(["--library", str(folder)]) == 0
    assert len(seen) == 1
    assert (folder / CONFIG_NAME).is_file()
    assert FakeWindow.opened[0].library_path == folder
    assert Settings().recent_libraries() == [folder]


def test_main_first_run_quit(isolated):
    seen, timer = answer_first_run(lambda dialog: dialog.reject())
    assert app.main(["--library", str(isolated / "new")]) == 0
    assert len(seen) == 1
    assert FakeWindow.opened == []
    assert Settings().last_library() is None


def test_main_broken_library(isolated):
    folder = isolated / "broken"
    folder.mkdir()
    (folder / CONFIG_NAME).write_text("this is [not toml\n")
    seen, timer = answer_first_run(lambda dialog: dialog.reject())
    assert app.main(["--library", str(folder)]) == 0
    texts = [label.text() for label in seen[0].findChildren(type(seen[0].error_label))]
    assert any(
        text.startswith(f"Could not open the library in {folder}") for text in texts
    )


def test_main_quit_closes_library(isolated):
    folder = isolated / "library"
    create_library(folder)
    FakeWindow.closes_by = "quit"
    assert app.main(["--library", str(folder)]) == 0
    assert FakeWindow.opened[0].closed_library
    assert not FakeWindow.opened[0].isVisible()


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGTERM handler on Windows")
def test_main_signal_closes_library(isolated):
    folder = isolated / "library"
    create_library(folder)
    FakeWindow.closes_by = "signal"
    assert app.main(["--library", str(folder)]) == 0
    assert FakeWindow.opened[0].closed_library


def test_main_writes_log(isolated):
    folder = isolated / "library"
    create_library(folder)
    app.main(["--library", str(folder)])
    log = isolated / "xdg_state_home" / "picpocket" / "log" / LOG_FILE_NAME
    assert "Starting PicPocket" in log.read_text()
    assert f"Closed the library in {folder}" in log.read_text()


def test_main_sets_identity(isolated):
    folder = isolated / "library"
    create_library(folder)
    app.main(["--library", str(folder)])
    assert QApplication.desktopFileName() == "org.picpocket.PicPocket"
    assert QApplication.applicationName() == "PicPocket"
    assert not QApplication.windowIcon().isNull()


def test_main_platform_missing(isolated, monkeypatch, capsys):
    monkeypatch.setattr(
        platform_check, "check_platform", lambda environ, arguments: "libxcb-icccm.so.4"
    )
    assert app.main([]) == platform_check.EXIT_CODE
    assert "libxcb-icccm.so.4" in capsys.readouterr().err
    assert FakeWindow.opened == []


def test_main_verbose_stderr(isolated, capsys):
    folder = isolated / "library"
    create_library(folder)
    app.main(["-v", "--library", str(folder)])
    assert f"Opened the library in {folder}" in capsys.readouterr().err
