"""Tests for the verify dialog: missing files, removing records and remounting."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from picpocket_gui.dialogs.verify import VerifyDialog
from picpocket_gui.jobs import JobManager
from tests.picpocket_gui.waiting import until


@pytest.fixture
def parent():
    """Return a parent window, so closing a dialog does not quit the app."""
    widget = QWidget()
    yield widget
    widget.deleteLater()


@pytest.fixture
async def deleted(library) -> list:
    """Delete the files of two recorded photos and return their images."""
    ids = await library.get_image_ids(order=("path",))
    images = await library.get_images([ids[3], ids[40]])
    for image in images:
        os.remove(image.full_path)
    return images


def file_states(folder: Path) -> dict[str, tuple[int, int]]:
    """Return each file under `folder` with its size and modification time."""
    states = {}
    for path in folder.rglob("*"):
        if path.is_file():
            status = path.stat()
            states[path.relative_to(folder).as_posix()] = (
                status.st_size, status.st_mtime_ns
            )
    return states


def select_all(dialog: VerifyDialog) -> None:
    for row in range(dialog.missing_tree.topLevelItemCount()):
        dialog.missing_tree.topLevelItem(row).setSelected(True)


async def answer_removal(dialog: VerifyDialog, button_text: str) -> int:
    """Run remove_selected and click `button_text` in its confirmation."""
    removal = asyncio.ensure_future(dialog.remove_selected())
    await until(lambda: dialog.findChildren(QMessageBox))
    box = dialog.findChildren(QMessageBox)[0]
    text = box.text()
    [button] = [button for button in box.buttons() if button.text() == button_text]
    button.click()
    removed = await removal
    assert "Remove 2 images from the library?" == text
    return removed


async def open_verified(library, parent, location=None, **options) -> VerifyDialog:
    dialog = VerifyDialog(library, location, parent, **options)
    dialog.show()
    await dialog.run()
    return dialog


async def test_verify_lists_deleted_files(library, parent, deleted):
    location = await library.get_location("photos")
    dialog = await open_verified(library, parent, location, jobs=JobManager())
    listed = sorted(image.id for image in dialog.listed_images())
    assert listed == sorted(image.id for image in deleted)
    assert dialog.missing_tree.topLevelItem(0).text(1) == "photos"


async def test_verify_reports_progress(library, parent, deleted):
    location = await library.get_location("photos")
    dialog = VerifyDialog(library, location, parent, jobs=JobManager())
    updates = []
    dialog.progress_changed.connect(lambda done, total: updates.append((done, total)))
    result = await dialog.run()
    total = len(await library.get_image_ids())
    assert updates[-1] == (total, total)
    assert result.total == total
    assert "2 images of" in dialog.summary_label.text()


async def test_verify_shows_titles(library, parent, deleted):
    await library.edit_image(deleted[0].id, title="Harbour at dawn")
    dialog = await open_verified(library, parent)
    titles = {dialog.missing_tree.topLevelItem(row).text(2)
              for row in range(dialog.missing_tree.topLevelItemCount())}
    assert titles == {"Harbour at dawn", ""}


async def test_nothing_missing(library, parent):
    dialog = await open_verified(library, parent)
    assert dialog.listed_images() == []
    assert "Every recorded file is on disk" in dialog.summary_label.text()
    assert dialog.missing_tree.isVisible() is False


async def test_remove_drops_only_records(library, parent, photos, deleted):
    before = file_states(photos)
    count = await library.count_images()
    dialog = await open_verified(library, parent)
    changes = []
    dialog.library_changed.connect(lambda: changes.append(True))
    select_all(dialog)
    assert await answer_removal(dialog, "Remove from Library") == 2
    assert [await library.get_image(image.id) for image in deleted] == [None, None]
    assert await library.count_images() == count - 2
    assert file_states(photos) == before
    assert changes == [True]
    assert dialog.listed_images() == []


async def test_remove_cancelled_keeps_records(library, parent, deleted):
    count = await library.count_images()
    dialog = await open_verified(library, parent)
    select_all(dialog)
    assert await answer_removal(dialog, "Cancel") == 0
    assert await library.count_images() == count
    assert len(dialog.listed_images()) == 2


async def test_all_locations_skip_unmounted(library, parent, deleted):
    await library.add_location("card", None, source=True, removable=True)
    dialog = await open_verified(library, parent)
    assert len(dialog.listed_images()) == 2
    assert "not reachable: card" in dialog.summary_label.text()


async def test_remount_checks_again(library, parent, tmp_path, jpegs):
    card = await library.get_location(
        await library.add_location("card", jpegs, source=True, removable=True)
    )
    await library.import_location(card.id)
    moved = tmp_path / "card-now"
    shutil.move(jpegs, moved)
    wrong = tmp_path / "wrong-drive"
    wrong.mkdir()
    await library.mount(card.id, wrong)
    asked = []

    async def mount(location) -> bool:
        asked.append(location.name)
        await library.mount(location.id, moved)
        return True

    dialog = await open_verified(library, parent, card, mount=mount)
    assert len(dialog.listed_images()) == 4
    changes = []
    dialog.library_changed.connect(lambda: changes.append(True))
    select_all(dialog)
    assert dialog.remount_button.isEnabled() is True
    result = await dialog.remount_selected()
    assert asked == ["card"]
    assert result.missing == []
    assert changes == [True]


async def test_remount_needs_removable(library, parent, jpegs):
    disk = await library.get_location(
        await library.add_location("disk", jpegs, source=True, removable=False)
    )
    await library.import_location(disk.id)
    os.remove(jpegs / "Canon_40D.jpg")

    async def mount(location) -> bool:
        return True

    dialog = await open_verified(library, parent, disk, mount=mount)
    select_all(dialog)
    assert len(dialog.listed_images()) == 1
    assert dialog.remount_button.isEnabled() is False
    assert "not removable" in dialog.remount_button.toolTip()


async def test_unmounted_location_asks_mount(library, parent, jpegs):
    card_id = await library.add_location("card", None, source=True, removable=True)
    card = await library.get_location(card_id)

    async def decline(location) -> bool:
        return False

    dialog = VerifyDialog(library, card, parent, mount=decline)
    assert await dialog.run() is None
    assert "not mounted" in dialog.message_text()


@pytest.mark.parametrize("reparse", [False, True])
async def test_reparse_reads_unchanged_files(library, parent, photos, reparse):
    """A file replaced with its modification time kept is read again only
    when the option is ticked."""
    target = photos / "jpg" / "Canon_40D.jpg"
    image = await library.find_image(target)
    status = target.stat()
    shutil.copyfile(photos / "jpg" / "Nikon_D70.jpg", target)
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))
    replacement = await library.find_image(photos / "jpg" / "Nikon_D70.jpg")
    dialog = VerifyDialog(library, None, parent)
    dialog.reparse_check.setChecked(reparse)
    await dialog.run()
    refreshed = await library.get_image(image.id)
    expected = replacement.hash if reparse else image.hash
    assert refreshed.hash == expected
