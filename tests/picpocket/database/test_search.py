"""Tests of count_images, get_image_ids and search_images on both backends.

Every test builds the same library: nine images in two locations, with
titles, ratings, captions, tags and file facts chosen so that each filter
and ordering has one exact expected result, written out below or computed
in Python from the stored records.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import picpocket
from picpocket.database.logic import (
    And,
    Boolean,
    Comparator,
    Comparison,
    DateTime,
    Number,
    Or,
    Text,
)
from picpocket.database.types import Image
from picpocket.errors import InputValidationError

EQUALS = Comparator.EQUALS
STARTS_WITH = Comparator.STARTS_WITH
ENDS_WITH = Comparator.ENDS_WITH
CONTAINS = Comparator.CONTAINS
GREATER = Comparator.GREATER
GREATER_EQUALS = Comparator.GREATER_EQUALS
LESS = Comparator.LESS
LESS_EQUALS = Comparator.LESS_EQUALS

INJECTION = "'; DROP TABLE images; --"

# Paths relative to their location; IMG_0001.jpg is on the removable card.
CANON = "Canon_40D.jpg"
KODAK = "Kodak_CX7530.jpg"
NIKON = "Nikon_D70.jpg"
PENTAX = "Pentax_K10D.jpg"
REAL = "sub/100%_real.jpeg"
A_B = "sub/a_b.JPG"
AXB = "sub/axb.jpg"
BROKEN = "broken.jpg"
CARD = "IMG_0001.jpg"
ALL = frozenset({CANON, KODAK, NIKON, PENTAX, REAL, A_B, AXB, BROKEN, CARD})

# File modification times: entry number n is modified at BASE_TIME + n hours.
BASE_TIME = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    """One image of the test library and the metadata the test sets on it."""

    path: str
    source: str | None  # camera JPEG copied in; None writes undecodable bytes
    creator: str | None = None
    title: str | None = None
    caption: str | None = None
    alt: str | None = None
    rating: int | None = None
    tags: tuple[str, ...] = ()


MAIN_ENTRIES = (
    Entry(
        CANON,
        "Canon_40D.jpg",
        creator="Ann",
        title="Sunset",
        caption="50% off",
        alt="A red sky",
        rating=5,
        tags=("bird/goose/Canada Goose", "cat"),
    ),
    Entry(
        KODAK,
        "Kodak_CX7530.jpg",
        creator="bob",
        title="sunrise",
        caption="500 off",
        rating=3,
        tags=("birdhouse",),
    ),
    Entry(NIKON, "Nikon_D70.jpg", caption="back\\slash", alt="", tags=("bird",)),
    Entry(
        PENTAX,
        "Pentax_K10D.jpg",
        creator="Ann",
        title="Zebra",
        caption="backslash",
        alt='O\'Brien said "hi"',
        rating=1,
        tags=("bird0", "Bird"),
    ),
    Entry(
        REAL,
        "Canon_40D.jpg",
        title=INJECTION,
        caption="under_score",
        rating=3,
        tags=("bird.x", INJECTION),
    ),
    Entry(
        A_B,
        "Nikon_D70.jpg",
        creator="ann",
        title="apple",
        caption="underscore",
        rating=0,
        tags=("bird-x", "cat"),
    ),
    Entry(AXB, "Pentax_K10D.jpg", title=""),
    Entry(
        BROKEN,
        None,
        title="50%",
        caption='It\'s "quoted"',
        rating=4,
        tags=("bird/goose", "50%_off"),
    ),
)
CARD_ENTRIES = (Entry(CARD, "Kodak_CX7530.jpg", title="card shot", rating=2),)
ENTRIES = MAIN_ENTRIES + CARD_ENTRIES

ORDERABLE = (
    "name",
    "extension",
    "creator",
    "location",
    "path",
    "title",
    "caption",
    "alt",
    "rating",
    "creation_date",
    "last_modified",
    "width",
    "height",
    "id",
)


@dataclass
class Library:
    """A library built from ENTRIES, with its records as stored."""

    api: Any
    images: dict[str, Image]
    locations: dict[str, int]
    card: Path

    def id(self, path: str) -> int:
        return self.images[path].id

    def path(self, image_id: int) -> str:
        for path, image in self.images.items():
            if image.id == image_id:
                return path
        raise AssertionError(f"The search returned unknown image id {image_id}")

    async def found(
        self, filter: Comparison | None = None, **criteria: Any
    ) -> set[str]:
        """Return the paths of the images that get_image_ids returns."""
        ids = await self.api.get_image_ids(filter, **criteria)
        return {self.path(image_id) for image_id in ids}

    async def ordered(self, order: tuple[str, ...], **criteria: Any) -> list[str]:
        """Return the paths of the images in the order get_image_ids returns them."""
        ids = await self.api.get_image_ids(order=order, **criteria)
        return [self.path(image_id) for image_id in ids]


def write_entry(folder: Path, entry: Entry, cameras: Path, number: int) -> None:
    target = folder / entry.path
    target.parent.mkdir(parents=True, exist_ok=True)
    if entry.source is None:
        target.write_bytes(b"These bytes are not a JPEG image.")
    else:
        shutil.copyfile(cameras / entry.source, target)
    modified = (BASE_TIME + timedelta(hours=number)).timestamp()
    os.utime(target, (modified, modified))


async def edit_entry(api: Any, image_id: int, entry: Entry) -> None:
    await api.edit_image(
        image_id,
        creator=entry.creator,
        title=entry.title,
        caption=entry.caption,
        alt=entry.alt,
        rating=entry.rating,
    )
    for tag in entry.tags:
        await api.tag_image(image_id, tag)


@pytest.fixture
async def library(api: Any, jpegs: Path, tmp_path: Path) -> Library:
    """Return the test library on the backend under test."""
    main, card = tmp_path / "main", tmp_path / "card"
    for number, entry in enumerate(ENTRIES):
        folder = card if entry in CARD_ENTRIES else main
        write_entry(folder, entry, jpegs, number)
    locations = {
        "main": await api.add_location(
            "main", main, source=True, destination=True, removable=False
        ),
        "card": await api.add_location("card", card, source=True, removable=True),
    }
    by_path = {entry.path: entry for entry in ENTRIES}
    images = {}
    for name in locations:
        for image_id in await api.import_location(name):
            image = await api.get_image(image_id)
            path = image.path.as_posix()
            await edit_entry(api, image_id, by_path[path])
            images[path] = await api.get_image(image_id)
    assert set(images) == ALL
    return Library(api, images, locations, card)


# Filters and the images they must find. A callable builds the filter from
# the library, for values known only after import (ids, stored dates).
FILTER_CASES: list[tuple[str, Any, frozenset[str]]] = [
    # name, extension, path
    ("name_equals", Text("name", EQUALS, "a_b"), {A_B}),
    ("name_equals_exact_case", Text("name", EQUALS, "A_B"), set()),
    ("name_contains_underscore", Text("name", CONTAINS, "A_B"), {A_B}),
    ("name_ends_with_percent", Text("name", ENDS_WITH, "%_REAL"), {REAL}),
    ("name_starts_with", Text("name", STARTS_WITH, "img"), {CARD}),
    ("extension_equals", Text("extension", EQUALS, "jpeg"), {REAL}),
    ("path_starts_with", Text("path", STARTS_WITH, "sub/"), {REAL, A_B, AXB}),
    ("path_contains_percent", Text("path", CONTAINS, "%"), {REAL}),
    ("path_contains_underscore", Text("path", CONTAINS, "_"), ALL - {AXB, BROKEN}),
    # creator, title, caption, alt
    ("creator_equals", Text("creator", EQUALS, "Ann"), {CANON, PENTAX}),
    ("creator_starts_with", Text("creator", STARTS_WITH, "ANN"), {CANON, PENTAX, A_B}),
    (
        "creator_missing",
        Text("creator", EQUALS, None),
        ALL - {CANON, KODAK, PENTAX, A_B},
    ),
    ("title_equals_exact_case", Text("title", EQUALS, "sunset"), set()),
    ("title_equals", Text("title", EQUALS, "Sunset"), {CANON}),
    ("title_starts_with", Text("title", STARTS_WITH, "SUN"), {CANON, KODAK}),
    ("title_ends_with_percent", Text("title", ENDS_WITH, "%"), {BROKEN}),
    ("title_contains_nothing", Text("title", CONTAINS, ""), ALL - {NIKON}),
    ("title_empty", Text("title", EQUALS, ""), {AXB}),
    ("title_missing", Text("title", EQUALS, None), {NIKON}),
    ("title_present", Text("title", EQUALS, None, invert=True), ALL - {NIKON}),
    (
        "title_inverted_includes_missing",
        Text("title", STARTS_WITH, "sun", invert=True),
        ALL - {CANON, KODAK},
    ),
    ("title_injection_equals", Text("title", EQUALS, INJECTION), {REAL}),
    ("title_injection_contains", Text("title", CONTAINS, "drop TABLE"), {REAL}),
    ("title_injection_starts_with", Text("title", STARTS_WITH, "';"), {REAL}),
    ("caption_starts_with_percent", Text("caption", STARTS_WITH, "50%"), {CANON}),
    ("caption_contains_percent", Text("caption", CONTAINS, "%"), {CANON}),
    ("caption_contains_backslash", Text("caption", CONTAINS, "\\"), {NIKON}),
    ("caption_contains_escape_pair", Text("caption", CONTAINS, "k\\s"), {NIKON}),
    ("caption_equals_backslash", Text("caption", EQUALS, "back\\slash"), {NIKON}),
    ("caption_contains_underscore", Text("caption", CONTAINS, "R_S"), {REAL}),
    ("caption_equals_quotes", Text("caption", EQUALS, 'It\'s "quoted"'), {BROKEN}),
    ("caption_contains_quote", Text("caption", CONTAINS, "'"), {BROKEN}),
    ("caption_contains_double_quote", Text("caption", CONTAINS, '"'), {BROKEN}),
    ("alt_contains_quote", Text("alt", CONTAINS, "o'brien"), {PENTAX}),
    ("alt_empty", Text("alt", EQUALS, ""), {NIKON}),
    ("alt_missing", Text("alt", EQUALS, None), ALL - {CANON, NIKON, PENTAX}),
    # numbers
    ("rating_equals", Number("rating", EQUALS, 3), {KODAK, REAL}),
    ("rating_greater", Number("rating", GREATER, 3), {CANON, BROKEN}),
    (
        "rating_greater_equals",
        Number("rating", GREATER_EQUALS, 3),
        {CANON, BROKEN, KODAK, REAL},
    ),
    ("rating_less", Number("rating", LESS, 2), {PENTAX, A_B}),
    ("rating_less_equals", Number("rating", LESS_EQUALS, 2), {PENTAX, A_B, CARD}),
    ("rating_fraction", Number("rating", GREATER, 2.5), {CANON, KODAK, REAL, BROKEN}),
    ("rating_infinite", Number("rating", LESS, math.inf), ALL - {NIKON, AXB}),
    ("rating_missing", Number("rating", EQUALS, None), {NIKON, AXB}),
    (
        "rating_inverted_includes_missing",
        Number("rating", GREATER, 3, invert=True),
        ALL - {CANON, BROKEN},
    ),
    ("width_equals", Number("width", EQUALS, 100), ALL - {BROKEN}),
    ("width_missing", Number("width", EQUALS, None), {BROKEN}),
    ("height_greater", Number("height", GREATER, 70), {KODAK, PENTAX, AXB, CARD}),
    ("height_less_equals", Number("height", LESS_EQUALS, 66), {NIKON, A_B}),
    (
        "location_equals",
        lambda library: Number("location", EQUALS, library.locations["card"]),
        {CARD},
    ),
    ("id_equals", lambda library: Number("id", EQUALS, library.id(KODAK)), {KODAK}),
    (
        "id_greater_equals",
        lambda library: Number("id", GREATER_EQUALS, library.id(CARD)),
        {CARD},
    ),
    ("id_less", lambda library: Number("id", LESS, library.id(CARD)), ALL - {CARD}),
    # dates
    (
        "creation_date_less",
        DateTime("creation_date", LESS, datetime(2008, 1, 1, tzinfo=UTC)),
        {KODAK, CARD},
    ),
    (
        "creation_date_greater",
        DateTime("creation_date", GREATER, datetime(2010, 1, 1, tzinfo=UTC)),
        {BROKEN},
    ),
    (
        "creation_date_between",
        And(
            DateTime("creation_date", GREATER_EQUALS, datetime(2008, 4, 1, tzinfo=UTC)),
            DateTime("creation_date", LESS_EQUALS, datetime(2008, 12, 31, tzinfo=UTC)),
        ),
        {CANON, PENTAX, REAL, AXB},
    ),
    (
        "creation_date_equals",
        lambda library: DateTime(
            "creation_date", EQUALS, library.images[CANON].creation_date
        ),
        {CANON, REAL},
    ),
    (
        "creation_date_equals_naive_local",
        lambda library: DateTime(
            "creation_date",
            EQUALS,
            library.images[CANON].creation_date.astimezone().replace(tzinfo=None),
        ),
        {CANON, REAL},
    ),
    (
        "last_modified_equals",
        DateTime("last_modified", EQUALS, BASE_TIME + timedelta(hours=2)),
        {NIKON},
    ),
    (
        "last_modified_greater_equals",
        DateTime("last_modified", GREATER_EQUALS, BASE_TIME + timedelta(hours=7)),
        {BROKEN, CARD},
    ),
    (
        "last_modified_less",
        DateTime("last_modified", LESS, BASE_TIME + timedelta(minutes=30)),
        {CANON},
    ),
    ("last_modified_missing", DateTime("last_modified", EQUALS, None), set()),
    # Boolean without a value tests for a missing value of any property.
    ("boolean_missing_title", Boolean("title"), {NIKON}),
    ("boolean_present_rating", Boolean("rating", invert=True), ALL - {NIKON, AXB}),
    # groups
    (
        "and",
        And(Text("creator", EQUALS, "Ann"), Number("rating", GREATER, 2)),
        {CANON},
    ),
    (
        "or",
        Or(Text("title", EQUALS, "Zebra"), Number("rating", EQUALS, 0)),
        {PENTAX, A_B},
    ),
    (
        "or_inside_and",
        And(
            Text("path", STARTS_WITH, "sub/"),
            Or(Number("rating", GREATER_EQUALS, 3), Text("title", EQUALS, "")),
        ),
        {REAL, AXB},
    ),
    (
        "and_inside_or",
        Or(
            And(Text("path", STARTS_WITH, "sub/"), Number("rating", GREATER_EQUALS, 3)),
            Text("title", EQUALS, None),
        ),
        {REAL, NIKON},
    ),
    (
        "and_inverted",
        And(Text("creator", EQUALS, "Ann"), Number("rating", GREATER, 2), invert=True),
        ALL - {CANON},
    ),
    (
        "or_inverted_includes_missing",
        Or(
            Number("rating", GREATER, 3),
            Text("title", STARTS_WITH, "sun"),
            invert=True,
        ),
        ALL - {CANON, BROKEN, KODAK},
    ),
    (
        "inverted_twice",
        And(Text("title", EQUALS, None, invert=True), invert=True),
        {NIKON},
    ),
    (
        "inverted_leaf_inside_and",
        And(Text("creator", EQUALS, "Ann", invert=True), Number("rating", LESS, 3)),
        {A_B, CARD},
    ),
    ("and_empty", And(), ALL),
    ("or_empty", Or(), set()),
    ("and_empty_inverted", And(invert=True), set()),
    ("or_empty_inverted", Or(invert=True), ALL),
]


def build_filter(library: Library, filter: Any) -> Comparison:
    return filter if isinstance(filter, Comparison) else filter(library)


async def validation_error(call: Awaitable[Any]) -> InputValidationError | None:
    """Await a call and return the InputValidationError it raised, if any."""
    try:
        await call
    except InputValidationError as error:
        return error
    return None


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        pytest.param(filter, expected, id=name)
        for name, filter, expected in FILTER_CASES
    ],
)
async def test_filter_cases(library: Library, filter: Any, expected: set[str]) -> None:
    comparison = build_filter(library, filter)
    searched = await library.api.search_images(comparison)
    assert await library.found(comparison) == expected
    assert await library.api.count_images(comparison) == len(expected)
    assert {image.path.as_posix() for image in searched} == expected


async def test_filter_injection_keeps_table(library: Library) -> None:
    for comparator in (EQUALS, STARTS_WITH, ENDS_WITH, CONTAINS):
        for column in ("title", "caption", "name", "path"):
            await library.api.count_images(Text(column, comparator, INJECTION))
    await library.api.get_image_ids(any_tags=[INJECTION], no_tags=[INJECTION])
    assert await library.api.count_images() == len(ALL)
    assert await library.api.count_images(Text("title", EQUALS, INJECTION)) == 1


async def test_filter_string_comparator(library: Library) -> None:
    assert await library.found(Text("title", "=%", "sun")) == {CANON, KODAK}


# Filters that must be rejected, and the name the message must contain.
INVALID_FILTERS = [
    ("unknown_column", Text("bogus", EQUALS, "x"), "bogus"),
    ("json_column", Text("exif", EQUALS, "x"), "exif"),
    ("injection_column", Text("title = title; DROP TABLE images", EQUALS, "x"), "DROP"),
    ("text_on_number", Text("rating", EQUALS, "3"), "rating"),
    ("text_on_location", Text("location", EQUALS, "main"), "location"),
    ("number_on_text", Number("title", EQUALS, 3), "title"),
    ("number_on_date", Number("creation_date", EQUALS, 3), "creation_date"),
    ("date_on_number", DateTime("rating", EQUALS, BASE_TIME), "rating"),
    ("boolean_value_on_number", Boolean("rating", True), "rating"),
    ("boolean_value_on_text", Boolean("title", False), "title"),
    ("text_greater", Text("title", GREATER, "a"), "title"),
    ("text_less_equals", Text("title", LESS_EQUALS, "a"), "title"),
    ("number_contains", Number("rating", CONTAINS, 3), "rating"),
    ("number_starts_with", Number("rating", STARTS_WITH, 3), "rating"),
    (
        "date_ends_with",
        DateTime("creation_date", ENDS_WITH, BASE_TIME),
        "creation_date",
    ),
    ("text_value_number", Text("title", EQUALS, 5), "title"),
    ("text_value_bytes", Text("title", EQUALS, b"Zebra"), "title"),
    ("text_value_nul", Text("title", CONTAINS, "a\x00b"), "title"),
    ("number_value_text", Number("rating", EQUALS, "5"), "rating"),
    ("number_value_boolean", Number("rating", EQUALS, True), "rating"),
    ("number_value_nan", Number("rating", LESS, math.nan), "rating"),
    ("number_value_too_large", Number("id", LESS, 2**63), "id"),
    ("number_value_too_small", Number("id", GREATER, -(2**63) - 1), "id"),
    (
        "date_value_text",
        DateTime("creation_date", EQUALS, "2008-05-30"),
        "creation_date",
    ),
    (
        "date_value_date",
        DateTime("creation_date", EQUALS, date(2008, 5, 30)),
        "creation_date",
    ),
    ("missing_value_ordered", Number("rating", GREATER, None), "rating"),
    ("missing_value_pattern", Text("title", CONTAINS, None), "title"),
    (
        "nested",
        And(Text("title", EQUALS, "x"), Or(Number("bogus", EQUALS, 1))),
        "bogus",
    ),
]


async def test_filter_invalid(library: Library) -> None:
    api = library.api
    for case, filter, name in INVALID_FILTERS:
        for method in (api.count_images, api.get_image_ids, api.search_images):
            error = await validation_error(method(filter))
            assert error is not None, (case, method.__name__)
            assert name in str(error), (case, method.__name__)
    assert await api.count_images() == len(ALL)


def test_filter_unknown_comparator() -> None:
    with pytest.raises(InputValidationError, match="LIKE"):
        Text("title", "LIKE", "x")


def test_group_rejects_non_filter() -> None:
    with pytest.raises(InputValidationError, match="title"):
        And(Text("title", EQUALS, "x"), "title = 'x'")


async def test_filter_not_comparison(library: Library) -> None:
    with pytest.raises(InputValidationError, match="title = 'x'"):
        await library.api.count_images("title = 'x'")


# Tag criteria and the images they must find.
TAG_CASES: list[tuple[str, dict[str, Any], frozenset[str]]] = [
    ("tagged", {"tagged": True}, ALL - {AXB, CARD}),
    ("untagged", {"tagged": False}, {AXB, CARD}),
    ("any_parent", {"any_tags": ["bird"]}, {CANON, NIKON, BROKEN}),
    ("any_middle", {"any_tags": ["bird/goose"]}, {CANON, BROKEN}),
    ("any_leaf", {"any_tags": ["bird/goose/Canada Goose"]}, {CANON}),
    ("any_trailing_slash", {"any_tags": ["/bird/"]}, {CANON, NIKON, BROKEN}),
    ("any_case_sensitive", {"any_tags": ["Bird"]}, {PENTAX}),
    ("any_child_case_sensitive", {"any_tags": ["bird/Goose"]}, set()),
    ("any_sibling_word", {"any_tags": ["birdhouse"]}, {KODAK}),
    ("any_sibling_digit", {"any_tags": ["bird0"]}, {PENTAX}),
    ("any_prefix_not_tag", {"any_tags": ["bir"]}, set()),
    ("any_two", {"any_tags": ["bird", "cat"]}, {CANON, NIKON, BROKEN, A_B}),
    ("any_unknown", {"any_tags": ["nonexistent"]}, set()),
    ("any_percent", {"any_tags": ["50%_off"]}, {BROKEN}),
    ("any_percent_not_wildcard", {"any_tags": ["50%"]}, set()),
    ("any_underscore_not_wildcard", {"any_tags": ["bird_x"]}, set()),
    ("any_injection", {"any_tags": [INJECTION]}, {REAL}),
    ("all_parent_and_other", {"all_tags": ["bird", "cat"]}, {CANON}),
    ("all_two_parents", {"all_tags": ["bird/goose", "50%_off"]}, {BROKEN}),
    ("all_one", {"all_tags": ["cat"]}, {CANON, A_B}),
    ("all_none_match", {"all_tags": ["bird", "birdhouse"]}, set()),
    ("no_parent", {"no_tags": ["bird"]}, ALL - {CANON, NIKON, BROKEN}),
    ("no_two", {"no_tags": ["cat", "bird"]}, {KODAK, PENTAX, REAL, AXB, CARD}),
    ("no_unknown", {"no_tags": ["nonexistent"]}, ALL),
    ("empty_lists", {"any_tags": [], "all_tags": [], "no_tags": []}, ALL),
    ("any_and_no", {"any_tags": ["bird"], "no_tags": ["cat"]}, {NIKON, BROKEN}),
    ("any_and_all", {"any_tags": ["bird", "Bird"], "all_tags": ["cat"]}, {CANON}),
    (
        "tagged_and_no",
        {"tagged": True, "no_tags": ["bird", "cat"]},
        {KODAK, PENTAX, REAL},
    ),
    ("untagged_and_any", {"tagged": False, "any_tags": ["bird"]}, set()),
    (
        "tags_and_filter",
        {"any_tags": ["bird"], "filter": Number("rating", GREATER, 3)},
        {CANON, BROKEN},
    ),
    (
        "untagged_and_filter",
        {"tagged": False, "filter": Text("title", EQUALS, None, invert=True)},
        {AXB, CARD},
    ),
]


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        pytest.param(criteria, expected, id=name)
        for name, criteria, expected in TAG_CASES
    ],
)
async def test_tag_cases(
    library: Library, criteria: dict[str, Any], expected: set[str]
) -> None:
    searched = await library.api.search_images(**criteria)
    assert await library.found(**criteria) == expected
    assert await library.api.count_images(**criteria) == len(expected)
    assert {image.path.as_posix() for image in searched} == expected


async def test_tag_parent_skips_siblings(library: Library) -> None:
    with_bird = await library.found(any_tags=["bird"])
    for sibling in ("birdhouse", "bird0", "bird.x", "bird-x", "Bird"):
        with_sibling = await library.found(any_tags=[sibling])
        assert len(with_sibling) == 1, sibling
        assert with_sibling.isdisjoint(with_bird), sibling


INVALID_CRITERIA: list[dict[str, Any]] = [
    {"any_tags": "bird"},
    {"all_tags": "bird"},
    {"no_tags": "bird"},
    {"any_tags": ["bird//goose"]},
    {"any_tags": [""]},
    {"any_tags": ""},
    {"all_tags": [5]},
    {"tagged": "yes"},
    {"reachable": 1},
]


async def test_criteria_invalid(library: Library) -> None:
    api = library.api
    for criteria in INVALID_CRITERIA:
        for method in (api.count_images, api.get_image_ids, api.search_images):
            error = await validation_error(method(**criteria))
            assert error is not None, (criteria, method.__name__)


async def test_reachable_attached(library: Library) -> None:
    assert await library.found(reachable=True) == ALL
    assert await library.found(reachable=False) == set()
    assert await library.api.count_images(reachable=True) == len(ALL)


async def test_reachable_card_removed(library: Library) -> None:
    library.card.rename(library.card.with_name("card-elsewhere"))
    assert await library.found(reachable=True) == ALL - {CARD}
    assert await library.found(reachable=False) == {CARD}
    assert await library.api.count_images(reachable=False) == 1


async def test_reachable_card_mounted(library: Library) -> None:
    moved = library.card.rename(library.card.with_name("card-elsewhere"))
    await library.api.mount("card", moved)
    assert await library.found(reachable=True) == ALL
    assert await library.found(reachable=False) == set()


async def test_reachable_with_filter(library: Library) -> None:
    library.card.rename(library.card.with_name("card-elsewhere"))
    rated = Number("rating", LESS_EQUALS, 2)
    assert await library.found(rated, reachable=True) == {PENTAX, A_B}
    assert await library.found(rated, reachable=False) == {CARD}
    assert await library.found(rated, reachable=False, tagged=True) == set()


async def test_search_unreachable_path(library: Library) -> None:
    library.card.rename(library.card.with_name("card-elsewhere"))
    found = await library.api.search_images(reachable=False)
    assert [image.path.as_posix() for image in found] == [CARD]
    assert found[0].full_path is None


async def test_search_reachable_path(library: Library, tmp_path: Path) -> None:
    found = await library.api.search_images(Text("path", EQUALS, REAL))
    assert [image.full_path for image in found] == [tmp_path / "main" / REAL]


async def test_search_records(library: Library) -> None:
    ids = await library.api.get_image_ids(order=("id",))
    found = await library.api.search_images(order=("id",))
    assert found == [await library.api.get_image(image_id) for image_id in ids]
    assert all(image.tags is None for image in found)


async def test_search_images_order(library: Library) -> None:
    order = ("-!rating", "title")
    ids = await library.api.get_image_ids(order=order)
    found = await library.api.search_images(order=order)
    assert [image.id for image in found] == ids


def sort_value(image: Image, name: str) -> Any:
    value = getattr(image, name)
    return value.as_posix() if name == "path" else value


def expected_order(
    images: list[Image], name: str, descending: bool, missing_first: bool
) -> list[str]:
    """Sort in Python: by value, ties by id, missing values together."""
    by_id = sorted(images, key=lambda image: image.id)
    present = [image for image in by_id if sort_value(image, name) is not None]
    missing = [image for image in by_id if sort_value(image, name) is None]
    # Python's sort is stable, also with reverse=True, so ties keep id order.
    present.sort(key=lambda image: sort_value(image, name), reverse=descending)
    result = missing + present if missing_first else present + missing
    return [image.path.as_posix() for image in result]


@pytest.mark.parametrize("name", ORDERABLE)
async def test_order_property(library: Library, name: str) -> None:
    images = list(library.images.values())
    for prefix, descending in (("", False), ("-", True)):
        for key, missing_first in (
            (f"{prefix}{name}", False),
            (f"{prefix}!{name}", True),
            (f"{prefix}{name}!", False),
        ):
            expected = expected_order(images, name, descending, missing_first)
            assert await library.ordered((key,)) == expected, key


async def test_order_text_bytewise(library: Library) -> None:
    titles = [library.images[path].title for path in await library.ordered(("title",))]
    assert titles == [
        "",
        INJECTION,
        "50%",
        "Sunset",
        "Zebra",
        "apple",
        "card shot",
        "sunrise",
        None,
    ]


async def test_order_creator_bytewise(library: Library) -> None:
    # Missing creators come last, then the names decide: '1' < 'I' < 'N' < 'a'.
    assert await library.ordered(("creator", "name")) == [
        CANON,
        PENTAX,
        A_B,
        KODAK,
        REAL,
        CARD,
        NIKON,
        AXB,
        BROKEN,
    ]


def ratings(library: Library, paths: list[str]) -> list[int | None]:
    return [library.images[path].rating for path in paths]


async def test_order_rating_ascending(library: Library) -> None:
    found = await library.ordered(("rating",))
    assert ratings(library, found) == [0, 1, 2, 3, 3, 4, 5, None, None]


async def test_order_rating_descending(library: Library) -> None:
    found = await library.ordered(("-rating",))
    assert ratings(library, found) == [5, 4, 3, 3, 2, 1, 0, None, None]


async def test_order_rating_missing_first(library: Library) -> None:
    found = await library.ordered(("!rating",))
    assert ratings(library, found) == [None, None, 0, 1, 2, 3, 3, 4, 5]


async def test_order_rating_missing_last(library: Library) -> None:
    found = await library.ordered(("rating!",))
    assert ratings(library, found) == [0, 1, 2, 3, 3, 4, 5, None, None]


async def test_order_descending_missing_first(library: Library) -> None:
    assert await library.ordered(("-!rating", "name")) == [
        NIKON,
        AXB,
        CANON,
        BROKEN,
        REAL,
        KODAK,
        CARD,
        PENTAX,
        A_B,
    ]


async def test_order_descending_missing_last(library: Library) -> None:
    found = await library.ordered(("-rating!",))
    assert ratings(library, found) == [5, 4, 3, 3, 2, 1, 0, None, None]


async def test_order_two_keys(library: Library) -> None:
    assert await library.ordered(("extension", "-rating", "name")) == [
        REAL,
        CANON,
        BROKEN,
        KODAK,
        CARD,
        PENTAX,
        A_B,
        NIKON,
        AXB,
    ]


async def test_order_ties_by_id(library: Library) -> None:
    found = await library.ordered(("width",))
    ids = [library.id(path) for path in found[:-1]]
    assert ids == sorted(ids)
    assert found[-1] == BROKEN


async def test_order_default_by_id(library: Library) -> None:
    ids = await library.api.get_image_ids()
    assert ids == sorted(image.id for image in library.images.values())


async def test_order_empty_by_id(library: Library) -> None:
    ids = await library.api.get_image_ids(order=())
    assert ids == sorted(image.id for image in library.images.values())


async def test_order_with_filter(library: Library) -> None:
    found = await library.ordered(("-height", "name"), any_tags=["bird", "cat"])
    assert found == [CANON, NIKON, A_B, BROKEN]


async def test_order_random_permutation(library: Library) -> None:
    ids = await library.api.get_image_ids(order=("random",))
    assert sorted(ids) == sorted(image.id for image in library.images.values())


async def test_order_random_shuffles(library: Library) -> None:
    orders = set()
    for _ in range(30):
        orders.add(tuple(await library.api.get_image_ids(order=("random",))))
    # 30 identical shuffles of nine images have a chance of (1/9!)**29.
    assert len(orders) > 1


async def test_order_random_after_key(library: Library) -> None:
    found = await library.ordered(("-!rating", "random"))
    assert ratings(library, found) == [None, None, 5, 4, 3, 3, 2, 1, 0]
    assert set(found) == ALL


async def test_search_random_permutation(library: Library) -> None:
    found = await library.api.search_images(order=("rating", "random"))
    assert sorted(image.id for image in found) == sorted(
        image.id for image in library.images.values()
    )


INVALID_ORDERS = [
    ("bogus",),
    ("!!rating",),
    ("-",),
    ("!",),
    ("",),
    ("rating!!",),
    ("!rating!",),
    ("!-rating",),
    ("--rating",),
    ("Rating",),
    (" rating",),
    ("rating\n",),
    ("exif",),
    ("-random",),
    ("random!",),
    ("title; DROP TABLE images",),
    ("rating", 5),
    ("rating", None),
    "rating",
    5,
]


async def test_order_invalid(library: Library) -> None:
    api = library.api
    for order in INVALID_ORDERS:
        for method in (api.get_image_ids, api.search_images):
            error = await validation_error(method(order=order))
            assert error is not None, (order, method.__name__)
    assert await api.count_images() == len(ALL)


async def test_order_invalid_names_key(library: Library) -> None:
    with pytest.raises(InputValidationError, match="'bogus'"):
        await library.api.get_image_ids(order=("title", "bogus"))


async def test_page_limit(library: Library) -> None:
    full = await library.ordered(("rating",))
    assert await library.ordered(("rating",), limit=3) == full[:3]


async def test_page_offset(library: Library) -> None:
    full = await library.ordered(("rating",))
    assert await library.ordered(("rating",), limit=3, offset=3) == full[3:6]


async def test_page_offset_zero(library: Library) -> None:
    full = await library.ordered(("-!rating",))
    assert await library.ordered(("-!rating",), limit=4, offset=0) == full[:4]


async def test_page_limit_zero(library: Library) -> None:
    assert await library.ordered(("rating",), limit=0) == []


async def test_page_offset_without_limit(library: Library) -> None:
    full = await library.ordered(("rating",))
    assert await library.ordered(("rating",), offset=3) == full[3:]


async def test_page_past_end(library: Library) -> None:
    assert await library.ordered(("rating",), limit=5, offset=20) == []


async def test_page_limit_above_count(library: Library) -> None:
    assert await library.api.count_images() == len(ALL)
    assert len(await library.api.get_image_ids(limit=100)) == len(ALL)


async def test_page_stable_with_ties(library: Library) -> None:
    for order in (("rating",), ("-!rating",), ("width",), ("creator", "-height")):
        full = await library.ordered(order)
        pages = []
        for offset in range(0, len(ALL), 2):
            pages.extend(await library.ordered(order, limit=2, offset=offset))
        assert pages == full, order


async def test_search_page(library: Library) -> None:
    full = await library.ordered(("title",))
    found = await library.api.search_images(order=("title",), limit=2, offset=1)
    assert [image.path.as_posix() for image in found] == full[1:3]


INVALID_PAGES: list[dict[str, Any]] = [
    {"limit": -1},
    {"limit": 2, "offset": -1},
    {"offset": -2},
    {"limit": 1.5},
    {"limit": "2"},
    {"limit": True},
    {"limit": 2, "offset": 1.0},
]


async def test_page_invalid(library: Library) -> None:
    api = library.api
    for page in INVALID_PAGES:
        for method in (api.get_image_ids, api.search_images):
            error = await validation_error(method(**page))
            assert error is not None, (page, method.__name__)


async def test_everything_combined(library: Library) -> None:
    library.card.rename(library.card.with_name("card-elsewhere"))
    found = await library.api.search_images(
        Or(Number("rating", LESS, 4), Text("caption", CONTAINS, "QUOTED")),
        tagged=True,
        no_tags=["cat"],
        order=("-rating", "name"),
        limit=3,
        offset=1,
        reachable=True,
    )
    # Matches before paging: BROKEN 4, REAL 3, KODAK 3, PENTAX 1.
    assert [image.path.as_posix() for image in found] == [REAL, KODAK, PENTAX]


# Property test: random filters against a pure-Python evaluation. -------

PROPERTY_ROWS = (
    # (camera file, title, caption, creator, rating)
    ("Canon_40D.jpg", "Sunset", "50% off", "Ann", 5),
    ("Kodak_CX7530.jpg", "sunrise", None, "ann", None),
    ("Nikon_D70.jpg", None, "a_b", None, 0),
    ("Pentax_K10D.jpg", "", "A\\B", "Bob", 3),
    ("Canon_40D.jpg", "50%", "axb", None, None),
    ("Kodak_CX7530.jpg", "O'Neil", "", "bob", 2),
    ("Nikon_D70.jpg", "sun_set", "OFF", "", 5),
)
TEXT_COLUMNS = ("title", "caption", "creator", "name")
NUMBER_COLUMNS = ("rating", "height")
TEXT_VALUES = st.sampled_from(
    ["", "sun", "SUN", "Sunset", "set", "50%", "%", "_", "a_b", "\\", "A\\B",
     "'", "O'", "off", "OFF", "ann", "Ann", "b", "x", "Canon", "photo_"]
)
NUMBER_VALUES = st.sampled_from([-1, 0, 1, 2, 2.5, 3, 5, 66, 68, 70, 72, 100])


def text_leaf() -> st.SearchStrategy[Comparison]:
    with_value = st.builds(
        Text,
        st.sampled_from(TEXT_COLUMNS),
        st.sampled_from([EQUALS, STARTS_WITH, ENDS_WITH, CONTAINS]),
        TEXT_VALUES,
        st.booleans(),
    )
    missing = st.builds(
        Text, st.sampled_from(TEXT_COLUMNS), st.just(EQUALS), st.none(), st.booleans()
    )
    return with_value | missing


def number_leaf() -> st.SearchStrategy[Comparison]:
    with_value = st.builds(
        Number,
        st.sampled_from(NUMBER_COLUMNS),
        st.sampled_from([EQUALS, GREATER, GREATER_EQUALS, LESS, LESS_EQUALS]),
        NUMBER_VALUES,
        st.booleans(),
    )
    missing = st.builds(
        Number,
        st.sampled_from(NUMBER_COLUMNS),
        st.just(EQUALS),
        st.none(),
        st.booleans(),
    )
    return with_value | missing


def group(children: st.SearchStrategy[Comparison]) -> st.SearchStrategy[Comparison]:
    return st.builds(
        lambda kind, members, invert: kind(*members, invert=invert),
        st.sampled_from([And, Or]),
        st.lists(children, max_size=3),
        st.booleans(),
    )


FILTERS = st.recursive(text_leaf() | number_leaf(), group, max_leaves=8)

PYTHON_COMPARISONS: dict[Comparator, Callable[[Any, Any], bool]] = {
    EQUALS: lambda stored, value: stored == value,
    STARTS_WITH: lambda stored, value: stored.lower().startswith(value.lower()),
    ENDS_WITH: lambda stored, value: stored.lower().endswith(value.lower()),
    CONTAINS: lambda stored, value: value.lower() in stored.lower(),
    GREATER: lambda stored, value: stored > value,
    GREATER_EQUALS: lambda stored, value: stored >= value,
    LESS: lambda stored, value: stored < value,
    LESS_EQUALS: lambda stored, value: stored <= value,
}


def evaluate(filter: Comparison, image: Image) -> bool:
    """Decide in Python whether a filter matches; a missing value never matches."""
    if isinstance(filter, And):
        matched = all(evaluate(member, image) for member in filter.comparisons)
    elif isinstance(filter, Or):
        matched = any(evaluate(member, image) for member in filter.comparisons)
    else:
        stored = getattr(image, filter.column)
        if filter.value is None:
            matched = stored is None
        elif stored is None:
            matched = False
        else:
            matched = PYTHON_COMPARISONS[filter.comparator](stored, filter.value)
    return not matched if filter.invert else matched


async def build_property_library(directory: Path, cameras: Path) -> tuple[Any, list]:
    photos = directory / "photos"
    photos.mkdir()
    for number, (camera, *_) in enumerate(PROPERTY_ROWS):
        shutil.copyfile(cameras / camera, photos / f"photo_{number}.jpg")
    api = await picpocket.initialize(directory / "library", "sqlite")
    await api.add_location("photos", photos, source=True, removable=False)
    images = []
    for image_id in await api.import_location("photos"):
        image = await api.get_image(image_id)
        number = int(image.name.removeprefix("photo_"))
        _, title, caption, creator, rating = PROPERTY_ROWS[number]
        await api.edit_image(
            image_id, title=title, caption=caption, creator=creator, rating=rating
        )
        images.append(await api.get_image(image_id))
    return api, images


def test_filter_matches_python(photo_source: Path) -> None:
    with tempfile.TemporaryDirectory() as directory, asyncio.Runner() as runner:
        api, images = runner.run(
            build_property_library(Path(directory), photo_source / "jpg")
        )

        @settings(
            max_examples=100,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(FILTERS)
        def check(filter: Comparison) -> None:
            expected = {image.id for image in images if evaluate(filter, image)}
            assert runner.run(api.count_images(filter)) == len(expected)
            assert set(runner.run(api.get_image_ids(filter))) == expected

        try:
            check()
        finally:
            runner.run(api.close())
