"""Tests for locations: adding, editing, removing, mounting and reachability."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import picpocket
from picpocket.errors import (
    DataIntegrityError,
    InputValidationError,
    InvalidPathError,
    UnknownItemError,
)
from picpocket.internal_use import NotSupplied

JPEG_NAMES = ["Canon_40D.jpg", "Kodak_CX7530.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"]


async def location_names(api) -> list[str]:
    return [location.name for location in await api.list_locations()]


# Adding ----------------------------------------------------------------


async def test_add_every_argument(api, tmp_path):
    location_id = await api.add_location(
        "camera",
        tmp_path,
        description="my digital camera",
        source=True,
        destination=True,
        removable=False,
    )
    location = await api.get_location(location_id)
    assert location.id == location_id
    assert location.name == "camera"
    assert location.path == tmp_path
    assert location.description == "my digital camera"
    assert location.source is True
    assert location.destination is True
    assert location.removable is False
    assert location.mount_point is None


async def test_add_defaults(api):
    location_id = await api.add_location("card", source=True)
    location = await api.get_location(location_id)
    assert location.path is None
    assert location.description is None
    assert location.source is True
    assert location.destination is False
    assert location.removable is True


async def test_add_destination_only(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, destination=True)
    location = await api.get_location(location_id)
    assert location.source is False
    assert location.destination is True


async def test_add_ids_differ(api, tmp_path):
    first = await api.add_location("first", tmp_path, source=True)
    second = await api.add_location("second", tmp_path, source=True)
    assert first != second


async def test_add_duplicate_name(api, tmp_path):
    await api.add_location("photos", tmp_path, destination=True)
    with pytest.raises(InputValidationError, match="photos"):
        await api.add_location("photos", tmp_path / "other", source=True)
    assert await location_names(api) == ["photos"]


async def test_add_names_case_sensitive(api, tmp_path):
    await api.add_location("photos", tmp_path, destination=True)
    await api.add_location("Photos", tmp_path, destination=True)
    assert await location_names(api) == ["photos", "Photos"]


async def test_add_no_role(api, tmp_path):
    with pytest.raises(InputValidationError, match="source"):
        await api.add_location("nothing", tmp_path)
    assert await location_names(api) == []


async def test_add_relative_path(api):
    with pytest.raises(InputValidationError, match="relative"):
        await api.add_location("photos", Path("photos/2024"), destination=True)
    assert await location_names(api) == []


async def test_add_empty_name(api, tmp_path):
    with pytest.raises(InputValidationError):
        await api.add_location("", tmp_path, destination=True)
    assert await location_names(api) == []


async def test_add_missing_path(api, tmp_path):
    # A drive that is not attached now can still be added.
    location_id = await api.add_location("drive", tmp_path / "absent", source=True)
    location = await api.get_location(location_id)
    assert location.path == tmp_path / "absent"


async def test_add_file_path(api, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"")

    with pytest.raises(InvalidPathError, match="photo.jpg.*not a folder"):
        await api.add_location("photo", photo, source=True)

    assert await location_names(api) == []


# Editing ---------------------------------------------------------------


async def test_edit_rename(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, destination=True)
    await api.edit_location("photos", "archive")
    location = await api.get_location(location_id)
    assert location.name == "archive"
    assert await api.get_location("photos") is None


async def test_edit_by_id(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, destination=True)
    await api.edit_location(location_id, description="main storage")
    location = await api.get_location(location_id)
    assert location.description == "main storage"


async def test_edit_not_supplied_keeps(api, tmp_path):
    location_id = await api.add_location(
        "photos", tmp_path, description="main storage", destination=True
    )
    await api.edit_location(
        location_id, path=NotSupplied(), description=NotSupplied(), source=True
    )
    location = await api.get_location(location_id)
    assert location.name == "photos"
    assert location.path == tmp_path
    assert location.description == "main storage"
    assert location.source is True


async def test_edit_none_erases(api, tmp_path):
    location_id = await api.add_location(
        "photos", tmp_path, description="main storage", destination=True
    )
    await api.edit_location(location_id, path=None, description=None)
    location = await api.get_location(location_id)
    assert location.path is None
    assert location.description is None


async def test_edit_path(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, destination=True)
    await api.edit_location(location_id, path=tmp_path / "new")
    location = await api.get_location(location_id)
    assert location.path == tmp_path / "new"


async def test_edit_flags(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, source=True)
    await api.edit_location(
        location_id, source=False, destination=True, removable=False
    )
    location = await api.get_location(location_id)
    assert location.source is False
    assert location.destination is True
    assert location.removable is False


async def test_edit_no_role(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, source=True)
    with pytest.raises(InputValidationError, match="source"):
        await api.edit_location(location_id, source=False)
    location = await api.get_location(location_id)
    assert location.source is True


async def test_edit_file_path(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, source=True)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"")

    with pytest.raises(InvalidPathError, match="not a folder"):
        await api.edit_location(location_id, path=photo)

    assert (await api.get_location(location_id)).path == tmp_path


async def test_edit_relative_path(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, source=True)
    with pytest.raises(InputValidationError, match="relative"):
        await api.edit_location(location_id, path=Path("elsewhere"))
    location = await api.get_location(location_id)
    assert location.path == tmp_path


async def test_edit_rename_taken(api, tmp_path):
    photos = await api.add_location("photos", tmp_path, description="a", source=True)
    await api.add_location("camera", tmp_path, description="b", source=True)
    with pytest.raises(InputValidationError, match="camera"):
        await api.edit_location("photos", "camera", description="changed")
    location = await api.get_location(photos)
    assert location.name == "photos"
    assert location.description == "a"
    assert await location_names(api) == ["photos", "camera"]


async def test_edit_rename_same(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, source=True)
    await api.edit_location("photos", "photos")
    location = await api.get_location(location_id)
    assert location.name == "photos"


async def test_edit_unknown(api):
    with pytest.raises(UnknownItemError):
        await api.edit_location("absent", "other")


# Getting and listing ---------------------------------------------------


async def test_get_by_name(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, source=True)
    location = await api.get_location("photos")
    assert location.id == location_id


async def test_get_by_id(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, source=True)
    location = await api.get_location(location_id)
    assert location.name == "photos"


async def test_get_unknown(api):
    assert await api.get_location("absent") is None


async def test_get_unknown_id(api):
    assert await api.get_location(12345) is None


async def test_get_expect_unknown(api):
    with pytest.raises(UnknownItemError, match="absent"):
        await api.get_location("absent", expect=True)


async def test_get_expect_keyerror(api):
    with pytest.raises(KeyError):
        await api.get_location(12345, expect=True)


async def test_get_expect_found(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, source=True)
    location = await api.get_location("photos", expect=True)
    assert location.id == location_id


async def test_list_empty(api):
    assert await api.list_locations() == []


async def test_list_all(api, tmp_path):
    first = await api.add_location("photos", tmp_path, destination=True)
    second = await api.add_location("camera", source=True)
    locations = await api.list_locations()
    assert [location.id for location in locations] == [first, second]
    assert locations[1].path is None


# Removing --------------------------------------------------------------


async def test_remove_empty(api, tmp_path):
    await api.add_location("photos", tmp_path, destination=True)
    assert await api.remove_location("photos") is True
    assert await api.get_location("photos") is None


async def test_remove_by_id(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, destination=True)
    assert await api.remove_location(location_id) is True
    assert await api.list_locations() == []


async def test_remove_unknown(api):
    assert await api.remove_location("absent") is False


async def test_remove_with_images(api, jpegs):
    await api.add_location("photos", jpegs, source=True, removable=False)
    await api.import_location("photos")
    with pytest.raises(DataIntegrityError, match="force"):
        await api.remove_location("photos")
    assert await location_names(api) == ["photos"]
    assert await api.count_images() == 4


async def test_remove_force(api, jpegs):
    before = {name: (jpegs / name).read_bytes() for name in JPEG_NAMES}
    await api.add_location("photos", jpegs, source=True, removable=False)
    ids = await api.import_location("photos")
    await api.tag_image(ids[0], "bird")
    assert await api.remove_location("photos", force=True) is True
    assert await api.get_location("photos") is None
    assert await api.count_images() == 0
    assert await api.get_image(ids[0]) is None
    after = {path.name: path.read_bytes() for path in jpegs.iterdir()}
    assert after == before


async def test_remove_keeps_other(api, jpegs, tmp_path):
    await api.add_location("photos", jpegs, source=True, removable=False)
    await api.add_location("other", tmp_path, destination=True)
    await api.import_location("photos")
    await api.remove_location("other")
    assert await location_names(api) == ["photos"]
    assert await api.count_images() == 4


async def test_remove_with_task(api, jpegs, tmp_path):
    await api.add_location("camera", jpegs, source=True)
    await api.add_location("photos", tmp_path / "out", destination=True)
    await api.add_task("offload", "camera", "photos")
    with pytest.raises(DataIntegrityError):
        await api.remove_location("camera")
    assert await location_names(api) == ["camera", "photos"]


async def test_remove_forgets_mount(api, tmp_path):
    location_id = await api.add_location("card", source=True)
    await api.mount("card", tmp_path)
    await api.remove_location("card")
    assert location_id not in api.mounts


# Mounting --------------------------------------------------------------


async def test_mount_sets_point(api, tmp_path):
    location_id = await api.add_location("card", source=True)
    await api.mount("card", tmp_path)
    location = await api.get_location(location_id)
    assert location.mount_point == tmp_path
    assert api.mounts == {location_id: tmp_path}


async def test_mount_missing_folder(api, tmp_path):
    location_id = await api.add_location("card", source=True)
    with pytest.raises(InvalidPathError, match="absent"):
        await api.mount(location_id, tmp_path / "absent")
    assert api.mounts == {}


async def test_mount_onto_file(api, tmp_path):
    (tmp_path / "file.txt").write_text("text")
    await api.add_location("card", source=True)
    with pytest.raises(InvalidPathError):
        await api.mount("card", tmp_path / "file.txt")


async def test_mount_unknown(api, tmp_path):
    with pytest.raises(UnknownItemError):
        await api.mount("absent", tmp_path)


async def test_mount_replaces(api, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    location_id = await api.add_location("card", source=True)
    await api.mount("card", first)
    await api.mount("card", second)
    assert api.mounts == {location_id: second}


async def test_unmount(api, tmp_path):
    location_id = await api.add_location("card", source=True)
    await api.mount(location_id, tmp_path)
    await api.unmount(location_id)
    location = await api.get_location(location_id)
    assert location.mount_point is None
    assert api.mounts == {}


async def test_unmount_unmounted(api):
    await api.add_location("card", source=True)
    await api.unmount("card")
    assert api.mounts == {}


async def test_mounts_copy(api, tmp_path):
    location_id = await api.add_location("card", source=True)
    await api.mount("card", tmp_path)
    api.mounts.clear()
    assert api.mounts == {location_id: tmp_path}


async def test_mounts_not_stored(api, tmp_path):
    location_id = await api.add_location("card", source=True)
    await api.mount("card", tmp_path)
    other = await picpocket.load(api.directory)
    try:
        location = await other.get_location(location_id)
        mounts = other.mounts
    finally:
        await other.close()
    assert mounts == {}
    assert location.mount_point is None
    assert api.mounts == {location_id: tmp_path}


# Reachability and full paths --------------------------------------------


async def test_unplugged_unreachable(api, jpegs, tmp_path):
    await api.add_location("drive", jpegs, source=True, removable=True)
    ids = await api.import_location("drive")
    jpegs.rename(tmp_path / "unplugged")
    assert await api.count_images(reachable=False) == 4
    assert await api.count_images(reachable=True) == 0
    image = await api.get_image(ids[0])
    assert image.full_path is None


async def test_plugged_reachable(api, jpegs):
    await api.add_location("drive", jpegs, source=True, removable=True)
    await api.import_location("drive")
    assert await api.count_images(reachable=True) == 4
    assert await api.count_images(reachable=False) == 0


async def test_unplugged_then_mounted(api, jpegs, tmp_path):
    await api.add_location("drive", jpegs, source=True, removable=True)
    ids = await api.import_location("drive")
    moved = jpegs.rename(tmp_path / "elsewhere")
    await api.mount("drive", moved)
    assert await api.count_images(reachable=True) == 4
    image = await api.get_image(ids[0])
    assert image.full_path == moved / image.path


async def test_no_path_unreachable(api, jpegs):
    await api.add_location("card", source=True)
    await api.mount("card", jpegs)
    ids = await api.import_location("card")
    await api.unmount("card")
    assert await api.count_images(reachable=False) == 4
    image = await api.get_image(ids[0])
    assert image.full_path is None


async def test_full_path_configured(api, jpegs):
    await api.add_location("drive", jpegs, source=True)
    ids = await api.import_location("drive")
    image = await api.get_image(ids[0])
    assert image.full_path == jpegs / image.path
    assert image.full_path.is_file()


async def test_full_path_follows_mount(api, jpegs, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(jpegs, copy)
    await api.add_location("drive", jpegs, source=True)
    ids = await api.import_location("drive")
    await api.mount("drive", copy)
    image = await api.get_image(ids[0])
    assert image.full_path == copy / image.path
    await api.unmount("drive")
    image = await api.get_image(ids[0])
    assert image.full_path == jpegs / image.path


async def test_search_full_path_mount(api, jpegs, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(jpegs, copy)
    await api.add_location("drive", jpegs, source=True)
    await api.import_location("drive")
    await api.mount("drive", copy)
    images = await api.search_images()
    assert sorted(image.full_path for image in images) == [
        copy / name for name in JPEG_NAMES
    ]


@pytest.mark.parametrize(
    "field", ["name", "description", "path"], ids=["name", "description", "path"]
)
async def test_add_nul_character(api, tmp_path, field):
    arguments = {"name": "photos", "path": tmp_path, "description": "main"}
    arguments[field] = (
        tmp_path / "a\x00b" if field == "path" else f"{arguments[field]}\x00"
    )
    with pytest.raises(InputValidationError, match="NUL"):
        await api.add_location(
            arguments["name"],
            arguments["path"],
            description=arguments["description"],
            destination=True,
        )
    assert await api.list_locations() == []


async def test_edit_nul_character(api, tmp_path):
    location_id = await api.add_location("photos", tmp_path, destination=True)
    with pytest.raises(InputValidationError, match="NUL"):
        await api.edit_location(location_id, "new\x00name")
    with pytest.raises(InputValidationError, match="NUL"):
        await api.edit_location(location_id, description="a\x00b")
    location = await api.get_location(location_id)
    assert location.name == "photos"
    assert location.description is None


@pytest.mark.parametrize("name_or_id", ["a\x00b", 2**70, -(2**70)], ids=repr)
async def test_get_impossible_key(api, tmp_path, name_or_id):
    await api.add_location("photos", tmp_path, destination=True)
    assert await api.get_location(name_or_id) is None
    with pytest.raises(UnknownItemError):
        await api.get_location(name_or_id, expect=True)
