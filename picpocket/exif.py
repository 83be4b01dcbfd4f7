"""Converting a photo's EXIF to JSON-safe data, and reading its date and creator."""

from __future__ import annotations

import logging
import math
import numbers
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

# Neither module imports Pillow's image module, which reader processes
# load only for files that are not plain JPEGs.
from PIL import ExifTags, UnidentifiedImageError

from picpocket.exif_walk import UsePillow, WalkedExif, walk_exif
from picpocket.jpeg import JpegHeader

logger = logging.getLogger(__name__)

_MAX_BINARY_LENGTH = 64
# EXIF values longer than these are left out (with a warning), so that one
# file's huge EXIF block does not bloat every search that returns it.
MAX_EXIF_TEXT_LENGTH = 65_536  # characters
MAX_EXIF_LIST_LENGTH = 4_096  # items
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_USER_COMMENT = 0x9286
# File offsets and blobs that describe the file's layout, not the photo:
# sub-IFD pointers, strip and tile tables (thousands of numbers in big
# TIFFs) and the XMP packet, which is XML rather than EXIF.
_SKIPPED_TAGS = frozenset({_EXIF_IFD, _GPS_IFD, 0xA005, 273, 279, 324, 325, 700})
_DATE_SOURCES = (
    ("DateTimeOriginal", "OffsetTimeOriginal"),
    ("DateTimeDigitized", "OffsetTimeDigitized"),
    ("DateTime", "OffsetTime"),
)
_DATE_PATTERN = re.compile(
    r"\s*(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)", re.ASCII
)
_OFFSET_PATTERN = re.compile(r"\s*([+-])(\d\d):?(\d\d)\s*$", re.ASCII)
# EXIF marks an unknown date by blanks, and many cameras write zeros.
_UNKNOWN_DATE = re.compile(r"[\s:0]*", re.ASCII)
_SKIP = object()
_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(="|>)([0-9])')


class Directories(Protocol):
    """The main EXIF directory, with the others by get_ifd: Pillow's Image.Exif
    or a WalkedExif."""

    endian: str | None

    def items(self) -> Any: ...

    def get_ifd(self, tag: int) -> Mapping[int, Any]: ...


def _tags(
    exif: Directories, raw: object, omitted: list[str]
) -> dict[str, Any] | None:
    endian = getattr(exif, "endian", None)
    tags = _convert_ifd(exif, ExifTags.TAGS, endian, omitted)
    tags.update(_convert_ifd(exif.get_ifd(_EXIF_IFD), ExifTags.TAGS, endian, omitted))
    gps = _convert_ifd(exif.get_ifd(_GPS_IFD), ExifTags.GPSTAGS, endian, omitted)
    if gps:
        tags["GPSInfo"] = gps
    # Pillow reports a damaged IFD through warnings.warn, which cannot be caught
    # per thread before Python 3.14, and returns the tags it could read.
    # NOTE: so only an EXIF block with no readable tag at all is reported here.
    if not tags and isinstance(raw, bytes) and raw.removeprefix(b"Exif\x00\x00"):
        raise ValueError(f"the {len(raw)}-byte EXIF block contains no readable tag")
    return tags or None


def jpeg_exif(header: JpegHeader) -> WalkedExif:
    """Return the EXIF directories that Pillow's getexif() gives for a JPEG with
    this header.

    Like Pillow, an orientation missing from the EXIF is taken from the XMP.

    Raises:
        UsePillow: Pillow would read the EXIF block differently.
    """
    exif = WalkedExif() if header.exif is None else walk_exif(header.exif)
    if not header.jfif_dpi and _dpi_fails_open(exif):
        raise UsePillow("Pillow fails to open the file on its EXIF resolution")
    if ExifTags.Base.Orientation not in exif and header.xmp:
        match = _XMP_ORIENTATION.search(header.xmp)
        if match:
            exif[ExifTags.Base.Orientation] = int(match[2])
    return exif


def _dpi_fails_open(exif: WalkedExif) -> bool:
    """Return whether Pillow may fail to open a JPEG over its EXIF resolution.

    Without a JFIF resolution, Pillow divides the two parts of XResolution
    while it opens the file, and text or bytes there can raise an error
    that it does not catch (IndexError for a single character).
    """
    unit = ExifTags.Base.ResolutionUnit
    resolution = exif.get(ExifTags.Base.XResolution)
    return unit in exif and isinstance(resolution, (str, bytes))


def exif_as_json(
    read: Callable[[], Directories], raw: object, path: Path | str
) -> dict[str, Any] | None:
    """Return the EXIF that read() parses as JSON-safe data, logging what could
    not be kept; raw is the undecoded block, or None."""
    omitted: list[str] = []
    try:
        exif = _tags(read(), raw, omitted)
    except UsePillow:
        raise
    except Exception as error:
        logger.warning(
            "Could not read EXIF from %s, so the file is recorded without EXIF: %s",
            path,
            describe_error(error),
        )
        exif = None
    if omitted:
        logger.warning(
            "Left out the EXIF tags %s of %s: each is longer than %d characters "
            "of text or %d list items",
            ", ".join(omitted),
            path,
            MAX_EXIF_TEXT_LENGTH,
            MAX_EXIF_LIST_LENGTH,
        )
    return exif


def describe_error(error: Exception) -> str:
    """Describe an error from Pillow for a log message."""
    # Pillow's message for this error names the in-memory buffer, not the file.
    if isinstance(error, UnidentifiedImageError):
        return "unknown or unsupported image format"
    return f"{type(error).__name__}: {error}"


def _convert_ifd(
    ifd: Mapping[int, Any],
    names: Mapping[int, str],
    endian: str | None,
    omitted: list[str],
) -> dict[str, Any]:
    """Convert one IFD to JSON-safe data, adding the names of oversized tags to
    `omitted`."""
    converted = {}
    # In tag order: Pillow's own order follows its sets, and two tags can
    # share a name (FlashEnergy is 0x920B and 0xA20B), of which the last wins.
    for tag, value in sorted(ifd.items()):
        if tag in _SKIPPED_TAGS:
            continue
        if tag == _USER_COMMENT and isinstance(value, bytes):
            json_value = _user_comment_to_json(value, endian)
        else:
            json_value = _to_json(value)
        name = names.get(tag, str(int(tag)))
        if _too_large(json_value):
            omitted.append(name)
        elif json_value is not _SKIP:
            converted[name] = json_value
    return converted


def _too_large(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > MAX_EXIF_TEXT_LENGTH
    return isinstance(value, list) and len(value) > MAX_EXIF_LIST_LENGTH


def _user_comment_to_json(value: bytes, endian: str | None) -> str | object:
    # UserComment starts with an 8-byte code naming the character set of the rest.
    code, text = value[:8], value[8:]
    if code == b"UNICODE\x00":
        encoding = "utf-16-be" if endian == ">" else "utf-16-le"
        return _strip_text(text.decode(encoding, "replace"))
    if code in (b"ASCII\x00\x00\x00", b"\x00" * 8):
        return _bytes_to_json(text)
    return _bytes_to_json(value)


def _to_json(value: Any) -> Any:
    """Convert one EXIF value to JSON-safe data, or _SKIP when that is impossible."""
    kind = type(value)
    if kind is int or value is None:
        return value
    if kind is str and value.isascii():
        # Neither the UTF-8 repair nor the surrogate clean-up changes ASCII.
        return value.replace("\x00", "").rstrip()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, numbers.Rational):
        # Pillow's IFDRational, whose denominator may be zero.
        return None if value.denominator == 0 else _finite(float(value))
    if isinstance(value, str):
        return _strip_text(_repair_utf8(value))
    if isinstance(value, bytes):
        return _bytes_to_json(value)
    if isinstance(value, (tuple, list)):
        items = [_to_json(item) for item in value]
        return [None if item is _SKIP else item for item in items]
    return _SKIP


def _finite(value: float) -> float | None:
    # NaN and infinity are not valid JSON, and PostgreSQL's jsonb rejects them.
    return value if math.isfinite(value) else None


def _repair_utf8(value: str) -> str:
    # Pillow 13 decodes EXIF ASCII values as Latin-1, but many programs write
    # UTF-8 there, so re-decode when the bytes are valid UTF-8.
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _strip_text(value: str) -> str:
    # A round trip through UTF-16 joins surrogate pairs and replaces lone
    # surrogates, which UTF-8 cannot encode, with U+FFFD.
    value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value.replace("\x00", "").rstrip()


def _bytes_to_json(value: bytes) -> str | object:
    """Return printable UTF-8 text, hex for short binary data, else _SKIP."""
    try:
        text = value.decode("utf-8").replace("\x00", "")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\t\n\r" for c in text):
        return text.rstrip()
    if len(value) > _MAX_BINARY_LENGTH:
        return _SKIP
    return value.hex()


def creation_date(exif: dict[str, Any] | None, path: Path | str) -> datetime | None:
    """Return the first usable EXIF date, logging dates that are set but invalid."""
    if not exif:
        return None
    for date_tag, offset_tag in _DATE_SOURCES:
        text = exif.get(date_tag)
        if text is None or (isinstance(text, str) and _UNKNOWN_DATE.fullmatch(text)):
            continue
        date = _parse_exif_date(text, exif.get(offset_tag))
        if date is not None:
            return date
        logger.warning(
            "Ignoring EXIF %s %r of %s: it is not a valid date between the "
            "years 1 and 9999",
            date_tag,
            text,
            path,
        )
    return None


def _parse_exif_date(text: Any, offset_text: Any) -> datetime | None:
    """Parse an EXIF date such as '2008:05:30 15:56:01' into an aware datetime.

    Returns None unless the date exists and stays within the years 1 to 9999
    when converted to UTC, which is what the databases store.
    """
    match = _DATE_PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    offset = _parse_offset(offset_text)
    try:
        naive = datetime(*(int(part) for part in match.groups()))
        # Without an offset tag the camera's clock is taken as this machine's
        # local time.
        moment = naive.astimezone() if offset is None else naive.replace(tzinfo=offset)
        moment.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return moment


def _parse_offset(text: Any) -> timezone | None:
    match = _OFFSET_PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    if int(hours) > 23 or int(minutes) > 59:
        return None
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-offset if sign == "-" else offset)


def creator(exif: dict[str, Any] | None) -> str | None:
    artist = exif.get("Artist") if exif else None
    return artist.strip() or None if isinstance(artist, str) else None
