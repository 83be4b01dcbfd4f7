"""Tests for the mount dialog and the unmount helper."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QWidget

from picpocket.database.types import Location
from picpocket_gui.dialogs import mount
from picpocket_gui.dialogs.mount import MountDialog, Volume, folder_problem, unmount


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


@pytest.fixture
async def card(library) -> Location:
    """Return a removable source location without a stored path."""
    location_id = await library.add_location("EOS 6D", None, source=True)
    return await library.get_location(location_id)


def mount_button(dialog: MountDialog):
    box = dialog.findChild(QDialogButtonBox)
    return next(button for button in box.buttons() if button.text() == "Mount")


async def test_mount_records_mount(library, card, parent, tmp_path):
    folder = tmp_path / "card"
    folder.mkdir()
    dialog = MountDialog(library, card, parent)
    dialog.show()
    dialog.set_path_text(str(folder))
    mount_button(dialog).click()
    await wait_until(lambda: dialog.result() == QDialog.DialogCode.Accepted)
    assert library.mounts[card.id] == folder
    assert dialog.chosen_path() == folder


async def test_mount_missing_folder(library, card, parent, tmp_path):
    missing = tmp_path / "not-connected"
    dialog = MountDialog(library, card, parent)
    dialog.show()
    dialog.set_path_text(str(missing))
    assert not await dialog.mount_chosen()
    assert f"{missing} does not exist" in dialog.message_text()
    assert card.id not in library.mounts
    assert dialog.isVisible()
    assert dialog.chosen_path() is None


async def test_mount_file_refused(library, card, parent, tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not a folder")
    dialog = MountDialog(library, card, parent)
    dialog.set_path_text(str(file))
    assert not await dialog.mount_chosen()
    assert "is a file, not a folder" in dialog.message_text()


async def test_mount_relative_refused(library, card, parent):
    dialog = MountDialog(library, card, parent)
    dialog.set_path_text("relative/folder")
    assert not await dialog.mount_chosen()
    assert "relative path" in dialog.message_text()


async def test_mount_empty_refused(library, card, parent):
    dialog = MountDialog(library, card, parent)
    dialog.set_path_text("")
    assert not await dialog.mount_chosen()
    assert "Choose a volume" in dialog.message_text()


async def test_mount_message_cleared_on_edit(library, card, parent, tmp_path):
    dialog = MountDialog(library, card, parent)
    dialog.set_path_text(str(tmp_path / "missing"))
    await dialog.mount_chosen()
    dialog.set_path_text(str(tmp_path))
    assert dialog.message_text() == ""


async def test_mount_suggests_last_mount(library, card, parent, tmp_path):
    folder = tmp_path / "last"
    folder.mkdir()
    dialog = MountDialog(library, card, parent, last_mount=folder)
    await dialog.refresh_volumes()
    assert dialog.path_text() == str(folder)


async def test_mount_skips_missing_last_mount(library, card, parent, tmp_path):
    dialog = MountDialog(library, card, parent, last_mount=tmp_path / "gone")
    await dialog.refresh_volumes()
    assert dialog.path_text() == ""


async def test_mount_preselects_stored_path(library, parent):
    volumes = mount.mounted_volumes()
    if not volumes:
        pytest.skip("This computer lists no mounted volumes")
    root = volumes[0].root
    location_id = await library.add_location("disk", root, source=True)
    location = await library.get_location(location_id)
    dialog = MountDialog(library, location, parent)
    await dialog.refresh_volumes()
    assert dialog.selected_volume().root == root
    assert dialog.path_text() == str(root)


async def test_mount_preselects_label(library, card, parent, tmp_path, monkeypatch):
    labelled = Volume("eos 6d", "/dev/sdz1", tmp_path, "vfat", 2**30, 2**29, False)
    other = Volume("BACKUP", "/dev/sdy1", Path("/"), "ext4", 2**40, 2**39, False)
    monkeypatch.setattr(mount, "mounted_volumes", lambda: [other, labelled])
    dialog = MountDialog(library, card, parent)
    await dialog.refresh_volumes()
    assert dialog.selected_volume() == labelled
    assert dialog.path_text() == str(tmp_path)


async def test_mount_table_lists_volumes(library, card, parent, tmp_path, monkeypatch):
    volume = Volume("CARD", "/dev/sdz1", tmp_path, "vfat", 2**30, 2**29, True)
    monkeypatch.setattr(mount, "mounted_volumes", lambda: [volume])
    dialog = MountDialog(library, card, parent)
    await dialog.refresh_volumes()
    table = dialog.findChild(QTableWidget)
    assert table.rowCount() == 1
    assert table.item(0, 1).text() == str(tmp_path)
    assert table.item(0, 4).text() == "Read-only"


def test_folder_problem_accepts_folder(tmp_path):
    assert folder_problem(tmp_path) is None


async def test_unmount_forgets_mount(library, card, tmp_path):
    await library.mount(card.id, tmp_path)
    previous = await unmount(library, card)
    assert previous == tmp_path
    assert card.id not in library.mounts
