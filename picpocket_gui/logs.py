"""Logging for the desktop app: a rotating file in the user's log folder."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

import platformdirs
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

logger = logging.getLogger(__name__)

LOG_FILE_NAME = "picpocket-gui.log"
MAX_LOG_BYTES = 1_000_000
LOG_BACKUP_COUNT = 3
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
APP_LOGGERS = ("picpocket", "picpocket_gui")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_qt_logger = logging.getLogger("qt")
# Marks the handlers added here, so that a second call replaces them.
_OWNED = "_picpocket_gui_handler"


def log_directory() -> Path:
    """Return the per-user folder for PicPocket's log files."""
    return platformdirs.user_log_path("picpocket", appauthor=False)


def setup_logging(verbose: bool = False, directory: Path | None = None) -> Path | None:
    """Send log records to a rotating file, and to stderr when `verbose`.

    `verbose` also lowers PicPocket's own loggers to DEBUG.

    Returns the log file's path, or None when its folder cannot be created;
    the records then go to stderr.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OWNED, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.INFO)
    # Debug records of the libraries below (aiosqlite logs every statement)
    # would bury PicPocket's own, so only PicPocket's loggers go to DEBUG.
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = logging.Formatter(LOG_FORMAT)
    path = _add_file_handler(root, formatter, directory or log_directory())
    if verbose or path is None:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(formatter)
        setattr(stream, _OWNED, True)
        root.addHandler(stream)
    qInstallMessageHandler(_log_qt_message)
    return path


def _add_file_handler(
    root: logging.Logger, formatter: logging.Formatter, directory: Path
) -> Path | None:
    path = directory / LOG_FILE_NAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUP_COUNT, encoding="utf-8"
        )
    except OSError as error:
        print(
            f"picpocket-gui: cannot write the log file {path}: {error}; "
            f"logging to stderr instead",
            file=sys.stderr,
        )
        return None
    handler.setFormatter(formatter)
    setattr(handler, _OWNED, True)
    root.addHandler(handler)
    return path


def _log_qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Pass Qt's own warnings into the log, under the "qt" logger."""
    _qt_logger.log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)
