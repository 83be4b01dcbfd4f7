"""Source paths of import tasks: literal folders and dynamic date parts.

A task's source path is relative to the source location's root and is split on
'/'. Each segment is either a literal folder name or exactly one dynamic part:
{year}, {month}, {day}, {date:FORMAT} (a strftime format), {regex:PATTERN} (the
whole folder name must match) or {str:RAW} (a literal folder name that contains
braces).

Everything here is synchronous because the engine runs it in worker threads.
"""

from __future__ import annotations

import calendar
import dataclasses
import functools
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from pathlib import Path

from picpocket.errors import InputValidationError
from picpocket.files import is_inside

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Year:
    """A folder named after a year, 1000 to 9999."""


@dataclass(frozen=True)
class Month:
    """A folder named after a month, 1 to 12, with or without a leading zero."""


@dataclass(frozen=True)
class Day:
    """A folder named after a day of the month, with or without a leading zero."""


@dataclass(frozen=True)
class DateFormat:
    """A folder whose name datetime.strptime parses with this format."""

    format: str


@dataclass(frozen=True)
class RegexPart:
    """A folder whose whole name matches this regular expression."""

    pattern: str


# Literal folder names are plain strings, including those written as {str:RAW}.
PathPart = str | Year | Month | Day | DateFormat | RegexPart

_ALLOWED_PARTS = "{year}, {month}, {day}, {date:FORMAT}, {regex:PATTERN} or {str:RAW}"
_SIMPLE_PARTS: dict[str, PathPart] = {"year": Year(), "month": Month(), "day": Day()}
_YEAR_NAME = re.compile(r"[1-9][0-9]{3}")
_MONTH_NAME = re.compile(r"0?[1-9]|1[0-2]")
_DAY_NAME = re.compile(r"0?[1-9]|[12][0-9]|3[01]")
# A date with every field set, for checking that a date format round-trips.
SAMPLE_DATE = datetime(2021, 3, 1, 12, 30, 45)
# A leap year, so that a format without a year still parses 29 February.
_FILLER_YEAR = 2000


def parse_source_path(text: str) -> list[PathPart]:
    """Parse a task's source path into literal folder names and dynamic parts.

    An empty text is the source root, and trailing '/' characters are ignored.
    Raises InputValidationError naming the text and the invalid segment.
    """
    if text == "":
        return []
    if text.startswith("/"):
        raise InputValidationError(
            f"Invalid source path {text!r}: it is absolute, but it must be relative "
            "to the source location's root. Remove the leading '/'"
        )
    return [_parse_segment(text, segment) for segment in text.rstrip("/").split("/")]


def serialize_source_path(parts: Sequence[PathPart]) -> str:
    """Write parts as a source path text that parse_source_path reads back unchanged.

    A literal that contains '{' or '}' is written as {str:RAW}. Raises
    InputValidationError when a part cannot be written as one valid segment.
    """
    text = "/".join(_serialize_part(part) for part in parts)
    parse_source_path(text)
    return text


def _serialize_part(part: PathPart) -> str:
    if isinstance(part, str):
        if part == "" or "/" in part:
            raise InputValidationError(
                f"Invalid literal folder name {part!r}: it must be one non-empty "
                "folder name without '/'"
            )
        return f"{{str:{part}}}" if "{" in part or "}" in part else part
    if isinstance(part, Year | Month | Day):
        return f"{{{type(part).__name__.lower()}}}"
    if isinstance(part, DateFormat | RegexPart):
        name = "date" if isinstance(part, DateFormat) else "regex"
        argument = part.format if isinstance(part, DateFormat) else part.pattern
        if "/" in argument:
            raise InputValidationError(
                f"Invalid source path part {part!r}: it contains '/', but a part "
                "must match a single folder name"
            )
        return f"{{{name}:{argument}}}"
    raise InputValidationError(
        f"Invalid source path part {part!r}: expected a str, Year, Month, Day, "
        "DateFormat or RegexPart"
    )


def _segment_error(text: str, segment: str, problem: str) -> InputValidationError:
    return InputValidationError(
        f"Invalid source path {text!r}: segment {segment!r} {problem}"
    )


def _parse_segment(text: str, segment: str) -> PathPart:
    if segment == "":
        raise _segment_error(text, segment, "is empty. Remove the repeated '/'")
    if segment in (".", ".."):
        raise _segment_error(
            text, segment, "is not allowed. Name the folders below the source root"
        )
    if "{" not in segment and "}" not in segment:
        return segment
    if len(segment) < 2 or segment[0] != "{" or segment[-1] != "}":
        raise _segment_error(
            text,
            segment,
            "mixes text with a dynamic part or has unbalanced braces. A segment is "
            f"a folder name without braces or exactly one of {_ALLOWED_PARTS}. Use "
            "{regex:PATTERN} to match part of a name or {str:RAW} for a literal "
            "name with braces",
        )
    name, separator, argument = segment[1:-1].partition(":")
    if "{" in name or "}" in name:
        raise _segment_error(
            text,
            segment,
            "has more than one dynamic part or unbalanced braces. A segment is "
            f"exactly one of {_ALLOWED_PARTS}",
        )
    return _parse_part(text, segment, name, argument if separator else None)


def _parse_part(text: str, segment: str, name: str, argument: str | None) -> PathPart:
    if name in _SIMPLE_PARTS:
        if argument is not None:
            raise _segment_error(
                text, segment, f"is invalid because {{{name}}} takes no argument"
            )
        return _SIMPLE_PARTS[name]
    if name not in ("date", "regex", "str"):
        raise _segment_error(
            text, segment, f"has unknown part name {name!r}. Use {_ALLOWED_PARTS}"
        )
    if not argument:
        raise _segment_error(
            text, segment, f"is missing the text after '{{{name}:'"
        )
    if name == "date":
        _check_date_format(text, segment, argument)
        return DateFormat(argument)
    if name == "regex":
        try:
            re.compile(argument)
        except re.error as error:
            raise _segment_error(
                text, segment, f"has an invalid regular expression: {error}"
            ) from error
        return RegexPart(argument)
    if argument in (".", ".."):
        raise _segment_error(text, segment, "is not a folder name")
    return argument


def _check_date_format(text: str, segment: str, date_format: str) -> None:
    if "{" in date_format or "}" in date_format:
        raise _segment_error(
            text, segment, "has braces in its date format. Use {regex:PATTERN}"
        )
    if not _format_directives(date_format) - {"%"}:
        raise _segment_error(
            text, segment, "has no strftime directive, such as %Y, in its format"
        )
    try:
        sample = SAMPLE_DATE.strftime(date_format)
        datetime.strptime(sample, date_format)
    except (ValueError, re.error) as error:
        raise _segment_error(
            text, segment, f"has a date format that strptime cannot read: {error}"
        ) from error
    if "/" in sample:
        raise _segment_error(
            text, segment, f"has a date format that writes '/' ({sample!r})"
        )


def _format_directives(date_format: str) -> set[str]:
    # Scanning pairs left to right reads '%%d' as an escaped '%' and a plain 'd'.
    return set(re.findall(r"%(.)", date_format))


@functools.lru_cache(maxsize=128)
def _format_fields(date_format: str) -> frozenset[str]:
    directives = _format_directives(date_format)
    fields = set()
    if directives & {"Y", "y"}:
        fields.add("year")
    if directives & {"m", "b", "B"}:
        fields.add("month")
    if "d" in directives:
        fields.add("day")
    # A day of the year gives a month and day only together with its year.
    if "j" in directives and "year" in fields:
        fields.update(("month", "day"))
    return frozenset(fields)


@dataclass(frozen=True)
class _KnownDate:
    """Date fields given by the names of the folders matched so far."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    def is_possible(self) -> bool:
        if self.month is None or self.day is None:
            return True
        year = _FILLER_YEAR if self.year is None else self.year
        return self.day <= calendar.monthrange(year, self.month)[1]

    def is_before(self, since: Date) -> bool:
        """Return whether all dates that these fields allow lie before since."""
        if self.year is None:
            return False
        if self.month is None:
            return self.year < since.year
        if self.day is None:
            return (self.year, self.month) < (since.year, since.month)
        return (self.year, self.month, self.day) < (since.year, since.month, since.day)


def find_source_folders(
    root: Path, parts: Sequence[PathPart], since: datetime | None = None
) -> Iterator[Path]:
    """Return an iterator over the existing folders under root that match all parts.

    Folders come depth first, sorted by name at each level, and are listed
    lazily. Literal: that child folder if it is a directory. Year: a 4-digit
    name from 1000 to 9999. Month: 1 to 12, as '1' or '01'. Day: 1 to 31, and
    no later than the last day of the month when the month is known (February
    allows 29 until the year is known). DateFormat: datetime.strptime(name,
    format) succeeds. RegexPart: re.fullmatch. Symbolic links to folders are
    followed while their targets stay inside root; a link that leads out of
    root is logged at WARNING and skipped.

    With since, a folder is skipped when its date lies wholly before since's
    local date, and a folder on since's year, month or day is kept. The date is
    as precise as the parts matched so far give it. A DateFormat gives the year
    with %Y or %y, the month with %m, %b or %B, and the day with %d (or %j
    together with a year), so '{year}/{date:%m-%d}' is filtered by day. An
    aware since is converted with since.astimezone(). A folder that cannot be
    listed (PermissionError, vanished) is logged at WARNING and skipped.
    Raises InputValidationError at once when a part is invalid.
    """
    serialize_source_path(parts)
    root = Path(root)
    if not _is_folder(root):
        logger.warning("Skipping source root %s because it is not a folder", root)
        return iter(())
    since_date = None
    if since is not None:
        since_date = (since.astimezone() if since.tzinfo else since).date()
    walk = _Walk(os.path.realpath(root), since_date)
    return walk.folders(root, tuple(parts), _KnownDate())


@dataclass(frozen=True)
class _Walk:
    """One search for source folders: the resolved root, and the date limit."""

    real_root: str
    since: Date | None

    def folders(
        self, folder: Path, parts: tuple[PathPart, ...], known: _KnownDate
    ) -> Iterator[Path]:
        if not parts:
            yield folder
            return
        for child, child_known in _match_children(folder, parts[0], known):
            if self.since is not None and child_known.is_before(self.since):
                logger.debug(
                    "Skipping %s because it is dated before %s", child, self.since
                )
                continue
            if _leads_outside(child, self.real_root):
                continue
            yield from self.folders(child, parts[1:], child_known)


def _leads_outside(folder: Path, real_root: str) -> bool:
    """Return whether folder is a symbolic link out of real_root, logging it."""
    if not os.path.islink(folder):
        return False
    target = os.path.realpath(folder)
    if is_inside(real_root, target):
        return False
    logger.warning(
        "Skipping folder %s because it is a symbolic link to %s, outside the "
        "source root %s",
        folder,
        target,
        real_root,
    )
    return True


def _match_children(
    folder: Path, part: PathPart, known: _KnownDate
) -> list[tuple[Path, _KnownDate]]:
    if isinstance(part, str):
        child = folder / part
        return [(child, known)] if _is_folder(child) else []
    matches = []
    for name in _list_folder_names(folder):
        child_known = _match_name(name, part, known)
        if child_known is not None and child_known.is_possible():
            matches.append((folder / name, child_known))
    return matches


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError as error:
        logger.warning("Skipping folder %s because it cannot be read: %s", path, error)
        return False


def _list_folder_names(folder: Path) -> list[str]:
    names = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if _is_folder_entry(entry):
                    names.append(entry.name)
    except OSError as error:
        logger.warning(
            "Skipping folder %s because it cannot be read: %s", folder, error
        )
        return []
    return sorted(names)


def _is_folder_entry(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError as error:
        logger.warning("Skipping %s because it cannot be read: %s", entry.path, error)
        return False


def _match_name(name: str, part: PathPart, known: _KnownDate) -> _KnownDate | None:
    if isinstance(part, Year):
        if _YEAR_NAME.fullmatch(name):
            return dataclasses.replace(known, year=int(name))
    elif isinstance(part, Month):
        if _MONTH_NAME.fullmatch(name):
            return dataclasses.replace(known, month=int(name))
    elif isinstance(part, Day):
        if _DAY_NAME.fullmatch(name):
            return dataclasses.replace(known, day=int(name))
    elif isinstance(part, DateFormat):
        return _match_date_name(name, part.format, known)
    elif isinstance(part, RegexPart):
        if re.fullmatch(part.pattern, name):
            return known
    return None


def _match_date_name(
    name: str, date_format: str, known: _KnownDate
) -> _KnownDate | None:
    fields = _format_fields(date_format)
    try:
        if "year" in fields:
            parsed = datetime.strptime(name, date_format)
        else:
            # strptime fills in 1900, which has no 29 February, so supply a leap year.
            parsed = datetime.strptime(f"{_FILLER_YEAR}#{name}", f"%Y#{date_format}")
    except ValueError:
        return None
    return dataclasses.replace(
        known, **{field: getattr(parsed, field) for field in fields}
    )
