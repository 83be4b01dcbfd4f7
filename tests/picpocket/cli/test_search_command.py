"""Tests of `picpocket images count` and `search` on four JPEGs with metadata.

Tests that only search share one library per backend; the few that
change a library use their own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from picpocket.cli.records import IMAGE_KEYS
from tests.picpocket.cli.conftest import Runner, image_ids

# Titles for three of the four images, ratings for two and tags.
SHARED_STEPS = (
    ("images", "edit", "@Canon_40D", "--title", "Canada Goose at dawn",
     "--rating", "5"),
    ("images", "edit", "@Nikon_D70", "--title", "goose in flight", "--rating", "3",
     "--caption", "Over the harbour"),
    ("images", "edit", "@Kodak_CX7530", "--title", "Harbour 100%",
     "--creator", "Ansel"),
    ("images", "tag", "@Canon_40D", "bird/goose"),
    ("images", "tag", "@Nikon_D70", "bird/goose", "sky"),
)


def names(run: Runner, *options: str) -> list[str]:
    """Return the file names that a search prints, in order."""
    result = run("images", "search", *options)
    assert result.code == 0, result.err
    return [line.split("\t")[2] for line in result.lines]


def count(run: Runner, *options: str) -> str:
    """Return what `images count` prints."""
    result = run("images", "count", *options)
    assert result.code == 0, result.err
    return result.out


def test_count_alone(shared: Runner) -> None:
    assert count(shared) == "4\n"


def test_search_lines(shared: Runner) -> None:
    ids = image_ids(shared)
    lines = shared("images", "search", "--where", "rating = 5").lines
    canon = ids["Canon_40D.jpg"]
    assert lines == [f"{canon}\tphotos\tCanon_40D.jpg\tCanada Goose at dawn"]


def test_tag_all_of(shared: Runner) -> None:
    assert names(shared, "--tag", "bird/goose", "--tag", "sky") == ["Nikon_D70.jpg"]
    assert count(shared, "--tag", "bird") == "2\n"


def test_any_tag_and_no_tag(shared: Runner) -> None:
    assert names(shared, "--any-tag", "bird", "--no-tag", "sky") == [
        "Canon_40D.jpg"
    ]
    assert count(shared, "--any-tag", "sky", "--any-tag", "fish") == "1\n"


def test_tagged_untagged(shared: Runner) -> None:
    assert count(shared, "--tagged") == "2\n"
    assert count(shared, "--untagged") == "2\n"
    both = shared("images", "count", "--tagged", "--untagged")
    assert both.code == 2


def test_location(imported: Runner, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    imported("locations", "add", "empty", "--path", str(empty), "--destination")
    assert count(imported, "--location", "empty") == "0\n"
    assert count(imported, "--location", "photos") == "4\n"
    assert count(imported, "--location", "photos", "--location", "empty") == "4\n"


def test_unknown_location(shared: Runner) -> None:
    result = shared("images", "count", "--location", "nowhere")
    assert result.code == 1
    assert "Location 'nowhere' not found" in result.err
    assert result.out == ""


def test_reachable(imported: Runner, jpegs: Path) -> None:
    assert count(imported, "--reachable") == "4\n"
    assert count(imported, "--unreachable") == "0\n"
    imported("locations", "edit", "photos", "--removable")
    jpegs.rename(jpegs.with_name("unplugged"))
    assert count(imported, "--unreachable") == "4\n"


def test_rating_min(shared: Runner) -> None:
    assert names(shared, "--rating-min", "3", "--order", "name") == [
        "Canon_40D.jpg",
        "Nikon_D70.jpg",
    ]
    assert count(shared, "--rating-min", "6") == "0\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("GOOSE", ["Canon_40D.jpg", "Nikon_D70.jpg"]),  # title, any case
        ("harbour", ["Kodak_CX7530.jpg", "Nikon_D70.jpg"]),  # title and caption
        ("ansel", ["Kodak_CX7530.jpg"]),  # creator
        ("pentax", ["Pentax_K10D.jpg"]),  # path
        ("100%", ["Kodak_CX7530.jpg"]),  # % is literal
    ],
)
def test_text(shared: Runner, text: str, expected: list[str]) -> None:
    assert names(shared, "--text", text, "--order", "name") == expected


def test_text_repeated(shared: Runner) -> None:
    assert names(shared, "--text", "goose", "--text", "flight") == [
        "Nikon_D70.jpg"
    ]


def test_where_operators(shared: Runner) -> None:
    assert names(shared, "--where", "title =% canada") == ["Canon_40D.jpg"]
    assert names(shared, "--where", "title %= FLIGHT") == ["Nikon_D70.jpg"]
    assert names(shared, "--where", 'title = "Harbour 100%"') == [
        "Kodak_CX7530.jpg"
    ]
    assert names(shared, "--where", "rating<5") == ["Nikon_D70.jpg"]


def test_where_combined(shared: Runner) -> None:
    found = names(
        shared, "--where", "title %=% goose", "--where", "rating <= 4",
        "--tag", "sky",
    )
    assert found == ["Nikon_D70.jpg"]


def test_where_dates(shared: Runner) -> None:
    assert count(shared, "--where", "creation_date >= 1990-01-01") == "4\n"
    assert count(shared, "--where", "creation_date > 2100-01-01") == "0\n"


def test_where_dimensions(shared: Runner) -> None:
    assert count(shared, "--where", "width > 0", "--where", "height > 0") == "4\n"


@pytest.mark.parametrize(
    "expression, message",
    [
        ("rating", "invalid filter 'rating'"),
        ("colour = red", "unknown property 'colour'"),
        ("rating %=% 4", "operator '%=%' does not apply to 'rating'"),
        ("title > goose", "operator '>' does not apply to 'title'"),
        ("rating >= high", "'rating' takes a number, got 'high'"),
        ("rating >=", "the filter on 'rating' has no value"),
        ("creation_date >= yesterday", "invalid date 'yesterday'"),
    ],
)
def test_bad_filter(shared: Runner, expression: str, message: str) -> None:
    for command in ("count", "search"):
        result = shared("images", command, "--where", expression)
        assert result.code == 2, command
        assert message in result.err, command
        assert result.err.count("\n") == 1, command
        assert result.out == "", command


def test_order_descending(shared: Runner) -> None:
    found = names(shared, "--order=-rating!", "--order", "name")
    assert found == [
        "Canon_40D.jpg",
        "Nikon_D70.jpg",
        "Kodak_CX7530.jpg",
        "Pentax_K10D.jpg",
    ]


def test_order_comma_list(shared: Runner) -> None:
    assert names(shared, "--order", "!rating,name") == [
        "Kodak_CX7530.jpg",
        "Pentax_K10D.jpg",
        "Nikon_D70.jpg",
        "Canon_40D.jpg",
    ]


def test_bad_order(shared: Runner) -> None:
    result = shared("images", "search", "--order", "colour")
    assert result.code == 2
    assert "invalid order key 'colour'" in result.err


def test_limit_offset(shared: Runner) -> None:
    found = names(shared, "--order", "name", "--limit", "2", "--offset", "1")
    assert found == ["Kodak_CX7530.jpg", "Nikon_D70.jpg"]
    assert names(shared, "--order", "name", "--offset", "3") == ["Pentax_K10D.jpg"]


def test_negative_limit(shared: Runner) -> None:
    result = shared("images", "search", "--limit", "-1")
    assert result.code == 2
    assert "'-1' is negative" in result.err


def test_json(shared: Runner, shared_jpegs: Path) -> None:
    result = shared("images", "search", "--json", "--tag", "sky")
    images = json.loads(result.out)
    assert len(images) == 1
    assert tuple(images[0]) == IMAGE_KEYS
    assert images[0]["title"] == "goose in flight"
    assert images[0]["location"] == "photos"
    assert images[0]["tags"] == ["bird/goose", "sky"]
    assert images[0]["full_path"] == str(shared_jpegs / "Nikon_D70.jpg")
    assert images[0]["width"] > 0


def test_json_empty(shared: Runner) -> None:
    assert shared("images", "search", "--json", "--tag", "fish").out == "[]\n"


def test_paths(shared: Runner, shared_jpegs: Path) -> None:
    result = shared("images", "search", "--paths", "--tag", "bird", "--order", "name")
    assert result.lines == [
        str(shared_jpegs / "Canon_40D.jpg"),
        str(shared_jpegs / "Nikon_D70.jpg"),
    ]


def test_paths_unreachable(imported: Runner, jpegs: Path) -> None:
    imported("locations", "edit", "photos", "--removable")
    jpegs.rename(jpegs.with_name("unplugged"))
    result = imported("images", "search", "--paths")
    assert result.code == 0
    assert result.out == ""
    assert "Left out 4 images whose location is not reachable" in result.err


def test_json_and_paths(shared: Runner) -> None:
    assert shared("images", "search", "--json", "--paths").code == 2
