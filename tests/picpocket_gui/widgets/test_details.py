"""Tests for the details panel against a real library of the sample photos."""

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication

from picpocket_gui.widgets.details import (
    MIXED,
    MIXED_TEXT,
    DetailsPanel,
    common_value,
    exif_rows,
)

CAMERAS = ("jpg/Canon_40D.jpg", "jpg/Nikon_D70.jpg", "jpg/Pentax_K10D.jpg")


@pytest.fixture
async def ids(library) -> dict[str, int]:
    """Return image ids by path."""
    return {image.path.as_posix(): image.id for image in await library.search_images()}


@pytest.fixture
def panel(qtbot, library):
    panel = DetailsPanel(library)
    qtbot.addWidget(panel)
    panel.resize(360, 900)
    panel.show()
    return panel


async def show(panel, library, ids, paths=CAMERAS) -> list[int]:
    selected = [ids[path] for path in paths]
    await panel.show_images(await library.get_images(selected))
    return selected


def exif_value(panel, key: str) -> str | None:
    table = panel.exif
    for row in range(table.rowCount()):
        if table.item(row, 0).text() == key:
            return table.item(row, 1).text()
    return None


def test_common_value_shared():
    assert common_value(["a", "a"]) == "a"


def test_common_value_differs():
    assert common_value(["a", None]) is MIXED


def test_exif_rows_flatten_groups():
    rows = exif_rows({"Model": "X", "GPSInfo": {"GPSLatitude": [39.0, 3.0, 4.84]}})
    assert rows == {"Model": "X", "GPSInfo.GPSLatitude": "39, 3, 4.84"}


async def test_title_saved_for_every_image(qtbot, panel, library, ids):
    selected = await show(panel, library, ids)
    panel.editors["title"].setText("Camera test")
    qtbot.keyClick(panel.editors["title"], Qt.Key.Key_Return)
    await panel.wait_idle()
    images = await library.get_images(selected)
    assert [image.title for image in images] == ["Camera test"] * 3


async def test_title_save_emits_ids(qtbot, panel, library, ids):
    selected = await show(panel, library, ids)
    changed = []
    panel.images_changed.connect(changed.append)
    panel.editors["title"].setText("Camera test")
    qtbot.keyClick(panel.editors["title"], Qt.Key.Key_Return)
    await panel.wait_idle()
    assert changed == [selected]


async def test_unchanged_title_not_saved(qtbot, panel, library, ids):
    await show(panel, library, ids)
    changed = []
    panel.images_changed.connect(changed.append)
    qtbot.keyClick(panel.editors["title"], Qt.Key.Key_Return)
    await panel.wait_idle()
    assert changed == []


async def test_erasing_stores_none(qtbot, panel, library, ids):
    selected = await show(panel, library, ids, CAMERAS[:1])
    await library.edit_image(selected[0], creator="Someone")
    await panel.show_images(await library.get_images(selected))
    panel.editors["creator"].clear()
    qtbot.keyClick(panel.editors["creator"], Qt.Key.Key_Return)
    await panel.wait_idle()
    image = await library.get_image(selected[0])
    assert image.creator is None


async def test_caption_saved_on_focus_out(qtbot, panel, library, ids):
    selected = await show(panel, library, ids)
    caption = panel.editors["caption"]
    caption.setPlainText("First line\nsecond line")
    QApplication.sendEvent(caption, QFocusEvent(QEvent.Type.FocusOut))
    await panel.wait_idle()
    images = await library.get_images(selected)
    assert {image.caption for image in images} == {"First line\nsecond line"}


async def test_caption_saved_on_ctrl_enter(qtbot, panel, library, ids):
    selected = await show(panel, library, ids, CAMERAS[:1])
    panel.editors["caption"].setPlainText("Heron")
    qtbot.keyClick(
        panel.editors["caption"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    await panel.wait_idle()
    assert (await library.get_image(selected[0])).caption == "Heron"


async def test_mixed_field_shows_placeholder(panel, library, ids):
    selected = await show(panel, library, ids)
    await library.edit_image(selected[0], alt="Only the first")
    await panel.show_images(await library.get_images(selected))
    assert panel.editors["alt"].placeholderText() == MIXED_TEXT


async def test_mixed_field_kept_when_untouched(qtbot, panel, library, ids):
    selected = await show(panel, library, ids)
    await library.edit_image(selected[0], alt="Only the first")
    await panel.show_images(await library.get_images(selected))
    qtbot.keyClick(panel.editors["alt"], Qt.Key.Key_Return)
    await panel.wait_idle()
    images = await library.get_images(selected)
    assert [image.alt for image in images] == ["Only the first", None, None]


async def test_uncommitted_edit_saved_on_new_selection(panel, library, ids):
    selected = await show(panel, library, ids, CAMERAS[:1])
    panel.editors["title"].setText("Typed, then clicked away")
    await show(panel, library, ids, CAMERAS[1:])
    await panel.wait_idle()
    assert (await library.get_image(selected[0])).title == "Typed, then clicked away"


async def test_rating_saved_for_every_image(qtbot, panel, library, ids):
    selected = await show(panel, library, ids)
    qtbot.keyClick(panel.rating, Qt.Key.Key_4)
    await panel.wait_idle()
    images = await library.get_images(selected)
    assert [image.rating for image in images] == [4, 4, 4]


async def test_zero_stars_erase_rating(qtbot, panel, library, ids):
    selected = await show(panel, library, ids, CAMERAS[:1])
    await library.edit_image(selected[0], rating=3)
    await panel.show_images(await library.get_images(selected))
    qtbot.keyClick(panel.rating, Qt.Key.Key_0)
    await panel.wait_idle()
    assert (await library.get_image(selected[0])).rating is None


async def test_mixed_rating_shown(panel, library, ids):
    selected = await show(panel, library, ids)
    await library.edit_image(selected[0], rating=2)
    await panel.show_images(await library.get_images(selected))
    assert panel.rating.rating() is None


async def test_engine_error_beside_field(qtbot, panel, library, ids):
    await show(panel, library, ids, CAMERAS[:1])
    panel.editors["title"].setText("bad\x00title")
    qtbot.keyClick(panel.editors["title"], Qt.Key.Key_Return)
    await panel.wait_idle()
    assert "NUL" in panel.errors["title"].text()


async def test_engine_error_label_visible(qtbot, panel, library, ids):
    await show(panel, library, ids, CAMERAS[:1])
    panel.editors["title"].setText("bad\x00title")
    qtbot.keyClick(panel.editors["title"], Qt.Key.Key_Return)
    await panel.wait_idle()
    assert panel.errors["title"].isVisible()


async def test_failed_save_retried(qtbot, panel, library, ids):
    selected = await show(panel, library, ids, CAMERAS[:1])
    title = panel.editors["title"]
    title.setText("bad\x00title")
    qtbot.keyClick(title, Qt.Key.Key_Return)
    await panel.wait_idle()
    title.setText("good title")
    qtbot.keyClick(title, Qt.Key.Key_Return)
    await panel.wait_idle()
    assert (await library.get_image(selected[0])).title == "good title"


async def test_error_cleared_after_success(qtbot, panel, library, ids):
    await show(panel, library, ids, CAMERAS[:1])
    title = panel.editors["title"]
    title.setText("bad\x00title")
    qtbot.keyClick(title, Qt.Key.Key_Return)
    await panel.wait_idle()
    title.setText("good title")
    qtbot.keyClick(title, Qt.Key.Key_Return)
    await panel.wait_idle()
    assert panel.errors["title"].isHidden()


async def test_exif_shows_camera_model(panel, library, ids):
    await show(panel, library, ids, ["jpg/Canon_40D.jpg"])
    assert exif_value(panel, "Model") == "Canon EOS 40D"


async def test_exif_sorted_by_key(panel, library, ids):
    await show(panel, library, ids, ["jpg/Canon_40D.jpg"])
    keys = [panel.exif.item(row, 0).text() for row in range(panel.exif.rowCount())]
    assert keys == sorted(keys, key=str.casefold)


async def test_exif_mixed_between_cameras(panel, library, ids):
    await show(panel, library, ids)
    assert exif_value(panel, "Model") == MIXED_TEXT


async def test_exif_nested_gps(panel, library, ids):
    await show(panel, library, ids, ["jpg/gps/DSCN0010.jpg"])
    assert exif_value(panel, "GPSInfo.GPSLatitudeRef") == "N"


async def test_facts_single_image(panel, library, ids, photos):
    await show(panel, library, ids, ["jpg/Canon_40D.jpg"])
    facts = {key: fact.text() for key, fact in panel.facts.items()}
    assert facts["path"] == str(photos / "jpg" / "Canon_40D.jpg")
    assert facts["location"] == "photos"
    assert facts["dimensions"] == "100 × 68 pixels"
    assert facts["created"].startswith("2008-05-")


async def test_facts_mixed(panel, library, ids):
    await show(panel, library, ids)
    assert panel.facts["dimensions"].text() == MIXED_TEXT


async def test_header_counts_selection(panel, library, ids):
    await show(panel, library, ids)
    assert panel.header.text() == "3 images selected"


async def test_empty_selection_disables_editing(panel, library, ids):
    await show(panel, library, ids)
    await panel.show_images([])
    assert not panel.editors["title"].isEnabled()
