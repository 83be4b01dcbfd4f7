"""A 0 to 5 star rating control drawn with QPainter."""

from __future__ import annotations

import logging
import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QStyle, QStyleOptionFocusRect, QWidget

logger = logging.getLogger(__name__)

MAX_RATING = 5
_STAR_SIZE = 20
_SPACING = 3
_MARGIN = 3
_FILLED = QColor(232, 170, 20)


def _star_path(rect: QRectF) -> QPainterPath:
    """Return a five-pointed star inscribed in rect."""
    centre = rect.center()
    outer = min(rect.width(), rect.height()) / 2
    inner = outer * 0.42
    path = QPainterPath()
    for point in range(10):
        radius = outer if point % 2 == 0 else inner
        angle = -math.pi / 2 + point * math.pi / 5
        vertex = QPointF(
            centre.x() + radius * math.cos(angle),
            centre.y() + radius * math.sin(angle),
        )
        if point == 0:
            path.moveTo(vertex)
        else:
            path.lineTo(vertex)
    path.closeSubpath()
    return path


class RatingWidget(QWidget):
    """Five stars that show and set a rating from 0 to 5.

    A click on a star sets that rating, and a click on the star of the
    current rating clears it to 0. Keys 0 to 5 set the rating, Left/Right
    and -/+ step it, and Home, Delete and Backspace clear it. The rating
    None is the "mixed" state of a selection whose ratings differ, drawn
    as faint stars with dotted edges. Ratings above 5 are drawn as 5 stars.
    `rating_changed` is emitted only for changes the user makes.
    """

    rating_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rating: int | None = 0
        self._hover: int | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Rating")
        self._update_description()

    def rating(self) -> int | None:
        """Return the rating shown, or None in the mixed state."""
        return self._rating

    def set_rating(self, rating: int | None) -> None:
        """Show a rating (None for mixed) without emitting rating_changed."""
        self._rating = None if rating is None else max(0, int(rating))
        self._update_description()
        self.update()

    def sizeHint(self) -> QSize:
        width = MAX_RATING * _STAR_SIZE + (MAX_RATING - 1) * _SPACING
        return QSize(width + 2 * _MARGIN, _STAR_SIZE + 2 * _MARGIN)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def _star_rect(self, index: int) -> QRectF:
        left = _MARGIN + index * (_STAR_SIZE + _SPACING)
        return QRectF(left, _MARGIN, _STAR_SIZE, _STAR_SIZE)

    def _star_at(self, x: float) -> int | None:
        """Return the 1-based star under x, or None between or beside stars."""
        for index in range(MAX_RATING):
            rect = self._star_rect(index)
            if rect.left() - _SPACING / 2 <= x < rect.right() + _SPACING / 2:
                return index + 1
        return None

    def _choose(self, rating: int) -> None:
        rating = max(0, min(MAX_RATING, rating))
        if rating == self._rating:
            return
        self.set_rating(rating)
        logger.debug("Rating set to %d", rating)
        self.rating_changed.emit(rating)

    def _update_description(self) -> None:
        if self._rating is None:
            text = "Mixed ratings"
        else:
            text = f"{min(self._rating, MAX_RATING)} of {MAX_RATING} stars"
        self.setAccessibleDescription(text)
        self.setToolTip(text)

    # Events --------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        star = self._star_at(event.position().x())
        if star is None:
            return
        self._choose(0 if star == self._rating else star)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hover = self._star_at(event.position().x()) if self.isEnabled() else None
        if hover != self._hover:
            self._hover = hover
            self.update()

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        current = self._rating or 0
        steps = {
            Qt.Key.Key_Right: current + 1,
            Qt.Key.Key_Plus: current + 1,
            Qt.Key.Key_Left: current - 1,
            Qt.Key.Key_Minus: current - 1,
            Qt.Key.Key_Home: 0,
            Qt.Key.Key_End: MAX_RATING,
            Qt.Key.Key_Delete: 0,
            Qt.Key.Key_Backspace: 0,
        }
        if Qt.Key.Key_0 <= key <= Qt.Key.Key_0 + MAX_RATING:
            self._choose(key - Qt.Key.Key_0)
        elif key in steps:
            self._choose(steps[key])
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painted = self._hover if self._hover is not None else self._rating
        outline = palette.color(QPalette.ColorRole.WindowText)
        if not self.isEnabled():
            outline = palette.color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText
            )
        # The mixed state draws every star faintly filled with a dotted edge.
        style = Qt.PenStyle.DotLine if painted is None else Qt.PenStyle.SolidLine
        for index in range(MAX_RATING):
            path = _star_path(self._star_rect(index).adjusted(1, 1, -1, -1))
            painter.setPen(QPen(outline, 1.2, style))
            painter.setBrush(self._star_brush(index, painted))
            painter.drawPath(path)
        if self.hasFocus():
            self._paint_focus(painter)
        painter.end()

    def _star_brush(self, index: int, painted: int | None) -> QBrush:
        if painted is None:
            faint = QColor(_FILLED)
            faint.setAlpha(90)
            return QBrush(faint)
        if index < painted and self.isEnabled():
            return QBrush(_FILLED)
        if index < painted:
            return QBrush(self.palette().color(QPalette.ColorRole.Mid))
        return QBrush(Qt.BrushStyle.NoBrush)

    def _paint_focus(self, painter: QPainter) -> None:
        option = QStyleOptionFocusRect()
        option.initFrom(self)
        option.rect = self.rect()
        self.style().drawPrimitive(
            QStyle.PrimitiveElement.PE_FrameFocusRect, option, painter, self
        )
