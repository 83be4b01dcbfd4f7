"""Database-neutral pieces of SQL: property types, filters and statement parts.

Shared code writes statements with `?` placeholders; each backend's
cursor translates them to its driver's style. User values only ever
reach the database as bound parameters.
"""

from __future__ import annotations

import enum
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from picpocket.errors import InputValidationError


def casefold_text(value: Any) -> Any:
    """Return a string casefolded (full Unicode case folding), anything else as is.

    Case folding maps each character on its own, without context, so the
    folded form of a substring is a substring of the folded whole.
    """
    return value.casefold() if isinstance(value, str) else value


class Types(enum.Enum):
    """Types of PicPocket property."""

    BOOLEAN = "boolean"
    DATETIME = "datetime"
    ID = "id"
    JSON = "json"
    NUMBER = "number"
    TEXT = "text"


class Comparator(enum.Enum):
    """Operator with which a filter compares a property to a value."""

    EQUALS = "="
    STARTS_WITH = "=%"
    ENDS_WITH = "%="
    CONTAINS = "%=%"
    GREATER = ">"
    GREATER_EQUALS = ">="
    LESS = "<"
    LESS_EQUALS = "<="


# The range of a signed 64-bit integer, the widest both backends store.
INTEGER_MIN = -(2**63)
INTEGER_MAX = 2**63 - 1

_ORDERING = {
    Comparator.EQUALS: "=",
    Comparator.GREATER: ">",
    Comparator.GREATER_EQUALS: ">=",
    Comparator.LESS: "<",
    Comparator.LESS_EQUALS: "<=",
}
_LIKE_PATTERNS = {
    Comparator.STARTS_WITH: "{}%",
    Comparator.ENDS_WITH: "%{}",
    Comparator.CONTAINS: "%{}%",
}


class SQL(ABC):
    """How to write SQL for one database.

    The formatting methods follow the shape of psycopg's `sql` module,
    with defaults that suit SQLite.
    """

    @property
    @abstractmethod
    def types(self) -> set[Types]:
        """The supported data types."""

    @property
    def arrays(self) -> bool:
        """Whether the database supports arrays."""
        return False

    @property
    @abstractmethod
    def param(self) -> str:
        """The driver's symbol for positional parameters."""

    @property
    def escape(self) -> str | None:
        """The symbol used to escape search terms for LIKE queries."""
        return "\\"

    @property
    def like(self) -> str:
        """The case-insensitive pattern operator (LIKE in SQLite, ILIKE elsewhere)."""
        return "LIKE"

    @property
    def key_share_lock(self) -> str:
        """The SELECT clause that keeps the rows it returns from being deleted.

        The lock lasts until the transaction ends. The default is empty,
        which suits databases such as SQLite whose write transactions
        already exclude each other.
        """
        return ""

    def fold_case(self, expression: str) -> str:
        """Return SQL that folds the letter case of a text expression.

        Text pattern filters fold both the column and the pattern with it
        before they compare them with `like`. `expression` is a column
        expression or the pattern's `?` placeholder, which must appear once
        in the result. The default returns the expression unchanged, which
        leaves case to the `like` operator.
        """
        return expression

    def format(self, statement: str, *parts: str) -> str:
        """Add already-formatted sections to a statement with `{}` markers."""
        return statement.format(*parts)

    def join(self, joiner: str, parts: Iterable[str]) -> str:
        """Join already-formatted sections of a statement."""
        return joiner.join(parts)

    def identifier(self, identifier: str) -> str:
        """Quote a table or column name that comes from PicPocket itself.

        This is not safe for user-supplied identifiers.
        """
        return '"{}"'.format(identifier.replace('"', '""'))

    def literal(self, literal: Any) -> str:
        """Format a number, boolean, None or string as an SQL literal."""
        if literal is None:
            return "NULL"
        if isinstance(literal, bool):
            return "TRUE" if literal else "FALSE"
        if isinstance(literal, int):
            return str(literal)
        if isinstance(literal, float):
            if not math.isfinite(literal):
                raise InputValidationError(
                    f"SQL has no literal for {literal!r}; pass a finite number"
                )
            return repr(literal)
        if isinstance(literal, str):
            return "'{}'".format(literal.replace("'", "''"))
        raise TypeError(
            f"Cannot format {literal!r} as an SQL literal; pass a number, "
            f"boolean, None or string"
        )

    def placeholder(self, placeholder: str) -> str:
        """Format a named placeholder."""
        return f":{placeholder}"

    def escape_like(self, text: str) -> str:
        """Make `%`, `_` and the escape character in text match literally."""
        escape = self.escape or "\\"
        for special in (escape, "%", "_"):
            text = text.replace(special, escape + special)
        return text

    def limit_offset(self, limit: int | None, offset: int | None) -> str:
        """Return the LIMIT/OFFSET clause (the values are checked integers)."""
        clause = ""
        if limit is not None:
            clause += f" LIMIT {int(limit)}"
        elif offset is not None:
            clause += " LIMIT -1"
        if offset is not None:
            clause += f" OFFSET {int(offset)}"
        return clause

    @abstractmethod
    def adapt(self, kind: Types, value: Any) -> Any:
        """Convert a Python value into the parameter stored for a property type."""

    @abstractmethod
    def convert(self, kind: Types, value: Any) -> Any:
        """Convert a stored value of a property type back into Python."""


@dataclass(frozen=True)
class Column:
    """A property that filters and orderings may name."""

    expression: str
    kind: Types


class Comparison(ABC):
    """A filter on image properties; combine them with And and Or."""

    invert: bool

    @abstractmethod
    def compile(
        self, sql: SQL, columns: Mapping[str, Column]
    ) -> tuple[str, list[Any]]:
        """Return the SQL condition and its parameters."""

    def _wrap(self, condition: str) -> str:
        # IS NOT TRUE keeps rows where the property is missing, so that
        # "caption does not contain X" also matches images with no caption.
        return f"(({condition}) IS NOT TRUE)" if self.invert else f"({condition})"


def _column(columns: Mapping[str, Column], name: str, kinds: set[Types]) -> Column:
    column = columns.get(name)
    if column is None:
        known = ", ".join(sorted(columns))
        raise InputValidationError(
            f"Unknown property {name!r} in filter; use one of: {known}"
        )
    if column.kind not in kinds:
        raise InputValidationError(
            f"Property {name!r} contains {column.kind.value} values, which this "
            f"filter cannot compare"
        )
    return column


@dataclass(frozen=True, init=False)
class _ValueComparison(Comparison):
    column: str
    comparator: Comparator
    value: Any
    invert: bool

    _kinds: ClassVar[frozenset[Types]] = frozenset()
    _comparators: ClassVar[frozenset[Comparator]] = frozenset(_ORDERING)

    def __init__(
        self,
        column: str,
        comparator: Comparator | str,
        value: Any = None,
        invert: bool = False,
    ) -> None:
        try:
            comparator = Comparator(comparator)
        except ValueError:
            raise InputValidationError(
                f"Unknown comparator {comparator!r}; use one of: "
                + ", ".join(member.value for member in Comparator)
            ) from None
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "comparator", comparator)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "invert", bool(invert))

    def compile(
        self, sql: SQL, columns: Mapping[str, Column]
    ) -> tuple[str, list[Any]]:
        column = _column(columns, self.column, set(self._kinds))
        name = type(self).__name__
        if self.comparator not in self._comparators:
            raise InputValidationError(
                f"{name} filters cannot use {self.comparator.value!r} "
                f"on {self.column!r}"
            )
        if self.value is None:
            if self.comparator is not Comparator.EQUALS:
                raise InputValidationError(
                    f"{name} filter on {self.column!r} has no value; only "
                    f"'=' can test for a missing value"
                )
            return self._wrap(f"{column.expression} IS NULL"), []
        self._check_value()
        return self._compile_value(sql, column)

    def _check_value(self) -> None:
        """Raise InputValidationError when the value has the wrong type."""

    def _compile_value(self, sql: SQL, column: Column) -> tuple[str, list[Any]]:
        operator = _ORDERING[self.comparator]
        value = sql.adapt(column.kind, self.value)
        return self._wrap(f"{column.expression} {operator} ?"), [value]


class Text(_ValueComparison):
    """Compare a text property.

    `=` is exact and case-sensitive. The pattern comparators ignore
    case and treat `%`, `_` and the escape character in the value
    literally. The backend's `SQL.fold_case` folds the case of both the
    column and the pattern.
    """

    _kinds = frozenset({Types.TEXT})
    _comparators = frozenset({Comparator.EQUALS, *_LIKE_PATTERNS})

    def _check_value(self) -> None:
        if not isinstance(self.value, str):
            raise InputValidationError(
                f"Text filter on {self.column!r} needs a string, got {self.value!r}"
            )
        if "\x00" in self.value:
            # PostgreSQL text cannot hold NUL, so no stored value could match.
            raise InputValidationError(
                f"Text filter on {self.column!r} has a NUL character in "
                f"{self.value!r}; remove it"
            )

    def _compile_value(self, sql: SQL, column: Column) -> tuple[str, list[Any]]:
        if self.comparator is Comparator.EQUALS:
            return self._wrap(f"{column.expression} = ?"), [self.value]
        pattern = _LIKE_PATTERNS[self.comparator].format(sql.escape_like(self.value))
        escape = sql.literal(sql.escape or "\\")
        # The pattern goes through the same folding as the column, so both
        # sides agree on case whatever the backend folds.
        folded_column = sql.fold_case(column.expression)
        condition = f"{folded_column} {sql.like} {sql.fold_case('?')} ESCAPE {escape}"
        return self._wrap(condition), [pattern]


class Number(_ValueComparison):
    """Compare a numeric property (rating, width, height, location, id)."""

    _kinds = frozenset({Types.NUMBER, Types.ID})

    def _check_value(self) -> None:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputValidationError(
                f"Number filter on {self.column!r} needs a number, got {value!r}"
            )
        # SQLite cannot bind integers beyond 64 bits, and NaN compares
        # differently on each backend, so both are rejected everywhere.
        if isinstance(value, int) and not INTEGER_MIN <= value <= INTEGER_MAX:
            raise InputValidationError(
                f"Number filter on {self.column!r} needs a value from "
                f"{INTEGER_MIN} to {INTEGER_MAX}, got {value}"
            )
        if isinstance(value, float) and math.isnan(value):
            raise InputValidationError(
                f"Number filter on {self.column!r} needs a number, got NaN"
            )


class DateTime(_ValueComparison):
    """Compare a date property; a naive value is taken as local time."""

    _kinds = frozenset({Types.DATETIME})

    def _check_value(self) -> None:
        if not isinstance(self.value, datetime):
            raise InputValidationError(
                f"DateTime filter on {self.column!r} needs a datetime, "
                f"got {self.value!r}"
            )


@dataclass(frozen=True)
class Boolean(Comparison):
    """Test a boolean property; a value of None tests for a missing value.

    Boolean(column) with no value tests for a missing value of any type.
    """

    column: str
    value: bool | None = None
    invert: bool = False

    def compile(
        self, sql: SQL, columns: Mapping[str, Column]
    ) -> tuple[str, list[Any]]:
        if self.value is None:
            column = _column(columns, self.column, set(Types))
            return self._wrap(f"{column.expression} IS NULL"), []
        column = _column(columns, self.column, {Types.BOOLEAN})
        value = sql.adapt(Types.BOOLEAN, bool(self.value))
        return self._wrap(f"{column.expression} = ?"), [value]


class _Group(Comparison):
    _joiner = ""

    def __init__(self, *comparisons: Comparison, invert: bool = False) -> None:
        for comparison in comparisons:
            if not isinstance(comparison, Comparison):
                raise InputValidationError(
                    f"{type(self).__name__} takes filters, got {comparison!r}"
                )
        self.comparisons = comparisons
        self.invert = bool(invert)

    def __repr__(self) -> str:
        inner = ", ".join(repr(comparison) for comparison in self.comparisons)
        return f"{type(self).__name__}({inner}, invert={self.invert})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and self.comparisons == other.comparisons  # type: ignore[attr-defined]
            and self.invert == other.invert  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self), self.comparisons, self.invert))

    def compile(
        self, sql: SQL, columns: Mapping[str, Column]
    ) -> tuple[str, list[Any]]:
        if not self.comparisons:
            # An empty And matches everything, an empty Or nothing.
            return self._wrap("1 = 1" if self._joiner == " AND " else "1 = 0"), []
        conditions, params = [], []
        for comparison in self.comparisons:
            condition, values = comparison.compile(sql, columns)
            conditions.append(condition)
            params.extend(values)
        return self._wrap(self._joiner.join(conditions)), params


class And(_Group):
    """Match images that match every filter."""

    _joiner = " AND "


class Or(_Group):
    """Match images that match at least one filter."""

    _joiner = " OR "
