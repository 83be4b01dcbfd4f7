"""Tests for verify_image_files: missing files, changed files and the limits."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image as PillowImage

from picpocket.database.types import Image
from picpocket.errors import InputValidationError
from picpocket.images import hash_image


async def add_folder(api, name: str, folder: Path | None, **options) -> int:
    """Add a permanent source location at folder (options override)."""
    settings = {"source": True, "destination": True, "removable": False, **options}
    return await api.add_location(name, folder, **settings)


async def import_folder(
    api, name: str, folder: Path | None, **options
) -> dict[str, Image]:
    """Add and import a location, returning its images by relative path."""
    location_id = await add_folder(api, name, folder, **options)
    await api.import_location(name)
    return {
        image.path.as_posix(): image
        for image in await api.search_images()
        if image.location == location_id
    }


def file_mtime(path: Path) -> datetime:
    """Return the file's modification time, truncated to the microsecond."""
    microseconds = path.stat().st_mtime_ns // 1000
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=microseconds)


def replace_content(target: Path, source: Path, shift_seconds: float | None) -> None:
    """Write source's bytes over target, then move its mtime (None keeps it)."""
    before = target.stat()
    shutil.copyfile(source, target)
    if shift_seconds is None:
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    else:
        moved = before.st_mtime_ns + int(shift_seconds * 1_000_000_000)
        os.utime(target, ns=(moved, moved))


@pytest.fixture
def folders(tmp_path: Path, photo_source: Path) -> Path:
    """Return a folder with two camera JPEGs in each of `one` and `two`."""
    root = tmp_path / "folders"
    names = {
        "one": ("Canon_40D.jpg", "Nikon_D70.jpg"),
        "two": ("Pentax_K10D.jpg", "Kodak_CX7530.jpg"),
    }
    for folder, files in names.items():
        (root / folder).mkdir(parents=True)
        for name in files:
            shutil.copy2(photo_source / "jpg" / name, root / folder / name)
    return root


async def test_verify_nothing_missing(api, photos):
    await import_folder(api, "main", photos)

    assert await api.verify_image_files() == []


async def test_verify_missing(api, jpegs):
    images = await import_folder(api, "main", jpegs)
    (jpegs / "Nikon_D70.jpg").unlink()

    missing = await api.verify_image_files()

    assert missing == [images["Nikon_D70.jpg"]]
    assert await api.count_images() == 4


async def test_verify_missing_twice(api, jpegs):
    images = await import_folder(api, "main", jpegs)
    (jpegs / "Nikon_D70.jpg").unlink()
    (jpegs / "Canon_40D.jpg").unlink()

    await api.verify_image_files()
    missing = await api.verify_image_files()

    assert sorted(image.id for image in missing) == sorted(
        [images["Nikon_D70.jpg"].id, images["Canon_40D.jpg"].id]
    )


async def test_verify_changed_file(api, jpegs, photo_source):
    images = await import_folder(api, "main", jpegs)
    image = images["Canon_40D.jpg"]
    await api.edit_image(image.id, title="Kept", caption="Also kept", rating=5)
    target = jpegs / "Canon_40D.jpg"
    replace_content(target, photo_source / "jpg" / "gps" / "DSCN0010.jpg", 60)

    missing = await api.verify_image_files()

    changed = await api.get_image(image.id)
    assert missing == []
    assert changed.hash == hash_image(target)
    assert (changed.width, changed.height) == (640, 480)
    assert changed.exif["Make"] == "NIKON"
    assert changed.last_modified == file_mtime(target)
    assert changed.title == "Kept"
    assert changed.caption == "Also kept"
    assert changed.rating == 5


async def test_verify_unchanged_untouched(api, jpegs):
    images = await import_folder(api, "main", jpegs)

    await api.verify_image_files()

    after = {image.path.as_posix(): image for image in await api.search_images()}
    assert after == images


async def test_verify_same_mtime_skipped(api, jpegs, photo_source):
    images = await import_folder(api, "main", jpegs)
    image = images["Canon_40D.jpg"]
    replace_content(
        jpegs / "Canon_40D.jpg", photo_source / "jpg" / "gps" / "DSCN0010.jpg", None
    )

    await api.verify_image_files()

    assert await api.get_image(image.id) == image


async def test_verify_reparse_exif(api, jpegs, photo_source):
    images = await import_folder(api, "main", jpegs)
    image = images["Canon_40D.jpg"]
    target = jpegs / "Canon_40D.jpg"
    replace_content(target, photo_source / "jpg" / "gps" / "DSCN0010.jpg", None)

    missing = await api.verify_image_files(reparse_exif=True)

    changed = await api.get_image(image.id)
    assert missing == []
    assert changed.hash == hash_image(target)
    assert changed.exif["Make"] == "NIKON"
    assert (changed.width, changed.height) == (640, 480)
    assert changed.last_modified == image.last_modified


async def test_verify_location(api, folders):
    one = await import_folder(api, "one", folders / "one")
    two = await import_folder(api, "two", folders / "two")
    (folders / "one" / "Canon_40D.jpg").unlink()
    (folders / "two" / "Pentax_K10D.jpg").unlink()

    missing_one = await api.verify_image_files(location=one["Nikon_D70.jpg"].location)
    missing_two = await api.verify_image_files(
        location=two["Kodak_CX7530.jpg"].location
    )

    assert missing_one == [one["Canon_40D.jpg"]]
    assert missing_two == [two["Pentax_K10D.jpg"]]


async def test_verify_location_limits_updates(api, folders, photo_source):
    await import_folder(api, "one", folders / "one")
    two = await import_folder(api, "two", folders / "two")
    image = two["Pentax_K10D.jpg"]
    replace_content(
        folders / "two" / "Pentax_K10D.jpg", photo_source / "jpg" / "Canon_40D.jpg", 60
    )
    one_id = (await api.get_location("one")).id

    await api.verify_image_files(location=one_id)

    assert await api.get_image(image.id) == image


async def test_verify_path_absolute(api, folders):
    images = await import_folder(api, "main", folders)
    (folders / "one" / "Canon_40D.jpg").unlink()
    (folders / "two" / "Pentax_K10D.jpg").unlink()

    missing = await api.verify_image_files(path=folders / "one")

    assert missing == [images["one/Canon_40D.jpg"]]


async def test_verify_path_relative(api, folders):
    images = await import_folder(api, "main", folders)
    (folders / "one" / "Canon_40D.jpg").unlink()
    (folders / "two" / "Pentax_K10D.jpg").unlink()
    location_id = images["one/Nikon_D70.jpg"].location

    missing = await api.verify_image_files(location=location_id, path=Path("two"))

    assert missing == [images["two/Pentax_K10D.jpg"]]


async def test_verify_path_root(api, folders):
    images = await import_folder(api, "main", folders)
    (folders / "one" / "Canon_40D.jpg").unlink()

    missing = await api.verify_image_files(path=folders)

    assert missing == [images["one/Canon_40D.jpg"]]


async def test_verify_path_prefix_not_folder(api, folders, photo_source):
    # "one" must not match the sibling folder "one-more".
    (folders / "one-more").mkdir()
    shutil.copy2(
        photo_source / "jpg" / "Sony_HDR-HC3.jpg", folders / "one-more" / "x.jpg"
    )
    images = await import_folder(api, "main", folders)
    (folders / "one-more" / "x.jpg").unlink()

    missing = await api.verify_image_files(path=folders / "one")

    assert missing == []
    assert len(images) == 5


async def test_verify_path_outside(api, folders, tmp_path):
    await import_folder(api, "main", folders / "one")
    (folders / "one" / "Canon_40D.jpg").unlink()

    missing = await api.verify_image_files(path=tmp_path / "elsewhere")

    assert missing == []


async def test_verify_path_relative_without_location(api, folders):
    await import_folder(api, "main", folders)

    with pytest.raises(InputValidationError):
        await api.verify_image_files(path=Path("one"))


async def test_verify_unmounted_skipped(api, jpegs):
    await add_folder(api, "card", None, removable=True)
    await api.mount("card", jpegs)
    await api.import_location("card")
    images = {image.path.as_posix(): image for image in await api.search_images()}
    (jpegs / "Nikon_D70.jpg").unlink()
    await api.unmount("card")

    unmounted = await api.verify_image_files()
    await api.mount("card", jpegs)
    mounted = await api.verify_image_files()

    assert unmounted == []
    assert [image.id for image in mounted] == [images["Nikon_D70.jpg"].id]


async def test_verify_detached_drive_skipped(api, jpegs, tmp_path):
    images = await import_folder(api, "card", jpegs, removable=True)
    (jpegs / "Nikon_D70.jpg").unlink()
    jpegs.rename(tmp_path / "in-a-drawer")

    detached = await api.verify_image_files()
    (tmp_path / "in-a-drawer").rename(jpegs)
    attached = await api.verify_image_files()

    assert detached == []
    assert [image.id for image in attached] == [images["Nikon_D70.jpg"].id]


async def test_verify_detached_named_location(api, jpegs, tmp_path):
    images = await import_folder(api, "card", jpegs, removable=True)
    jpegs.rename(tmp_path / "in-a-drawer")

    missing = await api.verify_image_files(location=images["Canon_40D.jpg"].location)

    assert missing == []


async def test_verify_progress(api, photos):
    await import_folder(api, "main", photos)
    (photos / "jpg" / "Nikon_D70.jpg").unlink()
    calls = []

    await api.verify_image_files(progress=lambda *call: calls.append(call))

    done = [call[0] for call in calls]
    assert done == sorted(done)
    assert {call[1] for call in calls} == {81}
    assert calls[-1] == (81, 81)


async def test_verify_progress_empty(api):
    calls = []

    missing = await api.verify_image_files(progress=lambda *call: calls.append(call))

    assert missing == []
    assert calls[-1] == (0, 0)


async def test_verify_drive_pulled(api, photos, tmp_path):
    await import_folder(api, "card", photos, removable=True)

    def pull_drive(done: int, total: int) -> None:
        if done >= 10 and photos.exists():
            photos.rename(tmp_path / "in-a-drawer")

    missing = await api.verify_image_files(progress=pull_drive)

    assert missing == []
    assert await api.count_images() == 81


async def verify_cancelled_at(api, cancel_point: int) -> None:
    """Run verify_image_files and cancel it once cancel_point files are checked."""

    def cancel_later(done: int, total: int) -> None:
        if done >= cancel_point and not task.cancelling():
            task.cancel()

    task = asyncio.create_task(
        api.verify_image_files(batch_size=5, progress=cancel_later)
    )
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_verify_cancel(api, tmp_path):
    # Tiny files are read faster than a batch is written, so a cancel often
    # lands while the next batch's transaction begins.
    folder = tmp_path / "tiny"
    folder.mkdir()
    for index in range(80):
        PillowImage.new("RGB", (8, 8), (index, 0, 0)).save(folder / f"{index:02}.jpg")
    await import_folder(api, "main", folder)
    for path in folder.iterdir():
        moved = path.stat().st_mtime_ns + 60_000_000_000
        os.utime(path, ns=(moved, moved))

    # Each cancel lands at a different pause. Any of them may fall inside
    # a transaction, which must not leave the library unusable.
    for cancel_point in (10, 20, 30, 40):
        await verify_cancelled_at(api, cancel_point)
    missing = await api.verify_image_files()

    images = await api.search_images()
    stale = [
        image.path
        for image in images
        if image.last_modified != file_mtime(folder / image.path)
    ]
    assert missing == []
    assert stale == []


async def test_verify_linked_root(api, folders, tmp_path):
    (tmp_path / "link").symlink_to(folders, target_is_directory=True)
    images = await import_folder(api, "main", tmp_path / "link")
    (folders / "one" / "Canon_40D.jpg").unlink()

    missing = await api.verify_image_files(path=folders / "one")

    assert missing == [images["one/Canon_40D.jpg"]]


async def test_verify_unknown_location(api):
    with pytest.raises(KeyError):
        await api.verify_image_files(location=999)
