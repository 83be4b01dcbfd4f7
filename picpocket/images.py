"""Read the facts PicPocket records about an image file.

Everything here is synchronous and meant to run in worker threads. Only
the header and the EXIF block are parsed, so pixel data is not decoded.
"""

import hashlib
import io
import logging
import mmap
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from picpocket.errors import InputValidationError
from picpocket.exif import creation_date, creator, exif_as_json, jpeg_exif, UsePillow
from picpocket.jpeg import first_scan_offset, read_jpeg_header

logger = logging.getLogger(__name__)

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
# The largest width or height recorded: PostgreSQL's INTEGER columns hold
# no more. Pillow's pixel limit stops larger images unless a program lifts it.
MAX_DIMENSION = 2**31 - 1
# The range of modification times recorded: a day inside the years 1 to
# 9999, so that every time zone can still show the time.
EARLIEST_TIME = datetime(1, 1, 2, tzinfo=timezone.utc)
LATEST_TIME = datetime(9999, 12, 30, tzinfo=timezone.utc)


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


def open_regular_file(path: Path | str) -> BinaryIO:
    """Open a regular file for reading in binary mode.

    Raises:
        OSError: the file cannot be opened, or is a folder, FIFO, socket or
            device, which would block a reader or never end.
    """
    descriptor, _status = _open_regular(path)
    return _file_object(descriptor)


def _open_regular(path: Path | str) -> tuple[int, os.stat_result]:
    """Return a descriptor open for reading on a regular file, and its status.

    Raises:
        OSError: as open_regular_file.
    """
    # O_NONBLOCK makes opening a FIFO return at once; on a regular file it
    # changes nothing.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(f"{path} is not a regular file")
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, status


def _file_object(descriptor: int) -> BinaryIO:
    """Wrap a descriptor in a binary file object, closing it if that fails."""
    try:
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _read_all(descriptor: int, expected: int) -> bytes:
    """Read a descriptor to its end, expecting `expected` bytes.

    Reading the descriptor itself skips a file object's buffer and its
    second size check, which only cost time when the whole file is needed.
    """
    parts = []
    # One byte more than expected, so that the first read of a file that
    # did not change is whole and the second finds its end.
    requested = expected + 1
    while part := os.read(descriptor, max(requested, _CHUNK_SIZE if parts else 1)):
        parts.append(part)
        requested -= len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


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


def modification_time_of(
    status: os.stat_result, path: Path | str | None = None
) -> datetime:
    """Return a stat result's modification time in UTC, to the microsecond.

    Truncating the nanosecond time, rather than rounding the float one,
    gives every reader of a file the same value, which import compares
    to tell changed files from unchanged ones. A time outside the years
    1 to 9999, which some file systems can hold, becomes the nearest
    time within them, with a warning that names `path` if it is given.
    """
    seconds, nanoseconds = divmod(status.st_mtime_ns, 1_000_000_000)
    try:
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        moment = EARLIEST_TIME if seconds < 0 else LATEST_TIME
    else:
        moment = moment.replace(microsecond=nanoseconds // 1000)
        if EARLIEST_TIME <= moment <= LATEST_TIME:
            return moment
        moment = min(max(moment, EARLIEST_TIME), LATEST_TIME)
    if path is None:
        return moment
    logger.warning(
        "The modification time of %s (%d s after 1970) is outside the years "
        "1 to 9999, so %s is recorded instead; give the file a real "
        "modification time (with touch, for example) to record that",
        path,
        seconds,
        moment.isoformat(),
    )
    return moment


def read_image_facts(path: Path | str) -> ImageFacts:
    """Read the hash, size, dimensions, EXIF, creation date and creator of a file.

    Unreadable image content leaves the affected fields None and logs one
    warning. EXIF dates that are set but invalid, EXIF values too long to
    store, PNG chunks with a wrong checksum and JPEG data without its end
    marker are logged too. Pixel data is not decoded, so other damage past
    the header goes unnoticed.

    Raises:
        OSError: the file itself cannot be read (missing, no permission, not
            a regular file).
    """
    descriptor, status = _open_regular(path)
    if status.st_size > IN_MEMORY_LIMIT:
        with _file_object(descriptor) as file:
            digest, size = _hash_file(file)
            file.seek(0)
            width, height, exif = _read_with_pillow(path, file)
            truncated = width is not None and _mapped_jpeg_end_missing(file)
    else:
        try:
            data = _read_all(descriptor, status.st_size)
        finally:
            os.close(descriptor)
        digest, size = hashlib.sha256(data).hexdigest(), len(data)
        width, height, exif, truncated = _read_header(path, data)
    width, height = _storable_size(path, width, height)
    # The status was taken before the read, so a file changed during the
    # read looks changed again on the next import.
    last_modified = modification_time_of(status, path)
    if truncated:
        logger.warning(
            "%s looks truncated: its JPEG data has no end-of-image marker, so "
            "part of the photo may be missing",
            path,
        )
    return ImageFacts(
        hash=digest,
        width=width,
        height=height,
        exif=exif,
        creation_date=creation_date(exif, path) or last_modified,
        creator=creator(exif),
        last_modified=last_modified,
        size=size,
    )


def _storable_size(
    path: Path | str, width: int | None, height: int | None
) -> tuple[int | None, int | None]:
    """Return the size to record, or (None, None) with a warning when a
    side is longer than MAX_DIMENSION."""
    if width is None or height is None or max(width, height) <= MAX_DIMENSION:
        return width, height
    logger.warning(
        "%s claims a size of %d x %d pixels, more than %d on a side, so it is "
        "recorded without a size",
        path,
        width,
        height,
        MAX_DIMENSION,
    )
    return None, None


def jpeg_end_missing(data: bytes | mmap.mmap, scan: int | None = None) -> bool:
    """Return whether JPEG data has no end-of-image marker after its first scan.

    Entropy-coded scan data cannot contain the bytes FF D9, so their absence
    after the first scan starts means the file was cut short. Data after the
    marker (a phone's embedded video) is allowed. Other data returns False.
    `scan` is where the first scan starts, when the caller knows it.
    """
    if data[:3] != b"\xff\xd8\xff":
        return False
    if scan is None:
        scan = first_scan_offset(data)
    # rfind starts at the end, where the marker of a whole file is.
    return scan is not None and data.rfind(b"\xff\xd9", scan) == -1


def _mapped_jpeg_end_missing(file: BinaryIO) -> bool:
    """Check a file too large to read into memory, through a memory map."""
    try:
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return jpeg_end_missing(data)
    except (OSError, ValueError) as error:
        logger.debug("Could not check the end of %s: %s", file.name, error)
        return False


def _hash_file(file: BinaryIO) -> tuple[str, int]:
    """Return the SHA-256 hex digest of an open file's bytes, and their count."""
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(_CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _read_header(
    path: Path | str, data: bytes
) -> tuple[int | None, int | None, dict[str, Any] | None, bool]:
    """Return the size, EXIF and truncation of a file's bytes.

    A plain JPEG's markers are walked here, and Pillow reads everything else.
    """
    header = read_jpeg_header(data)
    if header is not None:
        try:
            exif = exif_as_json(partial(jpeg_exif, header), header.exif, path)
        except UsePillow:
            pass
        else:
            truncated = jpeg_end_missing(data, header.scan)
            return header.width, header.height, exif, truncated
    width, height, exif = _read_with_pillow(path, io.BytesIO(data))
    return width, height, exif, width is not None and jpeg_end_missing(data)


def _read_with_pillow(
    path: Path | str, source: BinaryIO
) -> tuple[int | None, int | None, dict[str, Any] | None]:
    # Imported here, so that reader processes load Pillow's image module
    # only when they meet a file that is not a plain JPEG.
    from picpocket.pillow_facts import read_with_pillow

    return read_with_pillow(path, source)
