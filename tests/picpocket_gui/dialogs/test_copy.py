"""Tests for the copy dialog that opens when files are dropped on the app."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from picpocket_gui import jobs as jobs_module
from picpocket_gui.copying import DEFAULT_TEMPLATE, CopyResult, FileProblem, Resolution
from picpocket_gui.dialogs.copy import (
    CopyDialog,
    TagListCompleter,
    parse_tags,
    report_copy,
)
from picpocket_gui.drops import dropped_file_paths
from picpocket_gui.jobs import JobManager, JobState
from tests.picpocket_gui.waiting import until


@pytest.fixture
def parent():
    """Return a parent window, so closing a dialog does not quit the app."""
    widget = QWidget()
    yield widget
    widget.deleteLater()


@pytest.fixture
def drop(tmp_path: Path, photo_source: Path) -> Path:
    """Return a dropped folder: photos, a subfolder of GPS photos, a text file."""
    folder = tmp_path / "drop"
    shutil.copytree(photo_source / "jpg" / "gps", folder / "gps")
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg"):
        shutil.copy2(photo_source / "jpg" / name, folder / name)
    (folder / "notes.txt").write_text("not a photo")
    return folder


@pytest.fixture
async def archive(library, tmp_path: Path) -> tuple[int, Path]:
    """Return the id and folder of a second, destination-only location."""
    folder = tmp_path / "archive"
    folder.mkdir()
    location_id = await library.add_location("archive", folder, destination=True)
    return location_id, folder


def dropped(*paths: Path) -> list[Path]:
    """Return the paths a drop of these files yields, through real drag data."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return dropped_file_paths(mime)


async def opened(library, parent, paths, **options) -> CopyDialog:
    """Open a copy dialog and wait until its plan is built."""
    dialog = CopyDialog(library, paths, parent, **options)
    dialog.show()
    await until(lambda: dialog.plan() is not None)
    return dialog


async def replanned(dialog: CopyDialog) -> None:
    """Wait until the dialog has planned the copy for its current fields."""
    await until(lambda: dialog.plan() is not None)


def occupy(folder: Path, relative: str, data: bytes = b"another file") -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# Fields ---------------------------------------------------------------------


async def test_destinations_only(library, archive, parent, drop, tmp_path):
    await library.add_location("card", tmp_path, source=True)
    dialog = await opened(library, parent, dropped(drop))
    combo = dialog.location_combo
    names = [combo.itemText(row) for row in range(combo.count())]
    assert names == ["photos", "archive"]


async def test_dropped_location_preselected(library, archive, parent, drop):
    dialog = await opened(library, parent, dropped(drop), location_id=archive[0])
    assert dialog.location_combo.currentText() == "archive"
    assert dialog.plan().location_name == "archive"


async def test_not_destination_noted(library, parent, drop, tmp_path):
    card_id = await library.add_location("card", tmp_path, source=True)
    dialog = await opened(library, parent, dropped(drop), location_id=card_id)
    assert "“card” is not a destination" in dialog.location_error.text()


async def test_default_template(library, parent, drop):
    dialog = await opened(library, parent, dropped(drop))
    assert dialog.template_edit.text() == DEFAULT_TEMPLATE


async def test_preview_first_targets(library, archive, parent, drop):
    dialog = await opened(library, parent, dropped(drop), location_id=archive[0])
    lines = dialog.preview_lines()
    assert lines[0] == "Canon_40D.jpg  →  2008/05/Canon_40D.jpg"
    assert lines[-1] == "… and 6 more"


async def test_preview_follows_typing(library, archive, parent, drop):
    dialog = await opened(library, parent, dropped(drop), location_id=archive[0])
    dialog.template_edit.setText("{directory}/{name}.{extension}")
    # Shown before the new plan is built.
    assert dialog.plan() is None
    assert "DSCN0010.jpg  →  gps/DSCN0010.jpg" in dialog.preview_lines()


async def test_preview_uses_folder(library, archive, parent, drop):
    dialog = await opened(library, parent, dropped(drop), location_id=archive[0])
    dialog.folder_edit.setText("Imports/Trip")
    first = dialog.preview_lines()[0]
    assert first == "Canon_40D.jpg  →  Imports/Trip/2008/05/Canon_40D.jpg"


async def test_invalid_template_message(library, archive, parent, drop):
    dialog = await opened(library, parent, dropped(drop), location_id=archive[0])
    dialog.template_edit.setText("{date:%Y}/{place}/{file}")
    assert "unknown field 'place'" in dialog.template_error.text()
    assert dialog.template_error.isVisible()
    await until(lambda: dialog.summary_label.text().startswith("Nothing"))
    assert not dialog.copy_button.isEnabled()


async def test_folder_outside_message(library, archive, parent, drop):
    dialog = await opened(library, parent, dropped(drop), location_id=archive[0])
    dialog.folder_edit.setText("../elsewhere")
    assert "'..'" in dialog.folder_error.text()


async def test_choose_folder_inside(library, archive, parent, drop):
    location_id, folder = archive
    (folder / "Imports" / "2024").mkdir(parents=True)
    dialog = await opened(library, parent, dropped(drop), location_id=location_id)
    dialog.choose_folder(folder / "Imports" / "2024")
    assert dialog.folder_edit.text() == "Imports/2024"


async def test_choose_folder_outside(library, archive, parent, drop, tmp_path):
    dialog = await opened(library, parent, dropped(drop), location_id=archive[0])
    dialog.choose_folder(tmp_path)
    assert "is not inside the location" in dialog.folder_error.text()
    assert dialog.folder_edit.text() == ""


async def test_not_images_listed(library, archive, parent, drop):
    dialog = await opened(library, parent, dropped(drop), location_id=archive[0])
    items = [dialog.left_out_list.item(row).text()
             for row in range(dialog.left_out_list.count())]
    assert items == ["drop/notes.txt: not an image"]
    assert dialog.left_out_box.title() == "Not copied (1)"


async def test_tag_names_completed(library, parent, drop):
    await library.add_tag("trip/alps")
    dialog = await opened(library, parent, dropped(drop))
    completer = dialog.tags_edit.completer()
    assert isinstance(completer, TagListCompleter)
    assert "trip/alps" in completer.model().stringList()


async def test_tag_completion_after_comma(library, parent, drop):
    await library.add_tag("trip/alps")
    dialog = await opened(library, parent, dropped(drop))
    dialog.activateWindow()
    dialog.tags_edit.setFocus()
    QTest.keyClicks(dialog.tags_edit, "family, tri")
    popup = dialog.tags_edit.completer().popup()
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Return)
    assert dialog.tags_edit.text() == "family, trip/alps"


def test_parse_tags():
    assert parse_tags(" family, trip/alps/ ,, ") == ["family", "trip/alps"]


# Conflicts ------------------------------------------------------------------


async def test_conflict_listed(library, archive, parent, drop):
    location_id, folder = archive
    occupy(folder, "2008/05/Canon_40D.jpg")
    dialog = await opened(library, parent, dropped(drop), location_id=location_id)
    tree = dialog.conflict_tree
    assert tree.topLevelItemCount() == 1
    assert tree.topLevelItem(0).text(1) == "2008/05/Canon_40D.jpg"
    assert tree.topLevelItem(0).text(2) == "a different file is already there"
    assert dialog.conflict_box.isVisible()


async def test_conflict_skipped_not_overwritten(library, archive, parent, drop):
    location_id, folder = archive
    existing = occupy(folder, "2008/05/Canon_40D.jpg")
    dialog = await opened(
        library, parent, dropped(drop), location_id=location_id, jobs=JobManager()
    )
    assert dialog.copy_button.text() == "Copy 10 Photos"
    job = dialog.start_copy()
    await job.wait()
    assert existing.read_bytes() == b"another file"
    assert len(job.result.copied) == 10
    assert not (folder / "2008" / "05" / "Canon_40D (2).jpg").exists()


async def test_conflict_keep_both_ticked(library, archive, parent, drop):
    location_id, folder = archive
    existing = occupy(folder, "2008/05/Canon_40D.jpg")
    dialog = await opened(library, parent, dropped(drop), location_id=location_id)
    item = dialog.conflict_tree.topLevelItem(0)
    item.setCheckState(3, Qt.CheckState.Checked)
    assert item.text(3) == "as Canon_40D (2).jpg"
    assert dialog.copy_button.text() == "Copy 11 Photos"
    job = dialog.start_copy()
    await job.wait()
    assert existing.read_bytes() == b"another file"
    second_copy = folder / "2008" / "05" / "Canon_40D (2).jpg"
    assert second_copy.read_bytes() == (drop / "Canon_40D.jpg").read_bytes()


async def test_keep_both_for_all(library, archive, parent, drop):
    location_id, folder = archive
    occupy(folder, "2008/05/Canon_40D.jpg")
    occupy(folder, "2008/03/Nikon_D70.jpg")
    dialog = await opened(library, parent, dropped(drop), location_id=location_id)
    dialog.keep_all_button.click()
    plan = dialog.plan()
    assert [copy.resolution for copy in plan.conflicts()] == [Resolution.KEEP_BOTH] * 2
    tree = dialog.conflict_tree
    states = [tree.topLevelItem(row).checkState(3) for row in range(2)]
    assert states == [Qt.CheckState.Checked] * 2


async def test_keep_all_survives_replanning(library, archive, parent, drop):
    location_id, folder = archive
    occupy(folder, "Trip/2008/05/Canon_40D.jpg")
    dialog = await opened(library, parent, dropped(drop), location_id=location_id)
    dialog.keep_all_button.click()
    dialog.folder_edit.setText("Trip")
    await replanned(dialog)
    [conflict] = dialog.plan().conflicts()
    assert conflict.resolution is Resolution.KEEP_BOTH


async def test_choice_survives_replanning(library, archive, parent, drop):
    location_id, folder = archive
    occupy(folder, "2008/05/Canon_40D.jpg")
    occupy(folder, "2008/03/Nikon_D70.jpg")
    dialog = await opened(library, parent, dropped(drop), location_id=location_id)
    dialog.set_resolution(dialog.plan().conflicts()[1], Resolution.KEEP_BOTH)
    dialog.creator_edit.setText("Ada")
    dialog.template_edit.setText(DEFAULT_TEMPLATE + " ")
    dialog.template_edit.setText(DEFAULT_TEMPLATE)
    await replanned(dialog)
    resolutions = {copy.file.path.name: copy.resolution
                   for copy in dialog.plan().conflicts()}
    assert resolutions == {
        "Canon_40D.jpg": Resolution.SKIP, "Nikon_D70.jpg": Resolution.KEEP_BOTH,
    }


# Copying --------------------------------------------------------------------


async def test_copy_starts_job(library, archive, parent, drop):
    location_id, folder = archive
    jobs = JobManager()
    started = []
    dialog = await opened(
        library, parent, dropped(drop), location_id=location_id, jobs=jobs
    )
    dialog.copy_started.connect(started.append)
    dialog.creator_edit.setText("Ada")
    dialog.tags_edit.setText("trip/alps, family")
    dialog.copy_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    [job] = started
    await job.wait()
    assert job.state is JobState.FINISHED
    image = await library.get_image(job.result.copied[0].image_id, tags=True)
    assert image.creator == "Ada"
    assert sorted(image.tags) == ["family", "trip/alps"]
    assert (folder / "2008" / "10" / "DSCN0010.jpg").is_file()


async def test_copy_invalid_tag_blocks(library, archive, parent, drop):
    dialog = await opened(library, parent, dropped(drop), location_id=archive[0])
    dialog.tags_edit.setText("trip//alps")
    assert dialog.start_copy() is None
    assert "empty level" in dialog.tags_error.text()
    assert dialog.result() != QDialog.DialogCode.Accepted


async def test_copy_cancel_reported(library, archive, parent, drop, monkeypatch):
    # Every progress report becomes a signal at once, so the cancel lands
    # right after the second file.
    monkeypatch.setattr(jobs_module, "PROGRESS_INTERVAL", 0.0)
    location_id, folder = archive
    dialog = await opened(library, parent, dropped(drop), location_id=location_id)
    job = dialog.start_copy()
    job.progress.connect(lambda done, _total: job.cancel() if done == 2 else None)
    await job.wait()
    assert job.state is JobState.CANCELLED
    await until(lambda: parent.findChild(QMessageBox, "copy-report"))
    box = parent.findChild(QMessageBox, "copy-report")
    assert "before the copy was cancelled" in box.text()
    copied = dialog.copy_result.copied
    assert len(copied) == 2
    stored = {path.relative_to(folder).as_posix()
              for path in folder.rglob("*") if path.is_file()}
    assert stored == {file.target.as_posix() for file in copied}
    box.close()


def test_report_nothing_when_all_copied(parent):
    assert report_copy(parent, CopyResult(total=2)) is None


def test_report_lists_failures(parent):
    result = CopyResult(total=2, failures=[FileProblem(Path("/x/a.jpg"), "gone")])
    box = report_copy(parent, result)
    assert box.detailedText() == "/x/a.jpg: gone"
    box.close()
