"""The JPEG marker walk agrees with Pillow on sample photos and on built files.

read_jpeg_header may hand any file back to Pillow by returning None. A
header that it does return must give the size and EXIF that Pillow gives.
read_image_facts must record the same facts and log the same warnings
whether the walk is used or not.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, ImageCms, TiffImagePlugin
from PIL import Image as PillowImage

import picpocket.images
import picpocket.pillow_facts
from picpocket.pillow_facts import pillow_exif
from picpocket.exif import UsePillow, exif_as_json, jpeg_exif
from picpocket.images import ImageFacts, read_image_facts
from picpocket.jpeg import first_scan_offset, read_jpeg_header
from tests.conftest import PHOTOS
from tests.picpocket.test_exif_walk import Entry, tiff_block
from tests.reliability.test_bad_files import BAD_FILES, EXIF_CASES, jpeg_with_exif

SAMPLES = sorted(
    path for path in PHOTOS.rglob("*") if path.is_file() and path.suffix != ".md"
)
SAMPLE_JPEGS = [path for path in SAMPLES if path.suffix.lower() == ".jpg"]
SOF0, SOF2, DQT, SOS, DHP, JPG0 = 0xC0, 0xC2, 0xDB, 0xDA, 0xDE, 0xF0
APP0, APP1, APP2, APP13, APP14 = 0xE0, 0xE1, 0xE2, 0xED, 0xEE
EXIF_PREFIX = b"Exif\x00\x00"
XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\x00"
# Hypothesis runs the same examples every time and keeps no database in the
# working tree.
REPEATABLE = settings(database=None, derandomize=True, deadline=None)


# Builders -------------------------------------------------------------------


def saved(mode: str = "RGB", size: tuple[int, int] = (24, 16), **options) -> bytes:
    """Return a JPEG that Pillow wrote, with Pillow's save options."""
    buffer = io.BytesIO()
    PillowImage.new(mode, size, 0).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def marker_offset(data: bytes, markers: set[int]) -> int:
    """Return the offset of the first of `markers` in a JPEG Pillow wrote."""
    offset = 2
    while data[offset + 1] not in markers:
        if data[offset + 1] == 0xFF:
            offset += 1  # a fill byte
        else:
            offset += 2 + struct.unpack(">H", data[offset + 2 : offset + 4])[0]
    return offset


def insert_before(data: bytes, marker: int, extra: bytes) -> bytes:
    offset = marker_offset(data, {marker})
    return data[:offset] + extra + data[offset:]


def after_start(data: bytes, extra: bytes) -> bytes:
    return data[:2] + extra + data[2:]


def with_frame(data: bytes, **fields: int) -> bytes:
    """Return data with its start-of-frame fields (precision, height, width,
    components) replaced."""
    layout = {"precision": (4, ">B"), "height": (5, ">H"), "width": (7, ">H"),
              "components": (9, ">B")}
    edited = bytearray(data)
    frame = marker_offset(data, {SOF0, SOF2})
    for name, value in fields.items():
        position, form = layout[name]
        packed = struct.pack(form, value)
        edited[frame + position : frame + position + len(packed)] = packed
    return bytes(edited)


def without_segment(data: bytes, marker: int) -> bytes:
    offset = marker_offset(data, {marker})
    length = struct.unpack(">H", data[offset + 2 : offset + 4])[0]
    return data[:offset] + data[offset + 2 + length :]


def frame_segment(marker: int, width: int, height: int) -> bytes:
    components = b"\x01\x11\x00\x02\x11\x01\x03\x11\x01"
    return segment(marker, struct.pack(">BHHB", 8, height, width, 3) + components)


def camera_exif(orientation: int | None = 6, artist: str = "Ada Lovelace") -> bytes:
    """Return an EXIF block with main, Exif and GPS directories."""
    exif = PillowImage.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Artist] = artist
    exif[ExifTags.Base.XResolution] = TiffImagePlugin.IFDRational(72, 1)
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = "2021:06:01 12:30:00"
    details[ExifTags.Base.ExposureTime] = TiffImagePlugin.IFDRational(1, 250)
    details[ExifTags.Base.UserComment] = b"ASCII\x00\x00\x00heron at dawn"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = tuple(
        TiffImagePlugin.IFDRational(part, 1) for part in (52, 30, 0)
    )
    return exif.tobytes()


def xmp(description: str) -> bytes:
    """Return an XMP packet whose rdf:Description carries `description`."""
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
        '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        f'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" {description}'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


XMP_ATTRIBUTE = xmp('tiff:Orientation="6"/>')
XMP_ELEMENT = xmp("><tiff:Orientation>3</tiff:Orientation></rdf:Description>")


def split_exif() -> bytes:
    """Return a JPEG whose EXIF block is split over two APP1 Exif segments."""
    body = camera_exif().removeprefix(EXIF_PREFIX)
    half = len(body) // 2
    parts = segment(APP1, EXIF_PREFIX + body[:half])
    parts += segment(APP1, EXIF_PREFIX + body[half:])
    return insert_before(saved(), DQT, parts)


def two_xmp_packets() -> bytes:
    """Return a JPEG with two XMP packets, of which Pillow keeps the last."""
    first = segment(APP1, XMP_PREFIX + XMP_ATTRIBUTE)
    return insert_before(saved(xmp=XMP_ELEMENT), DQT, first)


def fill_bytes() -> bytes:
    """Return a JPEG with 0xFF fill bytes before its frame, table and scan markers."""
    data = saved(exif=camera_exif())
    for marker in (SOF0, DQT, SOS):
        data = insert_before(data, marker, b"\xff\xff\xff")
    return data


def multi_picture() -> bytes:
    buffer = io.BytesIO()
    pictures = [PillowImage.new("RGB", (24, 16), colour) for colour in ("red", "blue")]
    pictures[0].save(buffer, "MPO", save_all=True, append_images=pictures[1:])
    return buffer.getvalue()


def segment_past_end() -> bytes:
    """Return a JPEG cut inside an APP1 segment whose length runs past the end."""
    data = saved()
    return data[: marker_offset(data, {SOF0})] + b"\xff\xe1\x01\x00" + bytes(40)


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# Files the walk reads itself: name -> builder.
WALKED: dict[str, Callable[[], bytes]] = {
    "rgb": saved,
    "grey": lambda: saved("L"),
    "cmyk": lambda: saved("CMYK"),
    "progressive": lambda: saved(progressive=True),
    "exif": lambda: saved(exif=camera_exif()),
    "exif_with_dpi": lambda: saved(exif=camera_exif(), dpi=(300, 300)),
    "exif_grey_progressive": lambda: saved("L", progressive=True, exif=camera_exif()),
    "xmp_orientation_attribute": lambda: saved(xmp=XMP_ATTRIBUTE),
    "xmp_orientation_element": lambda: saved(xmp=XMP_ELEMENT),
    "xmp_and_exif_orientation": lambda: saved(
        exif=camera_exif(orientation=8), xmp=XMP_ATTRIBUTE
    ),
    "xmp_and_exif_without_orientation": lambda: saved(
        exif=camera_exif(orientation=None), xmp=XMP_ELEMENT
    ),
    "xmp_twice": two_xmp_packets,
    "exif_split": split_exif,
    "fill_bytes": fill_bytes,
    "comment_and_profile": lambda: saved(comment=b"heron", icc_profile=srgb_profile()),
    "second_frame": lambda: insert_before(saved(), SOS, frame_segment(SOF0, 77, 99)),
    # Unless JFIF gives the dpi, Pillow reads the EXIF while opening, to find
    # the dpi there, and carries on with empty EXIF when that fails.
    "exif_garbage": lambda: saved(exif=EXIF_PREFIX + bytes(range(256)) * 2),
    "exif_garbage_with_dpi": lambda: saved(
        exif=EXIF_PREFIX + bytes(range(256)) * 2, dpi=(300, 300)
    ),
}
# Files the walk must hand to Pillow: name -> builder.
UNUSUAL: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "start_only": lambda: b"\xff\xd8\xff",
    "not_jpeg": lambda: b"\x89PNG\r\n\x1a\n" + bytes(64),
    "header_cut": lambda: saved()[:40],
    "no_scan": lambda: saved()[: marker_offset(saved(), {SOS})],
    "no_frame": lambda: without_segment(saved(), SOF0),
    "precision_12": lambda: with_frame(saved(), precision=12),
    "components_2": lambda: with_frame(saved(), components=2),
    "components_5": lambda: with_frame(saved(), components=5),
    "height_zero": lambda: with_frame(saved(), height=0),
    "width_zero": lambda: with_frame(saved(), width=0),
    "above_max_pixels": lambda: with_frame(saved(), width=10_000, height=10_000),
    "multi_picture": multi_picture,
    "junk_before_frame": lambda: insert_before(saved(), SOF0, b"\x00\x00"),
    "segment_past_end": segment_past_end,
}
# Damage that Pillow rejects or reads differently, where the walk must agree
# with Pillow or return None: name -> builder.
PILLOW_ONLY: dict[str, Callable[[], bytes]] = {
    "temporary_marker": lambda: after_start(saved(), b"\xff\x01"),
    "hierarchical_frame": lambda: insert_before(
        saved(), SOS, frame_segment(DHP, 77, 99)
    ),
    "short_quantization_table": lambda: insert_before(
        saved(), SOF0, segment(DQT, b"\x00" + bytes(10))
    ),
    "short_jfif": lambda: after_start(
        without_segment(saved(), APP0), segment(APP0, b"JFIF\x00")
    ),
    "short_colour_profile": lambda: after_start(
        saved(), segment(APP2, b"ICC_PROFILE\x00")
    ),
    "short_adobe": lambda: after_start(saved(), segment(APP14, b"Adobe")),
    "short_component_list": lambda: after_start(
        saved(), segment(SOF0, struct.pack(">BHHB", 8, 16, 16, 3) + b"\x01")
    ),
    "short_photoshop": lambda: after_start(
        saved(), segment(APP13, b"Photoshop 3.0\x008BIM\x03\xed")
    ),
    # Pillow reads JPG0 as a marker without a length, then its payload as markers.
    "extension_with_length": lambda: after_start(saved(), segment(JPG0, b"\xff\x01")),
}
def raw_exif(main: list[Entry], exif: list[Entry] | None = None) -> bytes:
    """Return a JPEG carrying a little-endian EXIF block built entry by entry."""
    return saved(exif=EXIF_PREFIX + tiff_block("<", main, exif))


ARTIST = Entry(315, 2, 4, b"Ada\x00")
# EXIF that the walk must read as Pillow does, or leave to Pillow.
ODD_EXIF: dict[str, Callable[[], bytes]] = {
    # Pillow seeks to a negative offset and fails; the walk must not count
    # back from the end of the block.
    "exif_negative_pointer": lambda: raw_exif(
        [ARTIST, Entry(0x8769, 8, 1, struct.pack("<h", -18))]
    ),
    # Without a JFIF resolution, Pillow fails to open these files.
    "exif_text_resolution": lambda: raw_exif(
        [Entry(282, 2, 2, b"7\x00"), Entry(296, 3, 1, b"\x02\x00"), ARTIST]
    ),
    "exif_byte_resolution": lambda: raw_exif(
        [Entry(282, 7, 1, b"H"), Entry(296, 3, 1, b"\x02\x00"), ARTIST]
    ),
    # FlashEnergy is the name of both tags.
    "exif_shared_name": lambda: raw_exif(
        [ARTIST],
        [Entry(0xA20B, 3, 1, b"\x02\x00"), Entry(0x920B, 3, 1, b"\x01\x00")],
    ),
    # Two values too long to keep, named in one warning.
    "exif_two_omitted": lambda: raw_exif(
        [Entry(0xC008, 3, 5000, b"\x01\x00"), Entry(0xC007, 3, 5000, b"\x02\x00")]
    ),
}
BUILT = {**WALKED, **UNUSUAL, **PILLOW_ONLY, **ODD_EXIF}
BASE = saved()


# Comparison -------------------------------------------------------------------


def pillow_reading(data: bytes) -> tuple[tuple[int, int], Any] | None:
    """Return Pillow's size and EXIF for data, or None when Pillow cannot open it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            image = PillowImage.open(io.BytesIO(data))
        except Exception:
            return None
        with image:
            read = partial(pillow_exif, image)
            return image.size, exif_as_json(read, image.info.get("exif"), "x.jpg")


def walk_reading(data: bytes) -> tuple[tuple[int, int], Any] | None:
    """Return the walk's size and EXIF, or None when it leaves data to Pillow."""
    header = read_jpeg_header(data)
    if header is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exif = exif_as_json(partial(jpeg_exif, header), header.exif, "x.jpg")
        except UsePillow:
            return None
    return (header.width, header.height), exif


def assert_agrees(data: bytes) -> None:
    """Assert that a header the walk returns gives what Pillow gives."""
    walked = walk_reading(data)
    if walked is None:
        return
    pillow = pillow_reading(data)
    assert pillow is not None, "the walk returned a header for data Pillow rejects"
    assert walked[0] == pillow[0], "size"
    assert walked[1] == pillow[1], "EXIF"


class Reading(NamedTuple):
    facts: ImageFacts
    logged: list[tuple[str, str, str]]
    issued: list[tuple[str, str]]


def read_reporting(path: Path, caplog: pytest.LogCaptureFixture) -> Reading:
    """Read a file's facts, with the warnings it logged and the Python warnings."""
    caplog.clear()
    with warnings.catch_warnings(record=True) as issued:
        warnings.simplefilter("always")
        facts = read_image_facts(path)
    logged = [
        (record.name, record.levelname, record.getMessage())
        for record in caplog.records
        if record.levelno >= logging.WARNING
    ]
    return Reading(
        facts, logged, [(item.category.__name__, str(item.message)) for item in issued]
    )


def read_both_ways(
    path: Path, caplog: pytest.LogCaptureFixture
) -> tuple[Reading, Reading]:
    """Read a file with the walk, then with read_jpeg_header always returning None."""
    walked = read_reporting(path, caplog)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(picpocket.images, "read_jpeg_header", lambda data: None)
        bypassed = read_reporting(path, caplog)
    return walked, bypassed


# The walk against Pillow ---------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_header_sample_agrees(path):
    assert_agrees(path.read_bytes())


@pytest.mark.parametrize("case", sorted(BUILT))
def test_header_built_agrees(case):
    assert_agrees(BUILT[case]())


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_header_sample_found(path):
    # Every sample JPEG is a plain one. TIFF and HEIC files are left to Pillow.
    found = read_jpeg_header(path.read_bytes()) is not None
    assert found == (path.suffix.lower() == ".jpg")


@pytest.mark.parametrize("case", sorted(WALKED))
def test_header_walked_found(case):
    assert read_jpeg_header(WALKED[case]()) is not None


@pytest.mark.parametrize("case", sorted(UNUSUAL))
def test_header_unusual_none(case):
    assert read_jpeg_header(UNUSUAL[case]()) is None


@pytest.mark.parametrize(("limit", "found"), [(24 * 16, True), (24 * 16 - 1, False)])
def test_header_max_pixels(monkeypatch, limit, found):
    monkeypatch.setattr(PillowImage, "MAX_IMAGE_PIXELS", limit)
    assert (read_jpeg_header(BASE) is not None) == found


def test_header_max_pixels_unset(monkeypatch):
    monkeypatch.setattr(PillowImage, "MAX_IMAGE_PIXELS", None)
    header = read_jpeg_header(with_frame(BASE, width=65_535, height=65_535))
    assert header is not None
    assert (header.width, header.height) == (65_535, 65_535)


@pytest.mark.parametrize(
    ("case", "orientation"),
    [
        ("xmp_orientation_attribute", 6),
        ("xmp_orientation_element", 3),
        ("xmp_and_exif_orientation", 8),
        ("xmp_and_exif_without_orientation", 3),
        ("xmp_twice", 6),
    ],
)
def test_exif_xmp_orientation(case, orientation):
    header = read_jpeg_header(WALKED[case]())
    assert jpeg_exif(header)[ExifTags.Base.Orientation] == orientation


def test_exif_split_joined():
    header = read_jpeg_header(split_exif())
    whole = read_jpeg_header(saved(exif=camera_exif()))
    assert header.exif == whole.exif


@pytest.mark.parametrize(
    "data",
    [path.read_bytes() for path in SAMPLE_JPEGS] + [WALKED["fill_bytes"]()],
    ids=[path.name for path in SAMPLE_JPEGS] + ["fill_bytes"],
)
def test_scan_offset_first_scan(data):
    assert read_jpeg_header(data).scan == first_scan_offset(data)


def test_scan_offset_saved():
    data = saved(exif=camera_exif())
    start = marker_offset(data, {SOS})
    length = struct.unpack(">H", data[start + 2 : start + 4])[0]
    assert read_jpeg_header(data).scan == start + 2 + length


@REPEATABLE
@given(
    width=st.integers(1, 65_535),
    height=st.integers(1, 65_535),
)
def test_header_any_size_agrees(width, height):
    data = with_frame(BASE, width=width, height=height)
    assert_agrees(data)
    if width * height <= PillowImage.MAX_IMAGE_PIXELS:
        assert read_jpeg_header(data) is not None


def text_exif(artist: str, description: str, comment: str) -> bytes:
    exif = PillowImage.Exif()
    exif[ExifTags.Base.Artist] = artist
    exif[ExifTags.Base.ImageDescription] = description
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.UserComment] = b"UNICODE\x00" + comment.encode(
        "utf-16-be", "surrogatepass"
    )
    return exif.tobytes()


@REPEATABLE
@given(artist=st.text(), description=st.text(), comment=st.text())
def test_exif_any_text_agrees(artist, description, comment):
    assert_agrees(saved(exif=text_exif(artist, description, comment)))


SEGMENT_STARTS = [
    b"", b"JFIF\x00", EXIF_PREFIX, XMP_PREFIX, b"ICC_PROFILE\x00", b"MPF\x00",
    b"Adobe", b"Photoshop 3.0\x008BIM", b"\x08\x00\x10\x00\x10\x03", b"\xff\x01",
]


@settings(REPEATABLE, max_examples=400)
@given(
    marker=st.integers(0, 255),
    payload=st.none()
    | st.tuples(st.sampled_from(SEGMENT_STARTS), st.binary(max_size=80)),
    place=st.sampled_from([APP0, DQT, SOF0, SOS]),
)
def test_header_inserted_segment_agrees(marker, payload, place):
    # None inserts a bare marker, without a length field.
    extra = bytes([0xFF, marker])
    if payload is not None:
        extra = segment(marker, payload[0] + payload[1])
    assert_agrees(insert_before(BASE, place, extra))


# read_image_facts with and without the walk ------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_facts_sample_same(path, caplog):
    walked, bypassed = read_both_ways(path, caplog)
    assert walked.facts == bypassed.facts
    assert walked.logged == bypassed.logged
    assert walked.issued == bypassed.issued


BAD_BUILDERS: dict[str, tuple[str, Callable[[], bytes]]] = {
    **{f"bad_{case}": (name, build) for case, (name, build, *_) in BAD_FILES.items()},
    **{
        f"exif_{case}": ("odd.jpg", lambda entries=entries: jpeg_with_exif(*entries))
        for case, (entries, *_) in EXIF_CASES.items()
    },
    **{case: ("built.jpg", build) for case, build in BUILT.items()},
}


@pytest.mark.parametrize("case", sorted(BAD_BUILDERS))
def test_facts_built_same(tmp_path, caplog, case):
    name, build = BAD_BUILDERS[case]
    path = tmp_path / name
    path.write_bytes(build())

    walked, bypassed = read_both_ways(path, caplog)

    assert walked.facts == bypassed.facts
    assert walked.logged == bypassed.logged
    assert walked.issued == bypassed.issued


@settings(
    REPEATABLE,
    max_examples=50,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(artist=st.text(), description=st.text(), comment=st.text())
def test_facts_any_text_same(tmp_path, caplog, artist, description, comment):
    path = tmp_path / "text.jpg"
    path.write_bytes(saved(exif=text_exif(artist, description, comment)))

    walked, bypassed = read_both_ways(path, caplog)

    assert walked.facts == bypassed.facts
    assert walked.logged == bypassed.logged
    assert walked.issued == bypassed.issued


def test_facts_plain_jpeg_skips_pillow(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(picpocket.pillow_facts, "open_image", opened.append)
    path = tmp_path / "plain.jpg"
    path.write_bytes(saved(exif=camera_exif()))

    facts = read_image_facts(path)

    assert opened == []
    assert (facts.width, facts.height) == (24, 16)
    assert facts.creator == "Ada Lovelace"
