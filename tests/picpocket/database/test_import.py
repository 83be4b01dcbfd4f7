"""Tests for import_location on real photos, broken files and unusual folders."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
import shutil
import struct
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image as PillowImage

from picpocket.database.logic import Text
from picpocket.database.types import Image
from picpocket.errors import InputValidationError, InvalidPathError
from picpocket.images import DEFAULT_FORMATS, LATEST_TIME, hash_image

# Every file in the sample folder except its SOURCE.md note.
SAMPLE_COUNT = 81
SAMPLE_EXTENSIONS = {"jpg", "tiff", "heic", "heif"}
DATE_TIME_ORIGINAL = 0x9003
EXIF_IFD = 0x8769
MAKE = 0x010F


async def add_folder(api, name: str, folder: Path | None, **options) -> int:
    """Add a permanent source location at folder (options override)."""
    settings = {"source": True, "destination": True, "removable": False, **options}
    return await api.add_location(name, folder, **settings)


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


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def bomb_png(width: int, height: int) -> bytes:
    """Return a valid 1-bit grayscale PNG whose header declares width x height."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + png_chunk(b"IEND", b"")
    )


def half_of(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) // 2]


# Full import of the sample photos


async def test_import_returns_all_ids(api, photos):
    await add_folder(api, "main", photos)

    ids = await api.import_location("main")

    assert len(ids) == SAMPLE_COUNT
    assert sorted(ids) == sorted(await api.get_image_ids())


async def test_import_records_every_sample(api, photos):
    await add_folder(api, "main", photos)
    expected = {
        path.relative_to(photos).as_posix()
        for path in photos.rglob("*")
        if path.is_file() and path.name != "SOURCE.md"
    }

    await api.import_location("main")

    assert set(await images_by_path(api)) == expected


async def test_import_sample_extensions(api, photos):
    await add_folder(api, "main", photos)

    await api.import_location("main")

    images = await images_by_path(api)
    assert {image.extension for image in images.values()} == SAMPLE_EXTENSIONS


async def test_import_default_formats(api, tmp_path, photo_source):
    folder = tmp_path / "formats"
    folder.mkdir()
    for suffix in DEFAULT_FORMATS:
        shutil.copyfile(
            photo_source / "jpg" / "Canon_40D.jpg", folder / f"photo.{suffix}"
        )
    await add_folder(api, "main", folder)

    ids = await api.import_location("main")

    images = await images_by_path(api)
    assert len(ids) == len(DEFAULT_FORMATS)
    assert {image.extension for image in images.values()} == set(DEFAULT_FORMATS)
    assert {"jpg", "jpeg", "png", "tif", "tiff", "heic", "heif"} <= DEFAULT_FORMATS


async def test_import_suffix_case(api, jpegs):
    shutil.copyfile(jpegs / "Canon_40D.jpg", jpegs / "IMG.JPG")
    shutil.copyfile(jpegs / "Canon_40D.jpg", jpegs / "IMG.Jpeg")
    await add_folder(api, "main", jpegs)

    await api.import_location("main")

    images = await images_by_path(api)
    assert images["IMG.JPG"].extension == "jpg"
    assert images["IMG.Jpeg"].extension == "jpeg"
    assert len(images) == 6


@pytest.mark.parametrize("formats", [{"tiff"}, {".tiff"}, {".TIFF"}, {"TiFf"}])
async def test_import_file_formats(api, photos, formats):
    await add_folder(api, "main", photos)

    ids = await api.import_location("main", file_formats=formats)

    images = await images_by_path(api)
    assert len(ids) == 8
    assert {image.extension for image in images.values()} == {"tiff"}


async def test_import_file_formats_several(api, photos):
    await add_folder(api, "main", photos)

    await api.import_location("main", file_formats={"heic", ".heif"})

    assert sorted(await images_by_path(api)) == [
        "heic/IMG_5195.HEIC",
        "heic/mobile/HMD_Nokia_8.3_5G.heif",
        "heic/mobile/HMD_Nokia_8.3_5G_hdr.heif",
        "heic/mobile/iphone_13_pro_max.HEIC",
        "heic/samplefilehub.heif",
    ]


@pytest.mark.parametrize("formats", ["jpg", {""}, {"."}, {"j/pg"}, {"tar.gz"}])
async def test_import_file_formats_invalid(api, jpegs, formats):
    await add_folder(api, "main", jpegs)

    with pytest.raises(InputValidationError):
        await api.import_location("main", file_formats=formats)

    assert await api.count_images() == 0


async def test_import_ignores_other_files(api, photos):
    (photos / "jpg" / "notes.txt").write_text("shot on a sunny day\n")
    (photos / "jpg" / "Canon_40D.xmp").write_text(
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    )
    (photos / "jpg" / "Canon_40D.jpg.xmp").write_text("<x:xmpmeta/>")
    await add_folder(api, "main", photos)

    ids = await api.import_location("main")

    images = await images_by_path(api)
    assert len(ids) == SAMPLE_COUNT
    assert "jpg/notes.txt" not in images
    assert "jpg/Canon_40D.xmp" not in images
    assert "jpg/Canon_40D.jpg.xmp" not in images


async def test_import_hash(api, photos):
    await add_folder(api, "main", photos)

    await api.import_location("main")

    images = await images_by_path(api)
    recorded = {path: image.hash for path, image in images.items()}
    assert recorded == {path: hash_image(photos / path) for path in images}


async def test_import_dimensions(api, photos):
    await add_folder(api, "main", photos)

    await api.import_location("main")

    images = await images_by_path(api)
    recorded = {path: (image.width, image.height) for path, image in images.items()}
    expected = {}
    for path in images:
        with PillowImage.open(photos / path) as picture:
            expected[path] = picture.size
    assert recorded == expected


async def test_import_exif(api, jpegs):
    await add_folder(api, "main", jpegs)

    await api.import_location("main")

    images = await images_by_path(api)
    makes = {path: image.exif["Make"] for path, image in images.items()}
    expected = {}
    for path in images:
        with PillowImage.open(jpegs / path) as picture:
            expected[path] = picture.getexif()[MAKE].strip("\x00 ")
    assert makes == expected


async def test_import_creation_date(api, jpegs):
    await add_folder(api, "main", jpegs)
    with PillowImage.open(jpegs / "Canon_40D.jpg") as picture:
        original = picture.getexif().get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL]

    await api.import_location("main")

    images = await images_by_path(api)
    # Canon_40D.jpg has no OffsetTimeOriginal, so the date is local time.
    expected = datetime.strptime(original, "%Y:%m:%d %H:%M:%S").astimezone()
    assert original == "2008:05:30 15:56:01"
    assert images["Canon_40D.jpg"].creation_date == expected


async def test_import_creation_date_without_exif(api, photos):
    # PaintTool_sample.jpg has EXIF, but no date in it.
    await add_folder(api, "main", photos)

    await api.import_location("main")

    images = await images_by_path(api)
    image = images["jpg/PaintTool_sample.jpg"]
    assert image.creation_date == file_mtime(photos / "jpg" / "PaintTool_sample.jpg")
    assert image.creation_date == image.last_modified


async def test_import_creator_from_artist(api, photos):
    await add_folder(api, "main", photos)

    await api.import_location("main")

    images = await images_by_path(api)
    assert images["jpg/long_description.jpg"].creator == "SSG KYLE DAVIS"
    assert images["jpg/Canon_40D.jpg"].creator is None


async def test_import_creator_argument(api, photos):
    await add_folder(api, "main", photos)

    await api.import_location("main", creator="Ada Lovelace")

    creators = {image.creator for image in await api.search_images()}
    assert creators == {"Ada Lovelace"}


async def test_import_creator_invalid(api, jpegs):
    await add_folder(api, "main", jpegs)

    with pytest.raises(InputValidationError):
        await api.import_location("main", creator=42)


async def test_import_tags(api, photos):
    await add_folder(api, "main", photos)

    ids = await api.import_location("main", tags=["trip/Lyon", "imported"])

    tagged = await api.count_images(all_tags=["trip/Lyon", "imported"])
    image = await api.get_image(ids[0], tags=True)
    assert tagged == SAMPLE_COUNT
    assert image.tags == ["imported", "trip/Lyon"]


@pytest.mark.parametrize("tags", ["bird", [""], ["a//b"], [None], [["bird"]]])
async def test_import_tags_invalid(api, jpegs, tags):
    await add_folder(api, "main", jpegs)

    with pytest.raises(InputValidationError):
        await api.import_location("main", tags=tags)

    assert await api.count_images() == 0
    assert await api.all_tag_names() == set()


async def test_import_tags_tuple(api, jpegs):
    await add_folder(api, "main", jpegs)

    await api.import_location("main", tags=("bird/goose",))

    assert await api.count_images(any_tags=["bird"]) == 4


async def snapshot(api, location_id: int) -> dict[str, tuple]:
    """Return every file fact of a location's images, by path."""
    return {
        image.path.as_posix(): (
            image.hash,
            image.width,
            image.height,
            image.exif,
            image.creation_date,
            image.last_modified,
            image.creator,
        )
        for image in await api.search_images()
        if image.location == location_id
    }


@pytest.mark.parametrize("batch_size", [1, 7])
async def test_import_batch_size(api, photos, batch_size):
    default_id = await add_folder(api, "default", photos)
    batched_id = await add_folder(api, "batched", photos)
    await api.import_location("default", tags=["tagged"])

    ids = await api.import_location("batched", batch_size=batch_size, tags=["tagged"])

    assert len(ids) == SAMPLE_COUNT
    assert await snapshot(api, batched_id) == await snapshot(api, default_id)
    assert await api.count_images(any_tags=["tagged"]) == 2 * SAMPLE_COUNT


@pytest.mark.parametrize("batch_size", [0, -1, "3", 2.5, True, None])
async def test_import_batch_size_invalid(api, jpegs, batch_size):
    await add_folder(api, "main", jpegs)

    with pytest.raises(InputValidationError):
        await api.import_location("main", batch_size=batch_size)

    assert await api.count_images() == 0


async def test_import_unknown_location(api):
    with pytest.raises(KeyError):
        await api.import_location("nowhere")


# Importing again


async def test_reimport_keeps_user_metadata(api, jpegs):
    await add_folder(api, "main", jpegs)
    ids = await api.import_location("main")
    await api.edit_image(
        ids[0],
        title="Geese",
        caption="By the lake",
        alt="Two geese",
        rating=4,
        creator="Ada",
    )

    await api.import_location("main", creator="Someone else")

    image = await api.get_image(ids[0])
    assert image.title == "Geese"
    assert image.caption == "By the lake"
    assert image.alt == "Two geese"
    assert image.rating == 4
    assert image.creator == "Ada"


async def test_reimport_unchanged(api, photos):
    await add_folder(api, "main", photos)
    await api.import_location("main")
    before = await images_by_path(api)

    ids = await api.import_location("main")

    assert ids == []
    assert await images_by_path(api) == before


async def test_reimport_same_mtime_not_read(api, jpegs, photo_source):
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    image = (await images_by_path(api))["Canon_40D.jpg"]
    target = jpegs / "Canon_40D.jpg"
    before = target.stat()
    shutil.copyfile(photo_source / "jpg" / "Nikon_D70.jpg", target)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))

    ids = await api.import_location("main")

    assert ids == []
    assert await api.get_image(image.id) == image


async def test_reimport_tags_unchanged_images(api, jpegs):
    await add_folder(api, "main", jpegs)
    await api.import_location("main")

    ids = await api.import_location("main", tags=["later"])

    assert ids == []
    assert await api.count_images(any_tags=["later"]) == 4


async def test_reimport_changed_file(api, jpegs, photo_source):
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    image = (await images_by_path(api))["Canon_40D.jpg"]
    await api.edit_image(image.id, title="First frame")
    target = jpegs / "Canon_40D.jpg"
    shutil.copyfile(photo_source / "jpg" / "gps" / "DSCN0010.jpg", target)
    new_time = target.stat().st_mtime + 3600
    os.utime(target, (new_time, new_time))

    ids = await api.import_location("main")

    changed = await api.get_image(image.id)
    assert ids == [image.id]
    assert changed.hash == hash_image(target)
    assert (changed.width, changed.height) == (640, 480)
    assert changed.last_modified == file_mtime(target)
    assert changed.exif["Make"] == "NIKON"
    assert changed.title == "First frame"


async def test_reimport_deleted_file(api, jpegs):
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    image = (await images_by_path(api))["Nikon_D70.jpg"]
    (jpegs / "Nikon_D70.jpg").unlink()

    ids = await api.import_location("main")

    assert ids == []
    assert await api.get_image(image.id) == image
    assert await api.count_images() == 4


async def test_reimport_new_file(api, jpegs, photo_source):
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    shutil.copyfile(photo_source / "jpg" / "long_description.jpg", jpegs / "new.jpg")

    ids = await api.import_location("main")

    images = await images_by_path(api)
    assert ids == [images["new.jpg"].id]
    assert len(images) == 5


# Mounts


async def test_import_mount_point(api, jpegs):
    await add_folder(api, "card", None, removable=True)
    await api.mount("card", jpegs)

    ids = await api.import_location("card")

    images = await images_by_path(api)
    assert len(ids) == 4
    assert images["Canon_40D.jpg"].full_path == jpegs / "Canon_40D.jpg"


async def test_import_mount_replaces_path(api, jpegs, tmp_path):
    await add_folder(api, "card", tmp_path / "not-attached", removable=True)
    await api.mount("card", jpegs)

    ids = await api.import_location("card")

    assert len(ids) == 4


async def test_import_unmounted(api):
    await add_folder(api, "card", None, removable=True)

    with pytest.raises(InvalidPathError, match="card"):
        await api.import_location("card")


async def test_import_after_unmount(api, jpegs):
    await add_folder(api, "card", None, removable=True)
    await api.mount("card", jpegs)
    await api.unmount("card")

    with pytest.raises(InvalidPathError, match="card"):
        await api.import_location("card")


async def test_import_detached_drive(api, tmp_path):
    await add_folder(api, "card", tmp_path / "not-attached", removable=True)

    with pytest.raises(InvalidPathError, match="card"):
        await api.import_location("card")


@pytest.mark.parametrize("removable", [True, False])
async def test_import_missing_folder(api, tmp_path, removable):
    await add_folder(api, "main", tmp_path / "gone", removable=removable)

    with pytest.raises(InvalidPathError, match="main"):
        await api.import_location("main")


async def test_import_file_as_root(api, jpegs, tmp_path):
    # add_location rejects a file, but a folder can be replaced by one later.
    root = tmp_path / "card"
    root.mkdir()
    await add_folder(api, "main", root)
    root.rmdir()
    shutil.copyfile(jpegs / "Canon_40D.jpg", root)

    with pytest.raises(InvalidPathError, match="main"):
        await api.import_location("main")


# Files that cannot be read, and unusual names and folders


def progressive_half(source: Path) -> bytes:
    """Return the first 60% of a progressive JPEG made from a sample photo."""
    buffer = io.BytesIO()
    with PillowImage.open(source / "jpg" / "gps" / "DSCN0010.jpg") as picture:
        picture.save(buffer, "JPEG", progressive=True, quality=90)
    data = buffer.getvalue()
    return data[: len(data) * 6 // 10]


BAD_FILES = {
    "empty": ("empty.jpg", lambda source: b"", None),
    "text": ("letter.jpg", lambda source: b"Dear Ada,\nthis is no photo.\n", None),
    "truncated": (
        "half.jpg",
        lambda source: half_of(source / "jpg" / "gps" / "DSCN0010.jpg"),
        (640, 480),
    ),
    "progressive": ("progressive.jpg", progressive_half, (640, 480)),
    "bomb": ("bomb.png", lambda source: bomb_png(20_000, 20_000), None),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
async def test_import_bad_file(api, jpegs, photo_source, caplog, case):
    name, build, size = BAD_FILES[case]
    data = build(photo_source)
    (jpegs / name).write_bytes(data)
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    images = await images_by_path(api)
    image = images[name]
    assert len(ids) == 5
    assert image.hash == hashlib.sha256(data).hexdigest()
    assert (image.width, image.height) == (size or (None, None))
    assert image.last_modified == file_mtime(jpegs / name)
    assert len(warnings_about(caplog, name)) == 1


async def test_import_bad_files_together(api, jpegs, photo_source, caplog):
    for name, build, _size in BAD_FILES.values():
        (jpegs / name).write_bytes(build(photo_source))
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main", batch_size=2)

    assert len(ids) == 4 + len(BAD_FILES)
    assert await api.count_images(Text("hash", "=", None)) == 0


async def test_import_data_after_end(api, jpegs, caplog):
    # Phones append a video or their own records after the JPEG data.
    data = (jpegs / "Canon_40D.jpg").read_bytes() + b"\x00\x00\x00\x18ftypmp42" * 500
    (jpegs / "motion.jpg").write_bytes(data)
    await add_folder(api, "main", jpegs)

    await api.import_location("main")

    images = await images_by_path(api)
    assert (images["motion.jpg"].width, images["motion.jpg"].height) == (100, 68)
    assert warnings_about(caplog, "motion.jpg") == []


async def test_import_samples_not_truncated(api, photos, caplog):
    await add_folder(api, "main", photos)

    await api.import_location("main")

    assert warnings_about(caplog, "truncated") == []


async def test_import_newline_name(api, jpegs):
    name = "first line\nsecond line.jpg"
    shutil.copyfile(jpegs / "Canon_40D.jpg", jpegs / name)
    await add_folder(api, "main", jpegs)

    await api.import_location("main")

    images = await images_by_path(api)
    assert images[name].hash == hash_image(jpegs / name)
    assert images[name].name == "first line\nsecond line"


async def test_import_non_ascii_name(api, photos):
    await add_folder(api, "main", photos)

    await api.import_location("main")

    images = await images_by_path(api)
    image = images["tiff/Crémieux11.tiff"]
    assert image.name == "Crémieux11"
    assert (image.width, image.height) == (199, 47)
    assert image.creator == "Jean Cornillon"
    assert image.full_path.is_file()


async def test_import_name_not_utf8(api, jpegs, caplog):
    with open(os.fsencode(jpegs) + b"/bad\xffname.jpg", "wb") as file:
        file.write((jpegs / "Canon_40D.jpg").read_bytes())
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    assert len(ids) == 4
    assert len(warnings_about(caplog, "not valid Unicode")) == 1


async def test_import_link_loop(api, jpegs):
    (jpegs / "sub").mkdir()
    shutil.copyfile(jpegs / "Canon_40D.jpg", jpegs / "sub" / "copy.jpg")
    (jpegs / "sub" / "up").symlink_to("..")
    (jpegs / "self").symlink_to(".")
    await add_folder(api, "main", jpegs)

    ids = await asyncio.wait_for(api.import_location("main"), timeout=60)

    assert len(ids) == 5
    assert sorted(await images_by_path(api)) == [
        "Canon_40D.jpg",
        "Kodak_CX7530.jpg",
        "Nikon_D70.jpg",
        "Pentax_K10D.jpg",
        "sub/copy.jpg",
    ]


async def test_import_dangling_folder_link(api, jpegs, tmp_path, caplog):
    (jpegs / "drive").symlink_to(tmp_path / "unplugged", target_is_directory=True)
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    assert len(ids) == 4
    assert len(warnings_about(caplog, "drive")) == 1


# Progress, cancellation and the event loop


async def test_import_progress(api, photos):
    await add_folder(api, "main", photos)
    calls = []

    await api.import_location(
        "main", batch_size=10, progress=lambda *call: calls.append(call)
    )

    done = [call[0] for call in calls]
    assert done == sorted(done)
    assert {call[1] for call in calls} == {SAMPLE_COUNT}
    assert calls[-1] == (SAMPLE_COUNT, SAMPLE_COUNT)


async def test_import_progress_reimport(api, photos):
    await add_folder(api, "main", photos)
    await api.import_location("main")
    (photos / "jpg" / "Nikon_D70.jpg").unlink()
    shutil.copyfile(photos / "jpg" / "Canon_40D.jpg", photos / "jpg" / "again.jpg")
    calls = []

    await api.import_location("main", progress=lambda *call: calls.append(call))

    done = [call[0] for call in calls]
    assert done == sorted(done)
    assert calls[-1] == (SAMPLE_COUNT, SAMPLE_COUNT)


async def test_import_progress_empty_folder(api, tmp_path):
    (tmp_path / "empty").mkdir()
    await add_folder(api, "main", tmp_path / "empty")
    calls = []

    ids = await api.import_location("main", progress=lambda *call: calls.append(call))

    assert ids == []
    assert calls[-1] == (0, 0)


async def test_import_cancel(api, photos):
    await add_folder(api, "main", photos)

    def cancel_after_20(done: int, total: int) -> None:
        if done >= 20 and not task.cancelling():
            task.cancel()

    task = asyncio.create_task(
        api.import_location(
            "main", batch_size=5, tags=["batch"], progress=cancel_after_20
        )
    )
    with pytest.raises(asyncio.CancelledError):
        await task

    saved = set(await api.get_image_ids())
    images = await api.search_images()
    # The cancel lands at the next pause: while waiting for a file read
    # (20 saved) or after the batch being written commits (25 saved).
    assert len(saved) in (20, 25)
    assert await api.count_images(any_tags=["batch"]) == len(saved)
    assert [image.path for image in images if image.hash is None] == []
    rest = await api.import_location("main", batch_size=5, tags=["batch"])
    assert len(rest) == SAMPLE_COUNT - len(saved)
    assert saved.isdisjoint(rest)
    assert await api.count_images(any_tags=["batch"]) == SAMPLE_COUNT


async def test_import_event_loop_responsive(api, photos):
    await add_folder(api, "main", photos)
    finished = asyncio.Event()
    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while not finished.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    ids = await api.import_location("main")
    finished.set()
    await ticker

    # A loose bound that catches blocking work on the event loop, not a benchmark.
    assert len(ids) == SAMPLE_COUNT
    assert len(gaps) >= 2
    assert max(gaps) < 0.2


@pytest.mark.parametrize("removable", [True, False])
async def test_import_root_removed(api, photos, removable):
    # Far more files than the readers keep in flight, so that many are
    # still unread when the drive goes.
    for copy in range(4):
        shutil.copytree(photos / "jpg", photos / f"copy{copy}")
    await add_folder(api, "card", photos, removable=removable)

    def pull_drive(done: int, total: int) -> None:
        if done >= 10 and photos.exists():
            shutil.rmtree(photos)

    with pytest.raises(InvalidPathError, match="Location 'card'"):
        await api.import_location(
            "card", batch_size=5, tags=["saved"], progress=pull_drive
        )

    saved = await api.count_images()
    images = await api.search_images()
    # Whole batches and the files read since the last one are all kept.
    assert 10 <= saved < SAMPLE_COUNT + 4 * 68
    assert await api.count_images(any_tags=["saved"]) == saved
    assert [image.path for image in images if image.hash is None] == []


# Giving the event loop back


async def test_flatten_yields_between_chunks():
    # Chunks read ahead are already done, and awaiting them does not pass
    # through the event loop. Without a pause, other tasks waited for the
    # whole run of ready chunks.
    from picpocket.database.importer import _flatten

    async def ready_chunks():
        for first in range(0, 6, 2):
            yield [first, first + 1]

    seen: list[int] = []
    ran_after: list[int] = []
    asyncio.get_running_loop().call_soon(lambda: ran_after.append(len(seen)))

    async for read in _flatten(ready_chunks()):
        seen.append(read)

    assert seen == [0, 1, 2, 3, 4, 5]
    assert ran_after == [2]


def test_listing_yields_gil(tmp_path, monkeypatch):
    from picpocket.database import reading

    for number in range(2 * reading.YIELD_EVERY + 1):
        (tmp_path / f"{number}.jpg").write_bytes(b"")
    pauses = []
    monkeypatch.setattr(reading.time, "sleep", pauses.append)

    found = reading.candidate_files(tmp_path, DEFAULT_FORMATS)

    assert len(found) == 2 * reading.YIELD_EVERY + 1
    assert pauses == [0, 0]


async def test_import_file_with_far_mtime(api, photo_source, caplog):
    # tmpfs keeps 64-bit times, where ext4 caps them at the year 2446.
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm to hold a time past the year 9999")
    with tempfile.TemporaryDirectory(dir=shm) as folder:
        path = Path(folder) / "far.jpg"
        shutil.copyfile(photo_source / "jpg" / "Canon_40D.jpg", path)
        os.utime(path, (0, 300_000_000_000))
        if os.stat(path).st_mtime < 253_402_300_800:
            pytest.skip("this /dev/shm caps file times")
        await add_folder(api, "ram", Path(folder))

        first = await api.import_location("ram")
        second = await api.import_location("ram")
        [image] = await api.search_images()

    assert len(first) == 1
    assert second == []
    assert image.last_modified == LATEST_TIME
    assert image.hash == hash_image(photo_source / "jpg" / "Canon_40D.jpg")
    # Once, from the read; the second import finds the file unchanged.
    assert len(warnings_about(caplog, "far.jpg")) == 1
