"""Tests for the image viewer: orientation, navigation, keys and unreadable files."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable

import pytest
from PIL import Image as PillowImage
from PySide6.QtCore import QSize, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from picpocket.database.types import Image
from picpocket_gui.dialogs.decoding import decode_image
from picpocket_gui.dialogs.viewer import CACHE_SIZE, ImageViewer

ORIENTATION = "jpg/orientation/"


async def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll `condition` on the running loop until it is true or time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"Timed out after {timeout} s waiting for {condition}")
        await asyncio.sleep(0.01)


def finished_loading(viewer: ImageViewer) -> bool:
    """Return whether the viewer shows an image or a message, not a loading state."""
    return not viewer.image_size().isEmpty() or bool(viewer.message_text())


@pytest.fixture
async def oriented(library) -> list[Image]:
    """Return the orientation samples, ordered by path."""
    images = await library.search_images(order=("path",))
    return [image for image in images if image.path.as_posix().startswith(ORIENTATION)]


@pytest.fixture
async def open_viewer(library) -> AsyncIterator[Callable[..., ImageViewer]]:
    """Return a function that opens an active viewer; close them all afterwards.

    The viewers get a parent window, as in the app: closing the last window
    without one would quit the application and stop the test's event loop.
    """
    parent = QWidget()
    viewers: list[ImageViewer] = []

    async def open_at(ids: list[int], index: int) -> ImageViewer:
        viewer = ImageViewer(library, ids, index, parent)
        viewers.append(viewer)
        viewer.show()
        viewer.activateWindow()
        await wait_until(lambda: QApplication.activeWindow() is viewer)
        await wait_until(lambda: finished_loading(viewer))
        return viewer

    yield open_at
    for viewer in viewers:
        viewer.close()
    parent.deleteLater()
    await asyncio.sleep(0.05)


async def test_viewer_rotates_by_exif(oriented, open_viewer):
    rotated = next(image for image in oriented if image.name == "landscape_6")
    viewer = await open_viewer([rotated.id], 0)
    assert (rotated.width, rotated.height) == (450, 600)
    assert viewer.image_size() == QSize(rotated.height, rotated.width)


async def test_viewer_upright_file_unchanged(oriented, open_viewer):
    upright = next(image for image in oriented if image.name == "portrait_1")
    viewer = await open_viewer([upright.id], 0)
    assert viewer.image_size() == QSize(upright.width, upright.height)


async def test_viewer_decodes_heic(library, open_viewer):
    images = await library.search_images()
    heic = next(image for image in images if image.name == "samplefilehub")
    viewer = await open_viewer([heic.id], 0)
    assert viewer.image_size() == QSize(heic.width, heic.height)


async def test_viewer_arrow_keys(oriented, open_viewer):
    ids = [image.id for image in oriented[:3]]
    viewer = await open_viewer(ids, 1)
    QTest.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.current_id() == ids[2]
    QTest.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.current_id() == ids[2]
    QTest.keyClick(viewer, Qt.Key.Key_Left)
    assert viewer.current_id() == ids[1]
    QTest.keyClick(viewer, Qt.Key.Key_PageUp)
    assert viewer.current_id() == ids[0]
    QTest.keyClick(viewer, Qt.Key.Key_End)
    assert viewer.current_id() == ids[2]
    QTest.keyClick(viewer, Qt.Key.Key_Home)
    assert viewer.current_id() == ids[0]


async def test_viewer_next_shows_image(oriented, open_viewer):
    landscape = next(image for image in oriented if image.name == "landscape_1")
    portrait = next(image for image in oriented if image.name == "portrait_1")
    viewer = await open_viewer([landscape.id, portrait.id], 0)
    QTest.keyClick(viewer, Qt.Key.Key_PageDown)
    await wait_until(lambda: viewer.image_size() == QSize(450, 600))
    assert viewer.current_index() == 1


async def test_viewer_preloads_neighbours(oriented, open_viewer):
    ids = [image.id for image in oriented[:3]]
    viewer = await open_viewer(ids, 1)
    await wait_until(lambda: not viewer._decoding)
    assert set(viewer._cache) == set(ids)


async def test_viewer_cache_limit(oriented, open_viewer):
    ids = [image.id for image in oriented]
    viewer = await open_viewer(ids, 0)
    for index in range(len(ids)):
        await viewer.go_to(index)
    await wait_until(lambda: not viewer._decoding)
    assert len(ids) > CACHE_SIZE
    assert len(viewer._cache) <= CACHE_SIZE
    assert ids[-1] in viewer._cache


async def test_viewer_reopens_after_close(oriented, open_viewer):
    landscape = next(image for image in oriented if image.name == "landscape_1")
    portrait = next(image for image in oriented if image.name == "portrait_1")
    viewer = await open_viewer([landscape.id, portrait.id], 0)
    viewer.close()
    viewer.show()
    viewer.show_next()
    await wait_until(lambda: viewer.image_size() == QSize(450, 600))
    assert viewer.current_id() == portrait.id


async def test_viewer_rating_key(library, oriented, open_viewer):
    image = oriented[0]
    viewer = await open_viewer([image.id], 0)
    emitted = []
    viewer.rating_changed.connect(lambda id, rating: emitted.append((id, rating)))
    QTest.keyClick(viewer, Qt.Key.Key_3)
    await wait_until(lambda: emitted)
    stored = await library.get_image(image.id)
    assert stored.rating == 3
    assert emitted == [(image.id, 3)]


async def test_viewer_rating_zero_erases(library, oriented, open_viewer):
    image = oriented[0]
    await library.edit_image(image.id, rating=4)
    viewer = await open_viewer([image.id], 0)
    emitted = []
    viewer.rating_changed.connect(lambda id, rating: emitted.append((id, rating)))
    QTest.keyClick(viewer, Qt.Key.Key_0)
    await wait_until(lambda: emitted)
    stored = await library.get_image(image.id)
    assert stored.rating is None


async def test_viewer_full_screen_toggle(oriented, open_viewer):
    viewer = await open_viewer([oriented[0].id], 0)
    QTest.keyClick(viewer, Qt.Key.Key_F11)
    assert viewer.isFullScreen()
    QTest.keyClick(viewer, Qt.Key.Key_F11)
    assert not viewer.isFullScreen()


async def test_viewer_escape_leaves_full_screen(oriented, open_viewer):
    viewer = await open_viewer([oriented[0].id], 0)
    viewer.toggle_full_screen()
    QTest.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.isFullScreen()
    assert viewer.isVisible()


async def test_viewer_escape_closes(oriented, open_viewer):
    viewer = await open_viewer([oriented[0].id], 0)
    QTest.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible()


async def test_viewer_fit_toggle(oriented, open_viewer):
    image = next(image for image in oriented if image.name == "landscape_1")
    viewer = await open_viewer([image.id], 0)
    viewer.resize(400, 400)
    await wait_until(lambda: viewer.zoom_factor() < 1.0)
    assert viewer.is_fit_to_window()
    QTest.keyClick(viewer, Qt.Key.Key_F)
    assert viewer.zoom_factor() == 1.0
    assert not viewer.is_fit_to_window()


async def test_viewer_zoom_keys(oriented, open_viewer):
    viewer = await open_viewer([oriented[0].id], 0)
    viewer.show_actual_size()
    QTest.keyClick(viewer, Qt.Key.Key_Plus)
    assert viewer.zoom_factor() == pytest.approx(1.25)
    QTest.keyClick(viewer, Qt.Key.Key_Minus)
    QTest.keyClick(viewer, Qt.Key.Key_Minus)
    assert viewer.zoom_factor() == pytest.approx(0.8)


async def test_viewer_unreadable_file(oriented, open_viewer):
    image = oriented[0]
    image.full_path.write_bytes(b"this is not a JPEG")
    viewer = await open_viewer([image.id], 0)
    assert str(image.full_path) in viewer.message_text()
    assert "not in an image format" in viewer.message_text()


async def test_viewer_missing_file(oriented, open_viewer):
    image = oriented[0]
    image.full_path.unlink()
    viewer = await open_viewer([image.id], 0)
    assert "does not exist" in viewer.message_text()


async def test_viewer_unreachable_location(library, oriented, open_viewer):
    location = await library.get_location("photos")
    shutil.move(location.path, location.path.with_name("elsewhere"))
    viewer = await open_viewer([oriented[0].id], 0)
    assert "not reachable" in viewer.message_text()


async def test_viewer_unknown_id(oriented, open_viewer):
    viewer = await open_viewer([oriented[0].id, 999_999], 1)
    assert "999999 is not in the library" in viewer.message_text()


def test_decode_sixteen_bit_gray(tmp_path):
    image = PillowImage.new("I;16", (2, 1))
    image.putpixel((0, 0), 32768)
    image.save(tmp_path / "gray.tif")
    decoded = decode_image(tmp_path / "gray.tif")
    assert decoded.data[:3] == bytes([128, 128, 128])


def test_decode_keeps_transparency(photo_source):
    decoded = decode_image(photo_source / "tiff" / "BSG1.tiff")
    assert decoded.has_alpha
    assert len(decoded.data) == decoded.width * decoded.height * 4
