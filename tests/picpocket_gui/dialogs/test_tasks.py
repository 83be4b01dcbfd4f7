"""Tests for the task list, running a task from the desktop app, and removal."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QWidget

from picpocket.database.logic import Comparator, Number
from picpocket_gui.dialogs.task_edit import TaskEditDialog
from picpocket_gui.dialogs.task_run import RunSummary, RunTaskDialog
from picpocket_gui.dialogs.tasks import TasksDialog
from picpocket_gui.jobs import JobManager
from tests.picpocket_gui.waiting import until

DAY_FILES = {
    "2024/05/01": ("Canon_40D.jpg", "Nikon_D70.jpg"),
    "2024/05/02": ("Pentax_K10D.jpg",),
}
FORMAT = "{date:%Y}/{date:%m-%d}/{file}"
EXPECTED = [
    "2024/05-01/Canon_40D.jpg",
    "2024/05-01/Nikon_D70.jpg",
    "2024/05-02/Pentax_K10D.jpg",
]


@pytest.fixture
def parent():
    """Return a parent window, so closing a dialog does not quit the app."""
    widget = QWidget()
    yield widget
    widget.deleteLater()


@pytest.fixture
def card(tmp_path: Path, photo_source: Path) -> Path:
    """Return a camera-card folder with dated folders of sample photos."""
    root = tmp_path / "card"
    for folder, names in DAY_FILES.items():
        (root / folder).mkdir(parents=True)
        moment = datetime.strptime(folder + " 12:00", "%Y/%m/%d %H:%M").timestamp()
        for name in names:
            shutil.copy2(photo_source / "jpg" / name, root / folder / name)
            os.utime(root / folder / name, (moment, moment))
    return root


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    return folder


@pytest.fixture
async def task(library, card: Path, archive: Path) -> str:
    """Add the card (mounted, removable), the archive and a task between them."""
    card_id = await library.add_location("card", None, source=True, removable=True)
    await library.mount(card_id, card)
    await library.add_location("archive", archive, destination=True, removable=False)
    await library.add_task(
        "card import", "card", "archive",
        source_path="{year}/{month}/{day}", destination_format=FORMAT,
    )
    return "card import"


async def open_list(library, parent, **options) -> TasksDialog:
    dialog = TasksDialog(library, parent, **options)
    dialog.show()
    await dialog.wait_loaded()
    return dialog


async def open_run(library, parent, name: str, **options) -> RunTaskDialog:
    tasks = await open_list(library, parent, **options)
    tasks.select_task(name)
    run = tasks.open_run_dialog()
    assert run is not None
    return run


def copied_files(archive: Path) -> list[str]:
    return sorted(
        path.relative_to(archive).as_posix()
        for path in archive.rglob("*") if path.is_file()
    )


async def archive_image_count(library) -> int:
    archive = await library.get_location("archive")
    return await library.count_images(Number("location", Comparator.EQUALS, archive.id))


async def test_list_shows_task(library, task, parent):
    dialog = await open_list(library, parent)
    assert dialog.row_texts(0) == [
        "card import", "card", "archive", "{year}/{month}/{day}", FORMAT, "never"
    ]
    assert not dialog.empty_label.isVisible()


async def test_list_marks_unmounted(library, task, parent):
    await library.unmount("card")
    dialog = await open_list(library, parent)
    assert dialog.row_texts(0)[1] == "card (not mounted)"


async def test_list_empty(library, parent):
    dialog = await open_list(library, parent)
    assert dialog.tree.topLevelItemCount() == 0
    assert dialog.empty_label.isVisible()
    assert not dialog.run_button.isEnabled()


async def test_add_from_list(library, task, parent):
    dialog = await open_list(library, parent)
    dialog.add_button.click()
    edit = dialog.findChild(TaskEditDialog)
    await edit.wait_loaded()
    edit.name_edit.setText("photos copy")
    edit.select_location(edit.source_box, "photos")
    edit.select_location(edit.destination_box, "archive")
    edit.source_path_edit.setText("jpg/gps")
    edit.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    await until(lambda: len(dialog.tasks()) == 2)
    stored = await library.get_task("photos copy")
    assert stored.source == (await library.get_location("photos")).id
    assert stored.source_path == "jpg/gps"
    assert dialog.selected_task().name == "photos copy"


async def test_edit_from_list(library, task, parent):
    dialog = await open_list(library, parent)
    dialog.select_task(task)
    edit = dialog.open_edit_dialog()
    await edit.wait_loaded()
    assert edit.name_edit.text() == task
    assert edit.replace_box is not None


async def test_run_copies_to_template(library, task, archive, parent):
    run = await open_run(library, parent, task)
    summary = await run.run()
    assert copied_files(archive) == EXPECTED
    assert summary.imported == 3
    assert summary.conflicts == []
    assert summary.failures == []
    for relative in EXPECTED:
        assert await library.find_image(archive / relative) is not None
    assert "3 images imported from 3 files" in run.summary_label.text()
    assert "never run" not in run.new_button.text()


async def test_run_updates_last_run(library, task, parent):
    dialog = await open_list(library, parent)
    dialog.select_task(task)
    await dialog.open_run_dialog().run()
    await until(lambda: dialog.row_texts(0)[5] != "never")
    last = (await library.get_task(task)).last_ran.astimezone()
    assert dialog.row_texts(0)[5] == last.strftime("%Y-%m-%d %H:%M")


async def test_second_run_copies_nothing(library, task, archive, parent):
    run = await open_run(library, parent, task)
    await run.run()
    second = await run.run()
    assert second.imported == 0
    assert second.total == 0
    assert "No new files were found" in run.summary_label.text()
    assert copied_files(archive) == EXPECTED
    assert await archive_image_count(library) == 3


async def test_run_conflict_kept(library, task, archive, card, parent):
    target = archive / "2024" / "05-01" / "Nikon_D70.jpg"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"an older, different file")
    run = await open_run(library, parent, task)
    summary = await run.run()
    assert target.read_bytes() == b"an older, different file"
    assert summary.conflicts == [(card / "2024/05/01/Nikon_D70.jpg", target)]
    assert summary.imported == 2
    assert str(target) in run.details_view.toPlainText()
    assert "nothing was overwritten" in run.summary_label.text()
    assert await library.find_image(target) is None


async def test_run_since_date(library, task, archive, parent):
    run = await open_run(library, parent, task)
    run.since_button.setChecked(True)
    run.since_edit.setDateTime(QDateTime(datetime(2024, 5, 2, 0, 0)))
    summary = await run.run()
    assert summary.imported == 1
    assert copied_files(archive) == ["2024/05-02/Pentax_K10D.jpg"]


async def test_run_full_after_run(library, task, archive, parent):
    run = await open_run(library, parent, task)
    await run.run()
    run.full_button.setChecked(True)
    summary = await run.run()
    assert summary.total == 3
    assert summary.conflicts == []
    assert copied_files(archive) == EXPECTED


async def test_run_extra_tags(library, task, archive, parent):
    run = await open_run(library, parent, task)
    run.tags_edit.setText("trip/may, family")
    await run.run()
    image = await library.find_image(archive / EXPECTED[0], tags=True)
    assert sorted(image.tags) == ["family", "trip/may"]


async def test_run_unmounted_mounts_first(library, task, card, archive, parent):
    await library.unmount("card")
    asked = []

    async def mount(location):
        asked.append(location.name)
        await library.mount(location.id, card)
        return True

    run = await open_run(library, parent, task, mount=mount)
    summary = await run.run()
    assert asked == ["card"]
    assert summary.imported == 3
    assert copied_files(archive) == EXPECTED


async def test_run_mount_declined(library, task, archive, parent):
    await library.unmount("card")

    async def mount(location):
        return False

    run = await open_run(library, parent, task, mount=mount)
    assert await run.run() is None
    assert "“card” is not mounted" in run.message_text()
    assert copied_files(archive) == []


async def test_run_unmounted_without_mount(library, task, archive, parent):
    await library.unmount("card")
    run = await open_run(library, parent, task)
    assert await run.run() is None
    assert "source “card” is a removable location" in run.message_text()
    assert "mount the location" in run.message_text()
    assert copied_files(archive) == []


async def test_run_as_job(library, task, archive, parent):
    jobs = JobManager()
    started = []
    jobs.job_started.connect(started.append)
    run = await open_run(library, parent, task, jobs=jobs)
    run.run_button.click()
    await until(lambda: run.summary() is not None)
    assert [job.name for job in started] == ["run task card import"]
    assert run.summary().imported == 3
    assert copied_files(archive) == EXPECTED


async def test_run_cancelled(library, task, archive, card, parent):
    for index in range(30):
        copy = card / "2024" / "05" / "02" / f"{index}.jpg"
        shutil.copy2(card / "2024/05/01/Canon_40D.jpg", copy)
    run = await open_run(library, parent, task)
    run.progress_changed.connect(lambda done, _total: done >= 1 and run.cancel())
    summary = await run.run()
    assert summary.cancelled
    assert summary.done < summary.total
    assert "cancelled" in run.summary_label.text()
    assert await archive_image_count(library) == len(copied_files(archive))


async def test_run_mounts_destination(library, task, card, tmp_path, parent):
    drive = tmp_path / "drive"
    drive.mkdir()
    await library.add_location("drive", None, destination=True, removable=True)
    await library.add_task("to drive", "card", "drive")
    asked = []

    async def mount(location):
        asked.append(location.name)
        await library.mount(location.id, drive)
        return True

    run = await open_run(library, parent, "to drive", mount=mount)
    summary = await run.run()
    assert asked == ["drive"]
    assert summary.imported == 3


async def test_run_engine_error(library, task, parent):
    run = await open_run(library, parent, task)
    await library.remove_task(task)
    summary = await run.run()
    assert "'card import' not found" in summary.error
    assert "The run failed" in run.summary_label.text()


async def test_run_closed_reopens_on_conflict(library, task, archive, parent):
    target = archive / "2024" / "05-02" / "Pentax_K10D.jpg"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"different")
    run = await open_run(library, parent, task)
    running = asyncio.ensure_future(run.run())
    run.reject()
    assert not run.isVisible()
    summary = await running
    assert len(summary.conflicts) == 1
    assert run.isVisible()


async def test_run_failure_reported(library, task, archive, parent):
    shutil.rmtree(archive)
    run = await open_run(library, parent, task)
    summary = await run.run()
    assert summary is None
    assert "“archive” has no folder" in run.message_text()


async def test_remove_asks(library, task, parent):
    dialog = await open_list(library, parent)
    dialog.select_task(task)
    dialog.remove_button.click()
    await until(lambda: dialog.findChild(QMessageBox) is not None)
    box = dialog.findChild(QMessageBox)
    assert "“card import”" in box.text()
    assert "No file is touched" in box.informativeText()
    remove = next(b for b in box.buttons() if b.text() == "Remove Task")
    remove.click()
    await until(lambda: dialog.tasks() == [])
    assert await library.get_task(task) is None


async def test_remove_cancelled(library, task, parent):
    dialog = await open_list(library, parent)
    dialog.select_task(task)
    removal = asyncio.ensure_future(dialog.remove_selected())
    await until(lambda: dialog.findChild(QMessageBox) is not None)
    dialog.findChild(QMessageBox).button(QMessageBox.StandardButton.Cancel).click()
    assert not await removal
    assert await library.get_task(task) is not None


def test_summary_headline_counts():
    summary = RunSummary(imported=1, total=2, failures=["Could not copy x"])
    assert summary.headline().splitlines() == [
        "1 image imported from 2 files.",
        "1 problem with files.",
        "The next run looks at these files again.",
    ]


def test_summary_details_empty():
    assert RunSummary(imported=3, total=3).details() == ""


async def test_run_dialog_closes_without_run(library, task, parent):
    run = await open_run(library, parent, task)
    run.reject()
    assert run.result() == QDialog.DialogCode.Rejected
    assert run.summary() is None
