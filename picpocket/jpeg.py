"""Walking a JPEG file's markers, up to its first scan, in the bytes already read.

Pillow's JPEG plugin does the same walk and more (quantization tables,
colour profiles, multi-picture data), which takes most of the time an
import spends per photo. For the common case of a plain 8-bit JPEG, the
size and the EXIF and XMP blocks are all an import needs, and this walk
finds them at a fraction of the cost. Anything unusual returns None, so
that Pillow reads the file as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

_SOI = b"\xff\xd8\xff"
_SOS = 0xDA
_EXIF_PREFIX = b"Exif\x00\x00"
_XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\x00"
_MPF_PREFIX = b"MPF\x00"
_APP1 = 0xE1
_APP2 = 0xE2
# Start-of-frame markers: every one but DHT (C4), JPG (C8) and DAC (CC).
_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM, the restart markers and SOI.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})


@dataclass(frozen=True)
class JpegHeader:
    """What the markers before a JPEG's first scan say."""

    width: int
    height: int
    # Pillow's "exif" info: every EXIF block, joined as Pillow joins them.
    exif: bytes | None
    # The last XMP packet, without its namespace prefix.
    xmp: bytes | None
    # The offset of the first scan's entropy-coded data.
    scan: int


def read_jpeg_header(data: bytes) -> JpegHeader | None:
    """Return the header of plain JPEG data, or None when Pillow should read it.

    None covers data that is not JPEG, damaged or unusual markers, sizes
    other than 8 bits with 1, 3 or 4 components, a zero or oversized
    frame (which Pillow warns about as a decompression bomb) and
    multi-picture files.
    """
    if data[:3] != _SOI:
        return None
    frame: tuple[int, int] | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    for marker, start, end in _segments(data):
        if marker is None:
            return None
        segment = data[start:end]
        if marker == _SOS:
            if frame is None:
                return None
            return _checked(frame, exif, xmp, end)
        if marker in _FRAMES:
            frame = _frame_size(segment)
            if frame is None:
                return None
        elif marker == _APP1 and segment.startswith(_EXIF_PREFIX):
            exif = segment if exif is None else exif + segment[len(_EXIF_PREFIX) :]
        elif marker == _APP1 and segment.startswith(_XMP_PREFIX):
            xmp = segment[len(_XMP_PREFIX) :]
        elif marker == _APP2 and segment.startswith(_MPF_PREFIX):
            return None
    return None


def first_scan_offset(data: bytes) -> int | None:
    """Return where the first scan's data starts, or None if no scan header is found."""
    for marker, _start, end in _segments(data):
        if marker is None:
            return None
        if marker == _SOS:
            return end
    return None


def _segments(data: bytes) -> Iterator[tuple[int | None, int, int]]:
    """Yield (marker, payload start, payload end) up to and including the first SOS.

    A marker of None means the data is not a well-formed marker sequence,
    and ends the walk.
    """
    offset = 2
    size = len(data)
    while offset + 2 <= size:
        if data[offset] != 0xFF:
            yield None, offset, offset
            return
        marker = data[offset + 1]
        if marker == 0xFF:
            # Fill byte before a marker.
            offset += 1
            continue
        if marker in _STANDALONE:
            offset += 2
            continue
        if marker < 0xC0 or marker == 0xD9 or offset + 4 > size:
            yield None, offset, offset
            return
        length = int.from_bytes(data[offset + 2 : offset + 4], "big")
        end = offset + 2 + length
        if length < 2 or end > size:
            yield None, offset, offset
            return
        yield marker, offset + 4, end
        if marker == _SOS:
            return
        offset = end


def _frame_size(segment: bytes) -> tuple[int, int] | None:
    """Return a start-of-frame's (width, height), or None unless Pillow's
    reading would be the same plain 8-bit image."""
    if len(segment) < 6 or segment[0] != 8 or segment[5] not in (1, 3, 4):
        return None
    height = int.from_bytes(segment[1:3], "big")
    width = int.from_bytes(segment[3:5], "big")
    return width, height


def _checked(
    frame: tuple[int, int], exif: bytes | None, xmp: bytes | None, scan: int
) -> JpegHeader | None:
    width, height = frame
    limit = Image.MAX_IMAGE_PIXELS
    if width == 0 or height == 0 or (limit is not None and width * height > limit):
        return None
    return JpegHeader(width, height, exif, xmp, scan)
