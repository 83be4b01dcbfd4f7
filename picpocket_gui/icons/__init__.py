"""The app icon, shipped as package data so that wheels and frozen builds find it."""

from __future__ import annotations

import logging
from importlib import resources

from PySide6.QtGui import QIcon, QPixmap

from picpocket_gui.identity import APPLICATION_ID

logger = logging.getLogger(__name__)

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def icon_file(size: int) -> str:
    """Return the file name of the app icon's PNG of `size` pixels."""
    return f"{APPLICATION_ID}-{size}.png"


def app_icon() -> QIcon:
    """Return the app icon with every bundled PNG size; empty when none is found.

    Needs a QGuiApplication, because it loads the images into pixmaps.
    """
    icon = QIcon()
    # Reading the bytes works wherever importlib finds the package: a
    # folder, a wheel's install, a zip or a PyInstaller build.
    folder = resources.files(__name__)
    for size in ICON_SIZES:
        pixmap = QPixmap()
        try:
            data = (folder / icon_file(size)).read_bytes()
        except OSError as error:
            logger.warning("Cannot read the %d px app icon: %s", size, error)
            continue
        if pixmap.loadFromData(data, "PNG"):
            icon.addPixmap(pixmap)
    return icon
