"""Tests of the `picpocket tag` commands."""

from __future__ import annotations

import pytest

from tests.picpocket.cli.conftest import Runner, image_ids


@pytest.fixture
def tagged(imported: Runner) -> Runner:
    """Tag the images with a small tree: bird/goose/Canada Goose, bird/duck, sky."""
    ids = image_ids(imported)
    canon, nikon = str(ids["Canon_40D.jpg"]), str(ids["Nikon_D70.jpg"])
    imported("image", "tag", canon, "--tag", "bird/goose/Canada Goose")
    imported("image", "tag", nikon, "--tag", "bird/duck", "--tag", "sky")
    imported("tag", "add", "bird", "--description", "Birds of all kinds")
    return imported


def test_tag_list(tagged: Runner) -> None:
    assert tagged("tag", "list").lines == [
        "bird",
        "bird/duck",
        "bird/goose/Canada Goose",
        "sky",
    ]


def test_tag_tree(tagged: Runner) -> None:
    assert tagged("tag", "list", "--tree").lines == [
        "bird - Birds of all kinds",
        "  duck",
        "  goose",
        "    Canada Goose",
        "sky",
    ]


def test_tag_show(tagged: Runner) -> None:
    lines = tagged("tag", "show", "bird").lines
    assert "description: Birds of all kinds" in lines
    assert "children:    bird/duck, bird/goose" in lines
    assert "images:      2 (with its descendants)" in lines


def test_tag_show_unknown(tagged: Runner) -> None:
    result = tagged("tag", "show", "fish")
    assert result.code == 1
    assert "Tag 'fish' not found" in result.err


def test_tag_move_cascades(tagged: Runner) -> None:
    result = tagged("tag", "move", "bird/goose", "animal/goose")
    assert result.code == 0
    assert "Moved 1 tags" in result.out
    assert "animal/goose/Canada Goose" in tagged("tag", "list").lines


def test_tag_move_no_cascade(tagged: Runner) -> None:
    tagged("tag", "add", "bird/goose")
    tagged("tag", "move", "bird/goose", "animal/goose", "--no-cascade")
    assert "bird/goose/Canada Goose" in tagged("tag", "list").lines


def test_tag_remove(tagged: Runner) -> None:
    assert tagged("tag", "remove", "sky").code == 0
    assert "sky" not in tagged("tag", "list").lines
    assert tagged("search", "--any-tag", "sky", "--count").out == "0\n"


def test_tag_remove_cascade(tagged: Runner) -> None:
    tagged("tag", "remove", "bird", "--cascade")
    assert tagged("tag", "list").lines == ["sky"]


def test_tag_add_description(library: Runner) -> None:
    library("tag", "add", "bird", "--description", "Birds")
    library("tag", "add", "bird", "--description", "Feathered")
    assert "description: Feathered" in library("tag", "show", "bird").lines
