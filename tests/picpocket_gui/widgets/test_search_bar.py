"""Tests for the search bar: debouncing, controls and the query they build."""

import asyncio

import pytest
from PySide6.QtCore import Qt

from picpocket.database.types import Location
from picpocket_gui.search import SearchQuery
from picpocket_gui.widgets.search_bar import DEBOUNCE_MS, SearchBar
from picpocket_gui.widgets.tag_chips import TagMode


def location(location_id: int, name: str) -> Location:
    return Location(
        id=location_id,
        name=name,
        path=None,
        description=None,
        source=True,
        destination=False,
        removable=True,
    )


@pytest.fixture
def bar(qtbot):
    bar = SearchBar()
    qtbot.addWidget(bar)
    bar.resize(1100, 90)
    bar.show()
    return bar


@pytest.fixture
def emitted(bar) -> list[SearchQuery]:
    queries: list[SearchQuery] = []
    bar.query_changed.connect(queries.append)
    return queries


def wait_past_debounce(qtbot) -> None:
    qtbot.wait(DEBOUNCE_MS * 2)


def test_fast_typing_emits_once(qtbot, bar, emitted):
    qtbot.keyClicks(bar.text, "heron at dawn")
    wait_past_debounce(qtbot)
    assert [query.text for query in emitted] == ["heron at dawn"]


def test_nothing_emitted_while_typing(qtbot, bar, emitted):
    qtbot.keyClicks(bar.text, "heron")
    assert emitted == []


def test_pause_emits_each_query(qtbot, bar, emitted):
    qtbot.keyClicks(bar.text, "heron")
    wait_past_debounce(qtbot)
    qtbot.keyClicks(bar.text, " dawn")
    wait_past_debounce(qtbot)
    assert [query.text for query in emitted] == ["heron", "heron dawn"]


def test_unchanged_query_not_emitted(qtbot, bar, emitted):
    qtbot.keyClicks(bar.text, "x")
    qtbot.keyClick(bar.text, Qt.Key.Key_Backspace)
    wait_past_debounce(qtbot)
    assert emitted == []


def test_tag_filter_emits_at_once(qtbot, bar, emitted):
    bar.set_tag_filter(any_tags=("bird", "water"))
    assert emitted[0].any_tags == ("bird", "water")


def test_tag_filter_replaces_chips(qtbot, bar):
    bar.set_tag_filter(all_tags=("bird",))
    bar.set_tag_filter(no_tags=("night",))
    assert bar.tags.chips() == [("night", TagMode.EXCLUDE)]


def test_tag_filter_emits_one_query(qtbot, bar, emitted):
    bar.set_tag_filter(all_tags=("bird",), no_tags=("night",))
    wait_past_debounce(qtbot)
    assert len(emitted) == 1


def test_chip_mode_change_reaches_query(qtbot, bar, emitted):
    bar.set_tag_filter(all_tags=("bird",))
    bar.tags.set_mode("bird", TagMode.EXCLUDE)
    wait_past_debounce(qtbot)
    assert emitted[-1].no_tags == ("bird",)


def test_rating_control(qtbot, bar, emitted):
    bar.rating.setCurrentIndex(bar.rating.findData(4))
    wait_past_debounce(qtbot)
    assert emitted[-1].rating_min == 4


def test_rating_any(qtbot, bar):
    assert bar.query().rating_min is None


def test_location_control(qtbot, bar, emitted):
    bar.set_locations([location(2, "card"), location(1, "photos")])
    bar.location.setCurrentIndex(bar.location.findText("photos"))
    wait_past_debounce(qtbot)
    assert emitted[-1].location == 1


def test_locations_keep_choice(qtbot, bar):
    bar.set_locations([location(1, "photos"), location(2, "card")])
    bar.location.setCurrentIndex(bar.location.findData(2))
    bar.set_locations([location(2, "card renamed"), location(3, "new")])
    assert bar.location.currentData() == 2


def test_locations_reset_when_gone(qtbot, bar):
    bar.set_locations([location(1, "photos"), location(2, "card")])
    bar.location.setCurrentIndex(bar.location.findData(2))
    bar.set_locations([location(1, "photos")])
    assert bar.location.currentData() is None


def test_reachable_control(qtbot, bar, emitted):
    bar.reachable.setChecked(True)
    wait_past_debounce(qtbot)
    assert emitted[-1].reachable_only


def test_sort_controls(qtbot, bar, emitted):
    bar.sort.setCurrentIndex(bar.sort.findData("rating"))
    qtbot.mouseClick(bar.direction, Qt.MouseButton.LeftButton)
    bar.unrated.setCurrentIndex(bar.unrated.findData(False))
    wait_past_debounce(qtbot)
    query = emitted[-1]
    assert query.order == "rating"
    assert not query.descending
    assert not query.unrated_last


def test_direction_label_follows_order(qtbot, bar):
    bar.sort.setCurrentIndex(bar.sort.findData("rating"))
    assert bar.direction.text() == "Best first"


def test_random_disables_direction(qtbot, bar):
    bar.sort.setCurrentIndex(bar.sort.findData("random"))
    assert not bar.direction.isEnabled()


def test_name_order_disables_unrated(qtbot, bar):
    bar.sort.setCurrentIndex(bar.sort.findData("name"))
    assert not bar.unrated.isEnabled()


def test_result_count(qtbot, bar):
    bar.set_result_count(12345)
    assert bar.count.text() == "12,345 photos"


def test_result_count_one(qtbot, bar):
    bar.set_result_count(1)
    assert bar.count.text() == "1 photo"


def test_focus_search(qtbot, bar):
    bar.text.setText("heron")
    bar.activateWindow()
    bar.focus_search()
    qtbot.waitUntil(bar.text.hasFocus)
    assert bar.text.selectedText() == "heron"


def test_tag_names_complete(qtbot, bar):
    bar.set_tag_names(["bird/heron", "water"])
    completer = bar.tags.entry.completer()
    completer.setCompletionPrefix("wat")
    assert completer.currentCompletion() == "water"


async def test_bar_narrows_results(qtbot, library):
    bar = SearchBar()
    qtbot.addWidget(bar)
    queries: list[SearchQuery] = []
    bar.query_changed.connect(queries.append)
    qtbot.keyClicks(bar.text, "orientation/landscape")
    for _ in range(100):
        if queries:
            break
        await asyncio.sleep(0.02)
    found = await library.get_image_ids(**queries[-1].engine_arguments())
    assert len(found) == 8
