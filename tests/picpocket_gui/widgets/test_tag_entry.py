"""Tests for the tag editor, alone and inside the details panel."""

import pytest
from PySide6.QtCore import Qt

from picpocket_gui.widgets.details import DetailsPanel
from picpocket_gui.widgets.tag_entry import TagEntry

CAMERAS = ("jpg/Canon_40D.jpg", "jpg/Nikon_D70.jpg", "jpg/Pentax_K10D.jpg")


@pytest.fixture
def entry(qtbot):
    entry = TagEntry()
    qtbot.addWidget(entry)
    entry.resize(320, 120)
    entry.show()
    return entry


@pytest.fixture
async def panel(qtbot, library):
    panel = DetailsPanel(library)
    qtbot.addWidget(panel)
    panel.show()
    images = await library.search_images()
    by_path = {image.path.as_posix(): image.id for image in images}
    await panel.show_images(await library.get_images(by_path[path] for path in CAMERAS))
    return panel


def test_chip_texts(entry):
    entry.set_tags({"bird": 5, "water": 2}, 5)
    texts = [entry.chip(tag).label.text() for tag in ("bird", "water")]
    assert texts == ["bird", "water (2 of 5)"]


def test_no_tags_message(entry):
    entry.set_tags({}, 1)
    assert entry.empty_label.isVisibleTo(entry)


def test_enter_emits_tag_added(qtbot, entry):
    entry.set_tags({}, 2)
    qtbot.keyClicks(entry.entry, "bird/heron")
    with qtbot.waitSignal(entry.tag_added) as blocker:
        qtbot.keyClick(entry.entry, Qt.Key.Key_Return)
    assert blocker.args == ["bird/heron"]


def test_enter_skips_tag_on_all(qtbot, entry):
    entry.set_tags({"bird": 2}, 2)
    qtbot.keyClicks(entry.entry, "bird")
    with qtbot.assertNotEmitted(entry.tag_added):
        qtbot.keyClick(entry.entry, Qt.Key.Key_Return)


def test_remove_button_emits(qtbot, entry):
    entry.set_tags({"bird": 1}, 1)
    with qtbot.waitSignal(entry.tag_removed) as blocker:
        qtbot.mouseClick(entry.chip("bird").remove_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["bird"]


def test_partial_chip_click_adds_to_all(qtbot, entry):
    entry.set_tags({"water": 2}, 5)
    with qtbot.waitSignal(entry.tag_added) as blocker:
        qtbot.mouseClick(entry.chip("water").label, Qt.MouseButton.LeftButton)
    assert blocker.args == ["water"]


def test_full_chip_click_is_silent(qtbot, entry):
    entry.set_tags({"water": 5}, 5)
    with qtbot.assertNotEmitted(entry.tag_added):
        qtbot.mouseClick(entry.chip("water").label, Qt.MouseButton.LeftButton)


def test_set_tags_replaces_chips(entry):
    entry.set_tags({"bird": 1}, 1)
    entry.set_tags({"water": 1}, 1)
    assert entry.chip("bird") is None


async def test_add_persists_for_all(qtbot, panel, library):
    qtbot.keyClicks(panel.tag_entry.entry, "bird/heron")
    qtbot.keyClick(panel.tag_entry.entry, Qt.Key.Key_Return)
    await panel.wait_idle()
    counts = await library.get_tag_set(*panel.selected_ids())
    assert counts == {"bird/heron": 3}


async def test_add_updates_chips(qtbot, panel):
    qtbot.keyClicks(panel.tag_entry.entry, "bird/heron")
    qtbot.keyClick(panel.tag_entry.entry, Qt.Key.Key_Return)
    await panel.wait_idle()
    assert panel.tag_entry.tags() == {"bird/heron": 3}


async def test_remove_persists_for_all(qtbot, panel, library):
    ids = panel.selected_ids()
    await library.tag_images(ids[:2], "water")
    await panel.show_images(await library.get_images(ids))
    chip = panel.tag_entry.chip("water")
    qtbot.mouseClick(chip.remove_button, Qt.MouseButton.LeftButton)
    await panel.wait_idle()
    assert await library.get_tag_set(*ids) == {}


async def test_partial_tag_shown_with_count(panel, library):
    ids = panel.selected_ids()
    await library.tag_images(ids[:2], "water")
    await panel.show_images(await library.get_images(ids))
    assert panel.tag_entry.chip("water").label.text() == "water (2 of 3)"


async def test_partial_tag_click_completes(qtbot, panel, library):
    ids = panel.selected_ids()
    await library.tag_images(ids[:1], "water")
    await panel.show_images(await library.get_images(ids))
    qtbot.mouseClick(panel.tag_entry.chip("water").label, Qt.MouseButton.LeftButton)
    await panel.wait_idle()
    assert await library.get_tag_set(*ids) == {"water": 3}


async def test_tag_change_emits_ids(qtbot, panel):
    changed = []
    panel.images_changed.connect(changed.append)
    qtbot.keyClicks(panel.tag_entry.entry, "sky")
    qtbot.keyClick(panel.tag_entry.entry, Qt.Key.Key_Return)
    await panel.wait_idle()
    assert changed == [panel.selected_ids()]


async def test_invalid_tag_error_shown(qtbot, panel):
    qtbot.keyClicks(panel.tag_entry.entry, "bird//heron")
    qtbot.keyClick(panel.tag_entry.entry, Qt.Key.Key_Return)
    await panel.wait_idle()
    assert "empty level" in panel.errors["tags"].text()
