"""Destination formats of import tasks.

A destination format is a str.format template that gives the path of a copied
image relative to the destination root.
"""

from __future__ import annotations

import string
import uuid
from datetime import datetime
from pathlib import PurePosixPath

from picpocket.errors import InputValidationError, PathOutsideRootError
from picpocket.tasks.source_path import SAMPLE_DATE


DEFAULT_DESTINATION_FORMAT = "{directory}/{file}"
DESTINATION_FIELDS = frozenset(
    ("directory", "file", "name", "extension", "uuid", "date", "hash", "index")
)
_SAMPLE_VALUES: dict[str, object] = {
    "directory": "DCIM/100CANON",
    "file": "IMG_0001.JPG",
    "name": "IMG_0001",
    "extension": "JPG",
    "uuid": "0123456789abcdef0123456789abcdef",
    "date": SAMPLE_DATE,
    "hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "index": 1,
}


def _template_error(template: str, problem: str) -> InputValidationError:
    return InputValidationError(f"Invalid destination format {template!r}: {problem}")


def _escape_error(template: str, problem: str) -> PathOutsideRootError:
    return PathOutsideRootError(f"Invalid destination format {template!r}: {problem}")


def validate_destination_format(template: str) -> None:
    """Raise InputValidationError unless template is a usable destination format.

    The template may use only the named fields in DESTINATION_FIELDS, without
    attribute or index access, positional fields, conversions or nested fields.
    Every format spec must work on a sample value, and the template rendered
    with sample values must be a non-empty relative path without '..' segments;
    an absolute path or a '..' segment raises PathOutsideRootError, which is
    also an InputValidationError.
    """
    try:
        replacement_fields = list(string.Formatter().parse(template))
    except ValueError as error:
        raise _template_error(
            template, f"it is not a valid format string ({error})"
        ) from error
    for _literal, field, format_spec, conversion in replacement_fields:
        if field is not None:
            _check_field(template, field, format_spec or "", conversion)
    sample = template.format_map(_SAMPLE_VALUES)
    if sample.startswith("/"):
        raise _escape_error(
            template, "it gives an absolute path. Remove the leading '/'"
        )
    problem = _path_problem(sample)
    if problem == _LEAVES_ROOT:
        raise _escape_error(template, f"the sample path {sample!r} {problem}")
    if problem:
        raise _template_error(template, f"the sample path {sample!r} {problem}")


def _check_field(
    template: str, field: str, format_spec: str, conversion: str | None
) -> None:
    allowed = ", ".join(sorted(DESTINATION_FIELDS))
    if field == "" or field.isdigit():
        raise _template_error(
            template, f"positional fields are not allowed. Name one of {allowed}"
        )
    if "." in field or "[" in field:
        raise _template_error(
            template,
            f"field {field!r} uses attribute or index access. Use the field name alone",
        )
    if field not in DESTINATION_FIELDS:
        raise _template_error(
            template, f"unknown field {field!r}. Use one of {allowed}"
        )
    if conversion is not None:
        raise _template_error(
            template, f"field {field!r} uses conversion '!{conversion}'. Remove it"
        )
    if "{" in format_spec:
        raise _template_error(
            template, f"field {field!r} has a field nested in its format spec"
        )
    try:
        format(_SAMPLE_VALUES[field], format_spec)
    except (ValueError, TypeError) as error:
        raise _template_error(
            template, f"format spec {format_spec!r} of field {field!r} fails: {error}"
        ) from error


_LEAVES_ROOT = "has a '..' segment, which would leave the destination root"


def _path_problem(rendered: str) -> str | None:
    segments = _path_segments(rendered)
    if not segments:
        return "is empty"
    if ".." in segments:
        return _LEAVES_ROOT
    if "\0" in rendered:
        return "contains a NUL character"
    return None


def _path_segments(rendered: str) -> list[str]:
    return [segment for segment in rendered.split("/") if segment not in ("", ".")]


def format_destination(
    template: str,
    *,
    directory: str,
    file: str,
    date: datetime,
    hash: str,
    index: int,
) -> PurePosixPath:
    """Render the destination path of one image, relative to the destination root.

    directory is the source file's folder relative to the source root, with '/'
    separators and '' at the root. date is the file's last-modified time, hash
    the SHA-256 hex of its contents and index a 1-based counter. Empty and '.'
    segments are dropped, so the default format puts a file from the source
    root at the destination root. Raises InputValidationError for an invalid
    template or values, or a rendered path that is empty, and
    PathOutsideRootError (an InputValidationError too) for an absolute
    directory or a rendered path with a '..' segment.
    """
    validate_destination_format(template)
    _check_destination_values(directory, file, index)
    file_path = PurePosixPath(file)
    rendered = template.format(
        directory=directory,
        file=file,
        name=file_path.stem,
        extension=file_path.suffix.removeprefix("."),
        uuid=uuid.uuid4().hex,
        date=date,
        hash=hash,
        index=index,
    )
    problem = _path_problem(rendered)
    if problem:
        escapes = problem == _LEAVES_ROOT
        error = PathOutsideRootError if escapes else InputValidationError
        raise error(
            f"Invalid destination path {rendered!r} from format {template!r}: "
            f"it {problem}"
        )
    return PurePosixPath(*_path_segments(rendered))


def _check_destination_values(directory: str, file: str, index: int) -> None:
    if directory.startswith("/"):
        raise PathOutsideRootError(
            f"Invalid directory {directory!r}: it must be relative to the source "
            "location's root"
        )
    if file in ("", ".", "..") or "/" in file:
        raise InputValidationError(
            f"Invalid file name {file!r}: it must be one file name without '/'"
        )
    if index < 1:
        raise InputValidationError(f"Invalid index {index}: it must be 1 or more")
