"""Nothing is ever written outside a location's root.

One test per route that writes or records files: add_image_copy, move_image,
remove_image, a task's destination format, a backup with edited paths, a
symbolic link inside a location, and locations nested inside each other.
Every escape raises InvalidPathError naming the offending path (or, inside a
task run, logs it and goes on), and the folder outside is compared byte for
byte before and after.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from picpocket.database.logic import Comparator, Text
from picpocket.errors import InvalidPathError
from picpocket.tasks import format_destination

CAMERA_NAMES = ["Canon_40D.jpg", "Kodak_CX7530.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"]


# Helpers ---------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, str]:
    """Return every entry under folder (not following links) with its content hash."""
    entries = {}
    for current, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(current) / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                entries[relative] = f"link to {os.readlink(path)}"
            elif path.is_dir():
                entries[relative] = "folder"
            else:
                entries[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """Return the picpocket warnings whose message contains text."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING
        and record.name.startswith("picpocket")
        and text in record.getMessage()
    ]


@pytest.fixture
def outside(tmp_path: Path, photo_source: Path) -> Path:
    """Return a folder beside every location, holding one photo of its own."""
    folder = tmp_path / "outside"
    folder.mkdir()
    shutil.copyfile(photo_source / "jpg" / "Sony_HDR-HC3.jpg", folder / "own.jpg")
    return folder


@pytest.fixture
def root(tmp_path: Path, jpegs: Path, outside: Path) -> Path:
    """Return a location folder with the camera photos and links leading outside.

    `link` is a folder link to `outside`, `gone` a link to a missing folder
    outside, and `own.jpg` a file link to the outside photo.
    """
    folder = tmp_path / "main"
    shutil.copytree(jpegs, folder / "photos")
    (folder / "link").symlink_to(outside, target_is_directory=True)
    (folder / "gone").symlink_to(tmp_path / "missing", target_is_directory=True)
    (folder / "own.jpg").symlink_to(outside / "own.jpg")
    return folder


@pytest.fixture
async def main(api, root: Path) -> int:
    return await api.add_location(
        "main", root, source=True, destination=True, removable=False
    )


@pytest.fixture
async def image_ids(api, main: int) -> dict[str, int]:
    """Import `main` and return the image ids by relative path."""
    await api.import_location("main")
    return {image.path.as_posix(): image.id for image in await api.search_images()}


# Destinations that leave the root, and the text the error must name.
ESCAPES = [
    ("../outside/new.jpg", "../outside/new.jpg"),
    ("photos/../../outside/new.jpg", "photos/../../outside/new.jpg"),
    ("link/new.jpg", "link/new.jpg"),
    ("link/deeper/new.jpg", "link/deeper/new.jpg"),
    ("gone/new.jpg", "gone/new.jpg"),
    ("own.jpg/new.jpg", "own.jpg/new.jpg"),
]


def absolute_escapes(root: Path, outside: Path) -> list[Path]:
    """Return absolute destinations, outside the root and inside it."""
    return [outside / "new.jpg", root / "photos" / "new.jpg", Path("/new.jpg")]


# add_image_copy --------------------------------------------------------------


@pytest.mark.parametrize("destination, named", ESCAPES)
async def test_copy_escape_rejected(
    api, main, root, outside, jpegs, destination, named
):
    outside_before, root_before = snapshot(outside), snapshot(root)

    with pytest.raises(InvalidPathError) as raised:
        await api.add_image_copy(jpegs / "Canon_40D.jpg", "main", Path(destination))

    assert named in str(raised.value)
    assert snapshot(outside) == outside_before
    assert snapshot(root) == root_before
    assert await api.count_images() == 0


async def test_copy_absolute_rejected(api, main, root, outside, jpegs):
    outside_before, root_before = snapshot(outside), snapshot(root)

    for destination in absolute_escapes(root, outside):
        with pytest.raises(InvalidPathError) as raised:
            await api.add_image_copy(jpegs / "Canon_40D.jpg", "main", destination)
        assert str(destination) in str(raised.value)

    assert snapshot(outside) == outside_before
    assert snapshot(root) == root_before


async def test_copy_over_file_link_rejected(api, main, root, outside, jpegs):
    outside_before = snapshot(outside)

    with pytest.raises(InvalidPathError, match="own.jpg"):
        await api.add_image_copy(jpegs / "Canon_40D.jpg", "main", Path("own.jpg"))

    assert snapshot(outside) == outside_before


async def test_copy_backslash_stays_inside(api, main, root, outside, jpegs):
    # On POSIX a backslash is an ordinary character of a file name.
    outside_before = snapshot(outside)

    await api.add_image_copy(jpegs / "Canon_40D.jpg", "main", Path("..\\new.jpg"))

    assert (root / "..\\new.jpg").is_file()
    assert snapshot(outside) == outside_before


# move_image -------------------------------------------------------------------


@pytest.mark.parametrize("destination, named", ESCAPES)
async def test_move_escape_rejected(api, image_ids, root, outside, destination, named):
    image_id = image_ids["photos/Canon_40D.jpg"]
    outside_before, root_before = snapshot(outside), snapshot(root)

    with pytest.raises(InvalidPathError) as raised:
        await api.move_image(image_id, Path(destination))

    image = await api.get_image(image_id)
    assert named in str(raised.value)
    assert image.path.as_posix() == "photos/Canon_40D.jpg"
    assert snapshot(outside) == outside_before
    assert snapshot(root) == root_before


async def test_move_absolute_rejected(api, image_ids, root, outside):
    image_id = image_ids["photos/Canon_40D.jpg"]
    outside_before, root_before = snapshot(outside), snapshot(root)

    for destination in absolute_escapes(root, outside):
        with pytest.raises(InvalidPathError) as raised:
            await api.move_image(image_id, destination)
        assert str(destination) in str(raised.value)

    assert snapshot(outside) == outside_before
    assert snapshot(root) == root_before


async def test_move_to_other_location_escape(api, image_ids, tmp_path, outside):
    other = tmp_path / "other"
    other.mkdir()
    (other / "out").symlink_to(outside, target_is_directory=True)
    other_id = await api.add_location("other", other, destination=True, removable=False)
    image_id = image_ids["photos/Canon_40D.jpg"]
    outside_before = snapshot(outside)

    for destination in ("../outside/new.jpg", "out/new.jpg"):
        with pytest.raises(InvalidPathError, match=destination):
            await api.move_image(image_id, Path(destination), other_id)

    assert snapshot(outside) == outside_before
    assert (await api.get_image(image_id)).location != other_id


# Symbolic links inside a location --------------------------------------------


async def test_import_stays_inside(api, main, root, outside, caplog):
    outside_before = snapshot(outside)

    ids = await api.import_location("main")

    paths = {image.path.as_posix() for image in await api.search_images()}
    assert paths == {f"photos/{name}" for name in CAMERA_NAMES}
    assert len(ids) == len(CAMERA_NAMES)
    assert len(warnings_about(caplog, str(root / "link"))) == 1
    assert len(warnings_about(caplog, str(root / "own.jpg"))) == 1
    assert snapshot(outside) == outside_before


async def test_import_link_swapped_in(api, main, root, outside):
    # A folder recorded while real, then replaced by a link that leads out,
    # with no other link to the same folder that a walk could meet first.
    await api.import_location("main")
    (root / "link").unlink()
    shutil.rmtree(root / "photos")
    (root / "photos").symlink_to(outside, target_is_directory=True)
    outside_before = snapshot(outside)

    ids = await api.import_location("main")

    assert ids == []
    found = await api.count_images(Text("path", Comparator.EQUALS, "photos/own.jpg"))
    assert found == 0
    assert snapshot(outside) == outside_before


async def test_delete_through_link_rejected(api, image_ids, root, outside):
    # The record names photos/Canon_40D.jpg. That folder now leads outside,
    # where a file of that name has the recorded content.
    image_id = image_ids["photos/Canon_40D.jpg"]
    shutil.move(root / "photos" / "Canon_40D.jpg", outside / "Canon_40D.jpg")
    shutil.rmtree(root / "photos")
    (root / "photos").symlink_to(outside, target_is_directory=True)
    outside_before = snapshot(outside)

    with pytest.raises(InvalidPathError, match="photos/Canon_40D.jpg"):
        await api.remove_image(image_id, delete=True)
    with pytest.raises(InvalidPathError, match="photos/Canon_40D.jpg"):
        await api.move_image(image_id, Path("elsewhere.jpg"))

    assert snapshot(outside) == outside_before
    assert await api.get_image(image_id) is not None


async def test_root_through_link_allowed(api, tmp_path, jpegs):
    # The location's own folder may be a link, because only links inside it
    # can lead out of it.
    (tmp_path / "alias").symlink_to(jpegs, target_is_directory=True)
    await api.add_location(
        "main", tmp_path / "alias", destination=True, removable=False
    )

    ids = await api.import_location("main")
    await api.move_image(ids[0], Path("sub/moved.jpg"))

    assert len(ids) == len(CAMERA_NAMES)
    assert (jpegs / "sub" / "moved.jpg").is_file()


# Task destinations ------------------------------------------------------------


@pytest.fixture
def card(tmp_path: Path, jpegs: Path) -> Path:
    """Return a camera card with DCIM/100CANON holding the camera photos."""
    folder = tmp_path / "card"
    shutil.copytree(jpegs, folder / "DCIM" / "100CANON")
    return folder


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    folder = tmp_path / "storage"
    folder.mkdir()
    return folder


async def add_task_locations(api, card: Path, storage: Path) -> None:
    await api.add_location("card", card, source=True, removable=False)
    await api.add_location("storage", storage, destination=True, removable=False)


@pytest.mark.parametrize(
    "template",
    [
        "{directory}/../../outside/{file}",
        "../{file}",
        "/tmp/{file}",
        "{date:/%Y}/{file}",
    ],
)
async def test_task_format_escape_rejected(api, card, storage, outside, template):
    await add_task_locations(api, card, storage)

    with pytest.raises(InvalidPathError) as raised:
        await api.add_task("copy", "card", "storage", destination_format=template)

    assert template in str(raised.value)
    assert await api.get_task("copy") is None


@pytest.mark.parametrize(
    "directory, rendered",
    [
        ("..", "../IMG_1.JPG"),
        ("a/../..", "a/../../IMG_1.JPG"),
        ("DCIM/../../../etc", "DCIM/../../../etc/IMG_1.JPG"),
        ("/etc", "/etc"),
    ],
)
def test_format_directory_escape(directory, rendered):
    with pytest.raises(InvalidPathError) as raised:
        format_destination(
            "{directory}/{file}",
            directory=directory,
            file="IMG_1.JPG",
            date=datetime(2021, 3, 2),
            hash="0" * 64,
            index=1,
        )

    assert rendered in str(raised.value)


async def test_task_rendered_escape_skipped(api, card, storage, outside, caplog):
    # "{name:.2}" passes the check on a sample name, but cuts "..evil" to "..".
    shutil.copyfile(card / "DCIM" / "100CANON" / "Canon_40D.jpg", card / "..evil.jpg")
    await add_task_locations(api, card, storage)
    await api.add_task(
        "copy", "card", "storage", destination_format="{name:.2}/{file}"
    )
    outside_before = snapshot(outside)

    ids = await api.run_task("copy")

    messages = warnings_about(caplog, "../..evil.jpg")
    assert len(ids) == len(CAMERA_NAMES)
    assert len(messages) == 1
    assert not (storage.parent / "..evil.jpg").exists()
    assert snapshot(outside) == outside_before


async def test_task_destination_link_skipped(api, card, storage, outside, caplog):
    (storage / "DCIM").symlink_to(outside, target_is_directory=True)
    await add_task_locations(api, card, storage)
    await api.add_task("copy", "card", "storage")
    outside_before = snapshot(outside)

    ids = await api.run_task("copy")

    assert ids == []
    assert snapshot(outside) == outside_before
    for name in CAMERA_NAMES:
        assert len(warnings_about(caplog, f"DCIM/100CANON/{name}")) == 1, name


async def test_task_regex_stays_inside(api, card, storage, outside, caplog):
    # Folder names cannot contain '/', so a pattern that matches anything
    # still yields folders of the card. A link on the card that leads out of
    # it is skipped.
    (card / "DCIM" / "away").symlink_to(outside, target_is_directory=True)
    await add_task_locations(api, card, storage)
    await api.add_task(
        "copy", "card", "storage", source_path="DCIM/{regex:.*}",
        destination_format="{directory}/{file}",
    )
    outside_before = snapshot(outside)

    ids = await api.run_task("copy")

    copied = sorted(path.relative_to(storage).as_posix()
                    for path in storage.rglob("*.jpg"))
    assert copied == [f"DCIM/100CANON/{name}" for name in CAMERA_NAMES]
    assert len(ids) == len(CAMERA_NAMES)
    assert len(warnings_about(caplog, str(card / "DCIM" / "away"))) == 1
    assert snapshot(outside) == outside_before


# Backups -----------------------------------------------------------------------


@pytest.fixture
async def backup(api, image_ids, tmp_path) -> dict:
    """Export the imported library, empty it, and return the backup's data."""
    path = tmp_path / "backup.json"
    await api.export_data(path)
    await api.remove_location("main", force=True)
    return json.loads(path.read_text(encoding="utf-8"))


def write_backup(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "edited",
    ["../outside/own.jpg", "photos/../../outside/own.jpg", "/etc/passwd",
     "photos/../../../x.jpg"],
)
async def test_backup_edited_path_rejected(api, backup, tmp_path, outside, edited):
    backup["images"][0]["path"] = edited
    outside_before = snapshot(outside)

    with pytest.raises(InvalidPathError) as raised:
        await api.import_data(write_backup(tmp_path, backup))

    assert repr(edited) in str(raised.value)
    assert await api.list_locations() == []
    assert await api.count_images() == 0
    assert snapshot(outside) == outside_before


async def test_backup_edited_task_rejected(api, backup, tmp_path):
    backup["tasks"] = [{
        "name": "copy", "source": "main", "destination": "main",
        "destination_format": "../../{file}",
    }]

    with pytest.raises(InvalidPathError, match=r"\.\./\.\./\{file\}"):
        await api.import_data(write_backup(tmp_path, backup))

    assert await api.list_tasks() == []


async def test_backup_path_through_link(api, backup, tmp_path, root, outside):
    # A path that only a link inside the location leads out of is recorded,
    # but every file operation on it is rejected.
    backup["images"][0]["path"] = "link/own.jpg"
    await api.import_data(write_backup(tmp_path, backup))
    linked = Text("path", Comparator.EQUALS, "link/own.jpg")
    image = (await api.search_images(linked))[0]
    outside_before = snapshot(outside)

    with pytest.raises(InvalidPathError, match="link/own.jpg"):
        await api.remove_image(image.id, delete=True)
    with pytest.raises(InvalidPathError, match="link/own.jpg"):
        await api.move_image(image.id, Path("taken.jpg"))

    assert snapshot(outside) == outside_before


# Nested locations --------------------------------------------------------------


@pytest.mark.parametrize(
    "inner_first", [True, False], ids=["inner_first", "outer_first"]
)
async def test_nested_locations_record_once(api, jpegs, tmp_path, inner_first):
    outer = tmp_path / "outer"
    shutil.copytree(jpegs, outer / "inner")
    shutil.copyfile(jpegs / "Canon_40D.jpg", outer / "top.jpg")
    await api.add_location("outer", outer, source=True, removable=False)
    await api.add_location("inner", outer / "inner", source=True, removable=False)
    order = ["inner", "outer"] if inner_first else ["outer", "inner"]

    for name in order:
        await api.import_location(name)

    images = await api.search_images()
    outer_id = (await api.get_location("outer")).id
    assert len(images) == 1 + len(CAMERA_NAMES)
    outer_paths = {
        image.path.as_posix() for image in images if image.location == outer_id
    }
    assert outer_paths == {"top.jpg"}


async def test_nested_location_through_link(api, jpegs, tmp_path):
    outer = tmp_path / "outer"
    shutil.copytree(jpegs, outer / "inner")
    (tmp_path / "inner_alias").symlink_to(outer / "inner", target_is_directory=True)
    await api.add_location("outer", outer, source=True, removable=False)
    await api.add_location("inner", tmp_path / "inner_alias", source=True,
                           removable=False)

    await api.import_location("outer")
    await api.import_location("inner")

    assert await api.count_images() == len(CAMERA_NAMES)
