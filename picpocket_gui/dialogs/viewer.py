"""A window that shows one image at a time, with zoom, pan, ratings and full screen."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence

import shiboken6
from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPixmap,
    QResizeEvent,
    QShowEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QMenu,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.types import Image
from picpocket_gui.background import spawn
from picpocket_gui.dialogs.decoding import (
    decode_image,
    failure_reason,
    pixmap_from,
)

logger = logging.getLogger(__name__)


ZOOM_STEP = 1.25
MIN_ZOOM = 0.02
MAX_ZOOM = 32.0
# Decoded images kept in memory: the current one, its two neighbours and
# the two seen before, so stepping back and forth does not decode again.
# Images beyond the byte budget are dropped first, except the current one
# and its neighbours. A 24-megapixel photo takes about 96 MB.
CACHE_SIZE = 5
CACHE_BYTES = 512 * 1024 * 1024
RATING_OVERLAY_MS = 1500
BACKGROUND = QColor(32, 32, 32)
MESSAGE_STYLE = "background: rgb(32, 32, 32); color: #e0e0e0;"
OVERLAY_STYLE = (
    "background: rgba(0, 0, 0, 170); color: white; padding: 6px 10px;"
    "border-radius: 4px; font-size: 16pt;"
)
def _message_html(title: str, *lines: str) -> str:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return f"<h3>{html.escape(title)}</h3>{body}"


def _stars(rating: int | None) -> str:
    if rating is None:
        return "not rated"
    stars = max(0, min(rating, 5))
    return "★" * stars + "☆" * (5 - stars)


def _pixmap_bytes(pixmap: QPixmap) -> int:
    # Pixmaps on the raster backend use 32 bits per pixel.
    return pixmap.width() * pixmap.height() * 4


def _message_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setContentsMargins(24, 24, 24, 24)
    label.setStyleSheet(MESSAGE_STYLE)
    return label


class _ImageView(QGraphicsView):
    """A graphics view that zooms on Ctrl+wheel and pans by dragging."""

    zoom_requested = Signal(float)
    resized = Signal()
    double_clicked = Signal()

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setBackgroundBrush(BACKGROUND)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # With focus, the view would scroll on arrows and Page Up/Down
        # before the window's shortcuts could step through the images.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and steps:
            self.zoom_requested.emit(ZOOM_STEP**steps)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.double_clicked.emit()
        event.accept()


class ImageViewer(QDialog):
    """Show the images of a result list one at a time, decoded off the UI thread.

    The window starts loading the image at `index` as soon as it is built.
    """

    rating_changed = Signal(int, int)  # image id, new rating

    def __init__(
        self,
        api: PicPocket,
        ids: Sequence[int],
        index: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if not ids:
            raise ValueError("The image viewer needs at least one image id")
        self._api = api
        self._ids = list(ids)
        self._index = min(max(index, 0), len(self._ids) - 1)
        self._records: dict[int, Image] = {}
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._decoding: dict[int, asyncio.Task[QPixmap | str]] = {}
        self._fit = True
        self._scale = 1.0
        self._closed = False
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build_widgets()
        self._build_actions()
        self.resize(1000, 720)
        spawn(self.go_to(self._index), name=f"show image {self.current_id()}")

    # Public state ------------------------------------------------------

    def current_index(self) -> int:
        """Return the position of the shown image in the id list."""
        return self._index

    def current_id(self) -> int:
        """Return the id of the shown image."""
        return self._ids[self._index]

    def image_size(self) -> QSize:
        """Return the upright size of the shown image, or an empty size."""
        if self._stack.currentWidget() is not self._view:
            return QSize()
        return self._item.pixmap().size()

    def message_text(self) -> str:
        """Return the plain text shown in place of an image, or ""."""
        if self._stack.currentWidget() is not self._message:
            return ""
        return self._message.text()

    def is_fit_to_window(self) -> bool:
        """Return whether large images are scaled down to fit the window."""
        return self._fit

    def zoom_factor(self) -> float:
        """Return the scale of the shown image, 1.0 being 100%."""
        return self._scale

    # Building ----------------------------------------------------------

    def _build_widgets(self) -> None:
        self._scene = QGraphicsScene(self)
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._item)
        self._view = _ImageView(self._scene, self)
        self._view.zoom_requested.connect(self._on_view_zoom_requested)
        self._view.resized.connect(self._apply_zoom)
        self._view.double_clicked.connect(self.toggle_fit)
        self._message = _message_label(self)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._view)
        self._stack.addWidget(self._message)
        self._overlay = QLabel(self._view.viewport())
        self._overlay.setStyleSheet(OVERLAY_STYLE)
        self._overlay.hide()
        self._status = QLabel(self)
        self._status.setContentsMargins(8, 2, 8, 4)
        self._toolbar = QToolBar(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._toolbar)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._status)

    def _build_actions(self) -> None:
        key = Qt.Key
        navigation = [
            self._action("Previous", self.show_previous, key.Key_Left, key.Key_PageUp),
            self._action("Next", self.show_next, key.Key_Right, key.Key_PageDown),
            self._action("First", self.show_first, key.Key_Home),
            self._action("Last", self.show_last, key.Key_End),
        ]
        self._fit_action = self._action(
            "Fit to Window", self.toggle_fit, key.Key_F, "Ctrl+0"
        )
        self._fit_action.setCheckable(True)
        self._fit_action.setChecked(True)
        zoom = [
            self._fit_action,
            self._action("100%", self.show_actual_size, "Ctrl+1"),
            self._action("Zoom In", self.zoom_in, key.Key_Plus, key.Key_Equal,
                         QKeySequence.StandardKey.ZoomIn),
            self._action("Zoom Out", self.zoom_out, key.Key_Minus,
                         QKeySequence.StandardKey.ZoomOut),
        ]
        self._full_screen_action = self._action(
            "Full Screen", self.toggle_full_screen, key.Key_F11
        )
        self._full_screen_action.setCheckable(True)
        ratings = [self._rating_action(rating) for rating in range(6)]

        self._fill_toolbar(navigation[:2], zoom, ratings)
        self._view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._view.addActions([*navigation, *zoom, self._full_screen_action, *ratings])

    def _action(
        self, text: str, slot: Callable[[], object], *keys: object
    ) -> QAction:
        action = QAction(text, self)
        shortcuts = [QKeySequence(key) for key in keys]
        action.setShortcuts(shortcuts)
        shortcut_text = shortcuts[0].toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{text} ({shortcut_text})")
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _rating_action(self, rating: int) -> QAction:
        def rate() -> None:
            spawn(self.set_rating(rating), name=f"rate image {self.current_id()}")

        return self._action(f"Rate {rating}", rate, getattr(Qt.Key, f"Key_{rating}"))

    def _fill_toolbar(
        self, navigation: list[QAction], zoom: list[QAction], ratings: list[QAction]
    ) -> None:
        self._toolbar.addActions(navigation)
        self._toolbar.addSeparator()
        self._toolbar.addActions(zoom)
        self._toolbar.addSeparator()
        rating_button = QToolButton(self._toolbar)
        rating_button.setText("Rating")
        rating_button.setToolTip("Set the rating (keys 0 to 5)")
        rating_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(rating_button)
        menu.addActions(ratings)
        rating_button.setMenu(menu)
        self._toolbar.addWidget(rating_button)
        self._toolbar.addAction(self._full_screen_action)
        for action in self._toolbar.actions():
            widget = self._toolbar.widgetForAction(action)
            if widget is not None:
                widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    # Navigation --------------------------------------------------------

    def show_previous(self) -> None:
        """Show the image before the current one, if any."""
        self._spawn_go_to(self._index - 1)

    def show_next(self) -> None:
        """Show the image after the current one, if any."""
        self._spawn_go_to(self._index + 1)

    def show_first(self) -> None:
        """Show the first image of the list."""
        self._spawn_go_to(0)

    def show_last(self) -> None:
        """Show the last image of the list."""
        self._spawn_go_to(len(self._ids) - 1)

    def _spawn_go_to(self, index: int) -> None:
        if 0 <= index < len(self._ids) and index != self._index:
            # Move now, so that keys pressed before the image loads add up.
            self._index = index
            spawn(self.go_to(index), name=f"show image {self._ids[index]}")

    async def go_to(self, index: int) -> None:
        """Show the image at `index` of the id list and preload its neighbours."""
        index = min(max(index, 0), len(self._ids) - 1)
        self._index = index
        image_id = self._ids[index]
        self._show_loading(image_id)
        await self._fetch_records(index)
        if self._is_stale(index):
            return
        content = await self._load(image_id)
        if self._is_stale(index):
            return
        self._display(content)
        self._preload(index)

    def _is_stale(self, index: int) -> bool:
        # The user moved on, or closed the window, while this step awaited.
        return self._closed or index != self._index

    async def _fetch_records(self, index: int) -> None:
        """Fetch the records of the image at `index` and its neighbours."""
        window = self._ids[max(index - 1, 0) : index + 2]
        found = {image.id: image for image in await self._api.get_images(window)}
        for image_id in window:
            if image_id in found:
                self._records[image_id] = found[image_id]
            else:
                self._records.pop(image_id, None)

    async def _load(self, image_id: int) -> QPixmap | str:
        """Return the image's pixmap, or a message (HTML) saying why there is none."""
        if image_id in self._cache:
            self._cache.move_to_end(image_id)
            return self._cache[image_id]
        record = self._records.get(image_id)
        if record is None:
            return _message_html(
                f"Image {image_id} is not in the library",
                "It was removed after this list was made.",
            )
        if record.full_path is None:
            return await self._unreachable_message(record)
        return await self._start_decoding(record)

    async def _unreachable_message(self, record: Image) -> str:
        location = await self._api.get_location(record.location)
        name = location.name if location else f"#{record.location}"
        root = location.root if location else None
        where = f" at {root}" if root else ""
        return _message_html(
            f"Cannot show {record.path.name}",
            f"Location {name!r}{where} is not reachable: its drive may not be "
            f"connected or mounted. Mount the location to view this image.",
            f"Path inside the location: {record.path.as_posix()}",
        )

    def _start_decoding(self, record: Image) -> asyncio.Task[QPixmap | str]:
        task = self._decoding.get(record.id)
        if task is None:
            task = asyncio.ensure_future(self._decode(record))
            self._decoding[record.id] = task
            task.add_done_callback(lambda _: self._decoding.pop(record.id, None))
        return task

    async def _decode(self, record: Image) -> QPixmap | str:
        path = record.full_path
        assert path is not None
        try:
            decoded = await asyncio.to_thread(decode_image, path)
        except Exception as error:
            # Pillow's format plugins raise many exception types on damaged
            # files (OSError, SyntaxError, ValueError, struct.error, ...).
            logger.warning("Cannot decode image %d at %s: %s", record.id, path, error)
            return _message_html(
                f"Cannot show {record.path.name}", str(path), failure_reason(error)
            )
        pixmap = pixmap_from(decoded)
        self._cache[record.id] = pixmap
        self._trim_cache()
        return pixmap

    def _trim_cache(self) -> None:
        """Drop the least recently shown images beyond the cache limits."""
        protected = set(self._ids[max(self._index - 1, 0) : self._index + 2])
        for image_id in list(self._cache):
            size = sum(_pixmap_bytes(pixmap) for pixmap in self._cache.values())
            if len(self._cache) <= CACHE_SIZE and size <= CACHE_BYTES:
                return
            if image_id not in protected:
                del self._cache[image_id]

    def _preload(self, index: int) -> None:
        for neighbour in (index + 1, index - 1):
            if not 0 <= neighbour < len(self._ids):
                continue
            record = self._records.get(self._ids[neighbour])
            if record is not None and record.full_path is not None:
                if record.id not in self._cache:
                    self._start_decoding(record)

    # Display -----------------------------------------------------------

    def _show_loading(self, image_id: int) -> None:
        if image_id in self._cache:
            self._display(self._cache[image_id])
            return
        self._item.setPixmap(QPixmap())
        self._stack.setCurrentWidget(self._view)
        self._update_status(loading=True)

    def _display(self, content: QPixmap | str) -> None:
        if isinstance(content, QPixmap):
            self._item.setPixmap(content)
            self._scene.setSceneRect(self._item.boundingRect())
            self._stack.setCurrentWidget(self._view)
            self._apply_zoom()
        else:
            self._item.setPixmap(QPixmap())
            self._message.setText(content)
            self._stack.setCurrentWidget(self._message)
        record = self._records.get(self.current_id())
        name = record.path.name if record else f"image {self.current_id()}"
        self.setWindowTitle(f"{name} – PicPocket")
        self._update_status()

    def _update_status(self, loading: bool = False) -> None:
        record = self._records.get(self.current_id())
        parts = [f"{self._index + 1} of {len(self._ids)}"]
        if record is not None:
            parts.append(record.path.name)
        if loading:
            parts.append("loading…")
        elif not self.image_size().isEmpty():
            size = self.image_size()
            parts.append(f"{size.width()} × {size.height()}")
            parts.append(f"{round(self._scale * 100)}%")
        if record is not None:
            parts.append(f"Rating: {_stars(record.rating)}")
        self._status.setText("   ·   ".join(parts))

    def _flash(self, text: str) -> None:
        self._overlay.setText(text)
        self._overlay.adjustSize()
        self._overlay.move(16, 16)
        self._overlay.show()
        self._overlay.raise_()
        QTimer.singleShot(RATING_OVERLAY_MS, self._overlay, self._overlay.hide)

    # Zoom --------------------------------------------------------------

    def toggle_fit(self) -> None:
        """Switch between fitting the image to the window and 100%."""
        if self._fit:
            self.show_actual_size()
        else:
            self.fit_to_window()

    def fit_to_window(self) -> None:
        """Scale large images down to fit the window; small ones stay at 100%."""
        self._fit = True
        self._apply_zoom()

    def show_actual_size(self) -> None:
        """Show the image at 100%, one image pixel per device-independent pixel."""
        self._set_zoom(1.0)

    def zoom_in(self) -> None:
        """Enlarge the image by one step."""
        self._set_zoom(self._scale * ZOOM_STEP)

    def zoom_out(self) -> None:
        """Shrink the image by one step."""
        self._set_zoom(self._scale / ZOOM_STEP)

    def _on_view_zoom_requested(self, factor: float) -> None:
        self._set_zoom(self._scale * factor, under_mouse=True)

    def _set_zoom(self, scale: float, under_mouse: bool = False) -> None:
        self._fit = False
        self._scale = min(max(scale, MIN_ZOOM), MAX_ZOOM)
        anchor = (
            QGraphicsView.ViewportAnchor.AnchorUnderMouse
            if under_mouse
            else QGraphicsView.ViewportAnchor.AnchorViewCenter
        )
        self._view.setTransformationAnchor(anchor)
        self._apply_zoom()

    def _apply_zoom(self) -> None:
        self._fit_action.setChecked(self._fit)
        size = self._item.pixmap().size()
        if size.isEmpty():
            return
        if self._fit:
            viewport = self._view.viewport().size()
            scale = min(
                viewport.width() / size.width(), viewport.height() / size.height(), 1.0
            )
            self._scale = max(scale, MIN_ZOOM)
        self._view.setTransform(QTransform.fromScale(self._scale, self._scale))
        self._update_status()

    # Rating ------------------------------------------------------------

    async def set_rating(self, rating: int) -> None:
        """Save `rating` for the shown image and emit rating_changed.

        Rating 0 erases the rating, as in the grid and the details panel.
        """
        image_id = self.current_id()
        await self._api.edit_image(image_id, rating=rating or None)
        logger.info("Rated image %d with %d", image_id, rating)
        record = self._records.get(image_id)
        if record is not None:
            self._records[image_id] = dataclasses.replace(record, rating=rating)
        if not shiboken6.isValid(self):
            return
        if not self._closed and image_id == self.current_id():
            self._update_status()
            self._flash(f"{_stars(rating)}  {rating}")
        self.rating_changed.emit(image_id, rating)

    # Window ------------------------------------------------------------

    def toggle_full_screen(self) -> None:
        """Enter full screen, or leave it."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            full_screen = self.isFullScreen()
            self._full_screen_action.setChecked(full_screen)
            self._toolbar.setVisible(not full_screen)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.isFullScreen():
            self.showNormal()
            event.accept()
            return
        super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._closed:
            # Shown again after closing: loading stopped at close, so restart it.
            self._closed = False
            spawn(self.go_to(self._index), name=f"show image {self.current_id()}")

    def done(self, result: int) -> None:
        self._closed = True
        for task in list(self._decoding.values()):
            task.cancel()
        self._cache.clear()
        super().done(result)
