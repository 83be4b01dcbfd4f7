"""Square tiles shown in the grid in place of a thumbnail, painted once per size."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen

logger = logging.getLogger(__name__)

_BACKGROUND = QColor(232, 232, 232)
_FRAME = QColor(128, 128, 128, 110)
_SYMBOL = QColor(110, 110, 110)
_WARNING = QColor(176, 58, 46)

_cache: dict[tuple[str, int], QImage] = {}


def placeholder_tile(size: int) -> QImage:
    """Return the neutral tile shown while a record or thumbnail loads."""
    return _tile("placeholder", size, _paint_placeholder)


def unreachable_tile(size: int) -> QImage:
    """Return the tile for an image whose location is not reachable now."""
    return _tile("unreachable", size, _paint_unreachable)


def unreadable_tile(size: int) -> QImage:
    """Return the tile for an image file that could not be decoded."""
    return _tile("unreadable", size, _paint_unreadable)


def _tile(kind: str, size: int, paint: Callable[[QPainter, float], None]) -> QImage:
    size = max(16, int(size))
    tile = _cache.get((kind, size))
    if tile is None:
        tile = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        tile.fill(Qt.GlobalColor.transparent)
        painter = QPainter(tile)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _paint_background(painter, size)
        paint(painter, size)
        painter.end()
        _cache[(kind, size)] = tile
        logger.debug("Painted the %s tile at %d px", kind, size)
    return tile


def _paint_background(painter: QPainter, size: float) -> None:
    inset = max(1.0, size * 0.04)
    box = QRectF(inset, inset, size - 2 * inset, size - 2 * inset)
    painter.setPen(QPen(_FRAME, max(1.0, size / 96)))
    painter.setBrush(_BACKGROUND)
    painter.drawRoundedRect(box, size * 0.06, size * 0.06)


def _paint_placeholder(painter: QPainter, size: float) -> None:
    # A simple landscape: a sun over two hills, drawn faintly.
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(128, 128, 128, 70))
    painter.drawEllipse(QPointF(size * 0.64, size * 0.38), size * 0.08, size * 0.08)
    hills = QPainterPath()
    hills.moveTo(size * 0.22, size * 0.7)
    hills.lineTo(size * 0.42, size * 0.46)
    hills.lineTo(size * 0.56, size * 0.62)
    hills.lineTo(size * 0.64, size * 0.54)
    hills.lineTo(size * 0.78, size * 0.7)
    hills.closeSubpath()
    painter.drawPath(hills)


def _paint_unreachable(painter: QPainter, size: float) -> None:
    # A drive with a slash through it.
    pen = QPen(_SYMBOL, max(1.5, size / 40))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    drive = QRectF(size * 0.28, size * 0.32, size * 0.44, size * 0.22)
    painter.drawRoundedRect(drive, size * 0.03, size * 0.03)
    painter.drawPoint(QPointF(size * 0.64, size * 0.43))
    painter.setPen(QPen(_WARNING, max(1.5, size / 32)))
    slash_start = QPointF(size * 0.26, size * 0.6)
    painter.drawLine(slash_start, QPointF(size * 0.74, size * 0.26))
    _paint_caption(painter, size, "Not reachable")


def _paint_unreadable(painter: QPainter, size: float) -> None:
    # A picture frame with a cross through it.
    pen = QPen(_SYMBOL, max(1.5, size / 40))
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    frame = QRectF(size * 0.3, size * 0.26, size * 0.4, size * 0.32)
    painter.drawRect(frame)
    painter.setPen(QPen(_WARNING, max(1.5, size / 32)))
    painter.drawLine(frame.topLeft(), frame.bottomRight())
    painter.drawLine(frame.topRight(), frame.bottomLeft())
    _paint_caption(painter, size, "Cannot read")


def _paint_caption(painter: QPainter, size: float, text: str) -> None:
    if size < 48:
        return
    font = QFont()
    font.setPixelSize(max(8, int(size * 0.09)))
    painter.setFont(font)
    painter.setPen(_SYMBOL)
    area = QRectF(size * 0.08, size * 0.64, size * 0.84, size * 0.2)
    painter.drawText(area, Qt.AlignmentFlag.AlignCenter, text)
