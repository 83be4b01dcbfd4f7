"""Tests for the location add and edit dialog and the removal flow."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QPushButton,
    QWidget,
)

from picpocket_gui.dialogs.location import (
    LocationDialog,
    RemovalOutcome,
    confirm_remove_location,
    field_for_error,
)


async def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll `condition` on the running loop until it is true or time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"Timed out after {timeout} s waiting for {condition}")
        await asyncio.sleep(0.01)


@pytest.fixture
def parent():
    """Return a parent window, so closing a dialog does not quit the app."""
    widget = QWidget()
    yield widget
    widget.deleteLater()


def click_ok(dialog: LocationDialog) -> None:
    box = dialog.findChild(QDialogButtonBox)
    box.button(QDialogButtonBox.StandardButton.Ok).click()


async def test_add_taken_name(library, parent, tmp_path):
    dialog = LocationDialog(library, None, parent)
    dialog.name_edit.setText("photos")
    dialog.path_edit.setText(str(tmp_path))
    await wait_until(lambda: dialog.message_text("name"))
    assert "'photos' already exists" in dialog.message_text("name")
    assert not await dialog.save()
    assert len(await library.list_locations()) == 1


async def test_add_valid(library, parent, tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    dialog = LocationDialog(library, None, parent)
    dialog.show()
    dialog.name_edit.setText("archive")
    dialog.path_edit.setText(str(folder))
    dialog.description_edit.setText("old photos")
    dialog.source_box.setChecked(False)
    click_ok(dialog)
    await wait_until(lambda: dialog.result() == QDialog.DialogCode.Accepted)
    stored = await library.get_location("archive")
    assert stored.id == dialog.saved_location_id()
    assert stored.path == folder
    assert stored.description == "old photos"
    assert (stored.source, stored.destination) == (False, True)
    assert not stored.removable


async def test_add_neither_role(library, parent):
    dialog = LocationDialog(library, None, parent)
    dialog.name_edit.setText("card")
    dialog.source_box.setChecked(False)
    dialog.destination_box.setChecked(False)
    assert "Tick Source, Destination or both" in dialog.message_text("roles")
    assert not await dialog.save()
    assert await library.get_location("card") is None


async def test_add_roles_message_clears(library, parent):
    dialog = LocationDialog(library, None, parent)
    dialog.source_box.setChecked(False)
    dialog.destination_box.setChecked(False)
    dialog.source_box.setChecked(True)
    assert dialog.message_text("roles") == ""


async def test_add_empty_name(library, parent):
    dialog = LocationDialog(library, None, parent)
    assert not await dialog.save()
    assert "Enter a name" in dialog.message_text("name")


async def test_add_missing_fixed_path(library, parent, tmp_path):
    dialog = LocationDialog(library, None, parent)
    dialog.name_edit.setText("disk")
    dialog.path_edit.setText(str(tmp_path / "missing"))
    await wait_until(lambda: dialog.message_text("path"))
    assert "does not exist" in dialog.message_text("path")
    assert dialog.has_errors()
    assert not await dialog.save()


async def test_add_missing_removable_path(library, parent, tmp_path):
    missing = tmp_path / "card"
    dialog = LocationDialog(library, None, parent)
    dialog.name_edit.setText("card")
    dialog.path_edit.setText(str(missing))
    dialog.removable_box.setChecked(True)
    await wait_until(lambda: "fine for a removable" in dialog.message_text("path"))
    assert not dialog.has_errors()
    assert await dialog.save()
    stored = await library.get_location("card")
    assert stored.path == missing
    assert stored.removable


async def test_add_relative_path(library, parent):
    dialog = LocationDialog(library, None, parent)
    dialog.name_edit.setText("card")
    dialog.path_edit.setText("relative/folder")
    await wait_until(lambda: dialog.message_text("path"))
    assert "absolute path" in dialog.message_text("path")


async def test_add_engine_error_by_field(library, parent):
    dialog = LocationDialog(library, None, parent)
    dialog.name_edit.setText("card")
    dialog.description_edit.setText("bad\x00text")
    assert not await dialog.save()
    assert "NUL" in dialog.message_text("description")
    assert await library.get_location("card") is None


async def test_edit_description(library, parent):
    location = await library.get_location("photos")
    dialog = LocationDialog(library, location, parent)
    dialog.show()
    await wait_until(lambda: dialog.name_edit.text() == "photos")
    dialog.description_edit.setText("every sample photo")
    click_ok(dialog)
    await wait_until(lambda: dialog.result() == QDialog.DialogCode.Accepted)
    stored = await library.get_location(location.id)
    assert stored.description == "every sample photo"
    assert stored.name == "photos"
    assert stored.path == location.path


async def test_edit_keeps_own_name(library, parent):
    location = await library.get_location("photos")
    dialog = LocationDialog(library, location, parent)
    await dialog.load()
    assert dialog.message_text("name") == ""


async def test_edit_rename_to_taken(library, parent):
    card_id = await library.add_location("card", None, source=True)
    card = await library.get_location(card_id)
    dialog = LocationDialog(library, card, parent)
    dialog.name_edit.setText("photos")
    assert not await dialog.save()
    assert "already exists" in dialog.message_text("name")
    assert (await library.get_location(card_id)).name == "card"


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("A location named 'x' already exists; choose another name", "name"),
        ("A location name must be non-empty text, got ''", "name"),
        ("Location path 'a' is relative; give an absolute path", "path"),
        ("description 'a\\x00' contains a NUL character; remove it", "description"),
        ("A location must be a source, a destination, or both", "roles"),
        ("Location 7 not found", "general"),
    ],
)
def test_field_for_error(message, field):
    assert field_for_error(message) == field


async def open_removal(parent, library, name):
    """Start the removal flow for location `name` and return (task, message box)."""
    location = await library.get_location(name)
    task = asyncio.ensure_future(confirm_remove_location(parent, library, location))
    await wait_until(lambda: parent.findChildren(QMessageBox))
    return task, parent.findChildren(QMessageBox)[0]


async def test_remove_names_count(library, parent):
    count = await library.count_images()
    task, box = await open_removal(parent, library, "photos")
    text = box.text()
    box.findChild(QPushButton, "keep").click()
    await task
    assert f"{count} images" in text


async def test_remove_says_files_stay(library, parent):
    task, box = await open_removal(parent, library, "photos")
    text = box.informativeText()
    box.findChild(QPushButton, "keep").click()
    await task
    assert "files stay on disk" in text


async def test_remove_keep(library, parent):
    count = await library.count_images()
    task, box = await open_removal(parent, library, "photos")
    box.findChild(QPushButton, "keep").click()
    assert await task is RemovalOutcome.KEPT
    assert await library.get_location("photos") is not None
    assert await library.count_images() == count


async def test_remove_drop_records(library, parent, photos):
    files = sorted(path for path in photos.rglob("*") if path.is_file())
    task, box = await open_removal(parent, library, "photos")
    box.findChild(QPushButton, "remove").click()
    assert await task is RemovalOutcome.REMOVED_WITH_RECORDS
    assert await library.get_location("photos") is None
    assert await library.count_images() == 0
    assert sorted(path for path in photos.rglob("*") if path.is_file()) == files


async def test_remove_empty_location(library, parent):
    await library.add_location("card", None, source=True)
    task, box = await open_removal(parent, library, "card")
    assert "0 images" in box.text()
    box.findChild(QPushButton, "remove").click()
    assert await task is RemovalOutcome.REMOVED
    assert await library.get_location("card") is None
