"""Odd file names and trees: every file is recorded once, under its exact name.

Covers non-ASCII names in both Unicode normalization forms, spaces, quotes,
newlines and names that differ only in case. Also names and paths at the
system's length limits, a folder of 20,000 files, symbolic-link loops, and
files that disappear or change while an import reads them.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image as PillowImage

import picpocket.database.file_reads
import picpocket.images
from picpocket.database.logic import Comparator, Text
from picpocket.database.types import Image
from picpocket.errors import InvalidPathError
from picpocket.images import hash_image

CAMERA_COUNT = 4  # photos in the `jpegs` fixture
NAME_MAX = 255  # bytes in one name on Linux file systems such as ext4 and tmpfs
PATH_MAX = 4096  # bytes in a path given to a system call, with its final NUL

CAFE_NFC = unicodedata.normalize("NFC", "café.jpg")
CAFE_NFD = unicodedata.normalize("NFD", "café.jpg")
ODD_NAMES = [
    CAFE_NFC,
    CAFE_NFD,
    "two  spaces .jpg",
    " leading space.jpg",
    "it's a \"quote\".jpg",
    "back\\slash.jpg",
    "100%_done [1] {2} (3).jpg",
    "line\nbreak.jpg",
    "tab\there.jpg",
    "-rf.jpg",
    ".hidden.jpg",
    "🐦 bird.jpg",
    "صورة.jpg",
    "東京タワー.jpg",
    "IMG_0001.JPG",
    "img_0001.jpg",
    "Img_0001.Jpg",
]


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


def copy_names(source: Path, folder: Path, names: list[str]) -> None:
    """Write one copy of source under each name in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(source, folder / name)


def deep_folder(root: Path, total: int) -> Path:
    """Create nested folders under root whose full path is total bytes long."""
    folder = root
    while len(os.fsencode(folder)) + 201 < total:
        folder = folder / ("d" * 200)
    rest = total - len(os.fsencode(folder)) - 1
    if rest > 0:
        folder = folder / ("e" * rest)
    folder.mkdir(parents=True, exist_ok=True)
    assert len(os.fsencode(folder)) in (total, total - 1)
    return folder


def fill_name(folder: Path, total: int, suffix: str = ".jpg") -> str:
    """Return an ASCII file name that makes folder/name exactly total bytes long."""
    room = total - len(os.fsencode(folder)) - 1
    assert len(suffix) < room <= NAME_MAX, room
    return "n" * (room - len(suffix)) + suffix


# Names ------------------------------------------------------------------------


async def test_import_odd_names(api, jpegs, photo_source):
    folder = jpegs / "odd"
    copy_names(photo_source / "jpg" / "Canon_40D.jpg", folder, ODD_NAMES)
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    images = await images_by_path(api)
    expected = {f"odd/{name}" for name in ODD_NAMES}
    assert len(ids) == CAMERA_COUNT + len(ODD_NAMES)
    assert expected <= set(images)
    for name in ODD_NAMES:
        found = await api.find_image(folder / name)
        assert found is not None, name
        assert found.id == images[f"odd/{name}"].id, name


async def test_import_odd_names_split(api, jpegs, photo_source):
    copy_names(photo_source / "jpg" / "Canon_40D.jpg", jpegs, ODD_NAMES)
    await add_folder(api, "main", jpegs)

    await api.import_location("main")

    images = await images_by_path(api)
    for name in ODD_NAMES:
        stem, extension = name.rsplit(".", 1)
        assert images[name].name == stem, name
        assert images[name].extension == extension.lower(), name


async def test_search_odd_names_exact(api, jpegs, photo_source):
    copy_names(photo_source / "jpg" / "Canon_40D.jpg", jpegs, ODD_NAMES)
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    images = await images_by_path(api)

    for name in ODD_NAMES:
        found = await api.get_image_ids(Text("path", Comparator.EQUALS, name))
        assert found == [images[name].id], repr(name)


async def test_normalization_forms_distinct(api, jpegs, photo_source):
    # Linux keeps names as bytes, so the two spellings are two files.
    copy_names(photo_source / "jpg" / "Canon_40D.jpg", jpegs, [CAFE_NFC])
    copy_names(photo_source / "jpg" / "Nikon_D70.jpg", jpegs, [CAFE_NFD])
    await add_folder(api, "main", jpegs)
    await api.import_location("main")

    nfc = await api.search_images(Text("path", Comparator.EQUALS, CAFE_NFC))
    nfd = await api.search_images(Text("path", Comparator.EQUALS, CAFE_NFD))

    assert [image.hash for image in nfc] == [hash_image(jpegs / CAFE_NFC)]
    assert [image.hash for image in nfd] == [hash_image(jpegs / CAFE_NFD)]
    assert nfc[0].hash != nfd[0].hash


async def test_case_only_names(api, jpegs):
    names = ["IMG_0001.JPG", "img_0001.jpg", "Img_0001.Jpg"]
    copy_names(jpegs / "Canon_40D.jpg", jpegs, names)
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    images = await images_by_path(api)

    for name in names:
        exact = await api.get_image_ids(Text("path", Comparator.EQUALS, name))
        assert exact == [images[name].id], name
    folded = await api.get_image_ids(Text("path", Comparator.STARTS_WITH, "img_0001."))
    assert set(folded) == {images[name].id for name in names}


async def test_move_to_odd_names(api, jpegs):
    await add_folder(api, "main", jpegs)
    ids = await api.import_location("main")
    targets = ["new\nline/it's.jpg", f"nfd/{CAFE_NFD}", "Case/IMG.JPG", "case/img.jpg"]

    for image_id, target in zip(ids, targets):
        await api.move_image(image_id, Path(target))

    images = await images_by_path(api)
    for image_id, target in zip(ids, targets):
        assert images[target].id == image_id, target
        assert (jpegs / target).is_file(), target


async def test_copy_to_odd_names(api, jpegs, tmp_path):
    root = tmp_path / "main"
    root.mkdir()
    await add_folder(api, "main", root)

    for name in ODD_NAMES:
        await api.add_image_copy(jpegs / "Canon_40D.jpg", "main", Path("in") / name)

    listed = sorted(path.name for path in (root / "in").iterdir())
    assert listed == sorted(ODD_NAMES)
    assert await api.count_images() == len(ODD_NAMES)


async def test_name_not_unicode_skipped(api, jpegs, caplog):
    with open(os.fsencode(jpegs) + b"/latin1_caf\xe9.jpg", "wb") as file:
        file.write((jpegs / "Canon_40D.jpg").read_bytes())
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    assert len(ids) == CAMERA_COUNT
    assert len(warnings_about(caplog, "not valid Unicode")) == 1


async def test_odd_names_backup_round_trip(api, jpegs, photo_source, tmp_path):
    copy_names(photo_source / "jpg" / "Canon_40D.jpg", jpegs, ODD_NAMES)
    await add_folder(api, "main", jpegs)
    await api.import_location("main")
    before = await images_by_path(api)
    backup = tmp_path / "backup.json"
    await api.export_data(backup)
    await api.remove_location("main", force=True)

    await api.import_data(backup)

    after = await images_by_path(api)
    assert set(after) == set(before)
    for name in ODD_NAMES:
        assert after[name].hash == before[name].hash, name


# Lengths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "a" * (NAME_MAX - 4) + ".jpg",
        "é" * 125 + "x.jpg",  # 2-byte characters
        "🐦" * 62 + "abc.jpg",  # 4-byte characters
    ],
    ids=["ascii", "two_byte", "four_byte"],
)
async def test_name_at_limit(api, jpegs, name):
    assert len(os.fsencode(name)) == NAME_MAX
    shutil.copyfile(jpegs / "Canon_40D.jpg", jpegs / name)
    await add_folder(api, "main", jpegs)
    ids = await api.import_location("main")
    image_id = (await images_by_path(api))[name].id

    await api.move_image(image_id, Path("moved") / name)
    copied = await api.add_image_copy(jpegs / "Nikon_D70.jpg", "main", Path(name))

    images = await images_by_path(api)
    assert len(ids) == CAMERA_COUNT + 1
    assert images[f"moved/{name}"].id == image_id
    assert images[name].id == copied


async def test_name_over_limit_rejected(api, jpegs):
    await add_folder(api, "main", jpegs)
    ids = await api.import_location("main")
    name = "b" * (NAME_MAX - 3) + ".jpg"

    with pytest.raises(InvalidPathError, match=f"{NAME_MAX + 1} bytes"):
        await api.move_image(ids[0], Path(name))
    with pytest.raises(InvalidPathError, match=f"{NAME_MAX + 1} bytes"):
        await api.add_image_copy(jpegs / "Canon_40D.jpg", "main", Path(name))

    assert sorted(os.listdir(jpegs)) == sorted(
        ["Canon_40D.jpg", "Kodak_CX7530.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"]
    )


async def test_path_near_limit(api, jpegs, tmp_path):
    root = tmp_path / "main"
    deep = deep_folder(root, PATH_MAX - 120)
    name = fill_name(deep, PATH_MAX - 1)
    shutil.copyfile(jpegs / "Canon_40D.jpg", deep / name)
    await add_folder(api, "main", root)

    ids = await api.import_location("main")

    relative = (deep / name).relative_to(root).as_posix()
    images = await images_by_path(api)
    assert len(ids) == 1
    assert images[relative].hash == hash_image(deep / name)


async def test_copy_near_limit(api, jpegs, tmp_path):
    root = tmp_path / "main"
    deep = deep_folder(root, PATH_MAX - 120)
    await add_folder(api, "main", root)
    name = fill_name(deep, PATH_MAX - 1)
    too_long = fill_name(deep, PATH_MAX - 1) + "x"

    image_id = await api.add_image_copy(
        jpegs / "Canon_40D.jpg", "main", (deep / name).relative_to(root)
    )
    with pytest.raises(InvalidPathError, match="bytes long"):
        await api.add_image_copy(
            jpegs / "Canon_40D.jpg", "main", (deep / too_long).relative_to(root)
        )

    assert (await api.get_image(image_id)).hash == hash_image(deep / name)
    assert sorted(os.listdir(deep)) == [name]


async def test_path_beyond_limit_skipped(api, jpegs, tmp_path, caplog):
    root = tmp_path / "main"
    deep = deep_folder(root, PATH_MAX - 150)
    shutil.copyfile(jpegs / "Canon_40D.jpg", root / "shallow.jpg")
    # A folder whose full path exceeds PATH_MAX can be made relative to
    # its parent's descriptor, though no absolute path reaches it.
    descriptor = os.open(deep, os.O_RDONLY)
    try:
        os.mkdir("e" * 200, dir_fd=descriptor)
    finally:
        os.close(descriptor)
    await add_folder(api, "main", root)

    ids = await api.import_location("main")

    assert len(ids) == 1
    assert len(warnings_about(caplog, os.strerror(errno.ENAMETOOLONG))) == 1


# A large folder ---------------------------------------------------------------

MANY = 20_000
# Importing 50,000 tiny JPEGs took about 36 s per backend on an idle 2-core
# machine (tests/benchmarks/RESULTS.md), so 20,000 files take about 15 s. The
# ceiling leaves room for a busy machine and still stops an import that
# slows down faster than the number of files grows.
MANY_SECONDS = 90


async def test_import_many_files(api, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    first = folder / "00000.png"
    PillowImage.new("RGB", (1, 1)).save(first)
    for number in range(1, MANY):
        os.link(first, folder / f"{number:05d}.png")
    await add_folder(api, "main", folder)

    ids = await asyncio.wait_for(api.import_location("main"), MANY_SECONDS)
    again = await asyncio.wait_for(api.import_location("main"), MANY_SECONDS)

    assert len(ids) == MANY
    assert len(set(ids)) == MANY
    assert again == []
    assert await api.count_images(Text("path", Comparator.EQUALS, "19999.png")) == 1


# Symbolic-link loops ----------------------------------------------------------


async def test_import_link_loops(api, jpegs, caplog):
    (jpegs / "sub").mkdir()
    shutil.copyfile(jpegs / "Canon_40D.jpg", jpegs / "sub" / "inner.jpg")
    (jpegs / "sub" / "up").symlink_to("..", target_is_directory=True)
    (jpegs / "self").symlink_to(".", target_is_directory=True)
    (jpegs / "ping").symlink_to("pong")
    (jpegs / "pong").symlink_to("ping")
    (jpegs / "spin.jpg").symlink_to("spin.jpg")
    await add_folder(api, "main", jpegs)

    ids = await asyncio.wait_for(api.import_location("main"), 60)

    images = await images_by_path(api)
    assert len(ids) == CAMERA_COUNT + 1
    assert "sub/inner.jpg" in images
    assert len(warnings_about(caplog, "already read")) == 2
    assert len(warnings_about(caplog, "spin.jpg")) == 1


async def test_linked_folder_recorded_once(api, jpegs):
    (jpegs / "real").mkdir()
    shutil.copyfile(jpegs / "Canon_40D.jpg", jpegs / "real" / "one.jpg")
    (jpegs / "alias").symlink_to("real", target_is_directory=True)
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    paths = set(await images_by_path(api))
    assert len(ids) == CAMERA_COUNT + 1
    assert len(paths & {"real/one.jpg", "alias/one.jpg"}) == 1


# Files that change during an import -------------------------------------------


@pytest.fixture
def reading_hook(monkeypatch):
    """Return a function that runs an action once, just before a file is read.

    The import lists the files first, so the action happens between listing
    and reading, as when another program works on the folder.
    """
    original = picpocket.database.file_reads.read_image_facts

    def install(name: str, action) -> None:
        pending = [action]

        def read(path: Path | str):
            if Path(path).name == name and pending:
                pending.pop()(Path(path))
            return original(path)

        monkeypatch.setattr(picpocket.database.file_reads, "read_image_facts", read)

    return install


async def test_file_disappears_before_read(api, jpegs, caplog, reading_hook):
    reading_hook("Canon_40D.jpg", lambda path: path.unlink())
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main", batch_size=2)

    images = await images_by_path(api)
    assert len(ids) == CAMERA_COUNT - 1
    assert "Canon_40D.jpg" not in images
    assert len(warnings_about(caplog, "Canon_40D.jpg")) == 1
    assert await api.verify_image_files() == []


async def test_file_replaced_by_folder_before_read(api, jpegs, caplog, reading_hook):
    def replace(path: Path) -> None:
        path.unlink()
        path.mkdir()

    reading_hook("Canon_40D.jpg", replace)
    await add_folder(api, "main", jpegs)

    ids = await api.import_location("main")

    assert len(ids) == CAMERA_COUNT - 1
    assert len(warnings_about(caplog, "Canon_40D.jpg")) == 1


def replace_with(replacement: bytes):
    """Return an action that rewrites a file in place and moves its mtime on."""

    def change(changed: Path) -> None:
        changed.write_bytes(replacement)
        status = changed.stat()
        os.utime(changed, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))

    return change


async def test_file_changes_before_read(api, jpegs, reading_hook):
    path = jpegs / "Canon_40D.jpg"
    reading_hook("Canon_40D.jpg", replace_with((jpegs / "Nikon_D70.jpg").read_bytes()))
    await add_folder(api, "main", jpegs)

    first = await api.import_location("main")
    image = (await images_by_path(api))["Canon_40D.jpg"]
    second = await api.import_location("main")

    # The new content is recorded with its own time, so nothing is left
    # for the next import to read.
    assert len(first) == CAMERA_COUNT
    assert image.hash == hash_image(path)
    assert image.last_modified == file_mtime(path)
    assert second == []


async def test_file_changes_during_read(api, jpegs, monkeypatch):
    path = jpegs / "Canon_40D.jpg"
    change = replace_with((jpegs / "Nikon_D70.jpg").read_bytes())
    original = picpocket.images._read_all
    pending = [path]

    def read_after_change(descriptor: int, expected: int) -> bytes:
        # Between taking the modification time and reading the bytes.
        if pending and os.path.samestat(os.fstat(descriptor), os.stat(path)):
            change(pending.pop())
        return original(descriptor, expected)

    monkeypatch.setattr(picpocket.images, "_read_all", read_after_change)
    await add_folder(api, "main", jpegs)

    first = await api.import_location("main")
    image = (await images_by_path(api))["Canon_40D.jpg"]
    # The time taken before the change makes the next import read the
    # file again.
    second = await api.import_location("main")
    reread = (await images_by_path(api))["Canon_40D.jpg"]

    assert not pending
    assert len(first) == CAMERA_COUNT
    assert image.last_modified < file_mtime(path)
    assert second == [image.id]
    assert reread.last_modified == file_mtime(path)
    assert reread.hash == hash_image(path)
