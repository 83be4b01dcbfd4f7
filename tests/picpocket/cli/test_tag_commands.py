"""Tests of the `picpocket tags` commands.

Tests that only read use the module's shared library (`shared`), and
tests that change tags get a tagged library of their own (`retaggable`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from picpocket.cli.records import TAG_KEYS
from tests.picpocket.cli.conftest import Runner, fill_image_ids, image_ids

# A small tree: bird/goose/Canada Goose, bird/duck and sky.
SHARED_STEPS = (
    ("images", "tag", "@Canon_40D", "bird/goose/Canada Goose"),
    ("images", "tag", "@Nikon_D70", "bird/duck", "sky"),
    ("tags", "add", "bird", "--description", "Birds of all kinds"),
)


@pytest.fixture
def retaggable(imported: Runner) -> Runner:
    """Return a runner on a library of this test's own, tagged like the shared one."""
    ids = {Path(name).stem: str(value) for name, value in image_ids(imported).items()}
    for step in SHARED_STEPS:
        assert imported(*fill_image_ids(step, ids)).code == 0
    return imported


def test_list_tree(shared: Runner) -> None:
    assert shared("tags", "list").lines == [
        "bird (2) - Birds of all kinds",
        "  duck (1)",
        "  goose (1)",
        "    Canada Goose (1)",
        "sky (1)",
    ]


def test_list_json(shared: Runner) -> None:
    tree = json.loads(shared("tags", "list", "--json").out)
    assert [tag["name"] for tag in tree] == ["bird", "sky"]
    bird = tree[0]
    assert tuple(bird) == TAG_KEYS
    assert bird["description"] == "Birds of all kinds"
    assert bird["images"] == 2
    assert [child["name"] for child in bird["children"]] == ["bird/duck", "bird/goose"]
    goose = bird["children"][1]
    assert goose["description"] is None
    assert goose["children"][0]["name"] == "bird/goose/Canada Goose"


def test_list_empty(library: Runner) -> None:
    assert library("tags", "list").out == ""
    assert library("tags", "list", "--json").out == "[]\n"


def test_show(shared: Runner) -> None:
    assert shared("tags", "show", "bird").lines == [
        "name:        bird",
        "description: Birds of all kinds",
        "images:      2 (with its descendants)",
        "children:    bird/duck, bird/goose",
    ]


def test_show_implied_parent(shared: Runner) -> None:
    tag = json.loads(shared("tags", "show", "bird/goose", "--json").out)
    assert tag["name"] == "bird/goose"
    assert tag["images"] == 1
    assert tag["children"][0]["name"] == "bird/goose/Canada Goose"


def test_show_unknown(shared: Runner) -> None:
    for name in ("fish", "bird/fish", "bir"):
        result = shared("tags", "show", name)
        assert result.code == 1, name
        assert result.err == (
            f"picpocket: error: Tag {name!r} not found; 'picpocket tags list' "
            f"shows the known tags\n"
        )


def test_add_description(library: Runner) -> None:
    library("tags", "add", "bird", "--description", "Birds")
    library("tags", "add", "bird", "--description", "Feathered")
    library("tags", "add", "bird")
    assert "description: Feathered" in library("tags", "show", "bird").lines
    library("tags", "add", "bird", "--description", "")
    assert "description:" in library("tags", "show", "bird").lines


def test_add_invalid(library: Runner) -> None:
    result = library("tags", "add", "bird//goose")
    assert result.code == 1
    assert "'bird//goose'" in result.err


def test_move_cascades(retaggable: Runner) -> None:
    result = retaggable("tags", "move", "bird/goose", "animal/goose")
    assert result.code == 0, result.err
    assert result.out == "Moved 1 tag from 'bird/goose' to 'animal/goose'\n"
    names = [line.strip() for line in retaggable("tags", "list").lines]
    assert "Canada Goose (1)" in names
    assert retaggable("images", "count", "--tag", "animal/goose").out == "1\n"


def test_move_no_cascade(retaggable: Runner) -> None:
    retaggable("tags", "add", "bird/goose")
    retaggable("tags", "move", "bird/goose", "animal/goose", "--no-cascade")
    left_behind = retaggable("images", "count", "--tag", "bird/goose/Canada Goose")
    assert left_behind.out == "1\n"
    assert retaggable("tags", "show", "animal/goose").code == 0


def test_move_implied_no_cascade(shared: Runner) -> None:
    result = shared("tags", "move", "bird/goose", "animal/goose", "--no-cascade")
    assert result.code == 1
    assert "exists only through its descendants" in result.err


def test_move_same_name(shared: Runner) -> None:
    result = shared("tags", "move", "sky", "sky/")
    assert result.code == 2
    assert "already has that name" in result.err


def test_move_unknown(shared: Runner) -> None:
    result = shared("tags", "move", "fish", "animal/fish")
    assert result.code == 1
    assert "Tag 'fish' not found" in result.err


def test_remove(retaggable: Runner) -> None:
    assert retaggable("tags", "remove", "sky").code == 0
    assert "sky (1)" not in retaggable("tags", "list").lines
    assert retaggable("images", "count", "--any-tag", "sky").out == "0\n"


def test_remove_cascade(retaggable: Runner) -> None:
    assert retaggable("tags", "remove", "bird", "--cascade").code == 0
    assert retaggable("tags", "list").lines == ["sky (1)"]


def test_remove_implied(shared: Runner) -> None:
    result = shared("tags", "remove", "bird/goose")
    assert result.code == 1
    assert "add --cascade" in result.err


def test_remove_unknown(shared: Runner) -> None:
    result = shared("tags", "remove", "fish")
    assert result.code == 1
    assert "Tag 'fish' not found" in result.err
