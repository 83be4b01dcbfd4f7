"""The user's preferences on this computer, kept with QSettings.

QSettings stores them per user and per machine, which suits a library's
mount points: the same drive mounts at different paths on each computer.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

from picpocket_gui.identity import APPLICATION_NAME, ORGANIZATION_NAME

logger = logging.getLogger(__name__)

MAX_RECENT_LIBRARIES = 10
DEFAULT_THUMBNAIL_SIZE = 160  # pixels, longest edge
MIN_THUMBNAIL_SIZE = 48
MAX_THUMBNAIL_SIZE = 512
DEFAULT_TAG_SUGGESTIONS = 8
MAX_TAG_SUGGESTIONS = 50

_LAST_LIBRARY = "libraries/last"
_RECENT_LIBRARIES = "libraries/recent"
_MOUNT_POINTS = "libraries/mount_points"
_WINDOW_GEOMETRY = "window/geometry"
_WINDOW_STATE = "window/state"
_THUMBNAIL_SIZE = "view/thumbnail_size"
_TAG_SUGGESTIONS = "tags/suggestion_count"


def open_settings() -> QSettings:
    """Return the app's QSettings: an INI file in the user's configuration folder."""
    return QSettings(
        QSettings.Format.IniFormat,
        QSettings.Scope.UserScope,
        ORGANIZATION_NAME,
        APPLICATION_NAME,
    )


class Settings:
    """Typed access to the app's QSettings, with defaults for missing values."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else open_settings()

    @property
    def store(self) -> QSettings:
        """The underlying QSettings."""
        return self._store

    def sync(self) -> None:
        """Write pending changes to disk now."""
        self._store.sync()

    # Libraries

    def last_library(self) -> Path | None:
        """Return the library folder opened last, or None."""
        value = self._store.value(_LAST_LIBRARY, "")
        return Path(value) if isinstance(value, str) and value else None

    def set_last_library(self, folder: Path) -> None:
        """Remember `folder` as the last library and put it first in the recent list."""
        folder = Path(folder).absolute()
        self._store.setValue(_LAST_LIBRARY, str(folder))
        self.add_recent_library(folder)

    def recent_libraries(self) -> list[Path]:
        """Return the recent library folders that still exist, most recent first."""
        folders = [Path(item) for item in self._read_json(_RECENT_LIBRARIES, [])]
        existing = [folder for folder in folders if folder.is_dir()]
        return existing[:MAX_RECENT_LIBRARIES]

    def add_recent_library(self, folder: Path) -> None:
        """Put `folder` first in the recent libraries, dropping missing folders."""
        folder = Path(folder).absolute()
        others = [item for item in self.recent_libraries() if item != folder]
        recent = [folder, *others][:MAX_RECENT_LIBRARIES]
        self._write_json(_RECENT_LIBRARIES, [str(item) for item in recent])

    def remove_recent_library(self, folder: Path) -> None:
        """Drop `folder` from the recent libraries."""
        folder = Path(folder).absolute()
        recent = [item for item in self.recent_libraries() if item != folder]
        self._write_json(_RECENT_LIBRARIES, [str(item) for item in recent])

    # Mount points

    def last_mount_point(self, library: Path, location: int) -> Path | None:
        """Return where a location of `library` was last mounted on this computer."""
        mounts = self._library_mounts(self._read_json(_MOUNT_POINTS, {}), library)
        value = mounts.get(str(location))
        return Path(value) if isinstance(value, str) else None

    def set_last_mount_point(
        self, library: Path, location: int, mount_point: Path | None
    ) -> None:
        """Store where a location is mounted; None removes the stored mount point."""
        libraries = self._read_json(_MOUNT_POINTS, {})
        mounts = self._library_mounts(libraries, library)
        libraries[str(Path(library).absolute())] = mounts
        if mount_point is None:
            mounts.pop(str(location), None)
        else:
            mounts[str(location)] = str(Path(mount_point).absolute())
        self._write_json(_MOUNT_POINTS, libraries)

    # Window and view

    def restore_window(self, window: QMainWindow) -> bool:
        """Restore a window's geometry and dock state; return whether any was saved."""
        geometry = self._store.value(_WINDOW_GEOMETRY)
        state = self._store.value(_WINDOW_STATE)
        restored = False
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            restored = window.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and not state.isEmpty():
            restored = window.restoreState(state) or restored
        return restored

    def save_window(self, window: QMainWindow) -> None:
        """Store a window's geometry and the state of its docks and toolbars."""
        self._store.setValue(_WINDOW_GEOMETRY, window.saveGeometry())
        self._store.setValue(_WINDOW_STATE, window.saveState())

    def thumbnail_size(self) -> int:
        """Return the grid's thumbnail size in pixels."""
        return self._read_int(
            _THUMBNAIL_SIZE,
            DEFAULT_THUMBNAIL_SIZE,
            MIN_THUMBNAIL_SIZE,
            MAX_THUMBNAIL_SIZE,
        )

    def set_thumbnail_size(self, size: int) -> None:
        """Store the grid's thumbnail size, limited to the supported range."""
        size = max(MIN_THUMBNAIL_SIZE, min(MAX_THUMBNAIL_SIZE, int(size)))
        self._store.setValue(_THUMBNAIL_SIZE, size)

    def tag_suggestion_count(self) -> int:
        """Return how many tag suggestions to show; 0 hides them."""
        return self._read_int(
            _TAG_SUGGESTIONS, DEFAULT_TAG_SUGGESTIONS, 0, MAX_TAG_SUGGESTIONS
        )

    def set_tag_suggestion_count(self, count: int) -> None:
        """Store how many tag suggestions to list, from 0 (hidden) to MAX_TAG_SUGGESTIONS."""
        count = max(0, min(MAX_TAG_SUGGESTIONS, int(count)))
        self._store.setValue(_TAG_SUGGESTIONS, count)

    # Helpers

    def _read_int(self, key: str, default: int, low: int, high: int) -> int:
        value = self._store.value(key, default)
        try:
            number = int(value)
        except (TypeError, ValueError):
            logger.warning("Ignoring the setting %s=%r: not a number", key, value)
            return default
        return max(low, min(high, number))

    def _read_json(self, key: str, default: list | dict) -> list | dict:
        """Read a JSON value; a damaged or mistyped value reads as `default`."""
        text = self._store.value(key, "")
        if not text:
            return default
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            logger.warning("Ignoring the setting %s: not valid JSON", key)
            return default
        if not isinstance(value, type(default)):
            logger.warning("Ignoring the setting %s: expected a %s", key, type(default))
            return default
        return value

    @staticmethod
    def _library_mounts(libraries: dict, library: Path) -> dict:
        mounts = libraries.get(str(Path(library).absolute()))
        return mounts if isinstance(mounts, dict) else {}

    def _write_json(self, key: str, value: list | dict) -> None:
        self._store.setValue(key, json.dumps(value))
