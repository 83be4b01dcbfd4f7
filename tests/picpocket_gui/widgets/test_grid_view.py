"""Tests for the thumbnail grid view over the grid model and a real library."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from picpocket_gui.models import ImageGridModel
from picpocket_gui.widgets.grid_view import (
    MAX_THUMBNAIL_SIZE,
    MIN_THUMBNAIL_SIZE,
    SIZE_STEP,
    ThumbnailGridView,
)
from tests.picpocket_gui.models.helpers import RecordingThumbnailLoader, wait_until

SELECT = QItemSelectionModel.SelectionFlag.Select


@pytest.fixture
async def thumbnails(qapp, tmp_path: Path):
    loader = RecordingThumbnailLoader(tmp_path / "thumbnails", workers=2)
    yield loader
    await loader.close()


@pytest.fixture
async def view(library, thumbnails, qtbot):
    model = ImageGridModel(library, thumbnails)
    await model.set_query({})
    grid = ThumbnailGridView()
    qtbot.addWidget(grid)
    grid.setModel(model)
    grid.resize(800, 600)
    grid.show()
    await wait_until(lambda: grid.visualRect(model.index(0)).isValid())
    return grid


def _recorder(signal) -> list:
    received: list = []
    signal.connect(received.append)
    return received


def _wheel(view: ThumbnailGridView, delta: int, modifiers: Qt.KeyboardModifier) -> None:
    position = QPointF(view.viewport().rect().center())
    event = QWheelEvent(
        position,
        QPointF(view.viewport().mapToGlobal(position.toPoint())),
        QPoint(),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)


@pytest.mark.parametrize("rating", range(6))
async def test_rating_key(view, qtbot, rating):
    ratings = _recorder(view.rating_requested)
    qtbot.keyClick(view, getattr(Qt.Key, f"Key_{rating}"))
    assert ratings == [rating]


async def test_rating_key_with_control_ignored(view, qtbot):
    ratings = _recorder(view.rating_requested)
    qtbot.keyClick(view, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert ratings == []


async def test_six_is_no_rating(view, qtbot):
    ratings = _recorder(view.rating_requested)
    qtbot.keyClick(view, Qt.Key.Key_6)
    assert ratings == []


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
async def test_enter_opens_current(view, qtbot, key):
    opened = _recorder(view.open_requested)
    view.setCurrentIndex(view.model().index(2))
    qtbot.keyClick(view, key)
    assert opened == [view.model().image_id(2)]


async def test_enter_without_current(view, qtbot):
    opened = _recorder(view.open_requested)
    view.setCurrentIndex(view.model().index(-1))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened == []


async def test_double_click_opens(view, qtbot):
    opened = _recorder(view.open_requested)
    center = view.visualRect(view.model().index(1)).center()
    # A real double click is a click followed by a double-click event.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert opened == [view.model().image_id(1)]


async def test_selected_ids_in_order(view):
    model = view.model()
    for row in (4, 1):
        view.selectionModel().select(model.index(row), SELECT)
    assert view.selected_ids() == [model.image_id(1), model.image_id(4)]


async def test_selection_signal(view):
    received = _recorder(view.selection_changed_ids)
    view.selectionModel().select(view.model().index(3), SELECT)
    await wait_until(lambda: received)
    assert received == [[view.model().image_id(3)]]


async def test_shift_arrow_extends(view, qtbot):
    model = view.model()
    view.setFocus()
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.visualRect(model.index(0)).center(),
    )
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_ids() == [model.image_id(0), model.image_id(1)]


async def test_control_click_adds(view, qtbot):
    model = view.model()
    for row, modifier in ((0, Qt.KeyboardModifier.NoModifier),
                          (3, Qt.KeyboardModifier.ControlModifier)):
        qtbot.mouseClick(
            view.viewport(),
            Qt.MouseButton.LeftButton,
            modifier,
            view.visualRect(model.index(row)).center(),
        )
    assert view.selected_ids() == [model.image_id(0), model.image_id(3)]


async def test_select_all(view, qtbot):
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert view.selected_ids() == view.model().image_ids()


async def test_new_query_clears_selection(view, library):
    received = _recorder(view.selection_changed_ids)
    view.selectionModel().select(view.model().index(3), SELECT)
    await view.model().set_query({"order": ("-id",)})
    await asyncio.sleep(0.05)
    assert received[-1] == []


async def test_size_reaches_model(view):
    view.set_thumbnail_size(200)
    assert view.model().thumbnail_size() == 200


async def test_size_sets_icon_size(view):
    view.set_thumbnail_size(200)
    assert view.iconSize().width() == 200


async def test_size_signal(view):
    sizes = _recorder(view.thumbnail_size_changed)
    view.set_thumbnail_size(200)
    assert sizes == [200]


async def test_size_clamped(view):
    view.set_thumbnail_size(10_000)
    assert view.thumbnail_size() == MAX_THUMBNAIL_SIZE


async def test_control_wheel_grows(view):
    before = view.thumbnail_size()
    sizes = _recorder(view.thumbnail_size_changed)
    _wheel(view, 240, Qt.KeyboardModifier.ControlModifier)
    assert sizes == [before + 2 * SIZE_STEP]


async def test_control_wheel_shrinks_to_minimum(view):
    _wheel(view, -120 * 100, Qt.KeyboardModifier.ControlModifier)
    assert view.thumbnail_size() == MIN_THUMBNAIL_SIZE


async def test_small_wheel_steps_add_up(view):
    before = view.thumbnail_size()
    for _ in range(4):
        _wheel(view, 30, Qt.KeyboardModifier.ControlModifier)
    assert view.thumbnail_size() == before + SIZE_STEP


async def test_plain_wheel_keeps_size(view):
    sizes = _recorder(view.thumbnail_size_changed)
    _wheel(view, 240, Qt.KeyboardModifier.NoModifier)
    assert sizes == []


async def test_control_plus_grows(view, qtbot):
    before = view.thumbnail_size()
    qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert view.thumbnail_size() == before + SIZE_STEP


class _DragRecordingView(ThumbnailGridView):
    """A grid view that records drag starts instead of running a drag."""

    def __init__(self):
        super().__init__()
        self.drags: list[tuple[Qt.DropAction, list[int]]] = []

    def startDrag(self, actions):
        self.drags.append((actions, self.selected_ids()))


async def test_mouse_drag_starts_drag(library, thumbnails, qtbot):
    model = ImageGridModel(library, thumbnails)
    await model.set_query({})
    view = _DragRecordingView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(800, 600)
    view.show()
    await wait_until(lambda: view.visualRect(model.index(0)).isValid())
    start = view.visualRect(model.index(0)).center()
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    distance = QApplication.startDragDistance() + 10
    for step in range(1, 4):
        offset = QPoint(step * distance, step * distance)
        qtbot.mouseMove(view.viewport(), start + offset)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton)
    assert view.drags == [(Qt.DropAction.CopyAction, [model.image_id(0)])]
