"""Source paths and destination formats of import tasks.

A task's source path is relative to the source location's root and is split on
'/'. Each segment is either a literal folder name or exactly one dynamic part:
{year}, {month}, {day}, {date:FORMAT} (a strftime format), {regex:PATTERN} (the
whole folder name must match) or {str:RAW} (a literal folder name that contains
braces). A destination format is a str.format template that gives the path of a
copied image relative to the destination root.
"""

from picpocket.tasks.destination import (
    DEFAULT_DESTINATION_FORMAT,
    DESTINATION_FIELDS,
    format_destination,
    validate_destination_format,
)
from picpocket.tasks.source_path import (
    DateFormat,
    Day,
    Month,
    PathPart,
    RegexPart,
    Year,
    find_source_folders,
    parse_source_path,
    serialize_source_path,
)

__all__ = [
    "DEFAULT_DESTINATION_FORMAT",
    "DESTINATION_FIELDS",
    "DateFormat",
    "Day",
    "Month",
    "PathPart",
    "RegexPart",
    "Year",
    "find_source_folders",
    "format_destination",
    "parse_source_path",
    "serialize_source_path",
    "validate_destination_format",
]
