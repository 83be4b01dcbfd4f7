"""Tests for tag suggestions beside the details panel."""

from picpocket_gui.widgets.tag_suggestions import TagSuggestions, rank_suggestions


def test_rank_most_used_first():
    assert rank_suggestions({"a": 1, "b": 5, "c": 3}, set(), 2) == ["b", "c"]


def test_rank_skips_selected_tags():
    assert rank_suggestions({"a": 4, "b": 5}, {"b"}, 5) == ["a"]


def test_rank_ties_by_name():
    assert rank_suggestions({"b": 2, "a": 2}, set(), 5) == ["a", "b"]


async def test_suggestions_from_result(library, qtbot):
    ids = await library.get_image_ids(order=("path",))
    await library.tag_images(ids[:5], "bird")
    await library.tag_images(ids[:2], "sky")
    widget = TagSuggestions(library)
    qtbot.addWidget(widget)
    await widget.update_for(ids, [ids[1]])
    assert widget.suggestions == []
    await widget.update_for(ids, [ids[3]])
    assert widget.suggestions == ["sky"]


async def test_click_chooses_tag(library, qtbot):
    ids = await library.get_image_ids(order=("path",))
    await library.tag_images(ids[:3], "bird")
    widget = TagSuggestions(library)
    qtbot.addWidget(widget)
    await widget.update_for(ids, [ids[5]])
    with qtbot.waitSignal(widget.tag_chosen) as signal:
        item = widget.chips.item(0)
        widget.chips.itemClicked.emit(item)
    assert signal.args == ["bird"]


async def test_count_preference(library, qtbot):
    ids = await library.get_image_ids(order=("path",))
    for number in range(4):
        await library.tag_images(ids[:4], f"tag{number}")
    widget = TagSuggestions(library)
    qtbot.addWidget(widget)
    widget.set_count(2)
    await widget.update_for(ids, [ids[6]])
    assert len(widget.suggestions) == 2
