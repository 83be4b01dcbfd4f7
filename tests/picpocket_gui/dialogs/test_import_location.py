"""Tests for the import dialog: options, progress, cancel, results and mounting."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from picpocket.database.logic import Comparator, Number
from picpocket.images import DEFAULT_FORMATS
from picpocket_gui.dialogs.import_location import FormatTree, ImportDialog
from picpocket_gui.jobs import JobManager

SAMPLES = ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Kodak_CX7530.jpg")
BURST_COPIES = 75  # of each sample, so 300 files


@pytest.fixture
def parent():
    """Return a parent window, so closing a dialog does not quit the app."""
    widget = QWidget()
    yield widget
    widget.deleteLater()


@pytest.fixture
def damaged(jpegs: Path) -> Path:
    """Add a truncated JPEG and a broken symbolic link to the four camera JPEGs."""
    data = (jpegs / "Canon_40D.jpg").read_bytes()
    (jpegs / "broken.jpg").write_bytes(data[: len(data) // 2])
    (jpegs / "gone.jpg").symlink_to(jpegs / "nowhere.jpg")
    return jpegs


@pytest.fixture
def burst(tmp_path: Path, photo_source: Path) -> Path:
    """Return a folder of 300 small camera JPEGs."""
    folder = tmp_path / "burst"
    folder.mkdir()
    for copy in range(BURST_COPIES):
        for name in SAMPLES:
            shutil.copy2(photo_source / "jpg" / name, folder / f"{copy:03d}_{name}")
    return folder


async def add_location(library, name: str, folder: Path | None, **options):
    location_id = await library.add_location(name, folder, source=True, **options)
    return await library.get_location(location_id)


async def location_images(library, location) -> list:
    ids = await library.get_image_ids(
        Number("location", Comparator.EQUALS, location.id)
    )
    return await library.get_images(ids)


async def test_import_reports_progress(library, parent, damaged):
    location = await add_location(library, "jpegs", damaged)
    dialog = ImportDialog(library, location, parent, jobs=JobManager())
    updates = []
    dialog.progress_changed.connect(lambda done, total: updates.append((done, total)))
    result = await dialog.run()
    assert result is not None
    assert updates[-1] == (5, 5)
    assert dialog.progress_bar.text() == "5 of 5 files"
    assert dialog.is_running() is False


async def test_import_results_count(library, parent, damaged):
    location = await add_location(library, "jpegs", damaged)
    dialog = ImportDialog(library, location, parent, jobs=JobManager())
    result = await dialog.run()
    recorded = await location_images(library, location)
    assert sorted(result.imported) == sorted(image.id for image in recorded)
    assert result.added == 5
    assert "5 images imported from 5 files" in dialog.summary_label.text()


async def test_import_lists_unreadable(library, parent, damaged):
    location = await add_location(library, "jpegs", damaged)
    dialog = ImportDialog(library, location, parent)
    result = await dialog.run()
    entries = {entry.path.as_posix(): entry for entry in result.unreadable}
    assert sorted(entries) == ["broken.jpg", "gone.jpg"]
    assert entries["broken.jpg"].recorded is True
    assert "Could not read image data from broken.jpg" in entries["broken.jpg"].problem
    assert entries["gone.jpg"].recorded is False
    assert "symbolic link" in entries["gone.jpg"].problem
    assert dialog.unreadable_tree.topLevelItemCount() == 2


async def test_unreadable_without_log_warning(library, parent, damaged):
    """The records alone list a file without image data, even with no warning."""
    location = await add_location(library, "jpegs", damaged)
    engine_logger = logging.getLogger("picpocket")
    engine_logger.setLevel(logging.ERROR)
    try:
        result = await ImportDialog(library, location, parent).run()
    finally:
        engine_logger.setLevel(logging.NOTSET)
    paths = [entry.path.as_posix() for entry in result.unreadable]
    assert paths == ["broken.jpg"]
    assert "recorded without dimensions" in result.unreadable[0].problem


async def test_samples_all_readable(library, parent, photo_source, tmp_path):
    """The sample with a damaged scan and those with invalid EXIF still have a
    readable header, so none of them is listed."""
    copy = tmp_path / "samples"
    shutil.copytree(photo_source, copy)
    images = [path for path in copy.rglob("*") if path.suffix.lower()[1:]
              in DEFAULT_FORMATS]
    location = await add_location(library, "samples", copy)
    result = await ImportDialog(library, location, parent).run()
    assert result.added == len(images)
    assert result.unreadable == []


async def test_show_imported_emits_ids(library, parent, damaged):
    location = await add_location(library, "jpegs", damaged)
    dialog = ImportDialog(library, location, parent)
    result = await dialog.run()
    shown = []
    dialog.show_imported.connect(shown.append)
    dialog.show_button.click()
    assert shown == [result.imported]


async def test_import_applies_creator_and_tags(library, parent, jpegs):
    location = await add_location(library, "jpegs", jpegs)
    dialog = ImportDialog(library, location, parent)
    dialog.creator_edit.setText("Ann Example")
    dialog.tags_edit.setText("trip/2024, family")
    await dialog.run()
    images = await library.get_images(dialog.import_result().imported, tags=True)
    assert {image.creator for image in images} == {"Ann Example"}
    assert {tuple(sorted(image.tags)) for image in images} == {
        ("family", "trip/2024")
    }


async def test_default_options(library, parent, jpegs):
    location = await add_location(library, "jpegs", jpegs)
    dialog = ImportDialog(library, location, parent)
    options = dialog.options()
    assert options["file_formats"] == set(DEFAULT_FORMATS)
    assert options["batch_size"] == 1000
    assert "committed" in dialog.batch_spin.toolTip()
    assert options["creator"] is None
    assert options["tags"] == []


async def test_unticked_formats_skip_files(library, parent, jpegs):
    location = await add_location(library, "jpegs", jpegs)
    dialog = ImportDialog(library, location, parent)
    jpeg = dialog.format_tree.topLevelItem(0).child(0)
    assert "JPEG" in jpeg.text(0)
    jpeg.setCheckState(0, Qt.CheckState.Unchecked)
    result = await dialog.run()
    assert result.total == 0
    assert await location_images(library, location) == []
    assert "No image files" in dialog.summary_label.text()


async def test_no_format_blocks_import(library, parent, jpegs):
    location = await add_location(library, "jpegs", jpegs)
    dialog = ImportDialog(library, location, parent)
    for group in range(dialog.format_tree.topLevelItemCount()):
        dialog.format_tree.topLevelItem(group).setCheckState(0, Qt.CheckState.Unchecked)
    assert dialog.run_button.isEnabled() is False
    assert await dialog.run() is None
    assert "file format" in dialog.message_text()


def test_format_groups_cover_defaults(qtbot):
    tree = FormatTree()
    qtbot.addWidget(tree)
    groups = [tree.topLevelItem(row).text(0) for row in range(tree.topLevelItemCount())]
    assert groups == ["Pictures", "Camera RAW"]
    assert tree.formats() == set(DEFAULT_FORMATS)


async def test_cancel_keeps_whole_batches(library, parent, burst):
    location = await add_location(library, "burst", burst)
    dialog = ImportDialog(library, location, parent, jobs=JobManager())
    dialog.batch_spin.setValue(10)

    def cancel_after_two_batches(done: int, total: int) -> None:
        if done >= 20:
            dialog.cancel()

    dialog.progress_changed.connect(cancel_after_two_batches)
    result = await dialog.run()
    recorded = await location_images(library, location)
    assert result.cancelled is True
    assert 20 <= len(recorded) < 4 * BURST_COPIES
    assert len(recorded) % 10 == 0
    assert result.added == len(recorded)
    assert all((burst / image.path).is_file() for image in recorded)


async def test_import_after_cancel_completes(library, parent, burst):
    location = await add_location(library, "burst", burst)
    dialog = ImportDialog(library, location, parent, jobs=JobManager())
    dialog.batch_spin.setValue(10)
    dialog.progress_changed.connect(
        lambda done, total: dialog.cancel() if done >= 20 else None
    )
    await dialog.run()
    kept = len(await location_images(library, location))
    dialog.progress_changed.disconnect()
    again = await dialog.run()
    recorded = await location_images(library, location)
    assert again.cancelled is False
    assert len(again.imported) == 4 * BURST_COPIES - kept
    assert len(recorded) == 4 * BURST_COPIES
    assert len({image.path for image in recorded}) == len(recorded)


async def test_mounts_removable_location_first(library, parent, jpegs):
    location = await add_location(library, "card", None, removable=True)
    asked = []

    async def mount(target) -> bool:
        asked.append(target.name)
        await library.mount(target.id, jpegs)
        return True

    dialog = ImportDialog(library, location, parent, mount=mount)
    result = await dialog.run()
    assert asked == ["card"]
    assert result.added == len(SAMPLES)


async def test_declined_mount_imports_nothing(library, parent, jpegs):
    location = await add_location(library, "card", None, removable=True)

    async def mount(target) -> bool:
        return False

    dialog = ImportDialog(library, location, parent, mount=mount)
    assert await dialog.run() is None
    assert "not mounted" in dialog.message_text()


async def test_unmounted_without_mount_callable(library, parent):
    location = await add_location(library, "card", None, removable=True)
    dialog = ImportDialog(library, location, parent)
    assert await dialog.run() is None
    assert "mount the location from the location manager" in dialog.message_text()


async def test_missing_folder_message(library, parent, tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    location = await add_location(library, "disk", folder, removable=False)
    os.rmdir(folder)
    dialog = ImportDialog(library, location, parent)
    assert await dialog.run() is None
    assert "does not exist" in dialog.message_text()
