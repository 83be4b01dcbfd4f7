"""Tests for the thumbnail grid's model over a real library."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QImage

from picpocket.database.logic import Comparator, Number, Text
from picpocket_gui.mime import image_ids
from picpocket_gui.models import ImageGridModel
from picpocket_gui.models.roles import (
    ImageIdRole,
    ImageRole,
    ReachableRole,
    ThumbnailStateRole,
)
from picpocket_gui.models.tiles import (
    placeholder_tile,
    unreachable_tile,
    unreadable_tile,
)
from tests.picpocket_gui.models.helpers import (
    ApiSpy,
    RecordingThumbnailLoader,
    wait_until,
)

DECORATION = Qt.ItemDataRole.DecorationRole
DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture
async def thumbnails(qapp, tmp_path: Path):
    loader = RecordingThumbnailLoader(tmp_path / "thumbnails", workers=2)
    yield loader
    await loader.close()


@pytest.fixture
def spy(library):
    return ApiSpy(library)


@pytest.fixture
def grid(spy, thumbnails):
    return ImageGridModel(spy, thumbnails)


def _load_row(grid: ImageGridModel, row: int):
    grid.data(grid.index(row), DISPLAY)
    return wait_until(lambda: grid.image(row) is not None)


async def _id_by_name(library, name: str) -> int:
    ids = await library.get_image_ids(filter=Text("path", Comparator.ENDS_WITH, name))
    assert len(ids) == 1
    return ids[0]


async def test_rows_equal_count(grid, library, qtmodeltester):
    count = await grid.set_query({})
    assert count == await library.count_images()
    assert grid.rowCount() == count
    qtmodeltester.check(grid, force_py=True)


async def test_count_changed_emitted(grid, library):
    counts = []
    grid.count_changed.connect(counts.append)
    await grid.set_query({})
    assert counts == [await library.count_images()]


async def test_rows_follow_query_order(grid, library):
    await grid.set_query({"order": ("-id",)})
    assert grid.image_ids() == await library.get_image_ids(order=("-id",))


async def test_row_first_shows_placeholder(grid):
    await grid.set_query({})
    index = grid.index(0)
    assert grid.data(index, ImageRole) is None
    assert grid.data(index, ThumbnailStateRole) == "loading"
    assert grid.data(index, DECORATION) == placeholder_tile(grid.thumbnail_size())


async def test_row_later_shows_record(grid):
    await grid.set_query({})
    await _load_row(grid, 0)
    image = grid.data(grid.index(0), ImageRole)
    assert image.id == grid.image_id(0)
    assert grid.data(grid.index(0), DISPLAY) == image.title or image.path.name


async def test_display_prefers_title(grid, library):
    await grid.set_query({})
    image_id = grid.image_id(0)
    await library.edit_image(image_id, title="Geese at dawn")
    await _load_row(grid, 0)
    assert grid.data(grid.index(0), DISPLAY) == "Geese at dawn"


async def test_records_fetched_near_row_only(grid, spy):
    grid.chunk_size = 10
    grid.margin = 2
    await grid.set_query({})
    await _load_row(grid, 0)
    assert grid.image(grid.rowCount() - 1) is None
    assert spy.get_images_calls == [grid.image_ids()[:10]]


async def test_requests_coalesced(grid, spy):
    grid.chunk_size = 10
    grid.margin = 0
    await grid.set_query({})
    for row in range(10):
        grid.data(grid.index(row), DISPLAY)
    await wait_until(lambda: grid.image(9) is not None)
    assert len(spy.get_images_calls) == 1


async def test_margin_prefetches_next_chunk(grid, spy):
    grid.chunk_size = 10
    grid.margin = 3
    await grid.set_query({})
    grid.data(grid.index(8), DISPLAY)
    await wait_until(lambda: grid.image(11) is not None)
    assert grid.image(20) is None


async def test_one_fetch_per_chunk(grid, spy):
    spy.gate = asyncio.Event()
    await grid.set_query({})
    grid.data(grid.index(0), DISPLAY)
    await wait_until(lambda: spy.get_images_calls)
    grid.data(grid.index(1), DISPLAY)
    await asyncio.sleep(0.05)
    spy.gate.set()
    await wait_until(lambda: grid.image(1) is not None)
    assert len(spy.get_images_calls) == 1


async def test_stale_fetch_dropped(grid, spy, library):
    spy.gate = asyncio.Event()
    await grid.set_query({})
    grid.data(grid.index(0), DISPLAY)
    await wait_until(lambda: spy.get_images_calls)
    await grid.set_query({"order": ("-id",)})
    spy.gate.set()
    await asyncio.sleep(0.1)
    loaded = [row for row in range(grid.rowCount()) if grid.image(row) is not None]
    assert loaded == []


async def test_failed_fetch_not_repeated(grid, spy):
    spy.error = OSError("database connection lost")
    await grid.set_query({})
    grid.data(grid.index(0), DISPLAY)
    await wait_until(lambda: spy.get_images_calls)
    await asyncio.sleep(0.05)
    grid.data(grid.index(0), DISPLAY)
    await asyncio.sleep(0.05)
    assert len(spy.get_images_calls) == 1


async def test_query_narrows_rows(grid, library, qtmodeltester):
    await grid.set_query({})
    qtmodeltester.check(grid, force_py=True)
    all_ids = await library.get_image_ids()
    await library.tag_images(all_ids[:3], "bird/goose")
    await library.tag_images(all_ids[5:7], "bird/duck")
    count = await grid.set_query({"all_tags": ["bird/goose"]})
    assert count == 3
    assert sorted(grid.image_ids()) == sorted(all_ids[:3])


async def test_query_rows_loadable(grid, library, qtmodeltester):
    all_ids = await library.get_image_ids()
    await library.tag_images(all_ids[:4], "bird")
    await grid.set_query({"any_tags": ["bird"]})
    qtmodeltester.check(grid, force_py=True)
    await wait_until(lambda: all(grid.image(row) for row in range(grid.rowCount())))
    assert {grid.image(row).id for row in range(4)} == set(all_ids[:4])


async def test_overtaken_query_ignored(grid, library):
    all_ids = await library.get_image_ids()
    await library.tag_image(all_ids[0], "bird")
    first = asyncio.ensure_future(grid.set_query({}))
    second = asyncio.ensure_future(grid.set_query({"all_tags": ["bird"]}))
    await asyncio.gather(first, second)
    assert grid.image_ids() == [all_ids[0]]


async def test_refresh_updates_record(grid, library, qtmodeltester):
    await grid.set_query({})
    await _load_row(grid, 0)
    qtmodeltester.check(grid, force_py=True)
    changed = []
    grid.dataChanged.connect(
        lambda first, last, roles: changed.append((first.row(), last.row(), roles))
    )
    await library.edit_image(grid.image_id(0), title="Renamed", rating=4)
    await grid.refresh([grid.image_id(0)])
    assert grid.data(grid.index(0), DISPLAY) == "Renamed"
    assert grid.image(0).rating == 4
    assert (0, 0, []) in changed


async def test_refresh_all_loaded(grid, library):
    await grid.set_query({})
    await _load_row(grid, 0)
    await library.edit_image(grid.image_id(1), caption="A new caption")
    await grid.refresh()
    assert grid.image(1).caption == "A new caption"


async def test_refresh_retries_failed_chunk(grid, spy):
    spy.error = OSError("database connection lost")
    await grid.set_query({})
    grid.data(grid.index(0), DISPLAY)
    await wait_until(lambda: spy.get_images_calls)
    await asyncio.sleep(0.05)
    spy.error = None
    await grid.refresh()
    await wait_until(lambda: grid.image(0) is not None)
    assert len(spy.get_images_calls) == 2


async def test_refresh_skips_unfetched(grid, spy):
    grid.chunk_size = 10
    grid.margin = 0
    await grid.set_query({})
    await _load_row(grid, 0)
    spy.get_images_calls.clear()
    await grid.refresh([grid.image_id(0), grid.image_id(30)])
    assert spy.get_images_calls == [[grid.image_id(0)]]


async def test_refresh_marks_removed(grid, library):
    await grid.set_query({})
    await _load_row(grid, 0)
    image_id = grid.image_id(0)
    await library.remove_image(image_id)
    await grid.refresh([image_id])
    assert grid.image(0) is None
    assert grid.data(grid.index(0), ReachableRole) is None
    assert grid.data(grid.index(0), ThumbnailStateRole) == "unreachable"


async def test_thumbnail_ready(grid, library):
    # 480 x 360 pixels, so the thumbnail is scaled down to the grid's size.
    image_id = await _id_by_name(library, "jpg/Canon_PowerShot_S40.jpg")
    await grid.set_query({"filter": Number("id", Comparator.EQUALS, image_id)})
    await _load_row(grid, 0)
    index = grid.index(0)
    grid.data(index, DECORATION)
    await wait_until(lambda: grid.data(index, ThumbnailStateRole) == "ready", 30)
    decoration = grid.data(index, DECORATION)
    assert isinstance(decoration, QImage)
    assert max(decoration.width(), decoration.height()) == grid.thumbnail_size()


async def test_thumbnail_requested_once(grid, library, thumbnails):
    await grid.set_query({})
    await _load_row(grid, 0)
    thumbnails.clear_requests()
    for _ in range(3):
        grid.data(grid.index(0), DECORATION)
    assert len(thumbnails.requests) == 1


async def test_thumbnail_ready_repaints_row(grid, library):
    await grid.set_query({})
    await _load_row(grid, 0)
    changed = []
    grid.dataChanged.connect(lambda first, last, roles: changed.append(first.row()))
    grid.data(grid.index(0), DECORATION)
    await wait_until(lambda: changed, 30)
    assert changed == [0]


async def test_undecodable_shows_tile(grid, library, photos):
    # The record stays as imported while the file's bytes become garbage.
    (photos / "jpg" / "Nikon_D70.jpg").write_bytes(b"not a JPEG at all" * 10)
    image_id = await _id_by_name(library, "jpg/Nikon_D70.jpg")
    await grid.set_query({"filter": Number("id", Comparator.EQUALS, image_id)})
    await _load_row(grid, 0)
    index = grid.index(0)
    grid.data(index, DECORATION)
    await wait_until(lambda: grid.data(index, ThumbnailStateRole) != "loading", 30)
    assert grid.data(index, ThumbnailStateRole) == "failed"
    assert grid.data(index, DECORATION) == unreadable_tile(grid.thumbnail_size())


@pytest.fixture
async def card(library, tmp_path: Path, photo_source: Path) -> int:
    """Return the id of a removable location mounted at a folder of two photos."""
    folder = tmp_path / "card"
    folder.mkdir()
    for name in ("Nikon_D70.jpg", "Pentax_K10D.jpg"):
        shutil.copy2(photo_source / "jpg" / name, folder / name)
    location_id = await library.add_location("card", source=True, removable=True)
    await library.mount("card", folder)
    await library.import_location("card")
    return location_id


async def test_unreachable_after_unmount(grid, library, card, qtmodeltester):
    await grid.set_query({"filter": Number("location", Comparator.EQUALS, card)})
    qtmodeltester.check(grid, force_py=True)
    await _load_row(grid, 0)
    assert grid.data(grid.index(0), ReachableRole) is True
    await library.unmount("card")
    await grid.refresh()
    index = grid.index(0)
    assert grid.data(index, ReachableRole) is False
    assert grid.data(index, ThumbnailStateRole) == "unreachable"
    assert grid.data(index, DECORATION) == unreachable_tile(grid.thumbnail_size())


async def test_unreachable_tooltip(grid, library, card):
    await library.unmount("card")
    await grid.set_query({"filter": Number("location", Comparator.EQUALS, card)})
    await _load_row(grid, 0)
    tooltip = grid.data(grid.index(0), Qt.ItemDataRole.ToolTipRole)
    assert "not reachable" in tooltip


async def test_tooltip_path_and_size(grid, library):
    image_id = await _id_by_name(library, "jpg/Canon_40D.jpg")
    await grid.set_query({"filter": Number("id", Comparator.EQUALS, image_id)})
    await _load_row(grid, 0)
    image = grid.image(0)
    tooltip = grid.data(grid.index(0), Qt.ItemDataRole.ToolTipRole)
    assert str(image.full_path) in tooltip
    assert f"{image.width} × {image.height}" in tooltip


async def test_flags_allow_drag(grid):
    await grid.set_query({})
    flags = grid.flags(grid.index(0))
    assert flags & Qt.ItemFlag.ItemIsDragEnabled
    assert flags & Qt.ItemFlag.ItemIsSelectable
    assert not flags & Qt.ItemFlag.ItemIsDropEnabled


async def test_mime_data_ids(grid):
    await grid.set_query({})
    data = grid.mimeData([grid.index(1), grid.index(0)])
    assert image_ids(data) == [grid.image_id(0), grid.image_id(1)]


async def test_mime_data_urls(grid):
    await grid.set_query({})
    await _load_row(grid, 0)
    data = grid.mimeData([grid.index(0)])
    urls = [url.toLocalFile() for url in data.urls()]
    assert urls == [str(grid.image(0).full_path)]


async def test_mime_data_skips_unreachable(grid, library, card):
    await grid.set_query({"filter": Number("location", Comparator.EQUALS, card)})
    await library.unmount("card")
    await _load_row(grid, 0)
    data = grid.mimeData([grid.index(0)])
    assert data.urls() == []


async def test_thumbnail_size_repaints(grid):
    await grid.set_query({})
    changed = []
    grid.dataChanged.connect(lambda first, last, roles: changed.append((first, last)))
    grid.set_thumbnail_size(96)
    assert [(first.row(), last.row()) for first, last in changed] == [
        (0, grid.rowCount() - 1)
    ]


async def test_thumbnail_size_tiles(grid):
    await grid.set_query({})
    grid.set_thumbnail_size(96)
    assert grid.data(grid.index(0), DECORATION).size().width() == 96


async def test_image_id_out_of_range(grid):
    await grid.set_query({})
    with pytest.raises(IndexError):
        grid.image_id(grid.rowCount())


async def test_row_of(grid):
    await grid.set_query({})
    assert grid.row_of(grid.image_id(3)) == 3


async def test_row_of_missing(grid):
    await grid.set_query({})
    assert grid.row_of(-1) is None


async def test_id_role_needs_no_fetch(grid, spy):
    await grid.set_query({})
    assert grid.data(grid.index(2), ImageIdRole) == grid.image_id(2)
    await asyncio.sleep(0.05)
    assert spy.get_images_calls == []


async def test_invalid_index_empty(grid):
    await grid.set_query({})
    assert grid.data(QModelIndex(), DISPLAY) is None
