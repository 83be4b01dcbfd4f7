"""Unit tests of the filter classes and SQL helpers, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from picpocket.database.logic import (
    SQL,
    And,
    Boolean,
    Column,
    Comparator,
    DateTime,
    Number,
    Or,
    Text,
    Types,
)
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


class PlainSQL(SQL):
    """The smallest concrete SQL: dates as ISO text, booleans as 0 and 1."""

    @property
    def types(self) -> set[Types]:
        return set(Types)

    @property
    def param(self) -> str:
        return "?"

    def adapt(self, kind: Types, value: Any) -> Any:
        if kind is Types.DATETIME:
            return value.isoformat()
        if kind is Types.BOOLEAN:
            return int(value)
        return value

    def convert(self, kind: Types, value: Any) -> Any:
        return value


class BangSQL(PlainSQL):
    """A database with ILIKE and `!` as its LIKE escape character."""

    @property
    def escape(self) -> str | None:
        return "!"

    @property
    def like(self) -> str:
        return "ILIKE"


SQL_PLAIN = PlainSQL()
COLUMNS = {
    "title": Column("images.title", Types.TEXT),
    "rating": Column("images.rating", Types.NUMBER),
    "location": Column("images.location", Types.ID),
    "taken": Column("images.taken", Types.DATETIME),
    "hidden": Column("images.hidden", Types.BOOLEAN),
    "exif": Column("images.exif", Types.JSON),
}


def test_comparator_values() -> None:
    assert {member.name: member.value for member in Comparator} == {
        "EQUALS": "=",
        "STARTS_WITH": "=%",
        "ENDS_WITH": "%=",
        "CONTAINS": "%=%",
        "GREATER": ">",
        "GREATER_EQUALS": ">=",
        "LESS": "<",
        "LESS_EQUALS": "<=",
    }


def test_types_values() -> None:
    assert {member.name: member.value for member in Types} == {
        "BOOLEAN": "boolean",
        "DATETIME": "datetime",
        "ID": "id",
        "JSON": "json",
        "NUMBER": "number",
        "TEXT": "text",
    }


def test_text_equals_compile() -> None:
    compiled = Text("title", EQUALS, "Sunset").compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("(images.title = ?)", ["Sunset"])


@pytest.mark.parametrize(
    ("comparator", "value", "pattern"),
    [
        (STARTS_WITH, "sun", "sun%"),
        (ENDS_WITH, "set", "%set"),
        (CONTAINS, "un", "%un%"),
        (STARTS_WITH, "50%", "50\\%%"),
        (ENDS_WITH, "a_b", "%a\\_b"),
        (CONTAINS, "back\\slash", "%back\\\\slash%"),
        (CONTAINS, "", "%%"),
    ],
)
def test_text_pattern_compile(comparator: Comparator, value: str, pattern: str) -> None:
    compiled = Text("title", comparator, value).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("(images.title LIKE ? ESCAPE '\\')", [pattern])


def test_text_pattern_custom_escape() -> None:
    compiled = Text("title", CONTAINS, "50%!").compile(BangSQL(), COLUMNS)
    assert compiled == ("(images.title ILIKE ? ESCAPE '!')", ["%50!%!!%"])


def test_text_inverted_compile() -> None:
    compiled = Text("title", EQUALS, "x", invert=True).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("((images.title = ?) IS NOT TRUE)", ["x"])


def test_text_missing_compile() -> None:
    compiled = Text("title", EQUALS, None).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("(images.title IS NULL)", [])


def test_text_present_compile() -> None:
    compiled = Text("title", EQUALS, None, invert=True).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("((images.title IS NULL) IS NOT TRUE)", [])


def test_text_string_comparator() -> None:
    assert Text("title", "%=%", "x") == Text("title", CONTAINS, "x")


@pytest.mark.parametrize(
    "value", [INJECTION, "O'Brien", 'say "hi"', "a\\b", "100%", "x_y"]
)
def test_text_value_is_parameter(value: str) -> None:
    for comparator in (EQUALS, STARTS_WITH, ENDS_WITH, CONTAINS):
        condition, params = Text("title", comparator, value).compile(
            SQL_PLAIN, COLUMNS
        )
        assert condition.count("?") == 1, comparator
        assert len(params) == 1, comparator
        assert value not in condition.replace("ESCAPE '\\'", ""), comparator


@pytest.mark.parametrize(
    ("comparator", "operator"),
    [
        (EQUALS, "="),
        (GREATER, ">"),
        (GREATER_EQUALS, ">="),
        (LESS, "<"),
        (LESS_EQUALS, "<="),
    ],
)
def test_number_compile(comparator: Comparator, operator: str) -> None:
    compiled = Number("rating", comparator, 3).compile(SQL_PLAIN, COLUMNS)
    assert compiled == (f"(images.rating {operator} ?)", [3])


def test_number_on_id_compile() -> None:
    compiled = Number("location", EQUALS, 2).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("(images.location = ?)", [2])


def test_number_fraction_compile() -> None:
    compiled = Number("rating", GREATER, 2.5).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("(images.rating > ?)", [2.5])


def test_number_missing_compile() -> None:
    compiled = Number("rating", EQUALS, None).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("(images.rating IS NULL)", [])


def test_datetime_compile_adapts() -> None:
    moment = datetime(2008, 5, 30, 15, 56, 1, tzinfo=UTC)
    compiled = DateTime("taken", LESS, moment).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("(images.taken < ?)", ["2008-05-30T15:56:01+00:00"])


def test_boolean_value_compile() -> None:
    compiled = Boolean("hidden", True).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("(images.hidden = ?)", [1])


def test_boolean_false_inverted_compile() -> None:
    compiled = Boolean("hidden", False, invert=True).compile(SQL_PLAIN, COLUMNS)
    assert compiled == ("((images.hidden = ?) IS NOT TRUE)", [0])


@pytest.mark.parametrize("column", ["title", "rating", "taken", "hidden", "exif"])
def test_boolean_missing_any_type(column: str) -> None:
    compiled = Boolean(column).compile(SQL_PLAIN, COLUMNS)
    assert compiled == (f"(images.{column} IS NULL)", [])


def test_and_compile() -> None:
    compiled = And(Text("title", EQUALS, "x"), Number("rating", GREATER, 3)).compile(
        SQL_PLAIN, COLUMNS
    )
    assert compiled == ("((images.title = ?) AND (images.rating > ?))", ["x", 3])


def test_or_inverted_compile() -> None:
    compiled = Or(
        Text("title", EQUALS, "x"), Number("rating", LESS, 1), invert=True
    ).compile(SQL_PLAIN, COLUMNS)
    assert compiled == (
        "(((images.title = ?) OR (images.rating < ?)) IS NOT TRUE)",
        ["x", 1],
    )


def test_nested_params_in_order() -> None:
    nested = Or(
        And(Text("title", STARTS_WITH, "a"), Number("rating", EQUALS, 1)),
        And(Number("rating", EQUALS, 2), Text("title", ENDS_WITH, "b")),
    )
    condition, params = nested.compile(SQL_PLAIN, COLUMNS)
    assert params == ["a%", 1, 2, "%b"]
    assert condition.count("?") == 4


def test_and_empty_compile() -> None:
    assert And().compile(SQL_PLAIN, COLUMNS) == ("(1 = 1)", [])


def test_or_empty_compile() -> None:
    assert Or().compile(SQL_PLAIN, COLUMNS) == ("(1 = 0)", [])


def test_group_equality() -> None:
    first = And(Text("title", "=", "x"), invert=True)
    assert first == And(Text("title", EQUALS, "x"), invert=True)
    assert first != Or(Text("title", EQUALS, "x"), invert=True)
    assert first != And(Text("title", EQUALS, "x"))
    assert hash(first) == hash(And(Text("title", EQUALS, "x"), invert=True))


# Filters that compile must reject, and the name the message must contain.
INVALID = [
    ("unknown_column", Text("bogus", EQUALS, "x"), "bogus"),
    ("json_column", Text("exif", EQUALS, "x"), "exif"),
    ("text_on_number", Text("rating", EQUALS, "3"), "rating"),
    ("number_on_text", Number("title", EQUALS, 3), "title"),
    ("date_on_text", DateTime("title", EQUALS, datetime(2020, 1, 1)), "title"),
    ("boolean_on_text", Boolean("title", True), "title"),
    ("boolean_unknown", Boolean("bogus"), "bogus"),
    ("text_greater", Text("title", GREATER, "a"), "title"),
    ("number_contains", Number("rating", CONTAINS, 1), "rating"),
    ("date_starts_with", DateTime("taken", STARTS_WITH, datetime(2020, 1, 1)), "taken"),
    ("text_value_int", Text("title", EQUALS, 1), "title"),
    ("text_value_nul", Text("title", EQUALS, "a\x00"), "title"),
    ("number_value_text", Number("rating", EQUALS, "1"), "rating"),
    ("number_value_bool", Number("rating", EQUALS, False), "rating"),
    ("number_value_nan", Number("rating", EQUALS, float("nan")), "rating"),
    ("number_value_huge", Number("rating", EQUALS, 2**64), "rating"),
    ("date_value_text", DateTime("taken", EQUALS, "2020-01-01"), "taken"),
    ("missing_ordered", Number("rating", LESS, None), "rating"),
    ("nested", Or(And(Text("bogus", EQUALS, "x"))), "bogus"),
]


@pytest.mark.parametrize(
    ("filter", "name"),
    [pytest.param(filter, name, id=case) for case, filter, name in INVALID],
)
def test_compile_invalid(filter: Any, name: str) -> None:
    with pytest.raises(InputValidationError, match=name):
        filter.compile(SQL_PLAIN, COLUMNS)


def test_comparator_unknown() -> None:
    with pytest.raises(InputValidationError, match="'~'"):
        Number("rating", "~", 1)


def test_group_rejects_string() -> None:
    with pytest.raises(InputValidationError, match="rating > 1"):
        Or("rating > 1")


def test_number_limits_accepted() -> None:
    low = Number("rating", GREATER, -(2**63)).compile(SQL_PLAIN, COLUMNS)
    high = Number("rating", LESS, 2**63 - 1).compile(SQL_PLAIN, COLUMNS)
    assert low == ("(images.rating > ?)", [-(2**63)])
    assert high == ("(images.rating < ?)", [2**63 - 1])


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("50%", "50\\%"),
        ("a_b", "a\\_b"),
        ("a\\b", "a\\\\b"),
        ("\\%", "\\\\\\%"),
        ("%_\\", "\\%\\_\\\\"),
        ("", ""),
    ],
)
def test_escape_like(text: str, escaped: str) -> None:
    assert SQL_PLAIN.escape_like(text) == escaped


def unescape_like(pattern: str, escape: str) -> str:
    """Decode a LIKE pattern, failing on a wildcard or a dangling escape."""
    decoded, position = [], 0
    while position < len(pattern):
        character = pattern[position]
        assert character not in "%_", f"unescaped wildcard in {pattern!r}"
        if character == escape:
            position += 1
            assert position < len(pattern), f"dangling escape in {pattern!r}"
            character = pattern[position]
        decoded.append(character)
        position += 1
    return "".join(decoded)


@given(st.text(alphabet=st.sampled_from("ab%_\\!'x")))
def test_escape_like_round_trip(text: str) -> None:
    assert unescape_like(SQL_PLAIN.escape_like(text), "\\") == text
    assert unescape_like(BangSQL().escape_like(text), "!") == text


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (False, "FALSE"),
        (3, "3"),
        (-2, "-2"),
        (2.5, "2.5"),
        ("text", "'text'"),
        ("", "''"),
        ("O'Brien", "'O''Brien'"),
        (INJECTION, "'''; DROP TABLE images; --'"),
        ("\\", "'\\'"),
    ],
)
def test_literal(value: Any, literal: str) -> None:
    assert SQL_PLAIN.literal(value) == literal


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_literal_not_finite(value: float) -> None:
    with pytest.raises(InputValidationError, match="finite"):
        SQL_PLAIN.literal(value)


@pytest.mark.parametrize("value", [[1], b"bytes", datetime(2020, 1, 1)])
def test_literal_unsupported_type(value: Any) -> None:
    with pytest.raises(TypeError, match="literal"):
        SQL_PLAIN.literal(value)


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("images", '"images"'), ("a b", '"a b"'), ('a"b', '"a""b"')],
)
def test_identifier(name: str, quoted: str) -> None:
    assert SQL_PLAIN.identifier(name) == quoted


def test_format_and_join() -> None:
    columns = SQL_PLAIN.join(", ", [SQL_PLAIN.identifier("id"), '"name"'])
    statement = SQL_PLAIN.format("SELECT {} FROM {}", columns, '"images"')
    assert statement == 'SELECT "id", "name" FROM "images"'


def test_sql_defaults() -> None:
    assert SQL_PLAIN.escape == "\\"
    assert SQL_PLAIN.like == "LIKE"
    assert SQL_PLAIN.arrays is False


@pytest.mark.parametrize(
    ("limit", "offset", "clause"),
    [(None, None, ""), (3, None, " LIMIT 3"), (3, 2, " LIMIT 3 OFFSET 2")],
)
def test_limit_offset(limit: int | None, offset: int | None, clause: str) -> None:
    assert SQL_PLAIN.limit_offset(limit, offset) == clause


def test_sql_is_abstract() -> None:
    with pytest.raises(TypeError):
        SQL()  # type: ignore[abstract]
