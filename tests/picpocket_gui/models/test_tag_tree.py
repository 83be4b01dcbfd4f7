"""Tests for the tag tree model over a real library."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, Qt

from picpocket_gui.mime import image_mime_data
from picpocket_gui.models import TagTreeModel
from picpocket_gui.models.roles import TagCountRole, TagNameRole

DISPLAY = Qt.ItemDataRole.DisplayRole
COPY = Qt.DropAction.CopyAction


@pytest.fixture
async def tagged(library) -> list[int]:
    """Tag a few images under "bird" and return the ids of every image."""
    ids = await library.get_image_ids()
    await library.tag_images(ids[:3], "bird/goose")
    await library.tag_images(ids[2:5], "bird/duck")
    await library.tag_image(ids[0], "bird")
    await library.tag_image(ids[9], "sky")
    return ids


@pytest.fixture
async def tree(library, tagged, qapp) -> TagTreeModel:
    model = TagTreeModel(library)
    await model.reload()
    return model


def _children(model: TagTreeModel, parent: QModelIndex = QModelIndex()) -> list[str]:
    rows = range(model.rowCount(parent))
    return [model.index(row, 0, parent).data(DISPLAY) for row in rows]


async def test_tree_passes_model_tester(tree, qtmodeltester):
    qtmodeltester.check(tree, force_py=True)


async def test_top_level_tags(tree):
    assert _children(tree) == ["bird (5)", "sky (1)"]


async def test_child_tags(tree):
    bird = tree.index_of_tag("bird")
    assert _children(tree, bird) == ["duck (3)", "goose (3)"]


async def test_full_name_role(tree):
    goose = tree.index(1, 0, tree.index_of_tag("bird"))
    assert goose.data(TagNameRole) == "bird/goose"


async def test_count_role(tree):
    assert tree.index_of_tag("bird").data(TagCountRole) == 5


async def test_implied_parent_listed(library, qapp):
    ids = await library.get_image_ids()
    await library.tag_image(ids[0], "place/lake")
    model = TagTreeModel(library)
    await model.reload()
    assert model.tag_names() == ["place", "place/lake"]


async def test_description_tooltip(library, tree):
    await library.add_tag("bird/goose", "Geese of every kind")
    await tree.reload()
    goose = tree.index_of_tag("bird/goose")
    assert goose.data(Qt.ItemDataRole.ToolTipRole) == "Geese of every kind"


async def test_no_description_no_tooltip(tree):
    assert tree.index_of_tag("sky").data(Qt.ItemDataRole.ToolTipRole) is None


async def test_reload_updates_counts(library, tree, tagged, qtmodeltester):
    qtmodeltester.check(tree, force_py=True)
    await library.tag_images(tagged[20:30], "sky/night")
    await tree.reload()
    assert _children(tree) == ["bird (5)", "sky (11)"]


async def test_reload_resets(library, tree):
    resets = []
    tree.modelReset.connect(lambda: resets.append(True))
    await tree.reload()
    assert resets == [True]


async def test_unknown_tag_index(tree):
    assert not tree.index_of_tag("bird/swan").isValid()


async def test_header(tree):
    assert tree.headerData(0, Qt.Orientation.Horizontal, DISPLAY) == "Tag (count)"


async def test_drop_emits_ids(tree, tagged):
    dropped = []
    tree.images_dropped.connect(lambda tag, ids: dropped.append((tag, ids)))
    data = image_mime_data(tagged[10:13], [])
    goose = tree.index_of_tag("bird/goose")
    assert tree.dropMimeData(data, COPY, -1, -1, goose)
    assert dropped == [("bird/goose", tagged[10:13])]


async def test_drop_leaves_library(library, tree, tagged):
    data = image_mime_data(tagged[10:13], [])
    tree.dropMimeData(data, COPY, -1, -1, tree.index_of_tag("bird/goose"))
    assert (await library.tag_counts())["bird/goose"] == 3


async def test_drop_between_tags_rejected(tree, tagged):
    data = image_mime_data(tagged[10:13], [])
    bird = tree.index_of_tag("bird")
    assert not tree.canDropMimeData(data, COPY, 0, 0, bird)


async def test_drop_on_root_rejected(tree, tagged):
    data = image_mime_data(tagged[10:13], [])
    assert not tree.canDropMimeData(data, COPY, -1, -1, QModelIndex())


async def test_drop_without_ids_rejected(tree):
    data = QMimeData()
    data.setText("bird")
    sky = tree.index_of_tag("sky")
    assert not tree.dropMimeData(data, COPY, -1, -1, sky)


async def test_tags_accept_drops(tree):
    assert tree.flags(tree.index_of_tag("sky")) & Qt.ItemFlag.ItemIsDropEnabled
