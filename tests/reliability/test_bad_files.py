"""Import and verify survive every kind of bad file, and log what they leave out.

Each odd file is generated with Pillow (or by hand where Pillow refuses to
write it) next to a few real camera photos, so a test also shows that the
rest of the batch is recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
import random
import shutil
import struct
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image as PillowImage

import picpocket.images
from picpocket.database.types import Image

# Pillow reports damaged TIFF and EXIF directories through warnings.warn.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tag data larger than file:UserWarning"),
]

CAMERA_COUNT = 4  # photos in the `jpegs` fixture
SAMPLE_COUNT = 81  # files in the `photos` fixture, without its SOURCE.md

# EXIF field types (TIFF 6.0, section 2).
ASCII, SHORT, LONG, RATIONAL, FLOAT = 2, 3, 4, 5, 11
ARTIST, DATE_TIME, DATE_TIME_ORIGINAL = 0x013B, 0x0132, 0x9003
IMAGE_DESCRIPTION, MAKE, ORIENTATION, X_RESOLUTION = 0x010E, 0x010F, 0x0112, 0x011A
OFFSET_TIME, OFFSET_TIME_ORIGINAL, EXIF_IFD = 0x9010, 0x9011, 0x8769
PRIVATE_TAG = 0xC000  # not a registered tag, so Pillow names it by number


# Builders of odd files ------------------------------------------------------


def jpeg(size=(128, 96), mode="RGB", **options) -> bytes:
    """Return a JPEG of random noise, which compresses badly, so its scan is long."""
    picture = PillowImage.effect_noise(size, 64).convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def noise(length: int) -> bytes:
    """Return the same pseudo-random bytes on every run, so failures repeat."""
    return random.Random(length).randbytes(length)


def png(picture: PillowImage.Image, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", **options)
    return buffer.getvalue()


def noise_png(size=(64, 48)) -> bytes:
    return png(PillowImage.effect_noise(size, 64).convert("RGB"))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header declares width x height over two bytes of pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """Return a small JPEG whose frame header claims width x height."""
    data = bytearray(jpeg((16, 16)))
    frame = data.index(b"\xff\xc0")
    # Marker (2), length (2), precision (1), then height and width.
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def broken_idat_png() -> bytes:
    """Return a noise PNG with bytes in its pixel data changed, so a CRC fails."""
    data = bytearray(noise_png())
    start = data.index(b"IDAT") + 20
    data[start : start + 64] = bytes(range(64))
    return bytes(data)


def random_scan_jpeg() -> bytes:
    """Return a JPEG whose headers are intact and whose scan data is random bytes."""
    data = bytearray(jpeg())
    scan = data.index(b"\xff\xda") + 20
    data[scan:-2] = noise(len(data) - scan - 2)
    return bytes(data)


def gif(picture: PillowImage.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "GIF")
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [PillowImage.new("P", (24, 16), colour) for colour in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0
    )
    return buffer.getvalue()


def animated_png() -> bytes:
    frames = [PillowImage.new("RGB", (20, 30), colour) for colour in ("red", "blue")]
    return png(frames[0], save_all=True, append_images=frames[1:])


def tiff(picture: PillowImage.Image, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "TIFF", **options)
    return buffer.getvalue()


def garbage_ifd_tiff() -> bytes:
    """Return a TIFF header whose first directory claims 500 entries of noise."""
    return b"II*\x00" + struct.pack("<IH", 8, 500) + noise(6000)


def exif_block(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """Return an EXIF block with one little-endian directory of raw entries.

    Each entry is (tag, field type, count, value bytes), so a test can give
    a tag any type, count or value, whatever the standard requires.
    """
    count = len(entries)
    data_offset = 8 + 2 + 12 * count + 4
    directory = bytearray(struct.pack("<H", count))
    values = bytearray()
    for tag, kind, number, value in entries:
        directory += struct.pack("<HHI", tag, kind, number)
        if len(value) <= 4:
            directory += value.ljust(4, b"\x00")
        else:
            directory += struct.pack("<I", data_offset + len(values))
            values += value + b"\x00" * (len(value) % 2)
    directory += struct.pack("<I", 0)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + directory + values


def text_entry(tag: int, text: str) -> tuple[int, int, int, bytes]:
    value = text.encode("ascii") + b"\x00"
    return tag, ASCII, len(value), value


def jpeg_with_exif(*entries: tuple[int, int, int, bytes]) -> bytes:
    return jpeg((8, 8), exif=exif_block(list(entries)))


def first_part(data: bytes, share: float) -> bytes:
    return data[: int(len(data) * share)]


UNREADABLE = "Could not read image data"
BOMB = "DecompressionBombError"


def blank(mode: str, size: tuple[int, int], colour: int | str = 0) -> PillowImage.Image:
    return PillowImage.new(mode, size, colour)


# name -> (file name, builder, (width, height) or None, warning text or None)
BadFile = tuple[str, Callable[[], bytes], "tuple[int, int] | None", "str | None"]
BAD_FILES: dict[str, BadFile] = {
    "empty": ("empty.jpg", lambda: b"", None, UNREADABLE),
    "text_named_jpeg": ("letter.jpg", lambda: b"Dear Ada,\n", None, UNREADABLE),
    "truncated_header": ("header.jpg", lambda: jpeg()[:20], None, UNREADABLE),
    "truncated_jpeg": (
        "cut.jpg",
        lambda: first_part(jpeg(), 0.6),
        (128, 96),
        "looks truncated",
    ),
    "truncated_png": (
        "cut.png",
        lambda: first_part(noise_png(), 0.5),
        (64, 48),
        "looks damaged",
    ),
    "png_named_jpeg": ("really_png.jpg", noise_png, (64, 48), None),
    "jpeg_named_png": ("really_jpeg.png", jpeg, (128, 96), None),
    "jpeg_named_tiff": ("really_jpeg.tif", jpeg, (128, 96), None),
    "broken_png_data": ("crc.png", broken_idat_png, (64, 48), "checksum"),
    "garbage_exif": (
        "exif_noise.jpg",
        lambda: jpeg((8, 8), exif=b"Exif\x00\x00" + noise(300)),
        (8, 8),
        "Could not read EXIF",
    ),
    "garbage_tiff_directory": ("noise.tif", garbage_ifd_tiff, None, UNREADABLE),
    "bomb_png": ("bomb.png", lambda: png_header_only(30_000, 30_000), None, BOMB),
    "bomb_jpeg": ("bomb.jpg", lambda: jpeg_declaring(60_000, 60_000), None, BOMB),
    "zero_size_png": ("zero.png", lambda: png_header_only(0, 0), None, UNREADABLE),
    "one_pixel_png": ("dot.png", lambda: png(blank("RGB", (1, 1))), (1, 1), None),
    "one_pixel_jpeg": ("dot.jpg", lambda: jpeg((1, 1)), (1, 1), None),
    "one_pixel_gif": ("dot.gif", lambda: gif(blank("P", (1, 1))), (1, 1), None),
    "animated_gif": ("moving.gif", animated_gif, (24, 16), None),
    "animated_png": ("moving.png", animated_png, (20, 30), None),
    "png_16_bit_grey": (
        "deep.png",
        lambda: png(blank("I;16", (40, 20), 40_000)),
        (40, 20),
        None,
    ),
    "tiff_16_bit_grey": (
        "deep.tif",
        lambda: tiff(blank("I;16", (40, 20), 40_000)),
        (40, 20),
        None,
    ),
    "cmyk_jpeg": ("print.jpg", lambda: jpeg((50, 40), mode="CMYK"), (50, 40), None),
    "cmyk_tiff": ("print.tif", lambda: tiff(blank("CMYK", (50, 40))), (50, 40), None),
}
WARNED = {name for name, _build, _size, warning in BAD_FILES.values() if warning}


def date_entries(tag: int, date: str, offset: str | None = None) -> list:
    entries = [text_entry(tag, date)]
    if offset is not None:
        entries.append(text_entry(OFFSET_TIME, offset))
    return entries


NOT_A_DATE = "Ignoring EXIF DateTime "
# name -> (entries, stored EXIF, creation date (None: the file's mtime),
#          creator, warning text or None)
ExifCase = tuple[list, "dict | None", "datetime | None", "str | None", "str | None"]
EXIF_CASES: dict[str, ExifCase] = {
    "date_as_number": (
        [(DATE_TIME, LONG, 1, struct.pack("<I", 20210101))],
        {"DateTime": 20210101}, None, None, NOT_A_DATE,
    ),
    "date_february_30": (
        date_entries(DATE_TIME, "2021:02:30 10:00:00"),
        {"DateTime": "2021:02:30 10:00:00"}, None, None, NOT_A_DATE,
    ),
    "date_month_13": (
        date_entries(DATE_TIME, "2021:13:01 10:00:00"),
        {"DateTime": "2021:13:01 10:00:00"}, None, None, NOT_A_DATE,
    ),
    "date_before_year_1_in_utc": (
        date_entries(DATE_TIME, "0001:01:01 00:00:00", "+14:00"),
        {"DateTime": "0001:01:01 00:00:00", "OffsetTime": "+14:00"},
        None, None, NOT_A_DATE,
    ),
    "date_after_year_9999_in_utc": (
        date_entries(DATE_TIME, "9999:12:31 23:59:59", "-14:00"),
        {"DateTime": "9999:12:31 23:59:59", "OffsetTime": "-14:00"},
        None, None, NOT_A_DATE,
    ),
    "date_unknown_zeros": (
        date_entries(DATE_TIME, "0000:00:00 00:00:00"),
        {"DateTime": "0000:00:00 00:00:00"}, None, None, None,
    ),
    "date_unknown_blanks": (
        date_entries(DATE_TIME, "    :  :     :  :  "),
        {"DateTime": "    :  :     :  :"}, None, None, None,
    ),
    "date_falls_back": (
        [text_entry(DATE_TIME_ORIGINAL, "2021:02:30 10:00:00"),
         *date_entries(DATE_TIME, "2020:01:02 03:04:05", "+00:00")],
        {"DateTimeOriginal": "2021:02:30 10:00:00",
         "DateTime": "2020:01:02 03:04:05", "OffsetTime": "+00:00"},
        datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), None, "DateTimeOriginal",
    ),
    "artist_as_number": (
        [(ARTIST, SHORT, 1, struct.pack("<H", 7))], {"Artist": 7}, None, None, None,
    ),
    "orientation_as_text": (
        [text_entry(ORIENTATION, "six")], {"Orientation": "six"}, None, None, None,
    ),
    "zero_denominator": (
        [(X_RESOLUTION, RATIONAL, 1, struct.pack("<II", 72, 0))],
        {"XResolution": None}, None, None, None,
    ),
    "not_a_number": (
        [(X_RESOLUTION, FLOAT, 1, struct.pack("<f", float("nan")))],
        {"XResolution": None}, None, None, None,
    ),
    "pointer_outside_block": (
        [(EXIF_IFD, LONG, 1, struct.pack("<I", 0xFFFFFF))],
        None, None, None, "Could not read EXIF",
    ),
    "unknown_field_type": (
        [(IMAGE_DESCRIPTION, 99, 1, b"abcd")], None, None, None, "Could not read EXIF",
    ),
}


# Helpers ---------------------------------------------------------------------


async def add_folder(api, name: str, folder: Path) -> int:
    return await api.add_location(
        name, folder, source=True, destination=True, removable=False
    )


async def images_by_path(api) -> dict[str, Image]:
    return {image.path.as_posix(): image for image in await api.search_images()}


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """Return the picpocket warnings whose message contains text."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING
        and record.name.startswith("picpocket")
        and text in record.getMessage()
    ]


def file_mtime(path: Path) -> datetime:
    """Return the file's modification time, truncated to the microsecond."""
    microseconds = path.stat().st_mtime_ns // 1000
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=microseconds)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_bad_files(folder: Path) -> dict[str, bytes]:
    """Write every BAD_FILES entry into folder and return their bytes by name."""
    folder.mkdir(exist_ok=True)
    written = {}
    for name, build, _size, _warning in BAD_FILES.values():
        written[name] = build()
        (folder / name).write_bytes(written[name])
    return written


def touch_later(path: Path, seconds: int = 60) -> None:
    status = path.stat()
    later = status.st_mtime_ns + seconds * 1_000_000_000
    os.utime(path, ns=(status.st_atime_ns, later))


# Import -----------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(BAD_FILES))
async def test_import_bad_file(api, jpegs, caplog, case):
    name, build, size, warning = BAD_FILES[case]
    data = build()
    (jpegs / name).write_bytes(data)
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    image = (await images_by_path(api))[name]
    messages = warnings_about(caplog, name)
    assert len(ids) == CAMERA_COUNT + 1
    assert image.hash == sha256(data)
    assert (image.width, image.height) == (size or (None, None))
    assert image.last_modified == file_mtime(jpegs / name)
    assert image.creation_date == file_mtime(jpegs / name)
    if warning is None:
        assert messages == []
    else:
        assert len(messages) == 1
        assert warning in messages[0]


@pytest.mark.parametrize("case", sorted(EXIF_CASES))
async def test_import_odd_exif(api, jpegs, caplog, case):
    entries, stored, creation, creator, warning = EXIF_CASES[case]
    path = jpegs / "odd.jpg"
    path.write_bytes(jpeg_with_exif(*entries))
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    image = (await images_by_path(api))["odd.jpg"]
    messages = warnings_about(caplog, "odd.jpg")
    assert len(ids) == CAMERA_COUNT + 1
    assert (image.width, image.height) == (8, 8)
    assert image.exif == stored
    assert image.creation_date == (creation or file_mtime(path))
    assert image.creator == creator
    if warning is None:
        assert messages == []
    else:
        assert len(messages) == 1
        assert warning in messages[0]


async def test_import_huge_exif_values(api, jpegs, caplog):
    block = exif_block([
        text_entry(IMAGE_DESCRIPTION, "x" * 200_000),
        (PRIVATE_TAG, SHORT, 10_000, b"\x01\x00" * 10_000),
        text_entry(MAKE, "Canon"),
    ])
    (jpegs / "huge.png").write_bytes(png(PillowImage.new("RGB", (9, 9)), exif=block))
    await add_folder(api, "main", jpegs)

    await api.import_location("main")

    image = (await images_by_path(api))["huge.png"]
    messages = warnings_about(caplog, "huge.png")
    assert image.exif == {"Make": "Canon"}
    assert (image.width, image.height) == (9, 9)
    assert len(messages) == 1
    assert "ImageDescription" in messages[0]
    assert str(PRIVATE_TAG) in messages[0]


async def test_import_exif_block_full_of_tags(api, jpegs, caplog):
    # 5,000 entries fill most of the 64 KiB a JPEG segment can hold.
    entries = [(PRIVATE_TAG + n, SHORT, 1, struct.pack("<H", n)) for n in range(5000)]
    (jpegs / "crowded.jpg").write_bytes(jpeg_with_exif(*entries))
    await add_folder(api, "main", jpegs)

    await api.import_location("main")

    image = (await images_by_path(api))["crowded.jpg"]
    assert len(image.exif) == 5000
    assert image.exif[str(PRIVATE_TAG + 4999)] == 4999
    assert warnings_about(caplog, "crowded.jpg") == []


async def test_import_garbage_pixels_recorded(api, jpegs):
    # Import reads headers and never decodes pixels, so random scan data in an
    # intact JPEG is recorded from its header without a warning being possible.
    data = random_scan_jpeg()
    (jpegs / "noise.jpg").write_bytes(data)
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    image = (await images_by_path(api))["noise.jpg"]
    assert len(ids) == CAMERA_COUNT + 1
    assert image.hash == sha256(data)
    assert (image.width, image.height) == (128, 96)


async def test_import_bad_files_with_samples(api, photos, caplog):
    written = write_bad_files(photos / "bad")
    await add_folder(api, "main", photos)
    totals = []

    ids = await api.import_location(
        "main", batch_size=5, progress=lambda done, total: totals.append((done, total))
    )

    images = await images_by_path(api)
    expected = SAMPLE_COUNT + len(written)
    assert len(ids) == expected
    assert await api.count_images() == expected
    assert totals[-1] == (expected, expected)
    for name, data in written.items():
        assert images[f"bad/{name}"].hash == sha256(data), name
    for name in WARNED:
        assert warnings_about(caplog, name), name
    assert await api.import_location("main") == []


async def test_import_large_file_streamed(api, jpegs, monkeypatch):
    # Files over the limit are hashed in chunks and parsed from disk.
    monkeypatch.setattr(picpocket.images, "IN_MEMORY_LIMIT", 1024)
    await add_folder(api, "main", jpegs)

    await api.import_location("main")

    for name, image in (await images_by_path(api)).items():
        with PillowImage.open(jpegs / name) as picture:
            size = picture.size
        assert image.hash == sha256((jpegs / name).read_bytes()), name
        assert (image.width, image.height) == size, name
        assert image.exif, name


async def test_import_fifo_skipped(api, jpegs, caplog):
    os.mkfifo(jpegs / "pipe.jpg")
    await add_folder(api, "main", jpegs)

    ids = await asyncio.wait_for(api.import_location("main"), timeout=60)

    messages = warnings_about(caplog, "pipe.jpg")
    assert len(ids) == CAMERA_COUNT
    assert len(messages) == 1
    assert "not a regular file" in messages[0]


# Verify -----------------------------------------------------------------------


async def test_verify_bad_files_changed(api, jpegs, caplog):
    written = write_bad_files(jpegs / "bad")
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    caplog.clear()
    for name in written:
        touch_later(jpegs / "bad" / name)

    missing = await api.verify_image_files()

    images = await images_by_path(api)
    assert missing == []
    for name, data in written.items():
        image = images[f"bad/{name}"]
        assert image.hash == sha256(data), name
        assert image.last_modified == file_mtime(jpegs / "bad" / name), name
    for name in WARNED:
        assert warnings_about(caplog, name), name


async def test_verify_bad_files_reparsed(api, jpegs, caplog):
    write_bad_files(jpegs / "bad")
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    caplog.clear()

    missing = await api.verify_image_files(reparse_exif=True, batch_size=3)

    assert missing == []
    assert await api.count_images() == CAMERA_COUNT + len(BAD_FILES)
    for name in WARNED:
        assert warnings_about(caplog, name), name


async def test_verify_file_damaged_later(api, jpegs, caplog):
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    path = jpegs / "Canon_40D.jpg"
    path.write_bytes(b"\x00" * 100)
    touch_later(path)

    missing = await api.verify_image_files()

    image = (await images_by_path(api))["Canon_40D.jpg"]
    assert missing == []
    assert image.hash == sha256(b"\x00" * 100)
    assert (image.width, image.height, image.exif) == (None, None, None)
    assert len(warnings_about(caplog, "Canon_40D.jpg")) == 1


async def test_verify_fifo_does_not_block(api, jpegs):
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    path = jpegs / "Canon_40D.jpg"
    path.unlink()
    os.mkfifo(path)
    touch_later(path)

    missing = await asyncio.wait_for(api.verify_image_files(), timeout=60)

    assert [image.path.as_posix() for image in missing] == ["Canon_40D.jpg"]


async def test_verify_samples_reparsed(api, photos, caplog):
    await add_folder(api, "main", photos)
    await api.import_location("main")
    before = await images_by_path(api)
    for relative in before:
        shutil.copystat(photos / relative, photos / relative)

    missing = await api.verify_image_files(reparse_exif=True)

    after = await images_by_path(api)
    assert missing == []
    assert {path: image.hash for path, image in after.items()} == {
        path: image.hash for path, image in before.items()
    }
