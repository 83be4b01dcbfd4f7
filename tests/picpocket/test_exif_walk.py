"""The EXIF walk reads what Pillow reads, or leaves the block to Pillow.

walk_exif may raise UsePillow for any block. When it does not, its main,
Exif and GPS directories must contain Pillow's values (rationals divided),
and Pillow must have read the block without a warning, since the walk
issues none.
"""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, TiffImagePlugin
from PIL import Image as PillowImage

from picpocket.exif_walk import EXIF_IFD, GPS_IFD, UsePillow, walk_exif

REPEATABLE = settings(database=None, derandomize=True, deadline=None)
EXIF_PREFIX = b"Exif\x00\x00"
SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4,
         12: 8, 13: 4, 16: 8}
# Tags with a fixed length of one, with enumerated values, or read as text.
MAIN_TAGS = [259, 262, 270, 271, 274, 282, 296, 305, 306, 315, 0x8298]
EXIF_TAGS = [0x829A, 0x829D, 0x8827, 0x9003, 0x9010, 0x9201, 0x9286, 0xA005,
             0x9000, 0xA420]
GPS_TAGS = [0, 1, 2, 3, 4, 5, 6, 29]


@dataclass
class Entry:
    tag: int
    kind: int
    count: int
    payload: bytes
    # An out-of-line value's offset, instead of where the builder puts it.
    offset: int | None = None


def directory(order: str, entries: list[Entry], start: int, tail: bool) -> bytes:
    """Return a directory placed at `start`, followed by its out-of-line values."""
    table = struct.pack(order + "H", len(entries))
    values = b""
    values_start = start + 2 + 12 * len(entries) + (4 if tail else 0)
    for entry in entries:
        size = SIZES.get(entry.kind, 1) * entry.count
        data = (entry.payload * (size // max(len(entry.payload), 1) + 1))[:size]
        data = data.ljust(size, b"\x00")
        if size <= 4:
            field = data.ljust(4, b"\x00")
        else:
            if entry.offset is None:
                field = struct.pack(order + "L", values_start + len(values))
                values += data
            else:
                field = struct.pack(order + "L", entry.offset)
        table += struct.pack(order + "HHL", entry.tag, entry.kind, entry.count) + field
    if tail:
        table += struct.pack(order + "L", 0)
    return table + values


def tiff_block(
    order: str,
    main: list[Entry],
    exif: list[Entry] | None = None,
    gps: list[Entry] | None = None,
    tail: bool = True,
) -> bytes:
    """Return an EXIF block (without its prefix) with main, Exif and GPS directories.

    Each sub-directory gets a LONG pointer in the main directory.
    """
    pointers = {EXIF_IFD: exif, GPS_IFD: gps}
    pointer_entries = [Entry(tag, 4, 1, b"") for tag, sub in pointers.items() if sub]
    main = main + pointer_entries
    # Pointer values do not change the main directory's length.
    start = 8 + len(directory(order, main, 8, tail))
    subs = b""
    for entry in pointer_entries:
        entry.payload = struct.pack(order + "L", start + len(subs))
        subs += directory(order, pointers[entry.tag], start + len(subs), tail)
    body = directory(order, main, 8, tail) + subs
    magic = b"II*\x00" if order == "<" else b"MM\x00*"
    return magic + struct.pack(order + "L", 8) + body


def normalized(value: Any) -> Any:
    """Return a directory value as the walk gives it: rationals divided, NaN named."""
    if isinstance(value, TiffImagePlugin.IFDRational):
        return None if value.denominator == 0 else normalized(float(value))
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, tuple):
        return tuple(normalized(item) for item in value)
    return value


def directories(exif: Any) -> dict[str, dict[int, Any]]:
    tables = {
        "main": dict(exif),
        "Exif": exif.get_ifd(EXIF_IFD),
        "GPS": exif.get_ifd(GPS_IFD),
    }
    return {
        name: {int(tag): normalized(value) for tag, value in table.items()}
        for name, table in tables.items()
    }


def pillow_reading(block: bytes) -> tuple[Any, list[str]]:
    """Return Pillow's directories (or its error), and the warnings it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exif = PillowImage.Exif()
            exif.load(block)
            outcome: Any = directories(exif)
        except Exception as error:
            outcome = f"{type(error).__name__}: {error}"
    return outcome, [str(warning.message) for warning in caught]


def assert_agrees(block: bytes) -> bool:
    """Assert that the walk reads the block as Pillow does, unless it declines.

    Returns whether the walk read it.
    """
    try:
        walked = walk_exif(block)
    except UsePillow:
        return False
    pillow, issued = pillow_reading(block)
    assert issued == [], "the walk read a block that Pillow warns about"
    assert directories(walked) == pillow
    return True


def camera_block(order: str = "<") -> bytes:
    return tiff_block(
        order,
        [
            Entry(271, 2, 6, b"Canon\x00"),
            Entry(274, 3, 1, struct.pack(order + "H", 6)),
            Entry(282, 5, 1, struct.pack(order + "LL", 72, 1)),
            Entry(296, 3, 1, struct.pack(order + "H", 2)),
        ],
        exif=[
            Entry(0x829A, 5, 1, struct.pack(order + "LL", 1, 250)),
            Entry(0x9003, 2, 20, b"2021:06:01 12:30:00\x00"),
            Entry(0x9201, 10, 1, struct.pack(order + "ll", -3, 2)),
            Entry(0x9286, 7, 12, b"ASCII\x00\x00\x00dawn"),
        ],
        gps=[
            Entry(1, 2, 2, b"N\x00"),
            Entry(2, 5, 3, struct.pack(order + "6L", 52, 1, 30, 1, 0, 0)),
        ],
    )


# Blocks the walk reads ---------------------------------------------------------------


@pytest.mark.parametrize("order", ["<", ">"])
def test_walk_camera_block_read(order):
    block = camera_block(order)

    assert assert_agrees(block)
    assert assert_agrees(EXIF_PREFIX + block)


def test_walk_camera_block_values():
    exif = walk_exif(EXIF_PREFIX + camera_block())

    assert exif.endian == "<"
    assert exif[271] == "Canon"
    assert exif[274] == 6
    assert exif[282] == 72.0
    assert exif.get_ifd(EXIF_IFD)[0x829A] == 1 / 250
    assert exif.get_ifd(EXIF_IFD)[0x9201] == -1.5
    assert exif.get_ifd(GPS_IFD)[2] == (52.0, 30.0, None)


def test_walk_pillow_written_block():
    exif = PillowImage.Exif()
    exif[ExifTags.Base.Artist] = "Ada"
    exif[ExifTags.Base.Orientation] = 3
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2020:01:01 00:00:00"

    assert assert_agrees(exif.tobytes())


@pytest.mark.parametrize(
    ("case", "entries"),
    [
        ("unknown type skipped", [Entry(271, 14, 1, b"x"), Entry(272, 2, 2, b"A\x00")]),
        ("no values skipped", [Entry(271, 2, 0, b""), Entry(272, 2, 2, b"A\x00")]),
        ("first of two kept", [Entry(271, 2, 2, b"A\x00"), Entry(271, 2, 2, b"B\x00")]),
        ("skipped then kept", [Entry(271, 2, 0, b""), Entry(271, 2, 2, b"B\x00")]),
        ("enumerated text", [Entry(296, 2, 5, b"inch\x00")]),
        ("two NULs", [Entry(271, 2, 3, b"A\x00\x00")]),
        ("Latin-1 text", [Entry(271, 2, 3, "é\x00".encode("latin-1"))]),
        ("signed bytes", [Entry(0x9999, 6, 3, b"\xff\x01\x80")]),
        ("doubles", [Entry(0x9999, 12, 2, struct.pack("<2d", 1.5, math.inf))]),
        ("float NaN", [Entry(0x9999, 11, 1, struct.pack("<f", math.nan))]),
        ("zero denominator", [Entry(282, 5, 1, struct.pack("<LL", 7, 0))]),
        ("long8 values", [Entry(0x9999, 16, 2, struct.pack("<2Q", 1, 2**63))]),
    ],
)
def test_walk_entry_rules_agree(case, entries):
    assert assert_agrees(tiff_block("<", entries))


def test_walk_empty_block():
    exif = walk_exif(EXIF_PREFIX)

    assert dict(exif) == {}
    assert exif.endian is None
    assert exif.get_ifd(EXIF_IFD) == {}


# Blocks the walk leaves to Pillow ------------------------------------------------------


def length_one_tag_twice() -> bytes:
    return tiff_block("<", [Entry(274, 3, 2, struct.pack("<2H", 1, 2))])


def pointer_as_text() -> bytes:
    return tiff_block("<", [Entry(EXIF_IFD, 2, 4, b"abc\x00")])


def values_past_end() -> bytes:
    return tiff_block("<", [Entry(271, 2, 40, b"A", offset=5000)])


def values_overlapping() -> bytes:
    # Each value fits, but together they are longer than the block.
    return tiff_block("<", [Entry(tag, 7, 30, b"x", offset=8) for tag in (1, 2, 3)])


DECLINED = {
    "wrong magic": lambda: b"MM\x2a\x00" + bytes(12),
    "big TIFF": lambda: b"II\x2b\x00" + bytes(12),
    "header cut": lambda: b"II*\x00\x08",
    "directory outside": lambda: b"II*\x00" + struct.pack("<L", 900),
    "entries cut": lambda: camera_block()[:20],
    "no next pointer": lambda: tiff_block("<", [Entry(271, 2, 2, b"A\x00")], tail=False),
    "values past end": values_past_end,
    "values larger than block": values_overlapping,
    "length one tag twice": length_one_tag_twice,
    "pointer as text": pointer_as_text,
    "negative pointer": lambda: tiff_block(
        "<", [Entry(EXIF_IFD, 8, 1, struct.pack("<h", -18))]
    ),
}


@pytest.mark.parametrize("case", sorted(DECLINED))
def test_walk_unusual_declined(case):
    with pytest.raises(UsePillow):
        walk_exif(DECLINED[case]())


# Generated blocks -----------------------------------------------------------------------


def entries(tags: list[int]) -> st.SearchStrategy[list[Entry]]:
    entry = st.builds(
        Entry,
        tag=st.sampled_from(tags) | st.integers(0, 65_535),
        kind=st.sampled_from(sorted(SIZES)) | st.integers(0, 20),
        count=st.integers(0, 6),
        payload=st.sampled_from([b"inch\x00", b"RGB\x00", b"\x00\x00\x00\x01"])
        | st.binary(max_size=48),
        # Mostly placed by the builder, sometimes anywhere.
        offset=st.one_of(st.none(), st.none(), st.none(), st.integers(0, 2**32 - 1)),
    )
    return st.lists(entry, max_size=8)


@settings(REPEATABLE, max_examples=600)
@given(
    order=st.sampled_from(["<", ">"]),
    main=entries(MAIN_TAGS),
    exif=st.none() | entries(EXIF_TAGS),
    gps=st.none() | entries(GPS_TAGS),
    tail=st.sampled_from([True, True, True, False]),
    cut=st.one_of(st.none(), st.none(), st.none(), st.integers(0, 400)),
)
def test_walk_generated_agrees(order, main, exif, gps, tail, cut):
    block = tiff_block(order, main, exif, gps, tail)
    if cut is not None:
        block = block[:cut]
    assert_agrees(block)


# Reader processes ----------------------------------------------------------------------


def test_reader_boot_skips_pillow_image():
    # Reader processes start faster without Pillow's image module, which they
    # load only for a file other than a plain JPEG.
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import picpocket.database.reader_worker; "
            "print('PIL.Image' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"
