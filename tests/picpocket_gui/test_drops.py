"""Tests for drop handling: dropped file URLs, and moving dragged images."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton, QWidget

from picpocket.database.logic import Comparator, Number
from picpocket.errors import UnknownItemError
from picpocket_gui.dialogs.copy import CopyDialog
from picpocket_gui.drops import (
    MoveResult,
    accepts_file_drop,
    confirm_move,
    describe_move,
    drop_images_on_location,
    dropped_file_paths,
    move_images,
    open_copy_dialog,
)
from picpocket_gui.jobs import JobManager
from picpocket_gui.mime import image_mime_data
from tests.picpocket_gui.waiting import until


@pytest.fixture
def parent():
    """Return a parent window for message boxes and dialogs."""
    widget = QWidget()
    yield widget
    widget.deleteLater()


@pytest.fixture
async def archive(library, tmp_path: Path) -> tuple[int, Path]:
    """Return the id and folder of a second, destination-only location."""
    folder = tmp_path / "archive"
    folder.mkdir()
    location_id = await library.add_location("archive", folder, destination=True)
    return location_id, folder


async def images_in(library, location_name: str, folder: str):
    """Return the images of a location whose path starts with `folder`/."""
    location = await library.get_location(location_name)
    query = Number("location", Comparator.EQUALS, location.id)
    ids = await library.get_image_ids(query)
    images = await library.get_images(ids)
    return [image for image in images if image.path.as_posix().startswith(folder + "/")]


async def named(library, name: str):
    """Return the images of the "photos" location with this name, in jpg/."""
    images = await images_in(library, "photos", "jpg")
    return [image for image in images if image.name == name]


def file_urls(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return mime


def message_box(parent: QWidget, name: str) -> QMessageBox | None:
    box = parent.findChild(QMessageBox, name)
    return box if box is not None and box.isVisible() else None


# Files dropped from other applications --------------------------------------


def test_paths_local_only(tmp_path):
    mime = file_urls(tmp_path / "a.jpg", tmp_path / "folder")
    mime.setUrls(mime.urls() + [QUrl("https://example.com/b.jpg")])
    assert dropped_file_paths(mime) == [tmp_path / "a.jpg", tmp_path / "folder"]


def test_paths_without_urls():
    mime = QMimeData()
    mime.setText("/tmp/a.jpg")
    assert dropped_file_paths(mime) == []


def test_accepts_local_files(tmp_path):
    assert accepts_file_drop(file_urls(tmp_path / "a.jpg"))


def test_rejects_remote_only():
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/b.jpg")])
    assert not accepts_file_drop(mime)


def test_rejects_own_thumbnails(tmp_path):
    assert not accepts_file_drop(image_mime_data([1], [tmp_path / "a.jpg"]))


def test_rejects_plain_text():
    mime = QMimeData()
    mime.setText("hello")
    assert not accepts_file_drop(mime)


async def test_copy_dialog_opened_for_files(library, parent, photos):
    mime = file_urls(photos / "jpg" / "gps")
    dialog = open_copy_dialog(parent, library, mime)
    assert isinstance(dialog, CopyDialog)
    assert dialog.isVisible()
    await until(lambda: dialog.plan() is not None)
    assert len(dialog.plan().copies) == 9
    dialog.reject()


async def test_copy_dialog_not_for_remote(library, parent):
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/b.jpg")])
    assert open_copy_dialog(parent, library, mime) is None


async def test_dropped_folder_copied(library, archive, parent, photos):
    location_id, folder = archive
    jobs = JobManager()
    mime = file_urls(photos / "jpg" / "gps")
    dialog = open_copy_dialog(parent, library, mime, location_id=location_id, jobs=jobs)
    await until(lambda: dialog.plan() is not None)
    job = dialog.start_copy()
    await job.wait()
    copied = sorted(path.name for path in (folder / "2008" / "10").iterdir())
    assert copied == sorted(path.name for path in (photos / "jpg" / "gps").iterdir())


# Moving images between locations -------------------------------------------


async def test_move_files_and_records(library, archive):
    location_id, folder = archive
    images = await images_in(library, "photos", "jpg/gps")
    result = await move_images(library, [image.id for image in images], location_id)
    assert sorted(result.moved) == sorted(image.id for image in images)
    for image in images:
        assert (folder / image.path).is_file()
        assert not image.full_path.exists()
    moved = await library.get_images(result.moved)
    assert {image.location for image in moved} == {location_id}


async def test_move_keeps_relative_path(library, archive):
    location_id, _folder = archive
    [image] = await named(library, "Canon_40D")
    await move_images(library, [image.id], location_id)
    moved = await library.get_image(image.id)
    assert moved.path == Path("jpg/Canon_40D.jpg")


async def test_move_taken_target_reported(library, archive):
    location_id, folder = archive
    images = await images_in(library, "photos", "jpg/gps")
    occupied = folder / images[0].path
    occupied.parent.mkdir(parents=True)
    occupied.write_bytes(b"already here")
    result = await move_images(library, [image.id for image in images], location_id)
    assert [failure.image_id for failure in result.taken_targets()] == [images[0].id]
    assert occupied.read_bytes() == b"already here"
    assert images[0].full_path.is_file()
    assert (await library.get_image(images[0].id)).location == images[0].location
    assert len(result.moved) == len(images) - 1


async def test_move_recorded_target_reported(library, archive, photo_source):
    location_id, folder = archive
    [image] = await named(library, "Nikon_D70")
    other = photo_source / "jpg" / "Canon_40D.jpg"
    await library.add_image_copy(other, location_id, image.path)
    (folder / image.path).unlink()
    result = await move_images(library, [image.id], location_id)
    assert [failure.target_taken for failure in result.failures] == [True]
    assert image.full_path.is_file()


async def test_move_same_location_unchanged(library):
    photos = await library.get_location("photos")
    images = await images_in(library, "photos", "jpg/gps")
    result = await move_images(library, [images[0].id], photos.id)
    assert result.unchanged == [images[0].id]
    assert result.moved == []


async def test_move_unknown_id_reported(library, archive):
    result = await move_images(library, [999_999], archive[0])
    assert [failure.image_id for failure in result.failures] == [999_999]


async def test_move_unknown_location(library):
    with pytest.raises(UnknownItemError):
        await move_images(library, [1], 999)


async def test_move_unreachable_location(library):
    card_id = await library.add_location("card", None, destination=True)
    images = await images_in(library, "photos", "jpg/gps")
    result = await move_images(library, [images[0].id], card_id)
    assert "not reachable" in result.failures[0].reason
    assert images[0].full_path.is_file()


async def test_move_progress(library, archive):
    images = await images_in(library, "photos", "jpg/gps")
    reports = []
    await move_images(
        library, [image.id for image in images], archive[0],
        lambda *args: reports.append(args),
    )
    assert reports == [(done, 9) for done in range(10)]


async def test_move_cancel_consistent(library, archive, photos):
    location_id, folder = archive
    images = await images_in(library, "photos", "jpg/gps")
    result = MoveResult()

    def cancel_at_four(done, total):
        if done == 4:
            task.cancel()

    task = asyncio.ensure_future(move_images(
        library, [image.id for image in images], location_id, cancel_at_four,
        result=result,
    ))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(result.moved) == 4
    for image in await library.get_images(image.id for image in images):
        root = folder if image.location == location_id else photos
        assert (root / image.path).is_file()


def test_describe_move():
    result = MoveResult(moved=[1, 2], total=3)
    assert describe_move(result, "archive") == "Moved 2 of 3 images to “archive”."


# Confirming a move ----------------------------------------------------------


async def test_confirm_names_count_and_target(parent):
    answer = asyncio.ensure_future(confirm_move(parent, 3, "archive"))
    await until(lambda: message_box(parent, "confirm-move"))
    box = message_box(parent, "confirm-move")
    assert "Move 3 images" in box.text()
    assert "“archive”" in box.text()
    box.findChild(QPushButton, "move").click()
    assert await answer


async def test_confirm_cancelled(parent):
    answer = asyncio.ensure_future(confirm_move(parent, 1, "archive"))
    await until(lambda: message_box(parent, "confirm-move"))
    message_box(parent, "confirm-move").reject()
    assert not await answer


async def test_drop_on_location_moves(library, archive, parent):
    location_id, folder = archive
    images = await images_in(library, "photos", "jpg/gps")
    mime = image_mime_data([image.id for image in images], [])
    moving = asyncio.ensure_future(drop_images_on_location(
        parent, library, mime, location_id, jobs=JobManager()
    ))
    await until(lambda: message_box(parent, "confirm-move"))
    assert "Move 9 images" in message_box(parent, "confirm-move").text()
    message_box(parent, "confirm-move").findChild(QPushButton, "move").click()
    result = await moving
    assert len(result.moved) == 9
    assert len(list((folder / "jpg" / "gps").iterdir())) == 9


async def test_drop_on_location_reports_taken(library, archive, parent):
    location_id, folder = archive
    images = await images_in(library, "photos", "jpg/gps")
    occupied = folder / images[0].path
    occupied.parent.mkdir(parents=True)
    occupied.write_bytes(b"already here")
    mime = image_mime_data([images[0].id], [])
    moving = asyncio.ensure_future(
        drop_images_on_location(parent, library, mime, location_id)
    )
    await until(lambda: message_box(parent, "confirm-move"))
    message_box(parent, "confirm-move").findChild(QPushButton, "move").click()
    await moving
    report = message_box(parent, "move-report")
    assert "1 stayed because their target path is taken" in report.text()
    assert f"Image {images[0].id} (jpg/gps/" in report.detailedText()
    assert occupied.read_bytes() == b"already here"
    report.close()


async def test_drop_on_location_declined(library, archive, parent):
    images = await images_in(library, "photos", "jpg/gps")
    mime = image_mime_data([images[0].id], [])
    moving = asyncio.ensure_future(
        drop_images_on_location(parent, library, mime, archive[0])
    )
    await until(lambda: message_box(parent, "confirm-move"))
    message_box(parent, "confirm-move").done(QDialog.DialogCode.Rejected)
    assert await moving is None
    assert images[0].full_path.is_file()
