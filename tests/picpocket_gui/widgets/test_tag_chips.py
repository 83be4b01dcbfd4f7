"""Tests for tag chips and the search bar's tag filter."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QWidget

from picpocket_gui.widgets.tag_chips import FlowLayout, TagChipsEdit, TagMode


@pytest.fixture
def chips(qtbot):
    widget = TagChipsEdit()
    qtbot.addWidget(widget)
    widget.set_tag_names(["bird", "bird/heron", "water"])
    widget.resize(500, 80)
    widget.show()
    return widget


def menu_action(menu: QMenu, text: str):
    return next(action for action in menu.actions() if action.text() == text)


def test_entry_adds_chip(qtbot, chips):
    qtbot.keyClicks(chips.entry, "bird/heron")
    with qtbot.waitSignal(chips.chips_changed):
        qtbot.keyClick(chips.entry, Qt.Key.Key_Return)
    assert chips.chips() == [("bird/heron", TagMode.ALL)]


def test_entry_clears_after_adding(qtbot, chips):
    qtbot.keyClicks(chips.entry, "water")
    qtbot.keyClick(chips.entry, Qt.Key.Key_Return)
    assert chips.entry.text() == ""


def test_entry_strips_slashes(qtbot, chips):
    qtbot.keyClicks(chips.entry, " /bird/ ")
    qtbot.keyClick(chips.entry, Qt.Key.Key_Return)
    assert chips.chips() == [("bird", TagMode.ALL)]


def test_entry_ignores_blank(qtbot, chips):
    qtbot.keyClicks(chips.entry, "   ")
    with qtbot.assertNotEmitted(chips.chips_changed):
        qtbot.keyClick(chips.entry, Qt.Key.Key_Return)


def test_completer_offers_known_tags(qtbot, chips):
    completer = chips.entry.completer()
    completer.setCompletionPrefix("HER")
    assert completer.currentCompletion() == "bird/heron"


def test_completion_pick_adds_chip(qtbot, chips):
    qtbot.keyClicks(chips.entry, "her")
    popup = chips.entry.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert chips.chips() == [("bird/heron", TagMode.ALL)]


def test_menu_changes_mode(qtbot, chips):
    chips.add_chip("water")
    with qtbot.waitSignal(chips.chips_changed):
        menu_action(chips.mode_menu("water"), "Exclude this tag").trigger()
    assert chips.tags(TagMode.EXCLUDE) == ("water",)


def test_menu_each_mode(qtbot, chips):
    chips.add_chip("water")
    labels = {
        TagMode.ANY: "Any of these tags",
        TagMode.EXCLUDE: "Exclude this tag",
        TagMode.ALL: "Must have this tag",
    }
    for mode, label in labels.items():
        menu_action(chips.mode_menu("water"), label).trigger()
        assert chips.chips() == [("water", mode)], label


def test_menu_checks_current_mode(qtbot, chips):
    chips.add_chip("water", TagMode.ANY)
    menu = chips.mode_menu("water")
    assert menu_action(menu, "Any of these tags").isChecked()


def test_menu_removes_chip(qtbot, chips):
    chips.add_chip("water")
    menu_action(chips.mode_menu("water"), "Remove").trigger()
    assert chips.chips() == []


def test_chip_click_opens_menu(qtbot, chips):
    chips.add_chip("water")
    chip = chips.chip("water")
    qtbot.mouseClick(chip.label, Qt.MouseButton.LeftButton)
    menus = [
        widget for widget in QApplication.topLevelWidgets() if isinstance(widget, QMenu)
    ]
    assert any(menu.isVisible() for menu in menus)
    for menu in menus:
        menu.close()


def test_chip_shows_mode_badge(qtbot, chips):
    chips.add_chip("water", TagMode.EXCLUDE)
    assert chips.chip("water").badge.text() == "NOT"


def test_mode_change_updates_badge(qtbot, chips):
    chips.add_chip("water")
    chips.set_mode("water", TagMode.ANY)
    assert chips.chip("water").badge.text() == "ANY"


def test_remove_button(qtbot, chips):
    chips.add_chip("bird")
    chips.add_chip("water")
    with qtbot.waitSignal(chips.chips_changed):
        qtbot.mouseClick(chips.chip("bird").remove_button, Qt.MouseButton.LeftButton)
    assert chips.chips() == [("water", TagMode.ALL)]


def test_delete_key_removes(qtbot, chips):
    chips.add_chip("bird")
    qtbot.keyClick(chips.chip("bird"), Qt.Key.Key_Delete)
    assert chips.chips() == []


def test_set_chips_replaces(qtbot, chips):
    chips.add_chip("old")
    chips.set_chips(all_tags=["bird"], any_tags=["water", "sky"], no_tags=["night"])
    expected = [
        ("bird", TagMode.ALL),
        ("water", TagMode.ANY),
        ("sky", TagMode.ANY),
        ("night", TagMode.EXCLUDE),
    ]
    assert chips.chips() == expected


def test_set_chips_drops_old_widget(qtbot, chips):
    chips.add_chip("old")
    chips.set_chips(all_tags=["bird"])
    assert chips.chip("old") is None


def test_add_same_chip_is_silent(qtbot, chips):
    chips.add_chip("bird")
    with qtbot.assertNotEmitted(chips.chips_changed):
        chips.add_chip("bird")


def test_flow_layout_wraps(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    flow = FlowLayout(host)
    for index in range(12):
        flow.addWidget(QLabel(f"label number {index}"))
    one_row = flow.heightForWidth(10_000)
    assert flow.heightForWidth(200) > 3 * one_row


def test_flow_layout_places_rows(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    flow = FlowLayout(host)
    labels = [QLabel(f"label number {index}") for index in range(6)]
    for label in labels:
        flow.addWidget(label)
    host.resize(250, flow.heightForWidth(250))
    host.show()
    rows = {label.geometry().top() for label in labels}
    assert len(rows) > 1
