"""Tests for the star rating widget."""

import pytest
from PySide6.QtCore import QPoint, Qt

from picpocket_gui.widgets.rating import MAX_RATING, RatingWidget


@pytest.fixture
def widget(qtbot):
    widget = RatingWidget()
    qtbot.addWidget(widget)
    widget.resize(widget.sizeHint())
    widget.show()
    return widget


def star_centre(widget: RatingWidget, star: int) -> QPoint:
    """Return the middle of the 1-based star, assuming evenly spread stars."""
    width = widget.width() / MAX_RATING
    return QPoint(int(width * (star - 0.5)), widget.height() // 2)


def test_click_sets_rating(qtbot, widget):
    with qtbot.waitSignal(widget.rating_changed) as blocker:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=star_centre(widget, 3))
    assert blocker.args == [3]


def test_click_each_star(qtbot, widget):
    for star in range(1, MAX_RATING + 1):
        qtbot.mouseClick(
            widget, Qt.MouseButton.LeftButton, pos=star_centre(widget, star)
        )
        assert widget.rating() == star


def test_click_current_star_clears(qtbot, widget):
    widget.set_rating(4)
    with qtbot.waitSignal(widget.rating_changed) as blocker:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=star_centre(widget, 4))
    assert blocker.args == [0]


def test_set_rating_is_silent(qtbot, widget):
    with qtbot.assertNotEmitted(widget.rating_changed):
        widget.set_rating(2)
    assert widget.rating() == 2


def test_digit_keys(qtbot, widget):
    for key, expected in ((Qt.Key.Key_4, 4), (Qt.Key.Key_0, 0), (Qt.Key.Key_5, 5)):
        qtbot.keyClick(widget, key)
        assert widget.rating() == expected, key


def test_step_keys(qtbot, widget):
    widget.set_rating(2)
    cases = [
        (Qt.Key.Key_Right, 3),
        (Qt.Key.Key_Plus, 4),
        (Qt.Key.Key_Left, 3),
        (Qt.Key.Key_Minus, 2),
        (Qt.Key.Key_End, 5),
        (Qt.Key.Key_Right, 5),
        (Qt.Key.Key_Home, 0),
        (Qt.Key.Key_Left, 0),
    ]
    for key, expected in cases:
        qtbot.keyClick(widget, key)
        assert widget.rating() == expected, key


def test_key_emits_once(qtbot, widget):
    emitted = []
    widget.rating_changed.connect(emitted.append)
    qtbot.keyClick(widget, Qt.Key.Key_3)
    qtbot.keyClick(widget, Qt.Key.Key_3)
    assert emitted == [3]


def test_delete_key_clears(qtbot, widget):
    widget.set_rating(3)
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    assert widget.rating() == 0


def test_mixed_state(qtbot, widget):
    widget.set_rating(None)
    assert widget.rating() is None


def test_mixed_state_described(qtbot, widget):
    widget.set_rating(None)
    assert widget.accessibleDescription() == "Mixed ratings"


def test_mixed_then_key(qtbot, widget):
    widget.set_rating(None)
    with qtbot.waitSignal(widget.rating_changed) as blocker:
        qtbot.keyClick(widget, Qt.Key.Key_Right)
    assert blocker.args == [1]


def test_mixed_then_click(qtbot, widget):
    widget.set_rating(None)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=star_centre(widget, 2))
    assert widget.rating() == 2


def test_accepts_keyboard_focus(widget):
    assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus


def is_gold(widget: RatingWidget, star: int) -> bool:
    colour = widget.grab().toImage().pixelColor(star_centre(widget, star))
    return colour.red() > 200 and colour.blue() < 100


def test_paint_fills_rated_stars(widget):
    widget.set_rating(3)
    assert is_gold(widget, 3)


def test_paint_leaves_unrated_stars(widget):
    widget.set_rating(3)
    assert not is_gold(widget, 4)
