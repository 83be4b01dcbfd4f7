"""Tests for backups from the desktop app: export, import and their dialog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QWidget

import picpocket
from picpocket_gui.dialogs.backup import (
    BackupDialog,
    BackupMode,
    export_backup,
    import_backup,
)
from tests.picpocket_gui.waiting import until

TAGGED = 5  # images tagged in the filled library


@pytest.fixture
def parent():
    """Return a parent window, so closing a dialog does not quit the app."""
    widget = QWidget()
    yield widget
    widget.deleteLater()


@pytest.fixture
async def filled(library, tmp_path: Path):
    """Add an archive, a task, tags and a title to the library of sample photos."""
    archive = tmp_path / "archive"
    archive.mkdir()
    await library.add_location("archive", archive, destination=True, removable=False)
    await library.add_task("sort photos", "photos", "archive")
    ids = await library.get_image_ids(order=("path",), limit=TAGGED)
    await library.tag_images(ids, "trip/2024")
    await library.tag_images(ids[:2], "family")
    await library.edit_image(ids[0], title="Harbour at dawn", rating=4)
    return library


@pytest.fixture
async def fresh(tmp_path: Path):
    """Return a new, empty library."""
    api = await picpocket.initialize(tmp_path / "fresh")
    yield api
    await api.close()


async def test_export_counts_file(filled, parent, tmp_path):
    path = tmp_path / "backup.json"
    summary = await export_backup(parent, filled, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert summary.mode is BackupMode.EXPORT
    assert summary.locations == 2
    assert summary.tasks == 1
    assert summary.tags == len(await filled.all_tag_names())
    assert summary.images == await filled.count_images()
    assert summary.images == len(data["images"])


async def test_import_counts_added(filled, fresh, parent, tmp_path):
    path = tmp_path / "backup.json"
    await export_backup(parent, filled, path)
    summary = await import_backup(parent, fresh, path)
    assert summary.mode is BackupMode.IMPORT
    assert (summary.locations, summary.tasks) == (2, 1)
    assert summary.tags == len(await filled.all_tag_names())
    assert summary.images == await filled.count_images()


async def test_import_brings_records(filled, fresh, parent, tmp_path):
    path = tmp_path / "backup.json"
    await export_backup(parent, filled, path)
    await import_backup(parent, fresh, path)
    [original] = await filled.get_images(
        await filled.get_image_ids(order=("path",), limit=1), tags=True
    )
    copy = await fresh.find_image(original.full_path, tags=True)
    assert await fresh.all_tag_names() == await filled.all_tag_names()
    assert [task.name for task in await fresh.list_tasks()] == ["sort photos"]
    assert (copy.title, copy.rating) == ("Harbour at dawn", 4)
    assert sorted(copy.tags) == ["family", "trip/2024"]
    assert copy.hash == original.hash


async def test_import_twice_adds_nothing(filled, fresh, parent, tmp_path):
    path = tmp_path / "backup.json"
    await export_backup(parent, filled, path)
    await import_backup(parent, fresh, path)
    again = await import_backup(parent, fresh, path)
    assert (again.locations, again.tasks, again.tags, again.images) == (0, 0, 0, 0)
    assert again.text().startswith("Nothing new was added")


async def test_dialog_exports_chosen_locations(filled, parent, tmp_path):
    path = tmp_path / "photos-only.json"
    dialog = BackupDialog(filled, "export", parent)
    await dialog.wait_loaded()
    assert dialog.location_names() == ["photos", "archive"]
    dialog.set_path(path)
    dialog.set_location_checked("archive", False)
    finished = []
    dialog.backup_finished.connect(finished.append)
    summary = await dialog.run()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [location["name"] for location in data["locations"]] == ["photos"]
    assert summary.tasks == 0
    assert finished == [summary]
    assert "1 location, 0 tasks" in dialog.summary_label.text()


async def test_dialog_needs_a_file(filled, parent):
    dialog = BackupDialog(filled, BackupMode.EXPORT, parent)
    await dialog.wait_loaded()
    assert await dialog.run() is None
    assert dialog.file_field.error_label.text() == "Enter or choose the backup file."


async def test_dialog_import_needs_folder(library, fresh, parent, tmp_path):
    await library.add_location("card", None, source=True, removable=True)
    path = tmp_path / "backup.json"
    await export_backup(parent, library, path)
    dialog = BackupDialog(fresh, "import", parent)
    dialog.set_path(path)
    await dialog.wait_loaded()
    assert await dialog.run() is None
    assert "Give the folder where “card” is now" in dialog.message_text()
    assert await fresh.list_locations() == []


async def test_dialog_import_mounts_folder(library, fresh, parent, tmp_path):
    await library.add_location("card", None, source=True, removable=True)
    path = tmp_path / "backup.json"
    await export_backup(parent, library, path)
    card_now = tmp_path / "card-now"
    card_now.mkdir()
    dialog = BackupDialog(fresh, "import", parent)
    dialog.set_path(path)
    await dialog.wait_loaded()
    dialog.set_location_folder("card", card_now)
    changes = []
    dialog.library_changed.connect(lambda: changes.append(True))
    summary = await dialog.run()
    card = await fresh.get_location("card")
    assert summary.locations == 2
    assert fresh.mounts[card.id] == card_now
    assert changes == [True]


async def test_dialog_import_chosen_location(library, fresh, parent, tmp_path):
    await library.add_location("card", None, source=True, removable=True)
    path = tmp_path / "backup.json"
    await export_backup(parent, library, path)
    dialog = BackupDialog(fresh, "import", parent)
    dialog.set_path(path)
    await dialog.wait_loaded()
    dialog.set_location_checked("card", False)
    summary = await dialog.run()
    assert [location.name for location in await fresh.list_locations()] == ["photos"]
    assert summary.images == await library.count_images()


async def test_dialog_rejects_other_json(fresh, parent, tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"format": "something else"}', encoding="utf-8")
    dialog = BackupDialog(fresh, "import", parent)
    dialog.set_path(path)
    await dialog.wait_loaded()
    assert "not a PicPocket backup" in dialog.file_field.error_label.text()
    assert await dialog.run() is None
    assert "not a PicPocket backup" in dialog.message_text()


async def test_choose_file_sets_path(fresh, parent, tmp_path):
    dialog = BackupDialog(fresh, "export", parent)
    chooser = dialog.choose_file()
    assert isinstance(chooser, QFileDialog)
    assert chooser.acceptMode() is QFileDialog.AcceptMode.AcceptSave
    chooser.fileSelected.emit(str(tmp_path / "chosen.json"))
    chooser.reject()
    await until(lambda: dialog.path() == tmp_path / "chosen.json")
    assert dialog.path() == tmp_path / "chosen.json"
