"""Render the app icon's SVG into the PNG sizes that desktops and the app use.

Run from the repository root after changing the SVG:

    python resources/render_icons.py

It writes a freedesktop hicolor tree under resources/icons/hicolor/ (for
Linux packages) and the copies that the app loads at run time under
picpocket_gui/icons/.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

from picpocket_gui.identity import APPLICATION_ID  # noqa: E402

SIZES = (16, 32, 48, 64, 128, 256, 512)
SOURCE = ROOT / "resources" / "icons" / f"{APPLICATION_ID}.svg"
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
PACKAGE_ICONS = ROOT / "picpocket_gui" / "icons"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """Return the SVG drawn on a transparent square of `size` pixels."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    """Write every PNG size and copy the SVG beside them."""
    application = QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs it
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"{SOURCE} is not a valid SVG file", file=sys.stderr)
        return 1
    PACKAGE_ICONS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        image = render(renderer, size)
        theme_folder = HICOLOR / f"{size}x{size}" / "apps"
        theme_folder.mkdir(parents=True, exist_ok=True)
        for path in (
            theme_folder / f"{APPLICATION_ID}.png",
            PACKAGE_ICONS / f"{APPLICATION_ID}-{size}.png",
        ):
            if not image.save(str(path)):
                print(f"Could not write {path}", file=sys.stderr)
                return 1
    scalable = HICOLOR / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, scalable / f"{APPLICATION_ID}.svg")
    shutil.copyfile(SOURCE, PACKAGE_ICONS / f"{APPLICATION_ID}.svg")
    print(f"Wrote {len(SIZES)} PNG sizes to {HICOLOR} and {PACKAGE_ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
