"""Unit tests of the --where and --order expressions."""

from __future__ import annotations

import argparse
from datetime import datetime

import pytest

from picpocket.cli.filters import order_keys, where_expression
from picpocket.database.logic import Comparator, DateTime, Number, Text


@pytest.mark.parametrize(
    "expression, comparator, value",
    [
        ("title=goose", Comparator.EQUALS, "goose"),
        ("title = goose", Comparator.EQUALS, "goose"),
        ("title = Canada Goose", Comparator.EQUALS, "Canada Goose"),
        ("title=%goose", Comparator.STARTS_WITH, "goose"),
        ("title =% goose", Comparator.STARTS_WITH, "goose"),
        ("title%=goose", Comparator.ENDS_WITH, "goose"),
        ("title %=% goose", Comparator.CONTAINS, "goose"),
        ('title="%goose"', Comparator.EQUALS, "%goose"),
        ('title = " two spaces "', Comparator.EQUALS, " two spaces "),
        ("caption=", Comparator.EQUALS, ""),
    ],
)
def test_where_text(expression: str, comparator: Comparator, value: str) -> None:
    comparison = where_expression(expression)
    assert isinstance(comparison, Text)
    assert comparison.comparator is comparator
    assert comparison.value == value
    assert comparison.invert is False


@pytest.mark.parametrize(
    "expression, comparator, value",
    [
        ("rating >= 4", Comparator.GREATER_EQUALS, 4),
        ("rating<=4", Comparator.LESS_EQUALS, 4),
        ("width > 100", Comparator.GREATER, 100),
        ("height < 2.5", Comparator.LESS, 2.5),
        ("id = -1", Comparator.EQUALS, -1),
    ],
)
def test_where_number(expression: str, comparator: Comparator, value: float) -> None:
    comparison = where_expression(expression)
    assert isinstance(comparison, Number)
    assert comparison.comparator is comparator
    assert comparison.value == value


def test_where_date_local() -> None:
    comparison = where_expression("creation_date >= 2021-03-01")
    assert isinstance(comparison, DateTime)
    assert comparison.value == datetime(2021, 3, 1).astimezone()
    assert comparison.value.tzinfo is not None


def test_where_date_with_zone() -> None:
    comparison = where_expression("last_modified < 2021-03-01T12:30:00+02:00")
    assert comparison.value.isoformat() == "2021-03-01T12:30:00+02:00"


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "rating",
        "4 >= rating",
        "colour = red",
        "rating %= 4",
        "title <= b",
        "rating =",
        "rating = four",
        "rating = nan",
        "rating = inf",
        "creation_date >= March",
    ],
)
def test_where_invalid(expression: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        where_expression(expression)


@pytest.mark.parametrize(
    "text, keys",
    [
        ("rating", ["rating"]),
        ("-rating", ["-rating"]),
        ("-!rating,random", ["-!rating", "random"]),
        ("rating!, name", ["rating!", "name"]),
    ],
)
def test_order_keys(text: str, keys: list[str]) -> None:
    assert order_keys(text) == keys


@pytest.mark.parametrize("text", ["", ",", "colour", "--rating", "rating-", "-random"])
def test_order_keys_invalid(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        order_keys(text)
