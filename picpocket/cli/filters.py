"""The --where and --order expressions of `picpocket images count` and `search`.

A --where expression is PROPERTY OPERATOR VALUE, with or without spaces,
such as `rating >= 4`, `title %=% goose`, `creator=Ansel` or
`creation_date >= 2021-03-01`. Operators are the engine's comparators:

    =    equals (text: exact and case-sensitive)
    =%   starts with (text, ignores case)
    %=   ends with (text, ignores case)
    %=%  contains (text, ignores case)
    > >= < <=  compare numbers and dates

The operator is read greedily, so `title=%x` means "starts with x". To
compare with a value that starts with '%' or has spaces at either end,
put it in double quotes: `title="%x"`. An empty value (`caption=`)
matches the empty text, not a missing value. Dates are ISO dates or
date-times in local time unless they give a zone.
"""

from __future__ import annotations

import argparse
import math
import re
from datetime import datetime

from picpocket.cli.arguments import date_time
from picpocket.database.logic import Comparison, DateTime, Number, Text

TEXT_PROPERTIES = (
    "name", "extension", "creator", "path", "title", "caption", "alt", "hash"
)
NUMBER_PROPERTIES = ("id", "location", "rating", "width", "height")
DATE_PROPERTIES = ("creation_date", "last_modified")
PROPERTIES: dict[str, type[Text] | type[Number] | type[DateTime]] = {
    **{name: Text for name in TEXT_PROPERTIES},
    **{name: Number for name in NUMBER_PROPERTIES},
    **{name: DateTime for name in DATE_PROPERTIES},
}
TEXT_OPERATORS = ("=", "=%", "%=", "%=%")
ORDERING_OPERATORS = ("=", ">", ">=", "<", "<=")

_EXPRESSION = re.compile(
    r"^\s*(?P<property>[A-Za-z_]+)\s*(?P<operator>%=%|%=|=%|>=|<=|=|>|<)(?P<value>.*)$",
    re.DOTALL,
)
_ORDER_KEY = re.compile(r"^(?P<descending>-)?!?(?P<name>[a-z_]+)!?$")


def property_names() -> str:
    """Return the filterable property names as one comma-separated string."""
    return ", ".join(sorted(PROPERTIES))


def where_expression(text: str) -> Comparison:
    """Parse a --where expression into an engine comparison."""
    match = _EXPRESSION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"invalid filter {text!r}; write PROPERTY OPERATOR VALUE, such as "
            f"'rating >= 4' or 'title %=% goose'"
        )
    name, operator = match["property"], match["operator"]
    kind = PROPERTIES.get(name)
    if kind is None:
        raise argparse.ArgumentTypeError(
            f"unknown property {name!r} in filter {text!r}; use one of: "
            f"{property_names()}"
        )
    allowed = TEXT_OPERATORS if kind is Text else ORDERING_OPERATORS
    if operator not in allowed:
        raise argparse.ArgumentTypeError(
            f"operator {operator!r} does not apply to {name!r} in filter {text!r}; "
            f"use one of: {' '.join(allowed)}"
        )
    value = _unquote(match["value"])
    return kind(name, operator, _convert(kind, name, value))


def order_keys(text: str) -> list[str]:
    """Parse an --order value: one key or several separated by commas."""
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys:
        raise argparse.ArgumentTypeError(f"no order key in {text!r}")
    for key in keys:
        match = _ORDER_KEY.match(key)
        if key == "random":
            continue
        if match is None or match["name"] not in PROPERTIES:
            raise argparse.ArgumentTypeError(
                f"invalid order key {key!r}; use a property ({property_names()}) "
                f"or random, with - before it for descending order"
            )
    return keys


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value


def _convert(kind: type, name: str, value: str) -> str | int | float | datetime:
    if kind is Text:
        return value
    if not value:
        raise argparse.ArgumentTypeError(
            f"the filter on {name!r} has no value; give a number or date after "
            f"the operator"
        )
    if kind is DateTime:
        return date_time(value)
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{name!r} takes a number, got {value!r}")
    return number
