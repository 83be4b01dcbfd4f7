"""The thumbnail grid: an icon-mode list view with rating keys and adjustable size."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QIcon,
    QImage,
    QKeyEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from picpocket_gui.models.image_grid import DEFAULT_THUMBNAIL_SIZE, ImageGridModel
from picpocket_gui.models.roles import ImageIdRole, ImageRole

logger = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

MIN_THUMBNAIL_SIZE = 64
MAX_THUMBNAIL_SIZE = 512
SIZE_STEP = 16
"""Pixels the thumbnails grow or shrink by per wheel notch or key press."""

_PADDING = 6
_GAP = 4
_WHEEL_NOTCH = 120
_RATING_KEYS = {int(Qt.Key.Key_0) + rating: rating for rating in range(6)}
_ENTER_KEYS = {int(Qt.Key.Key_Return), int(Qt.Key.Key_Enter)}


class ThumbnailGridView(QListView):
    """A grid of thumbnails with extended selection, dragging out and rating keys.

    Keys 0 to 5 emit `rating_requested`. Enter, Return and a double click
    emit `open_requested` with the image id of the current item.
    """

    thumbnail_size_changed = Signal(int)
    rating_requested = Signal(int)
    open_requested = Signal(int)
    selection_changed_ids = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._size = DEFAULT_THUMBNAIL_SIZE
        self._wheel_remainder = 0
        self._configure()
        self.setItemDelegate(ThumbnailDelegate(self))
        # Rubber-band selection changes the selection on every mouse move,
        # so the timer sends one selection_changed_ids per event-loop pass.
        self._selection_timer = QTimer(self)
        self._selection_timer.setSingleShot(True)
        self._selection_timer.setInterval(0)
        self._selection_timer.timeout.connect(self._emit_selection)
        self.doubleClicked.connect(self._on_double_clicked)
        self._apply_size()

    def _configure(self) -> None:
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        # Batched layout places a large grid over several event-loop passes,
        # so the first screen paints before 100,000 items are placed.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(1000)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionRectVisible(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)

    # Model and selection -------------------------------------------------

    def setModel(self, model: QAbstractItemModel | None) -> None:
        previous = self.model()
        if previous is not None:
            previous.modelReset.disconnect(self._selection_timer.start)
        super().setModel(model)
        if model is None:
            return
        model.modelReset.connect(self._selection_timer.start)
        self.selectionModel().selectionChanged.connect(self._on_selection_changed)
        if isinstance(model, ImageGridModel):
            model.set_thumbnail_size(self._size)

    def selected_ids(self) -> list[int]:
        """Return the ids of the selected images, in grid order."""
        model = self.model()
        selection = self.selectionModel()
        if model is None or selection is None:
            return []
        rows = sorted(
            {
                row
                for selected in selection.selection()
                for row in range(selected.top(), selected.bottom() + 1)
            }
        )
        if isinstance(model, ImageGridModel):
            return [model.image_id(row) for row in rows]
        return [model.index(row, 0).data(ImageIdRole) for row in rows]

    def _on_selection_changed(self, *_: QItemSelection) -> None:
        self._selection_timer.start()

    def _emit_selection(self) -> None:
        self.selection_changed_ids.emit(self.selected_ids())

    # Thumbnail size ------------------------------------------------------

    def thumbnail_size(self) -> int:
        """Return the longest edge of the thumbnails, in pixels."""
        return self._size

    def set_thumbnail_size(self, size: int) -> None:
        """Show thumbnails with `size` pixels on the longest edge (64 to 512)."""
        size = max(MIN_THUMBNAIL_SIZE, min(MAX_THUMBNAIL_SIZE, int(size)))
        if size == self._size:
            return
        self._size = size
        self._apply_size()
        current = self.currentIndex()
        if current.isValid():
            self.scrollTo(current)
        self.thumbnail_size_changed.emit(size)

    def _apply_size(self) -> None:
        text_height = self.fontMetrics().height()
        cell = QSize(self._size + 2 * _PADDING, self._size + 3 * _PADDING + text_height)
        self.setIconSize(QSize(self._size, self._size))
        self.setGridSize(cell + QSize(_GAP, _GAP))
        model = self.model()
        if isinstance(model, ImageGridModel):
            model.set_thumbnail_size(self._size)

    # Input ---------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._wheel_remainder = 0
            super().wheelEvent(event)
            return
        # Touchpads send many small deltas, so only whole notches change the size.
        self._wheel_remainder += event.angleDelta().y()
        notches = int(self._wheel_remainder / _WHEEL_NOTCH)
        if notches:
            self._wheel_remainder -= notches * _WHEEL_NOTCH
            self.set_thumbnail_size(self._size + notches * SIZE_STEP)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._handle_key(int(event.key()), event.modifiers()):
            event.accept()
            return
        super().keyPressEvent(event)

    def _handle_key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        modifiers &= ~Qt.KeyboardModifier.KeypadModifier
        plain = modifiers == Qt.KeyboardModifier.NoModifier
        if plain and key in _RATING_KEYS:
            self.rating_requested.emit(_RATING_KEYS[key])
            return True
        if plain and key in _ENTER_KEYS:
            return self._request_open(self.currentIndex())
        if modifiers == Qt.KeyboardModifier.ControlModifier:
            if key in (int(Qt.Key.Key_Plus), int(Qt.Key.Key_Equal)):
                self.set_thumbnail_size(self._size + SIZE_STEP)
                return True
            if key == int(Qt.Key.Key_Minus):
                self.set_thumbnail_size(self._size - SIZE_STEP)
                return True
        return False

    def keyboardSearch(self, search: str) -> None:
        # Searching by typed text reads the title of every row, which would
        # fetch every record of a large library. The search bar does it instead.
        return

    def _on_double_clicked(self, index: QModelIndex) -> None:
        self._request_open(index)

    def _request_open(self, index: QModelIndex) -> bool:
        if not index.isValid():
            return False
        image_id = index.data(ImageIdRole)
        if image_id is None:
            return False
        self.open_requested.emit(int(image_id))
        return True


class ThumbnailDelegate(QStyledItemDelegate):
    """Draw a thumbnail fitted into the icon square, its title and its rating."""

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        icon = _icon_size(option)
        text_height = option.fontMetrics.height()
        width = icon.width() + 2 * _PADDING
        return QSize(width, icon.height() + 3 * _PADDING + text_height)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex
    ) -> None:
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            panel = QStyle.PrimitiveElement.PE_PanelItemViewItem
            style.drawPrimitive(panel, option, painter, option.widget)
        icon = _icon_size(option)
        rect = option.rect
        box = QRect(
            rect.x() + (rect.width() - icon.width()) // 2,
            rect.y() + _PADDING,
            icon.width(),
            icon.height(),
        )
        decoration = index.data(Qt.ItemDataRole.DecorationRole)
        picture = _draw_decoration(painter, box, decoration)
        _draw_rating(painter, picture, index.data(ImageRole))
        _draw_title(painter, option, box, index.data(Qt.ItemDataRole.DisplayRole))
        if option.state & QStyle.StateFlag.State_HasFocus:
            _draw_focus(painter, option)
        painter.restore()


def _icon_size(option: QStyleOptionViewItem) -> QSize:
    size = option.decorationSize
    if size.isValid() and not size.isEmpty():
        return size
    return QSize(DEFAULT_THUMBNAIL_SIZE, DEFAULT_THUMBNAIL_SIZE)


def _draw_decoration(painter: QPainter, box: QRect, decoration: Any) -> QRectF:
    """Draw an image centered in `box`, scaled down to fit, and return its area."""
    if isinstance(decoration, QIcon):
        decoration.paint(painter, box)
        return QRectF(box)
    if not isinstance(decoration, (QImage, QPixmap)) or decoration.isNull():
        return QRectF(box)
    size = decoration.deviceIndependentSize()
    scale = min(1.0, box.width() / size.width(), box.height() / size.height())
    width, height = size.width() * scale, size.height() * scale
    target = QRectF(
        box.x() + (box.width() - width) / 2,
        box.y() + (box.height() - height) / 2,
        width,
        height,
    )
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    if isinstance(decoration, QImage):
        painter.drawImage(target, decoration)
    else:
        painter.drawPixmap(target, decoration, QRectF(decoration.rect()))
    return target


def _draw_rating(painter: QPainter, picture: QRectF, image: Any) -> None:
    rating = getattr(image, "rating", None)
    if not rating:
        return
    stars = "★" * int(rating)
    metrics = painter.fontMetrics()
    width = metrics.horizontalAdvance(stars) + 8
    height = metrics.height() + 2
    badge = QRectF(picture.left() + 4, picture.bottom() - height - 4, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 150))
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.drawRoundedRect(badge, 4, 4)
    painter.setPen(QColor(255, 204, 64))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, stars)


def _draw_focus(painter: QPainter, option: QStyleOptionViewItem) -> None:
    # The current item needs a mark of its own because Control with the
    # arrow keys moves it without selecting.
    pen = QPen(option.palette.color(QPalette.ColorRole.Highlight), 2)
    pen.setStyle(Qt.PenStyle.DotLine)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(QRectF(option.rect).adjusted(1, 1, -1, -1))


def _draw_title(
    painter: QPainter, option: QStyleOptionViewItem, box: QRect, title: Any
) -> None:
    if not title:
        return
    rect = option.rect
    area = QRect(
        rect.x() + _PADDING,
        box.bottom() + _PADDING,
        rect.width() - 2 * _PADDING,
        option.fontMetrics.height(),
    )
    elide = Qt.TextElideMode.ElideMiddle
    text = option.fontMetrics.elidedText(str(title), elide, area.width())
    selected = bool(option.state & QStyle.StateFlag.State_Selected)
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    painter.setPen(option.palette.color(role))
    painter.setFont(option.font)
    alignment = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
    painter.drawText(area, alignment, text)
