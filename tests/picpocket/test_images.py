"""Tests for picpocket.images on real camera files and hand-built broken ones."""

import hashlib
import io
import json
import logging
import os
import shutil
import struct
import tempfile
import types
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from picpocket import exif, images
from picpocket.errors import InputValidationError
from picpocket.images import (
    DEFAULT_FORMATS,
    ImageFacts,
    has_format,
    hash_image,
    normalize_formats,
    read_image_facts,
)

PHOTOS = Path("/work/shared/photos")
SAMPLES = sorted(
    path for path in PHOTOS.rglob("*") if path.is_file() and path.suffix != ".md"
)
INVALID_SAMPLES = sorted((PHOTOS / "jpg" / "invalid").glob("*.jpg"))
EXIF_IFD = 0x8769


def copy_sample(tmp_path: Path, relative: str) -> Path:
    """Copy one sample photo into tmp_path and return the copy's path."""
    source = PHOTOS / relative
    target = tmp_path / source.name
    shutil.copyfile(source, target)
    return target


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name in ("picpocket.images", "picpocket.exif", "picpocket.pillow_facts")
        and record.levelno == logging.WARNING
    ]


def local_time(text: str) -> datetime:
    """Parse an EXIF date the way the module does when no offset tag exists."""
    return datetime.strptime(text, "%Y:%m:%d %H:%M:%S").astimezone()


def write_jpeg(path: Path, exif: Image.Exif | None = None) -> Path:
    Image.new("RGB", (40, 30), "navy").save(path, "JPEG", exif=exif or Image.Exif())
    return path


def write_jpeg_with_app1(path: Path, payload: bytes) -> Path:
    """Write a small JPEG with `payload` as its first APP1 segment."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(buffer, "JPEG")
    data = buffer.getvalue()
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    path.write_bytes(data[:2] + segment + data[2:])
    return path


def little_endian_tiff(entries: list[tuple[int, int, int, bytes]], tail=b"") -> bytes:
    """Build a TIFF header and one IFD of (tag, type, count, 4-byte value) entries."""
    ifd = struct.pack("<H", len(entries))
    for tag, field_type, count, value in entries:
        ifd += struct.pack("<HHI", tag, field_type, count) + value
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + tail


def png_bytes(width: int, height: int) -> bytes:
    """Build a valid 1-bit grayscale PNG header declaring the given size."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


# hash_image


def test_hash_image_matches_hashlib(tmp_path):
    path = copy_sample(tmp_path, "jpg/Canon_40D.jpg")

    assert hash_image(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_hash_image_changes_with_one_byte(tmp_path):
    path = copy_sample(tmp_path, "jpg/Canon_40D.jpg")
    before = hash_image(path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))

    assert hash_image(path) != before


def test_hash_image_large_file(tmp_path):
    path = tmp_path / "large.jpg"
    data = os.urandom(3 * 1024 * 1024 + 17)
    path.write_bytes(data)

    assert hash_image(path) == hashlib.sha256(data).hexdigest()


def test_hash_image_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        hash_image(tmp_path / "missing.jpg")


@pytest.mark.parametrize(
    "expected",
    [0, 1, 999, 1000, 1001, 5000],
    ids=["said empty", "said 1", "said 1 less", "said the size", "said 1 more", "said 5000"],
)
def test_read_all_ignores_stale_size(tmp_path, expected):
    # The size from fstat is stale when a camera or a sync program is still
    # writing the file. Every byte there at the read must be hashed.
    path = tmp_path / "growing.jpg"
    data = os.urandom(1000)
    path.write_bytes(data)
    descriptor = os.open(path, os.O_RDONLY)
    try:
        assert images._read_all(descriptor, expected) == data
    finally:
        os.close(descriptor)


def test_read_all_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    descriptor = os.open(path, os.O_RDONLY)
    try:
        assert images._read_all(descriptor, 0) == b""
    finally:
        os.close(descriptor)


def test_facts_file_over_read_chunk(tmp_path):
    path = tmp_path / "big.jpg"
    data = os.urandom(3 * images._CHUNK_SIZE + 5)
    path.write_bytes(data)

    facts = read_image_facts(path)

    assert facts.size == len(data)
    assert facts.hash == hashlib.sha256(data).hexdigest()


# read_image_facts on camera files


def test_facts_hash_and_size(tmp_path):
    path = copy_sample(tmp_path, "jpg/Canon_40D.jpg")

    facts = read_image_facts(path)

    assert facts.hash == hash_image(path)
    assert facts.size == path.stat().st_size


def test_facts_camera_jpeg(tmp_path, caplog):
    path = copy_sample(tmp_path, "jpg/Canon_40D.jpg")
    with Image.open(path) as image:
        expected_size = image.size

    facts = read_image_facts(path)

    assert (facts.width, facts.height) == expected_size
    assert facts.exif["Make"] == "Canon"
    assert facts.exif["Model"] == "Canon EOS 40D"
    assert facts.creation_date == local_time("2008:05:30 15:56:01")
    assert facts.creator is None
    assert warnings_logged(caplog) == []


def test_facts_last_modified_is_utc_mtime(tmp_path):
    path = copy_sample(tmp_path, "jpg/Canon_40D.jpg")
    os.utime(path, (1_600_000_000.25, 1_600_000_000.25))

    facts = read_image_facts(path)

    assert facts.last_modified == datetime.fromtimestamp(1_600_000_000.25, timezone.utc)
    assert facts.last_modified.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (300_000_000_000, images.LATEST_TIME),
        (-300_000_000_000, images.EARLIEST_TIME),
        (253_402_214_400, images.LATEST_TIME),  # 9999-12-31, a day too late
        (1_600_000_000, datetime.fromtimestamp(1_600_000_000, timezone.utc)),
    ],
    ids=["year 11476", "year -7537", "last day", "2020"],
)
def test_mtime_outside_years_clamped(seconds, expected, caplog):
    status = types.SimpleNamespace(st_mtime_ns=seconds * 1_000_000_000)

    moment = images.modification_time_of(status, "odd.jpg")

    assert moment == expected
    warned = [r for r in caplog.records if "odd.jpg" in r.getMessage()]
    assert len(warned) == (0 if seconds == 1_600_000_000 else 1)


def test_facts_file_with_far_mtime(tmp_path, caplog):
    # tmpfs keeps 64-bit times, where ext4 caps them at the year 2446.
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm to hold a time past the year 9999")
    with tempfile.TemporaryDirectory(dir=shm) as folder:
        path = copy_sample(Path(folder), "jpg/Canon_40D.jpg")
        os.utime(path, (0, 300_000_000_000))
        if os.stat(path).st_mtime < 253_402_300_800:
            pytest.skip("this /dev/shm caps file times")
        descriptors = len(os.listdir("/proc/self/fd"))

        facts = read_image_facts(path)

        assert len(os.listdir("/proc/self/fd")) == descriptors
    assert facts.last_modified == images.LATEST_TIME
    assert facts.hash is not None
    assert len([r for r in caplog.records if "Canon_40D.jpg" in r.getMessage()]) == 1


def tiff_claiming(width: int, height: int) -> bytes:
    """Return an uncompressed 8-bit grey TIFF whose header claims this size."""
    entries = [
        (256, 4, width),  # ImageWidth, LONG
        (257, 4, height),  # ImageLength
        (258, 3, 8),  # BitsPerSample, SHORT
        (259, 3, 1),  # Compression: none
        (262, 3, 1),  # PhotometricInterpretation: black is zero
        (273, 4, 8 + 2 + 12 * 8 + 4),  # StripOffsets: right after the IFD
        (278, 4, 1),  # RowsPerStrip
        (279, 4, 4),  # StripByteCounts
    ]
    directory = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHLL", tag, kind, 1, value) for tag, kind, value in entries
    )
    return b"II*\x00" + struct.pack("<L", 8) + directory + b"\x00" * 4 + b"\x00" * 4


def test_facts_size_over_integer_column(tmp_path, monkeypatch, caplog):
    # A program that lifts Pillow's pixel limit can meet a header that
    # claims more than PostgreSQL's INTEGER columns hold.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    path = tmp_path / "scan.tif"
    path.write_bytes(tiff_claiming(images.MAX_DIMENSION + 6, 1))

    facts = read_image_facts(path)

    assert (facts.width, facts.height) == (None, None)
    assert facts.hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [r for r in caplog.records if "scan.tif" in r.getMessage()]


def test_facts_size_at_integer_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    path = tmp_path / "scan.tif"
    path.write_bytes(tiff_claiming(images.MAX_DIMENSION, 1))

    facts = read_image_facts(path)

    assert (facts.width, facts.height) == (images.MAX_DIMENSION, 1)


def test_facts_exif_values_converted(tmp_path):
    facts = read_image_facts(copy_sample(tmp_path, "jpg/Canon_40D.jpg"))

    assert facts.exif["FNumber"] == pytest.approx(7.1)
    assert facts.exif["ExifVersion"] == "0221"
    assert facts.exif["ComponentsConfiguration"] == "01020300"
    assert "ExifOffset" not in facts.exif


def test_facts_drops_makernote(tmp_path):
    facts = read_image_facts(copy_sample(tmp_path, "jpg/Canon_DIGITAL_IXUS_400.jpg"))

    assert "MakerNote" not in facts.exif
    assert facts.exif["Make"] == "Canon"


def test_facts_gps_info(tmp_path):
    facts = read_image_facts(copy_sample(tmp_path, "jpg/gps/DSCN0010.jpg"))
    gps = facts.exif["GPSInfo"]

    assert isinstance(gps["GPSLatitude"], list)
    assert len(gps["GPSLatitude"]) == 3
    assert all(isinstance(part, float) for part in gps["GPSLatitude"])
    assert gps["GPSLatitudeRef"] in ("N", "S")


def test_facts_user_comment_ascii(tmp_path):
    path = copy_sample(tmp_path, "jpg/PaintTool_sample.jpg")
    with Image.open(path) as image:
        raw = image.getexif().get_ifd(EXIF_IFD)[0x9286]

    facts = read_image_facts(path)

    assert facts.exif["UserComment"] == raw[8:].rstrip(b"\x00 ").decode("ascii")


def test_facts_user_comment_unicode(tmp_path):
    exif = Image.Exif()
    # Pillow writes a fresh Exif block big-endian, so the text is UTF-16-BE.
    exif[EXIF_IFD] = {0x9286: b"UNICODE\x00" + "Grüße".encode("utf-16-be")}
    path = write_jpeg(tmp_path / "comment.jpg", exif)

    facts = read_image_facts(path)

    assert facts.exif["UserComment"] == "Grüße"


def test_facts_keep_stored_orientation(tmp_path):
    path = copy_sample(tmp_path, "jpg/orientation/portrait_6.jpg")
    with Image.open(path) as image:
        expected_size = image.size

    facts = read_image_facts(path)

    assert (facts.width, facts.height) == expected_size
    assert facts.exif["Orientation"] == 6


def test_facts_creator_from_artist(tmp_path):
    facts = read_image_facts(copy_sample(tmp_path, "jpg/long_description.jpg"))

    assert facts.creator == "SSG KYLE DAVIS"


def test_facts_creator_from_tiff_artist(tmp_path):
    facts = read_image_facts(copy_sample(tmp_path, "tiff/DudleyLeavittUtah.tiff"))

    assert facts.creator == "Russell Leavitt"


def test_facts_creator_empty_artist(tmp_path):
    facts = read_image_facts(copy_sample(tmp_path, "jpg/Olympus_C8080WZ.jpg"))

    assert facts.exif["Artist"] == ""
    assert facts.creator is None


def test_facts_creator_written_artist(tmp_path):
    exif = Image.Exif()
    exif[0x013B] = "  Ada Lovelace  "
    path = write_jpeg(tmp_path / "artist.jpg", exif)

    facts = read_image_facts(path)

    assert facts.creator == "Ada Lovelace"


def test_facts_creator_utf8_artist(tmp_path):
    exif = Image.Exif()
    exif[0x013B] = "Zoë Ünal".encode()
    path = write_jpeg(tmp_path / "artist.jpg", exif)

    facts = read_image_facts(path)

    assert facts.creator == "Zoë Ünal"


# creation_date sources


def test_date_falls_back_to_datetime(tmp_path):
    path = copy_sample(tmp_path, "jpg/Canon_40D_photoshop_import.jpg")

    facts = read_image_facts(path)

    assert facts.creation_date == local_time("2008:07:31 10:05:49")


def test_date_skips_malformed_original(tmp_path):
    exif = Image.Exif()
    exif[0x0132] = "2012:12:12 12:12:12"
    exif[EXIF_IFD] = {0x9003: "0000:00:00 00:00:00", 0x9004: "2010:01:02 03:04:05"}
    path = write_jpeg(tmp_path / "dates.jpg", exif)

    facts = read_image_facts(path)

    assert facts.creation_date == local_time("2010:01:02 03:04:05")


def test_date_skips_blank_values(tmp_path):
    exif = Image.Exif()
    exif[0x0132] = "2012:12:12 12:12:12"
    exif[EXIF_IFD] = {0x9003: "    :  :     :  :  ", 0x9004: ""}
    path = write_jpeg(tmp_path / "dates.jpg", exif)

    facts = read_image_facts(path)

    assert facts.creation_date == local_time("2012:12:12 12:12:12")


def test_date_uses_offset_time_original(tmp_path):
    exif = Image.Exif()
    exif[EXIF_IFD] = {0x9003: "2019:06:01 08:30:00", 0x9011: "+02:00"}
    path = write_jpeg(tmp_path / "offset.jpg", exif)

    facts = read_image_facts(path)

    expected = datetime(2019, 6, 1, 8, 30, tzinfo=timezone(timedelta(hours=2)))
    assert facts.creation_date == expected
    assert facts.creation_date.utcoffset() == timedelta(hours=2)


def test_date_offset_belongs_to_its_date(tmp_path):
    exif = Image.Exif()
    # OffsetTimeOriginal must not be applied to DateTimeDigitized.
    exif[EXIF_IFD] = {0x9004: "2019:06:01 08:30:00", 0x9011: "+02:00"}
    path = write_jpeg(tmp_path / "offset.jpg", exif)

    facts = read_image_facts(path)

    assert facts.creation_date == local_time("2019:06:01 08:30:00")


def test_date_heic_offset(tmp_path):
    facts = read_image_facts(copy_sample(tmp_path, "heic/IMG_5195.HEIC"))

    expected = datetime(2021, 4, 11, 15, 47, 53, tzinfo=timezone(-timedelta(hours=5)))
    assert facts.creation_date == expected
    assert facts.creation_date.utcoffset() == -timedelta(hours=5)


def test_date_falls_back_to_mtime(tmp_path):
    path = copy_sample(tmp_path, "jpg/orientation/landscape_1.jpg")
    os.utime(path, (1_234_567_890, 1_234_567_890))

    facts = read_image_facts(path)

    assert facts.creation_date == datetime.fromtimestamp(1_234_567_890, timezone.utc)
    assert facts.creation_date.tzinfo is not None


# HEIC and every sample


def test_facts_heic_dimensions(tmp_path):
    path = copy_sample(tmp_path, "heic/IMG_5195.HEIC")
    with Image.open(path) as image:
        expected_size = image.size

    facts = read_image_facts(path)

    assert (facts.width, facts.height) == expected_size
    assert facts.width > 0
    assert facts.exif["Make"] == "Apple"


@pytest.mark.parametrize(
    "sample", SAMPLES, ids=[str(path.relative_to(PHOTOS)) for path in SAMPLES]
)
def test_facts_every_sample(tmp_path, sample):
    path = tmp_path / sample.name
    shutil.copyfile(sample, path)

    facts = read_image_facts(path)
    encoded = json.dumps(facts.exif, ensure_ascii=False, allow_nan=False)

    assert encoded.encode("utf-8")
    assert facts.hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert facts.width is not None
    assert facts.creation_date.tzinfo is not None


def test_samples_found():
    assert len(SAMPLES) > 50


@pytest.mark.parametrize(
    "relative", ["jpg/corrupted.jpg", "jpg/invalid/image00971.jpg"]
)
def test_facts_damaged_samples_keep_header(tmp_path, relative):
    # These files break other EXIF readers, but their headers and EXIF blocks are
    # valid for Pillow, and their damage lies in data this module never decodes.
    path = copy_sample(tmp_path, relative)
    with Image.open(path) as image:
        expected_size = image.size

    facts = read_image_facts(path)

    assert facts.hash == hash_image(path)
    assert (facts.width, facts.height) == expected_size


def test_invalid_samples_present():
    assert len(INVALID_SAMPLES) >= 5


# Unreadable content


def test_unreadable_empty_file(tmp_path, caplog):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")

    facts = read_image_facts(path)

    assert facts.hash == hashlib.sha256(b"").hexdigest()
    assert facts.width is None
    assert facts.height is None
    assert facts.exif is None
    assert facts.size == 0
    assert len(warnings_logged(caplog)) == 1
    assert str(path) in warnings_logged(caplog)[0].getMessage()


def test_unreadable_text_named_jpg(tmp_path, caplog):
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: eggs, milk\n")

    facts = read_image_facts(path)

    assert facts.hash == hash_image(path)
    assert facts.width is None
    assert facts.creation_date == facts.last_modified
    assert facts.creator is None
    assert len(warnings_logged(caplog)) == 1
    assert str(path) in warnings_logged(caplog)[0].getMessage()


def test_unreadable_truncated_header(tmp_path, caplog):
    source = PHOTOS / "jpg" / "Canon_40D.jpg"
    path = tmp_path / "truncated.jpg"
    path.write_bytes(source.read_bytes()[:1000])

    facts = read_image_facts(path)

    assert facts.hash == hash_image(path)
    assert facts.width is None
    assert len(warnings_logged(caplog)) == 1


def test_unreadable_decompression_bomb(tmp_path, caplog):
    # 20000 x 20000 is more than twice Pillow's default MAX_IMAGE_PIXELS.
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bytes(20_000, 20_000))

    facts = read_image_facts(path)

    assert facts.hash == hash_image(path)
    assert facts.width is None
    assert facts.height is None
    assert len(warnings_logged(caplog)) == 1
    assert "DecompressionBombError" in warnings_logged(caplog)[0].getMessage()


def test_large_png_keeps_dimensions(tmp_path, caplog):
    # 10000 x 10000 is above MAX_IMAGE_PIXELS but below twice it, so Pillow only
    # warns, and the header is still readable without decoding pixels.
    path = tmp_path / "large.png"
    path.write_bytes(png_bytes(10_000, 10_000))

    with pytest.warns(Image.DecompressionBombWarning):
        facts = read_image_facts(path)

    assert (facts.width, facts.height) == (10_000, 10_000)
    assert warnings_logged(caplog) == []


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_large_png_warning_as_error(tmp_path, caplog):
    path = tmp_path / "large.png"
    path.write_bytes(png_bytes(10_000, 10_000))

    facts = read_image_facts(path)

    assert facts.hash == hash_image(path)
    assert facts.width is None
    assert len(warnings_logged(caplog)) == 1


def test_unreadable_exif_block(tmp_path, caplog):
    payload = b"Exif\x00\x00" + b"this is not a TIFF header" * 4
    path = write_jpeg_with_app1(tmp_path / "broken-exif.jpg", payload)

    facts = read_image_facts(path)

    assert (facts.width, facts.height) == (40, 30)
    assert facts.exif is None
    assert facts.creation_date == facts.last_modified
    assert len(warnings_logged(caplog)) == 1
    assert "EXIF" in warnings_logged(caplog)[0].getMessage()


def test_exif_zero_denominator_rational(tmp_path):
    # XResolution (0x011A) as a RATIONAL whose value, stored at offset 26, is 72/0.
    tiff = little_endian_tiff(
        [(0x011A, 5, 1, struct.pack("<I", 26))], tail=struct.pack("<II", 72, 0)
    )
    path = write_jpeg_with_app1(tmp_path / "rational.jpg", b"Exif\x00\x00" + tiff)

    facts = read_image_facts(path)

    assert "XResolution" in facts.exif
    assert facts.exif["XResolution"] is None
    assert json.dumps(facts.exif, allow_nan=False)


def test_exif_unknown_tag_uses_number(tmp_path):
    # Pillow has no name for tag 0xC0DE. Its SHORT value 7 is stored inline.
    tiff = little_endian_tiff([(0xC0DE, 3, 1, struct.pack("<HH", 7, 0))])
    path = write_jpeg_with_app1(tmp_path / "unknown.jpg", b"Exif\x00\x00" + tiff)

    facts = read_image_facts(path)

    assert facts.exif == {str(0xC0DE): 7}


def test_exif_lone_surrogate_is_replaced():
    # Pillow decodes EXIF text as Latin-1, which never yields lone surrogates, so
    # the converter is checked directly.
    value = exif._to_json(("Zo\udce9", "ok\udfff\x00  ", "\ud83d\ude00"))

    encoded = json.dumps(value, ensure_ascii=False).encode("utf-8")

    assert json.loads(encoded) == ["Zo\ufffd", "ok\ufffd", "\U0001f600"]


def test_exif_binary_values():
    assert exif._to_json(b"\x01\x02\x03\x00") == "01020300"
    assert exif._to_json(b"\xff" * 65) is exif._SKIP
    assert exif._to_json(b"Canon\x00\x00") == "Canon"
    assert exif._to_json(float("nan")) is None


def test_facts_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_image_facts(tmp_path / "missing.jpg")


def test_facts_is_frozen(tmp_path):
    facts = read_image_facts(copy_sample(tmp_path, "jpg/Canon_40D.jpg"))

    assert isinstance(facts, ImageFacts)
    with pytest.raises(AttributeError):
        facts.width = 1


# normalize_formats and has_format


def test_normalize_formats_default():
    assert normalize_formats(None) is DEFAULT_FORMATS


def test_normalize_formats_cleans_suffixes():
    result = normalize_formats([".JPG", "Jpeg", "png", ".png"])

    assert result == frozenset({"jpg", "jpeg", "png"})


def test_normalize_formats_empty_collection():
    assert normalize_formats([]) == frozenset()


@pytest.mark.parametrize("bad", ["", ".", "a/b", "j pg", " jpg", "tar.gz", "..jpg"])
def test_normalize_formats_rejects(bad):
    with pytest.raises(InputValidationError, match="Invalid file format"):
        normalize_formats(["jpg", bad])


def test_normalize_formats_names_value():
    with pytest.raises(InputValidationError) as raised:
        normalize_formats(["a/b"])

    assert "'a/b'" in str(raised.value)


def test_normalize_formats_rejects_string():
    with pytest.raises(InputValidationError, match="collection"):
        normalize_formats("jpg")


def test_normalize_formats_rejects_non_string():
    with pytest.raises(InputValidationError):
        normalize_formats(["jpg", None])


def test_default_formats_contents():
    assert {"jpg", "heic", "tiff", "cr3", "dng", "raf"} <= DEFAULT_FORMATS
    assert all(suffix == suffix.lower() for suffix in DEFAULT_FORMATS)
    assert not any(suffix.startswith(".") for suffix in DEFAULT_FORMATS)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_1.JPG", True),
        ("photo.jpeg", True),
        (Path("dir.png/IMG_2.heic"), True),
        ("notes.txt", False),
        ("jpg", False),
        (".jpg", False),
        ("archive.jpg.zip", False),
        ("trailing.", False),
    ],
)
def test_has_format(name, expected):
    assert has_format(name, normalize_formats(None)) is expected


def test_facts_in_worker_threads(tmp_path):
    paths = []
    for sample in SAMPLES:
        path = tmp_path / f"{len(paths)}-{sample.name}"
        shutil.copyfile(sample, path)
        paths.append(path)
    serial = [read_image_facts(path) for path in paths]

    with ThreadPoolExecutor(max_workers=8) as executor:
        parallel = list(executor.map(read_image_facts, paths))

    assert parallel == serial
