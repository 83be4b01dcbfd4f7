"""Tests for the main window over a library of the sample photos."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest
import shiboken6
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt, QTimer
from PySide6.QtTest import QTest

from picpocket_gui.main_window import MainWindow
from picpocket_gui.models.roles import TagNameRole
from picpocket_gui.search import SearchQuery
from picpocket_gui.settings import Settings
from tests.picpocket_gui.waiting import until


@pytest.fixture
async def window(library, tmp_path, qtbot):
    """Return a shown main window over the sample library."""
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(library, tmp_path / "library", cache_dir=tmp_path / "cache",
                      settings=Settings(store))
    qtbot.addWidget(main)
    main.show()
    await main.start()
    yield main
    if shiboken6.isValid(main):
        main.close()
        await main.shutdown()


def tag_index(window: MainWindow, name: str):
    model = window.tag_panel.model
    matches = model.match(
        model.index(0, 0), TagNameRole, name, 1,
        Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive,
    )
    return matches[0] if matches else None


def select_rows(window: MainWindow, rows: list[int]) -> None:
    selection = window.grid.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(window.grid_model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select)


async def test_window_title_names_library(window, tmp_path):
    assert str(tmp_path / "library") in window.windowTitle()


async def test_grid_shows_every_photo(window, library):
    assert window.grid_model.rowCount() == await library.count_images()


async def test_tag_tree_counts_after_tagging(window, library):
    ids = window.result_ids()[:3]
    await window.tag_images(ids, "bird/goose")
    await until(lambda: tag_index(window, "bird") is not None)
    assert "(3)" in tag_index(window, "bird").data(Qt.ItemDataRole.DisplayRole)


async def test_clicking_tag_filters_grid(window, library):
    ids = window.result_ids()[:2]
    await library.tag_images(ids, "goose")
    await window.reload_side_panels()
    window.tag_panel.view.setCurrentIndex(tag_index(window, "goose"))
    await until(lambda: sorted(window.result_ids()) == sorted(ids))
    assert window.grid_model.rowCount() == 2


async def test_rating_key_sets_rating(window, library):
    select_rows(window, [0, 1])
    ids = window.grid.selected_ids()
    window.grid.setFocus()
    QTest.keyClick(window.grid, Qt.Key.Key_4)
    await until(lambda: window.grid_model.image(0) is not None)

    async def ratings():
        return [image.rating for image in await library.get_images(ids)]

    deadline = time.monotonic() + 10
    while await ratings() != [4, 4] and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await ratings() == [4, 4]


async def test_search_bar_narrows(window, library):
    image = (await library.get_images(window.result_ids()[:1]))[0]
    await window.apply_query(SearchQuery(text=image.name))
    assert image.id in window.result_ids()
    assert window.grid_model.rowCount() < await library.count_images()


async def test_unmounted_images_unreachable(window, library, tmp_path, jpegs):
    card = tmp_path / "card"
    shutil.copytree(jpegs, card)
    await library.add_location("card", None, source=True, removable=True)
    await library.mount("card", card)
    await library.import_location("card")
    await window.refresh_all()
    await library.unmount("card")
    await window.grid_model.refresh()
    await until(lambda: all(window.grid_model.image(row) is not None
                            for row in range(window.grid_model.rowCount())))
    unreachable = [row for row in range(window.grid_model.rowCount())
                   if window.grid_model.image(row).full_path is None]
    assert len(unreachable) == 4


async def test_loop_keeps_running_during_import(window, library, tmp_path, photo_source):
    source = tmp_path / "many"
    source.mkdir()
    for number in range(300):
        shutil.copy(photo_source / "jpg" / "Canon_40D.jpg", source / f"{number:03}.jpg")
    await library.add_location("many", source, source=True, destination=True)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    await library.import_location("many")
    timer.stop()
    gaps = [later - earlier for earlier, later in zip(ticks, ticks[1:])]
    assert max(gaps) < 0.25


async def test_show_only_given_photos(window, library):
    ids = window.result_ids()[:3]
    window.show_only(ids)
    assert window.result_ids() == ids


async def test_tag_suggestion_click_tags_selection(window, library):
    ids = window.result_ids()
    await library.tag_images(ids[:3], "bird")
    await window.reload_side_panels()
    select_rows(window, [5])
    await window.show_selection(window.grid.selected_ids())
    assert window.suggestions.suggestions == ["bird"]
    window.suggestions.tag_chosen.emit("bird")
    await until(lambda: tag_index(window, "bird") is not None
                and "(4)" in tag_index(window, "bird").data(Qt.ItemDataRole.DisplayRole))


async def test_suggestion_count_remembered(window):
    window.set_suggestion_count(0)
    assert window.settings.tag_suggestion_count() == 0
    assert window.suggestions.isHidden()
