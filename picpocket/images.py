"""Read the facts PicPocket records about an image file.

Everything here is synchronous and meant to run in worker threads. Pillow
parses only the header and the EXIF block, so pixel data is not decoded.
"""

import hashlib
import io
import logging
import math
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

import pillow_heif
from PIL import ExifTags, Image, TiffImagePlugin, UnidentifiedImageError
from PIL.PngImagePlugin import PngImageFile

from picpocket.errors import InputValidationError

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()
# Load Pillow's format plugins now: loading them on the first image read
# took over 100 ms, inside an import.
Image.preinit()

DEFAULT_FORMATS: frozenset[str] = frozenset(
    "jpg jpeg jpe png gif bmp tif tiff webp heic heif avif".split()
    # Camera RAW formats.
    + "cr2 cr3 nef arw dng orf rw2 raf".split()
)

_CHUNK_SIZE = 1024 * 1024
# Files up to this size are read into memory once, for both the hash and
# Pillow. Larger ones are hashed in chunks and parsed from the file, so a
# huge file never has to fit in memory.
IN_MEMORY_LIMIT = 64 * 1024 * 1024
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


def normalize_formats(formats: Iterable[str] | None) -> frozenset[str]:
    """Return lowercase file suffixes without a leading dot, or the defaults for None.

    Raises:
        InputValidationError: a suffix is empty or contains '/', '\\', '.'
            or whitespace, or `formats` is a single string.
    """
    if formats is None:
        return DEFAULT_FORMATS
    if isinstance(formats, str):
        raise InputValidationError(
            f"File formats must be a collection of suffixes, not the string "
            f"{formats!r}. Pass {{{formats!r}}} instead."
        )
    return frozenset(_normalize_format(suffix) for suffix in formats)


def _normalize_format(suffix: object) -> str:
    text = suffix.lower().removeprefix(".") if isinstance(suffix, str) else ""
    if not text or any(char.isspace() or char in "/\\." for char in text):
        raise InputValidationError(
            f"Invalid file format {suffix!r}. Give a file suffix such as 'jpg' or "
            f"'.jpg', without '/', '\\', inner dots or whitespace."
        )
    return text


def has_format(path: Path | str, formats: frozenset[str]) -> bool:
    """Return whether the file's suffix, compared case-insensitively, is in formats.

    The suffix is the one Path.suffix gives, found without building a Path.
    """
    name = os.path.basename(path)
    dot = name.rfind(".")
    return 0 < dot < len(name) - 1 and name[dot + 1 :].lower() in formats


def hash_image(path: Path) -> str:
    """Return the lowercase hex SHA-256 of the file's bytes.

    Raises:
        OSError: the file cannot be read, or is not a regular file.
    """
    with open_regular_file(path) as file:
        return _hash_file(file)[0]


def open_regular_file(path: Path) -> BinaryIO:
    """Open a regular file for reading in binary mode.

    Raises:
        OSError: the file cannot be opened, or is a folder, FIFO, socket or
            device, which would block a reader or never end.
    """
    # O_NONBLOCK makes opening a FIFO return at once; on a regular file it
    # changes nothing.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"{path} is not a regular file")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


@dataclass(frozen=True)
class ImageFacts:
    """Facts about one image file, with None for whatever could not be read."""

    hash: str | None
    width: int | None
    height: int | None
    exif: dict[str, Any] | None
    creation_date: datetime | None
    creator: str | None
    last_modified: datetime
    size: int


def modification_time_of(status: os.stat_result) -> datetime:
    """Return a stat result's modification time in UTC, to the microsecond.

    Truncating the nanosecond time, rather than rounding the float one,
    gives every reader of a file the same value, which import compares
    to tell changed files from unchanged ones.
    """
    seconds, nanoseconds = divmod(status.st_mtime_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.replace(microsecond=nanoseconds // 1000)


def read_image_facts(path: Path) -> ImageFacts:
    """Read the hash, size, dimensions, EXIF, creation date and creator of a file.

    Unreadable image content leaves the affected fields None and logs one
    warning. EXIF dates that are set but invalid, EXIF values too long to
    store and PNG chunks with a wrong checksum are logged too. Pixel data is
    not decoded, so other damage past the header goes unnoticed.

    Raises:
        OSError: the file itself cannot be read (missing, no permission, not
            a regular file).
    """
    with open_regular_file(path) as file:
        status = os.fstat(file.fileno())
        if status.st_size > IN_MEMORY_LIMIT:
            digest, size = _hash_file(file)
            file.seek(0)
            width, height, exif = _read_header(path, file)
        else:
            data = file.read()
            digest, size = hashlib.sha256(data).hexdigest(), len(data)
            width, height, exif = _read_header(path, io.BytesIO(data))
    last_modified = modification_time_of(status)
    return ImageFacts(
        hash=digest,
        width=width,
        height=height,
        exif=exif,
        creation_date=_creation_date(exif, path) or last_modified,
        creator=_creator(exif),
        last_modified=last_modified,
        size=size,
    )


def _hash_file(file: BinaryIO) -> tuple[str, int]:
    """Return the SHA-256 hex digest of an open file's bytes, and their count."""
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(_CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _read_header(
    path: Path, source: BinaryIO
) -> tuple[int | None, int | None, dict[str, Any] | None]:
    # Pillow and its plugins raise many unrelated types on malformed input
    # (OSError, SyntaxError, ValueError, struct.error, DecompressionBombError,
    # DecompressionBombWarning when warnings are errors). The file was opened
    # and read before, so an exception here comes from its content, or (for a
    # file too large to hold in memory) from a read error, which is logged
    # the same way.
    try:
        image = Image.open(source)
    except Exception as error:
        logger.warning(
            "Could not read image data from %s, so the file is recorded without "
            "dimensions or EXIF: %s",
            path,
            _describe(error),
        )
        return None, None, None
    with image:
        # NOTE: for TIFF-based RAW files (NEF, DNG) Pillow reports the first image,
        # which may be a reduced preview. Pillow cannot open CR3, RW2, RAF or ORF.
        width, height = image.size
        exif = _read_exif_or_none(image, path)
        if isinstance(image, PngImageFile):
            _check_png_chunks(image, path)
    return width, height, exif


def _read_exif_or_none(image: Image.Image, path: Path) -> dict[str, Any] | None:
    """Return an image's EXIF as JSON-safe data, logging what could not be kept."""
    omitted: list[str] = []
    try:
        exif = _read_exif(image, omitted)
    except Exception as error:
        logger.warning(
            "Could not read EXIF from %s, so the file is recorded without EXIF: %s",
            path,
            _describe(error),
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


def _check_png_chunks(image: PngImageFile, path: Path) -> None:
    """Log a warning when the chunks after a PNG's header are damaged or missing.

    Pillow's verify() checks each chunk's CRC up to the end chunk, which reads
    the compressed pixel data without decoding it.
    """
    try:
        image.verify()
    except Exception as error:
        logger.warning(
            "%s looks damaged: its PNG data failed a checksum or ends early (%s), "
            "so part of the photo may be missing or wrong",
            path,
            _describe(error),
        )


def _describe(error: Exception) -> str:
    # Pillow's message for this error names the in-memory buffer, not the file.
    if isinstance(error, UnidentifiedImageError):
        return "unknown or unsupported image format"
    return f"{type(error).__name__}: {error}"


def _read_exif(image: Image.Image, omitted: list[str]) -> dict[str, Any] | None:
    if isinstance(image, PngImageFile):
        # PngImageFile.getexif decodes all pixels to look for an eXIf chunk after
        # them, while the base method reads only the chunks before the pixels.
        # NOTE: so EXIF stored after a PNG's pixel data is not read.
        exif = Image.Image.getexif(image)
    else:
        exif = image.getexif()
    endian = getattr(exif, "endian", None)
    tags = _convert_ifd(exif, ExifTags.TAGS, endian, omitted)
    tags.update(_convert_ifd(exif.get_ifd(_EXIF_IFD), ExifTags.TAGS, endian, omitted))
    gps = _convert_ifd(exif.get_ifd(_GPS_IFD), ExifTags.GPSTAGS, endian, omitted)
    if gps:
        tags["GPSInfo"] = gps
    # Pillow reports a damaged IFD through warnings.warn, which cannot be caught
    # per thread before Python 3.14, and returns the tags it could read.
    # NOTE: so only an EXIF block with no readable tag at all is reported here.
    raw = image.info.get("exif")
    if not tags and isinstance(raw, bytes) and raw.removeprefix(b"Exif\x00\x00"):
        raise ValueError(f"the {len(raw)}-byte EXIF block contains no readable tag")
    return tags or None


def _convert_ifd(
    ifd: Mapping[int, Any],
    names: Mapping[int, str],
    endian: str | None,
    omitted: list[str],
) -> dict[str, Any]:
    """Convert one IFD to JSON-safe data, adding the names of oversized tags to
    `omitted`."""
    converted = {}
    for tag, value in ifd.items():
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
    if isinstance(value, TiffImagePlugin.IFDRational):
        return None if value.denominator == 0 else _finite(float(value))
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _finite(value)
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


def _creation_date(exif: dict[str, Any] | None, path: Path) -> datetime | None:
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


def _creator(exif: dict[str, Any] | None) -> str | None:
    artist = exif.get("Artist") if exif else None
    return artist.strip() or None if isinstance(artist, str) else None
