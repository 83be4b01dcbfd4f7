"""Tests of `picpocket search` on four imported JPEGs with some metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.picpocket.cli.conftest import Runner, image_ids


@pytest.fixture
def described(imported: Runner) -> Runner:
    """Give three of the four images titles, two a rating and tags."""
    ids = image_ids(imported)
    edits = {
        "Canon_40D.jpg": ["--title", "Canada Goose at dawn", "--rating", "5"],
        "Nikon_D70.jpg": ["--title", "goose in flight", "--rating", "3"],
        "Kodak_CX7530.jpg": ["--title", "Harbour 100%"],
    }
    for name, options in edits.items():
        assert imported("image", "edit", str(ids[name]), *options).code == 0
    imported("image", "tag", str(ids["Canon_40D.jpg"]), "--tag", "bird/goose")
    imported("image", "tag", str(ids["Nikon_D70.jpg"]), "--tag", "bird/goose")
    imported("image", "tag", str(ids["Nikon_D70.jpg"]), "--tag", "sky")
    return imported


def names(run: Runner, *options: str) -> list[str]:
    """Return the file names that a search prints, in order."""
    result = run("search", *options)
    assert result.code == 0, result.err
    return [line.split("\t")[2] for line in result.lines]


def test_search_all_lines(described: Runner) -> None:
    lines = described("search", "--filter", "rating=5").lines
    assert len(lines) == 1
    columns = lines[0].split("\t")
    assert columns[1:] == ["photos", "Canon_40D.jpg", "Canada Goose at dawn"]


def test_search_number_filter(described: Runner) -> None:
    assert names(described, "--filter", "rating>=3", "--order", "name") == [
        "Canon_40D.jpg",
        "Nikon_D70.jpg",
    ]


def test_search_text_contains(described: Runner) -> None:
    found = names(described, "--filter", "title%=%GOOSE", "--order", "name")
    assert found == ["Canon_40D.jpg", "Nikon_D70.jpg"]


def test_search_text_starts_with(described: Runner) -> None:
    assert names(described, "--filter", "title=%canada") == ["Canon_40D.jpg"]


def test_search_percent_literal(described: Runner) -> None:
    assert names(described, "--filter", "title%=0%") == ["Kodak_CX7530.jpg"]


def test_search_quoted_value(described: Runner) -> None:
    assert names(described, "--filter", 'title="Harbour 100%"') == ["Kodak_CX7530.jpg"]


def test_search_filters_combined(described: Runner) -> None:
    found = names(described, "--filter", "title%=%goose", "--filter", "rating<5")
    assert found == ["Nikon_D70.jpg"]


def test_search_exclude(described: Runner) -> None:
    found = names(described, "--exclude", "title%=%goose", "--order", "name")
    assert found == ["Kodak_CX7530.jpg", "Pentax_K10D.jpg"]


def test_search_missing(described: Runner) -> None:
    assert names(described, "--missing", "title") == ["Pentax_K10D.jpg"]


def test_search_date_filter(described: Runner) -> None:
    since_1990 = described("search", "--count", "--filter", "creation_date>=1990-01-01")
    assert since_1990.out == "4\n"
    after_2100 = described("search", "--count", "--filter", "creation_date>2100-01-01")
    assert after_2100.out == "0\n"


def test_search_order_descending(described: Runner) -> None:
    found = names(described, "--order=-rating!", "--order", "name")
    assert found == [
        "Canon_40D.jpg",
        "Nikon_D70.jpg",
        "Kodak_CX7530.jpg",
        "Pentax_K10D.jpg",
    ]


def test_search_order_comma_list(described: Runner) -> None:
    found = names(described, "--order", "!rating,name")
    assert found == [
        "Kodak_CX7530.jpg",
        "Pentax_K10D.jpg",
        "Nikon_D70.jpg",
        "Canon_40D.jpg",
    ]


def test_search_limit_offset(described: Runner) -> None:
    found = names(described, "--order", "name", "--limit", "2", "--offset", "1")
    assert found == ["Kodak_CX7530.jpg", "Nikon_D70.jpg"]


def test_search_count(described: Runner) -> None:
    assert described("search", "--count").out == "4\n"


def test_search_ids(described: Runner) -> None:
    ids = image_ids(described)
    result = described("search", "--ids", "--filter", "rating=3")
    assert result.out == f"{ids['Nikon_D70.jpg']}\n"


def test_search_json(described: Runner) -> None:
    images = json.loads(described("search", "--json", "--filter", "rating=5").out)
    assert len(images) == 1
    assert images[0]["title"] == "Canada Goose at dawn"
    assert images[0]["width"] > 0


def test_search_tags(described: Runner) -> None:
    assert names(described, "--any-tag", "bird", "--no-tag", "sky") == ["Canon_40D.jpg"]
    assert names(described, "--all-tag", "bird/goose", "--all-tag", "sky") == [
        "Nikon_D70.jpg"
    ]
    assert described("search", "--untagged", "--count").out == "2\n"
    assert described("search", "--tagged", "--count").out == "2\n"


def test_search_location(described: Runner, tmp_path: Path) -> None:
    described("location", "add", "empty", str(tmp_path), "--destination")
    assert described("search", "--location", "empty", "--count").out == "0\n"
    assert described("search", "--location", "photos", "--count").out == "4\n"


def test_search_reachable(described: Runner) -> None:
    assert described("search", "--reachable", "--count").out == "4\n"
    assert described("search", "--unreachable", "--count").out == "0\n"


@pytest.mark.parametrize(
    "expression, message",
    [
        ("rating", "invalid filter"),
        ("colour=red", "unknown property 'colour'"),
        ("rating%=%4", "operator '%=%' does not apply to 'rating'"),
        ("title>goose", "operator '>' does not apply to 'title'"),
        ("rating>=high", "'rating' takes a number"),
        ("rating>=", "--missing rating"),
        ("creation_date>=yesterday", "invalid date 'yesterday'"),
    ],
)
def test_search_bad_filter(described: Runner, expression: str, message: str) -> None:
    result = described("search", "--filter", expression)
    assert result.code == 2
    assert message in result.err
    assert result.out == ""


def test_search_bad_order(described: Runner) -> None:
    result = described("search", "--order", "colour")
    assert result.code == 2
    assert "invalid order key 'colour'" in result.err


def test_search_count_with_ids(described: Runner) -> None:
    assert described("search", "--count", "--ids").code == 2
