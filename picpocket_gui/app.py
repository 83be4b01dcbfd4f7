"""The picpocket-gui command: open a library and show the main window.

Start-up order matters: logging first, then the check of Qt's platform
plugin (before a QApplication exists, because Qt aborts when the plugin
fails), then the application, the qasync loop and the library.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

import picpocket
from picpocket.configuration import CONFIG_NAME, package_version
from picpocket_gui import background, platform_check
from picpocket_gui.dialogs.first_run import load_library, run_first_run
from picpocket_gui.event_loop import new_event_loop
from picpocket_gui.garbage import UiThreadCollector
from picpocket_gui.icons import app_icon
from picpocket_gui.identity import (
    APPLICATION_ID,
    APPLICATION_NAME,
    ORGANIZATION_DOMAIN,
    ORGANIZATION_NAME,
)
from picpocket_gui.logs import setup_logging
from picpocket_gui.settings import Settings

logger = logging.getLogger(__name__)

USAGE_ERROR = 2


def parse_arguments(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Split the command line into the app's options and the rest, which Qt reads."""
    parser = argparse.ArgumentParser(
        prog="picpocket-gui",
        description="Browse, search and tag the photos of a PicPocket library.",
        epilog="Other options, such as -platform NAME, are passed to Qt.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "--library",
        metavar="DIR",
        type=Path,
        help="library folder to open (default: the last library opened, "
        "else the per-user library folder)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log PicPocket's debug messages, and copy the log to stderr",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {package_version()}"
    )
    return parser.parse_known_args(list(argv))


def has_library(folder: Path) -> bool:
    """Return whether `folder` contains a library's configuration file."""
    return (folder / CONFIG_NAME).is_file()


def library_folder(requested: Path | None, settings: Settings) -> Path:
    """Return the library folder to open: requested, else last opened, else default."""
    if requested is not None:
        return requested.expanduser().absolute()
    last = settings.last_library()
    if last is not None and has_library(last):
        return last
    if last is not None:
        logger.info("The last library %s is gone; using the default folder", last)
    return picpocket.default_directory()


def set_identity() -> None:
    """Name the app for QSettings, the window system and the desktop entry."""
    QApplication.setApplicationName(APPLICATION_NAME)
    QApplication.setOrganizationName(ORGANIZATION_NAME)
    QApplication.setOrganizationDomain(ORGANIZATION_DOMAIN)
    QApplication.setApplicationVersion(package_version())
    QGuiApplication.setDesktopFileName(APPLICATION_ID)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app and return its exit status."""
    arguments, qt_arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    log_file = setup_logging(arguments.verbose)
    logger.info(
        "Starting %s %s; log file %s", APPLICATION_NAME, package_version(), log_file
    )

    message = platform_check.check_platform(os.environ, qt_arguments)
    if message is not None:
        print(message, file=sys.stderr)
        return platform_check.EXIT_CODE
    platform_check.install_failure_handler()

    application = create_application(qt_arguments)
    if application is None:
        return USAGE_ERROR
    session = Session(application, Settings(), arguments.library)
    collector = UiThreadCollector(application)
    collector.start()
    quit_on_close = application.quitOnLastWindowClosed()
    # The first-run dialog closes before the main window opens. The app
    # must not quit in between, so the session decides when it ends.
    application.setQuitOnLastWindowClosed(False)
    try:
        return run_on_new_loop(application, session.run())
    finally:
        collector.stop()
        application.setQuitOnLastWindowClosed(quit_on_close)
        logger.info("%s stopped", APPLICATION_NAME)


def create_application(qt_arguments: Sequence[str]) -> QApplication | None:
    """Return the QApplication, named and with its icon; None for unknown arguments.

    An existing QApplication, as in tests, is reused.
    """
    set_identity()
    application = QApplication.instance()
    if application is None:
        application = QApplication([sys.argv[0], *qt_arguments])
        unknown = application.arguments()[1:]
        if unknown:
            print(
                f"picpocket-gui: unrecognized arguments: {' '.join(unknown)}",
                file=sys.stderr,
            )
            return None
    assert isinstance(application, QApplication)
    application.setWindowIcon(app_icon())
    return application


def run_on_new_loop(
    application: QApplication, coroutine: Coroutine[Any, Any, int]
) -> int:
    """Run `coroutine` on a new qasync loop, then cancel what it left running."""
    loop = new_event_loop(application)
    asyncio.set_event_loop(loop)
    try:
        return _run_to_end(loop, loop.create_task(coroutine, name="picpocket-gui"))
    finally:
        _cancel_remaining(loop)
        loop.close()
        asyncio.set_event_loop(None)


def _run_to_end(loop: qasync.QEventLoop, task: asyncio.Task[int]) -> int:
    try:
        return loop.run_until_complete(task)
    except RuntimeError:
        if task.done():
            raise
    # QApplication.quit() stops the Qt event loop and so the qasync loop,
    # before the session has closed the library. The session ends on
    # aboutToQuit, so running the loop once more lets it finish.
    # NOTE: qasync runs the events left after the stop with no running
    # loop set, so the session's clean-up may start there, where
    # asyncio.get_running_loop() raises.
    logger.info("The Qt event loop stopped; closing the library")
    return loop.run_until_complete(task)


def _cancel_remaining(loop: qasync.QEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not pending:
        return
    logger.info("Cancelling %d background tasks", len(pending))
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())


class Session:
    """One run of the app: open a library, show its window, close both at the end."""

    def __init__(
        self, application: QApplication, settings: Settings, requested: Path | None
    ) -> None:
        self.application = application
        self.settings = settings
        self.requested = requested
        self.api: picpocket.PicPocket | None = None
        self.folder: Path | None = None
        self.window: Any = None

    async def run(self) -> int:
        """Open libraries and show their windows until the user closes the last one.

        A window that sets `next_library` before closing gets that
        library to be opened next, as File > Open Library does.
        """
        while True:
            next_library = await self.run_one()
            if next_library is None:
                return 0
            self.requested = next_library
            self.window = None

    async def run_one(self) -> Path | None:
        """Open one library, show its window and return the library to open next."""
        opened = await self.open_library()
        if opened is None:
            logger.info("No library was opened")
            return None
        self.api, self.folder = opened
        self.settings.set_last_library(self.folder)
        self.settings.sync()
        closed = asyncio.Event()
        self.application.lastWindowClosed.connect(closed.set)
        self.application.aboutToQuit.connect(closed.set)
        loop = asyncio.get_running_loop()
        signals = _stop_on_signals(loop, closed)
        try:
            self.window = create_main_window(self.api, self.folder)
            self.window.show()
            # Started after show(), so the window appears before its first query.
            background.spawn(self.window.start(), name="load the library")
            await closed.wait()
        finally:
            self.application.lastWindowClosed.disconnect(closed.set)
            self.application.aboutToQuit.disconnect(closed.set)
            for number in signals:
                loop.remove_signal_handler(number)
            await self.close()
        return getattr(self.window, "next_library", None)

    async def open_library(self) -> tuple[picpocket.PicPocket, Path] | None:
        """Open the chosen library, or let the first-run dialog find one."""
        folder = library_folder(self.requested, self.settings)
        if not has_library(folder):
            logger.info("No library in %s; showing the first-run dialog", folder)
            return await run_first_run(folder)
        try:
            api = await load_library(folder)
        except Exception as error:
            # Any failure, expected or not, leads to the dialog, where the
            # user can pick another library instead of facing a crash.
            logger.exception("Could not open the library in %s", folder)
            message = f"Could not open the library in {folder}: {error}"
        else:
            if api is not None:
                logger.info("Opened the library in %s", folder)
                return api, folder
            message = f"The library in {folder} was not opened: no password given."
        return await run_first_run(folder, message=message)

    async def close(self) -> None:
        """Close the window, await its optional `shutdown()`, then close the library."""
        if self.window is not None and self.window.isVisible():
            # Still open when a signal or QApplication.quit() ended the session.
            self.window.close()
        shutdown = getattr(self.window, "shutdown", None)
        if shutdown is not None:
            try:
                await shutdown()
            except Exception:
                logger.exception("The main window failed to shut down cleanly")
        if self.api is not None:
            await self.api.close()
            logger.info("Closed the library in %s", self.folder)
            self.api = None


def _stop_on_signals(
    loop: asyncio.AbstractEventLoop, closed: asyncio.Event
) -> list[int]:
    """Set `closed` on SIGINT or SIGTERM, so the library closes cleanly; return them."""
    handled = []
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, _on_stop_signal, loop, number, closed)
        except (NotImplementedError, RuntimeError, ValueError):
            # Windows event loops have no signal handlers; there the
            # default handling stays.
            continue
        handled.append(number)
    return handled


def _on_stop_signal(
    loop: asyncio.AbstractEventLoop, number: int, closed: asyncio.Event
) -> None:
    logger.info("Received %s; closing the library", signal.Signals(number).name)
    # A second signal gets the default handling, which ends a hung app.
    loop.remove_signal_handler(number)
    closed.set()


def create_main_window(api: picpocket.PicPocket, folder: Path) -> Any:
    """Build the main window for an open library; the caller shows and starts it."""
    # Imported on use, so that --help, the platform check and the
    # first-run dialog do not wait for every widget module to load.
    from picpocket_gui.main_window import MainWindow

    return MainWindow(api, folder)
