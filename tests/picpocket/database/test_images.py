"""Tests for image records: copying in, editing, finding, moving and removing."""

import asyncio
import contextlib
import hashlib
import os
from pathlib import Path

import pytest

from picpocket.errors import InputValidationError, InvalidPathError, UnknownItemError

USER_FIELDS = {
    "creator": "Ada",
    "title": "Harbour at dawn",
    "caption": "Boats before the storm",
    "alt": "Three boats on grey water",
    "rating": 4,
}


def listing(folder: Path) -> list[str]:
    """Return every path under a folder, relative to it, sorted."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Return the empty folder of the `main` location."""
    folder = tmp_path / "main"
    folder.mkdir()
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Return an empty folder outside every location, which must stay empty."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


@pytest.fixture
async def main(api, root) -> int:
    """Add the permanent location `main` at `root` and return its id."""
    return await api.add_location("main", root, destination=True, removable=False)


@pytest.fixture
def photo(jpegs: Path) -> Path:
    return jpegs / "Canon_40D.jpg"


@pytest.fixture
async def image_id(api, main, photo) -> int:
    """Copy the photo to `main` as `a/photo.jpg` and return its id."""
    return await api.add_image_copy(photo, "main", Path("a/photo.jpg"))


# add_image_copy -------------------------------------------------------


async def test_copy_bytes(api, main, root, photo):
    await api.add_image_copy(photo, "main", Path("sub/copy.jpg"))
    assert (root / "sub" / "copy.jpg").read_bytes() == photo.read_bytes()


async def test_copy_source_untouched(api, main, photo, photo_source):
    await api.add_image_copy(photo, "main", Path("copy.jpg"))
    assert photo.read_bytes() == (photo_source / "jpg" / "Canon_40D.jpg").read_bytes()


async def test_copy_returns_id(api, main, root, photo):
    new_id = await api.add_image_copy(photo, main, Path("copy.jpg"))
    found = await api.find_image(root / "copy.jpg")
    assert found.id == new_id


@pytest.mark.parametrize("field", sorted(USER_FIELDS))
async def test_copy_user_field(api, main, photo, field):
    new_id = await api.add_image_copy(photo, "main", Path("copy.jpg"), **USER_FIELDS)
    image = await api.get_image(new_id)
    assert getattr(image, field) == USER_FIELDS[field]


async def test_copy_tags(api, main, photo):
    new_id = await api.add_image_copy(
        photo, "main", Path("copy.jpg"), tags=["bird/goose", "/sky/", "bird/goose"]
    )
    image = await api.get_image(new_id, tags=True)
    assert image.tags == ["bird/goose", "sky"]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("path", Path("sub/copy.jpg")),
        ("name", "copy"),
        ("extension", "jpg"),
        ("width", 100),
        ("height", 68),
    ],
)
async def test_copy_file_fields(api, main, photo, field, expected):
    new_id = await api.add_image_copy(photo, "main", Path("sub/copy.jpg"))
    image = await api.get_image(new_id)
    assert getattr(image, field) == expected


async def test_copy_location(api, main, photo):
    new_id = await api.add_image_copy(photo, "main", Path("copy.jpg"))
    image = await api.get_image(new_id)
    assert image.location == main


async def test_copy_hash(api, main, photo):
    new_id = await api.add_image_copy(photo, "main", Path("copy.jpg"))
    image = await api.get_image(new_id)
    assert image.hash == sha256(photo)


async def test_copy_full_path(api, main, root, photo):
    new_id = await api.add_image_copy(photo, "main", Path("copy.jpg"))
    image = await api.get_image(new_id)
    assert image.full_path == root / "copy.jpg"


async def test_copy_destination_exists(api, main, root, photo):
    (root / "taken.jpg").write_bytes(b"someone else's photo")
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path("taken.jpg"))
    assert (root / "taken.jpg").read_bytes() == b"someone else's photo"


async def test_copy_destination_exists_no_record(api, main, root, photo):
    (root / "taken.jpg").write_bytes(b"someone else's photo")
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path("taken.jpg"))
    assert await api.count_images() == 0


async def test_copy_destination_recorded(api, image_id, root, photo):
    (root / "a" / "photo.jpg").unlink()
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path("a/photo.jpg"))
    assert listing(root) == ["a"]


async def test_copy_destination_recorded_kept(api, image_id, root, photo):
    (root / "a" / "photo.jpg").unlink()
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path("a/photo.jpg"), title="new")
    image = await api.get_image(image_id)
    assert image.title is None


@pytest.mark.parametrize(
    "destination", ["../outside/escape.jpg", "a/../../outside/x.jpg"]
)
async def test_copy_parent_segments(api, main, root, outside, photo, destination):
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path(destination))
    assert listing(outside) == []


async def test_copy_parent_segments_root_empty(api, main, root, photo):
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path("a/../b.jpg"))
    assert listing(root) == []


async def test_copy_absolute(api, main, root, outside, photo):
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", outside / "escape.jpg")
    assert listing(outside) == []


async def test_copy_absolute_root_empty(api, main, root, outside, photo):
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", outside / "escape.jpg")
    assert listing(root) == []


async def test_copy_link_outside(api, main, root, outside, photo):
    (root / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path("escape/x.jpg"))
    assert listing(outside) == []


async def test_copy_link_outside_no_record(api, main, root, outside, photo):
    (root / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path("escape/x.jpg"))
    assert await api.count_images() == 0


async def test_copy_deep_link_outside(api, main, root, outside, photo):
    (root / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path("escape/new/deeper/x.jpg"))
    assert listing(outside) == []


async def test_copy_link_inside(api, main, root, photo):
    (root / "real").mkdir()
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    await api.add_image_copy(photo, "main", Path("alias/x.jpg"))
    assert (root / "real" / "x.jpg").read_bytes() == photo.read_bytes()


async def test_copy_parent_is_file(api, main, root, photo):
    (root / "blocker").write_bytes(b"not a folder")
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "main", Path("blocker/x.jpg"))
    assert await api.count_images() == 0


async def test_copy_source_missing(api, main, root, tmp_path):
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(tmp_path / "missing.jpg", "main", Path("x.jpg"))
    assert listing(root) == []


async def test_copy_source_folder(api, main, root, jpegs):
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(jpegs, "main", Path("x.jpg"))
    assert listing(root) == []


async def test_copy_unknown_location(api, main, photo):
    with pytest.raises(UnknownItemError):
        await api.add_image_copy(photo, "nowhere", Path("x.jpg"))


async def test_copy_location_without_path(api, photo):
    await api.add_location("card", None, destination=True)
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "card", Path("x.jpg"))


async def test_copy_removable_detached(api, tmp_path, photo):
    await api.add_location("card", tmp_path / "card", destination=True, removable=True)
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "card", Path("x.jpg"))
    assert not (tmp_path / "card").exists()


async def test_copy_permanent_missing(api, tmp_path, photo):
    # A permanent location whose folder is gone is a drive that failed to
    # mount, and creating the folder would hide that from the user.
    await api.add_location("disk", tmp_path / "disk", destination=True, removable=False)
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "disk", Path("x.jpg"))
    assert not (tmp_path / "disk").exists()


async def test_copy_unmounted(api, tmp_path, root, photo):
    await api.add_location("card", None, destination=True)
    await api.mount("card", root)
    await api.unmount("card")
    with pytest.raises(InvalidPathError):
        await api.add_image_copy(photo, "card", Path("x.jpg"))
    assert listing(root) == []


async def test_copy_mounted(api, root, photo):
    await api.add_location("card", None, destination=True)
    await api.mount("card", root)
    await api.add_image_copy(photo, "card", Path("x.jpg"))
    assert (root / "x.jpg").read_bytes() == photo.read_bytes()


@pytest.mark.parametrize("rating", ["5", 2.5, True])
async def test_copy_bad_rating(api, main, root, photo, rating):
    with pytest.raises(InputValidationError):
        await api.add_image_copy(photo, "main", Path("x.jpg"), rating=rating)
    assert listing(root) == []


@pytest.mark.parametrize("rating", ["5", 2.5, True])
async def test_copy_bad_rating_no_record(api, main, photo, rating):
    with pytest.raises(InputValidationError):
        await api.add_image_copy(photo, "main", Path("x.jpg"), rating=rating)
    assert await api.count_images() == 0


@pytest.mark.parametrize("rating", [2**31, -(2**31) - 1, 2**63])
async def test_copy_rating_out_of_range(api, main, root, photo, rating):
    with pytest.raises(InputValidationError):
        await api.add_image_copy(photo, "main", Path("x.jpg"), rating=rating)
    assert listing(root) == []


@pytest.mark.parametrize("field", ["creator", "title", "caption", "alt"])
async def test_copy_nul_text(api, main, root, photo, field):
    # PostgreSQL cannot store NUL in text, so both backends reject it.
    with pytest.raises(InputValidationError):
        await api.add_image_copy(photo, "main", Path("x.jpg"), **{field: "a\x00b"})
    assert listing(root) == []


@pytest.mark.parametrize("field", ["creator", "title", "caption", "alt"])
async def test_copy_bad_text(api, main, root, photo, field):
    with pytest.raises(InputValidationError):
        await api.add_image_copy(photo, "main", Path("x.jpg"), **{field: 5})
    assert listing(root) == []


@pytest.mark.parametrize("tag", ["", "/", "a//b"])
async def test_copy_bad_tag(api, main, root, photo, tag):
    with pytest.raises(InputValidationError):
        await api.add_image_copy(photo, "main", Path("x.jpg"), tags=[tag])
    assert listing(root) == []


async def test_copy_creator_from_exif(api, main, photo_source):
    source = photo_source / "jpg" / "long_description.jpg"
    new_id = await api.add_image_copy(source, "main", Path("x.jpg"))
    image = await api.get_image(new_id)
    assert image.creator == "SSG KYLE DAVIS"


async def test_copy_creator_given(api, main, photo_source):
    source = photo_source / "jpg" / "long_description.jpg"
    new_id = await api.add_image_copy(source, "main", Path("x.jpg"), creator="Ada")
    image = await api.get_image(new_id)
    assert image.creator == "Ada"


async def test_copy_creator_without_exif(api, main, photo):
    new_id = await api.add_image_copy(photo, "main", Path("x.jpg"))
    image = await api.get_image(new_id)
    assert image.creator is None


# edit_image -----------------------------------------------------------


@pytest.mark.parametrize("field", sorted(USER_FIELDS))
async def test_edit_sets(api, image_id, field):
    await api.edit_image(image_id, **{field: USER_FIELDS[field]})
    image = await api.get_image(image_id)
    assert getattr(image, field) == USER_FIELDS[field]


@pytest.mark.parametrize("field", sorted(USER_FIELDS))
async def test_edit_keeps_others(api, image_id, field):
    await api.edit_image(image_id, **USER_FIELDS)
    changed = "Grace" if field != "rating" else 1
    await api.edit_image(image_id, **{field: changed})
    image = await api.get_image(image_id)
    others = {name: getattr(image, name) for name in USER_FIELDS if name != field}
    assert others == {name: v for name, v in USER_FIELDS.items() if name != field}


async def test_edit_nothing(api, image_id):
    await api.edit_image(image_id, **USER_FIELDS)
    await api.edit_image(image_id)
    image = await api.get_image(image_id)
    assert {name: getattr(image, name) for name in USER_FIELDS} == USER_FIELDS


@pytest.mark.parametrize("field", sorted(USER_FIELDS))
async def test_edit_none_erases(api, image_id, field):
    await api.edit_image(image_id, **USER_FIELDS)
    await api.edit_image(image_id, **{field: None})
    image = await api.get_image(image_id)
    assert getattr(image, field) is None


async def test_edit_rating_zero(api, image_id):
    await api.edit_image(image_id, rating=0)
    image = await api.get_image(image_id)
    assert image.rating == 0


async def test_edit_rating_negative(api, image_id):
    await api.edit_image(image_id, rating=-1)
    image = await api.get_image(image_id)
    assert image.rating == -1


@pytest.mark.parametrize("rating", [2**31 - 1, -(2**31)])
async def test_edit_rating_limits(api, image_id, rating):
    await api.edit_image(image_id, rating=rating)
    image = await api.get_image(image_id)
    assert image.rating == rating


@pytest.mark.parametrize("rating", [2**31, -(2**31) - 1, 2**63])
async def test_edit_rating_out_of_range(api, image_id, rating):
    await api.edit_image(image_id, rating=3)
    with pytest.raises(InputValidationError):
        await api.edit_image(image_id, rating=rating)
    image = await api.get_image(image_id)
    assert image.rating == 3


@pytest.mark.parametrize("field", ["creator", "title", "caption", "alt"])
async def test_edit_nul_text(api, image_id, field):
    with pytest.raises(InputValidationError):
        await api.edit_image(image_id, **{field: "a\x00b"})
    image = await api.get_image(image_id)
    assert getattr(image, field) is None


async def test_edit_unknown_id(api, image_id):
    with pytest.raises(UnknownItemError):
        await api.edit_image(image_id + 1000, title="ghost")


async def test_edit_unknown_id_nothing(api, image_id):
    with pytest.raises(UnknownItemError):
        await api.edit_image(image_id + 1000)


@pytest.mark.parametrize("rating", ["5", 2.5, True])
async def test_edit_bad_rating(api, image_id, rating):
    await api.edit_image(image_id, rating=3)
    with pytest.raises(InputValidationError):
        await api.edit_image(image_id, rating=rating)
    image = await api.get_image(image_id)
    assert image.rating == 3


async def test_edit_bad_text_changes_nothing(api, image_id):
    with pytest.raises(InputValidationError):
        await api.edit_image(image_id, title="kept?", caption=7)
    image = await api.get_image(image_id)
    assert image.title is None


async def test_edit_leaves_other_images(api, main, image_id, photo):
    other = await api.add_image_copy(photo, "main", Path("other.jpg"), title="other")
    await api.edit_image(image_id, title="changed")
    image = await api.get_image(other)
    assert image.title == "other"


# get_image and find_image ---------------------------------------------


async def test_get_without_tags(api, image_id):
    await api.tag_image(image_id, "sky")
    image = await api.get_image(image_id)
    assert image.tags is None


async def test_get_with_tags(api, image_id):
    await api.tag_image(image_id, "sky")
    await api.tag_image(image_id, "bird/goose")
    image = await api.get_image(image_id, tags=True)
    assert image.tags == ["bird/goose", "sky"]


async def test_get_untagged_with_tags(api, image_id):
    image = await api.get_image(image_id, tags=True)
    assert image.tags == []


async def test_get_unknown(api, image_id):
    assert await api.get_image(image_id + 1000) is None


async def test_find_full_path(api, image_id, root):
    image = await api.find_image(root / "a" / "photo.jpg")
    assert image.id == image_id


async def test_find_text_path(api, image_id, root):
    image = await api.find_image(str(root / "a" / "photo.jpg"))
    assert image.id == image_id


async def test_find_with_tags(api, image_id, root):
    await api.tag_image(image_id, "sky")
    image = await api.find_image(root / "a" / "photo.jpg", tags=True)
    assert image.tags == ["sky"]


async def test_find_without_tags(api, image_id, root):
    await api.tag_image(image_id, "sky")
    image = await api.find_image(root / "a" / "photo.jpg")
    assert image.tags is None


async def test_find_through_mount(api, tmp_path, photo):
    card = tmp_path / "card"
    card.mkdir()
    await api.add_location("card", None, destination=True)
    await api.mount("card", card)
    new_id = await api.add_image_copy(photo, "card", Path("DCIM/x.jpg"))
    image = await api.find_image(card / "DCIM" / "x.jpg")
    assert image.id == new_id


async def test_find_real_path_under_linked_root(api, tmp_path, photo):
    real = tmp_path / "real-card"
    real.mkdir()
    link = tmp_path / "card-link"
    link.symlink_to(real, target_is_directory=True)
    await api.add_location("card", link, destination=True, removable=False)
    new_id = await api.add_image_copy(photo, "card", Path("DCIM/x.jpg"))
    image = await api.find_image(real / "DCIM" / "x.jpg")
    assert image is not None
    assert image.id == new_id


async def test_find_after_unmount(api, tmp_path, photo):
    card = tmp_path / "card"
    card.mkdir()
    await api.add_location("card", None, destination=True)
    await api.mount("card", card)
    await api.add_image_copy(photo, "card", Path("DCIM/x.jpg"))
    await api.unmount("card")
    assert await api.find_image(card / "DCIM" / "x.jpg") is None


async def test_find_unknown_path(api, image_id, root):
    assert await api.find_image(root / "a" / "other.jpg") is None


async def test_find_outside_locations(api, image_id, outside):
    assert await api.find_image(outside / "a" / "photo.jpg") is None


async def test_find_folder(api, image_id, root):
    assert await api.find_image(root / "a") is None


# move_image -----------------------------------------------------------


async def test_move_file(api, image_id, root, photo):
    await api.move_image(image_id, Path("b/moved.jpg"))
    assert (root / "b" / "moved.jpg").read_bytes() == photo.read_bytes()


async def test_move_old_file_gone(api, image_id, root):
    await api.move_image(image_id, Path("b/moved.jpg"))
    assert not (root / "a" / "photo.jpg").exists()


@pytest.mark.parametrize(
    ("field", "expected"),
    [("path", Path("b/moved.jpeg")), ("name", "moved"), ("extension", "jpeg")],
)
async def test_move_record(api, image_id, field, expected):
    await api.move_image(image_id, Path("b/moved.jpeg"))
    image = await api.get_image(image_id)
    assert getattr(image, field) == expected


async def test_move_keeps_metadata(api, image_id):
    await api.edit_image(image_id, **USER_FIELDS)
    await api.move_image(image_id, Path("b/moved.jpg"))
    image = await api.get_image(image_id)
    assert {name: getattr(image, name) for name in USER_FIELDS} == USER_FIELDS


async def test_move_keeps_tags(api, image_id):
    await api.tag_image(image_id, "sky")
    await api.move_image(image_id, Path("b/moved.jpg"))
    image = await api.get_image(image_id, tags=True)
    assert image.tags == ["sky"]


async def test_move_find_new_path(api, image_id, root):
    await api.move_image(image_id, Path("b/moved.jpg"))
    image = await api.find_image(root / "b" / "moved.jpg")
    assert image.id == image_id


async def test_move_other_location_file(api, image_id, tmp_path, photo):
    other = tmp_path / "other"
    other.mkdir()
    await api.add_location("other", other, destination=True, removable=False)
    other_id = (await api.get_location("other")).id
    await api.move_image(image_id, Path("c/moved.jpg"), other_id)
    assert (other / "c" / "moved.jpg").read_bytes() == photo.read_bytes()


async def test_move_other_location_old_gone(api, image_id, root, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    other_id = await api.add_location("other", other, destination=True, removable=False)
    await api.move_image(image_id, Path("c/moved.jpg"), other_id)
    assert listing(root) == ["a"]


async def test_move_other_location_record(api, image_id, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    other_id = await api.add_location("other", other, destination=True, removable=False)
    await api.move_image(image_id, Path("c/moved.jpg"), other_id)
    image = await api.get_image(image_id)
    assert (image.location, image.path) == (other_id, Path("c/moved.jpg"))


async def test_move_other_location_unreachable(api, image_id, root, tmp_path):
    other_id = await api.add_location("card", None, destination=True)
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("x.jpg"), other_id)
    assert (root / "a" / "photo.jpg").is_file()


async def test_move_unknown_location(api, image_id):
    with pytest.raises(UnknownItemError):
        await api.move_image(image_id, Path("x.jpg"), 9999)


async def test_move_destination_on_disk(api, image_id, root, photo):
    (root / "taken.jpg").write_bytes(b"someone else's photo")
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("taken.jpg"))
    assert (root / "taken.jpg").read_bytes() == b"someone else's photo"


async def test_move_destination_on_disk_source_kept(api, image_id, root, photo):
    (root / "taken.jpg").write_bytes(b"someone else's photo")
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("taken.jpg"))
    assert (root / "a" / "photo.jpg").read_bytes() == photo.read_bytes()


async def test_move_destination_on_disk_record(api, image_id, root):
    (root / "taken.jpg").write_bytes(b"someone else's photo")
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("taken.jpg"))
    image = await api.get_image(image_id)
    assert image.path == Path("a/photo.jpg")


async def test_move_destination_recorded(api, main, image_id, root, jpegs):
    other = await api.add_image_copy(jpegs / "Nikon_D70.jpg", "main", Path("b.jpg"))
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("b.jpg"))
    images = [await api.get_image(image_id), await api.get_image(other)]
    assert [image.path for image in images] == [Path("a/photo.jpg"), Path("b.jpg")]


async def test_move_destination_recorded_files(api, main, image_id, root, jpegs):
    await api.add_image_copy(jpegs / "Nikon_D70.jpg", "main", Path("b.jpg"))
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("b.jpg"))
    assert (root / "b.jpg").read_bytes() == (jpegs / "Nikon_D70.jpg").read_bytes()


async def test_move_recorded_file_gone(api, main, image_id, root, jpegs):
    # A record without its file still reserves the path.
    await api.add_image_copy(jpegs / "Nikon_D70.jpg", "main", Path("b.jpg"))
    (root / "b.jpg").unlink()
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("b.jpg"))
    assert (root / "a" / "photo.jpg").is_file()


async def test_move_same_path(api, image_id, root):
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("a/photo.jpg"))
    assert (root / "a" / "photo.jpg").is_file()


async def test_move_already_moved(api, image_id, root, photo):
    (root / "b").mkdir()
    os.rename(root / "a" / "photo.jpg", root / "b" / "moved.jpg")
    await api.move_image(image_id, Path("b/moved.jpg"))
    image = await api.get_image(image_id)
    assert image.path == Path("b/moved.jpg")


async def test_move_already_moved_file_kept(api, image_id, root, photo):
    (root / "b").mkdir()
    os.rename(root / "a" / "photo.jpg", root / "b" / "moved.jpg")
    await api.move_image(image_id, Path("b/moved.jpg"))
    assert (root / "b" / "moved.jpg").read_bytes() == photo.read_bytes()


@pytest.fixture
def other_photo(jpegs: Path) -> Path:
    """Return a camera JPEG with different bytes from `photo`."""
    return jpegs / "Nikon_D70.jpg"


@pytest.fixture
def unrelated_at_target(image_id, root, tmp_path, other_photo) -> Path:
    """Move the image's file out of the location and put another at b/moved.jpg."""
    os.rename(root / "a" / "photo.jpg", tmp_path / "away.jpg")
    (root / "b").mkdir()
    target = root / "b" / "moved.jpg"
    target.write_bytes(other_photo.read_bytes())
    return target


async def test_move_unrelated_target(api, image_id, unrelated_at_target):
    with pytest.raises(InvalidPathError, match="different file"):
        await api.move_image(image_id, Path("b/moved.jpg"))


async def test_move_unrelated_target_names_it(api, image_id, unrelated_at_target):
    with pytest.raises(InvalidPathError) as caught:
        await api.move_image(image_id, Path("b/moved.jpg"))
    assert str(unrelated_at_target) in str(caught.value)


async def test_move_unrelated_target_record(api, image_id, unrelated_at_target):
    with contextlib.suppress(InvalidPathError):
        await api.move_image(image_id, Path("b/moved.jpg"))
    image = await api.get_image(image_id)
    assert image.path == Path("a/photo.jpg")


async def test_move_unrelated_target_kept(
    api, image_id, unrelated_at_target, other_photo
):
    with contextlib.suppress(InvalidPathError):
        await api.move_image(image_id, Path("b/moved.jpg"))
    assert unrelated_at_target.read_bytes() == other_photo.read_bytes()


async def test_move_unrelated_moved_file_kept(
    api, image_id, unrelated_at_target, tmp_path, photo
):
    with contextlib.suppress(InvalidPathError):
        await api.move_image(image_id, Path("b/moved.jpg"))
    assert (tmp_path / "away.jpg").read_bytes() == photo.read_bytes()


async def test_move_already_copied(api, image_id, root, photo):
    # A copy with the same bytes (new inode, new time) is the same image.
    (root / "a" / "photo.jpg").unlink()
    (root / "b").mkdir()
    (root / "b" / "moved.jpg").write_bytes(photo.read_bytes())
    await api.move_image(image_id, Path("b/moved.jpg"))
    image = await api.get_image(image_id)
    assert image.path == Path("b/moved.jpg")


async def test_move_both_missing(api, image_id, root):
    (root / "a" / "photo.jpg").unlink()
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("b/moved.jpg"))
    image = await api.get_image(image_id)
    assert image.path == Path("a/photo.jpg")


async def test_move_parent_is_file(api, image_id, root):
    (root / "blocker").write_bytes(b"not a folder")
    with pytest.raises(OSError):
        await api.move_image(image_id, Path("blocker/moved.jpg"))
    image = await api.get_image(image_id)
    assert image.path == Path("a/photo.jpg")


async def test_move_parent_is_file_kept(api, image_id, root, photo):
    (root / "blocker").write_bytes(b"not a folder")
    with pytest.raises(OSError):
        await api.move_image(image_id, Path("blocker/moved.jpg"))
    assert (root / "a" / "photo.jpg").read_bytes() == photo.read_bytes()


@pytest.mark.parametrize("path", ["../outside/x.jpg", "a/../../outside/x.jpg"])
async def test_move_parent_segments(api, image_id, root, outside, path):
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path(path))
    assert listing(outside) == []


async def test_move_absolute(api, image_id, root, outside):
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, outside / "x.jpg")
    assert listing(outside) == []


async def test_move_link_outside(api, image_id, root, outside):
    (root / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, Path("escape/x.jpg"))
    assert listing(outside) == []


async def test_move_escape_record(api, image_id, root, outside):
    with pytest.raises(InvalidPathError):
        await api.move_image(image_id, outside / "x.jpg")
    image = await api.get_image(image_id)
    assert image.path == Path("a/photo.jpg")


async def test_move_unknown_id(api, image_id):
    with pytest.raises(UnknownItemError):
        await api.move_image(image_id + 1000, Path("x.jpg"))


async def test_move_location_detached(api, tmp_path, photo):
    card = tmp_path / "card"
    card.mkdir()
    await api.add_location("card", None, destination=True)
    await api.mount("card", card)
    new_id = await api.add_image_copy(photo, "card", Path("x.jpg"))
    await api.unmount("card")
    with pytest.raises(InvalidPathError):
        await api.move_image(new_id, Path("y.jpg"))
    assert (card / "x.jpg").is_file()


# remove_image ---------------------------------------------------------


async def test_remove_record(api, image_id):
    await api.remove_image(image_id)
    assert await api.get_image(image_id) is None


async def test_remove_keeps_file(api, image_id, root, photo):
    await api.remove_image(image_id)
    assert (root / "a" / "photo.jpg").read_bytes() == photo.read_bytes()


async def test_remove_delete_file(api, image_id, root):
    await api.remove_image(image_id, delete=True)
    assert not (root / "a" / "photo.jpg").exists()


async def test_remove_delete_record(api, image_id):
    await api.remove_image(image_id, delete=True)
    assert await api.get_image(image_id) is None


async def test_remove_delete_file_missing(api, image_id, root):
    (root / "a" / "photo.jpg").unlink()
    await api.remove_image(image_id, delete=True)
    assert await api.get_image(image_id) is None


async def test_remove_delete_unchanged_hash(api, image_id, root, photo):
    # Rewriting the same bytes changes the file's time but not its hash.
    (root / "a" / "photo.jpg").write_bytes(photo.read_bytes())
    await api.remove_image(image_id, delete=True)
    assert not (root / "a" / "photo.jpg").exists()


async def test_remove_delete_replaced(api, image_id, root, other_photo):
    (root / "a" / "photo.jpg").write_bytes(other_photo.read_bytes())
    with pytest.raises(InvalidPathError, match="verify_image_files"):
        await api.remove_image(image_id, delete=True)


async def test_remove_delete_replaced_names_path(api, image_id, root, other_photo):
    (root / "a" / "photo.jpg").write_bytes(other_photo.read_bytes())
    with pytest.raises(InvalidPathError) as caught:
        await api.remove_image(image_id, delete=True)
    assert str(root / "a" / "photo.jpg") in str(caught.value)


async def test_remove_delete_replaced_file(api, image_id, root, other_photo):
    (root / "a" / "photo.jpg").write_bytes(other_photo.read_bytes())
    with contextlib.suppress(InvalidPathError):
        await api.remove_image(image_id, delete=True)
    assert (root / "a" / "photo.jpg").read_bytes() == other_photo.read_bytes()


async def test_remove_delete_replaced_record(api, image_id, root, other_photo):
    (root / "a" / "photo.jpg").write_bytes(other_photo.read_bytes())
    with contextlib.suppress(InvalidPathError):
        await api.remove_image(image_id, delete=True)
    assert await api.get_image(image_id) is not None


async def test_remove_delete_after_verify(api, image_id, root, other_photo):
    replaced = root / "a" / "photo.jpg"
    replaced.write_bytes(other_photo.read_bytes())
    # A distinct time, so verify detects the change however coarse the clock.
    os.utime(replaced, (1_600_000_000, 1_600_000_000))
    await api.verify_image_files()
    await api.remove_image(image_id, delete=True)
    assert not replaced.exists()


async def test_remove_delete_after_verify_record(api, image_id, root, other_photo):
    replaced = root / "a" / "photo.jpg"
    replaced.write_bytes(other_photo.read_bytes())
    os.utime(replaced, (1_600_000_000, 1_600_000_000))
    await api.verify_image_files()
    await api.remove_image(image_id, delete=True)
    assert await api.get_image(image_id) is None


async def test_remove_delete_unreachable(api, tmp_path, photo):
    card = tmp_path / "card"
    card.mkdir()
    await api.add_location("card", None, destination=True)
    await api.mount("card", card)
    new_id = await api.add_image_copy(photo, "card", Path("x.jpg"))
    await api.unmount("card")
    with pytest.raises(InvalidPathError):
        await api.remove_image(new_id, delete=True)
    assert await api.get_image(new_id) is not None


async def test_remove_delete_unreachable_file(api, tmp_path, photo):
    card = tmp_path / "card"
    card.mkdir()
    await api.add_location("card", None, destination=True)
    await api.mount("card", card)
    new_id = await api.add_image_copy(photo, "card", Path("x.jpg"))
    await api.unmount("card")
    with pytest.raises(InvalidPathError):
        await api.remove_image(new_id, delete=True)
    assert (card / "x.jpg").is_file()


async def test_remove_unreachable_record_only(api, tmp_path, photo):
    card = tmp_path / "card"
    card.mkdir()
    await api.add_location("card", None, destination=True)
    await api.mount("card", card)
    new_id = await api.add_image_copy(photo, "card", Path("x.jpg"))
    await api.unmount("card")
    await api.remove_image(new_id)
    assert await api.get_image(new_id) is None


async def test_remove_unknown_id(api, image_id):
    await api.remove_image(image_id + 1000)
    assert await api.count_images() == 1


async def test_remove_unknown_id_delete(api, image_id):
    await api.remove_image(image_id + 1000, delete=True)
    assert await api.count_images() == 1


async def test_remove_drops_tags(api, image_id):
    await api.tag_image(image_id, "sky")
    await api.remove_image(image_id)
    assert await api.get_tag_set(image_id) == {}


async def test_remove_leaves_others(api, main, image_id, photo):
    other = await api.add_image_copy(photo, "main", Path("other.jpg"))
    await api.remove_image(image_id, delete=True)
    assert await api.get_image(other) is not None


async def test_remove_then_copy_again(api, image_id, root, photo):
    await api.remove_image(image_id, delete=True)
    new_id = await api.add_image_copy(photo, "main", Path("a/photo.jpg"))
    assert new_id != image_id


async def test_copy_tree_untouched(api, main, root, jpegs, photo_source):
    # Copying many files in leaves the sources byte for byte as they were.
    for number, source in enumerate(sorted(jpegs.iterdir())):
        await api.add_image_copy(source, "main", Path(f"{number}/{source.name}"))
    originals = {
        name: (photo_source / "jpg" / name).read_bytes() for name in os.listdir(jpegs)
    }
    assert {path.name: path.read_bytes() for path in jpegs.iterdir()} == originals


@pytest.mark.parametrize("delay", [0, 0.001, 0.01])
async def test_copy_cancelled_consistent(api, main, root, photo, delay):
    # A cancelled copy finishes or undoes itself: file and record agree.
    task = asyncio.ensure_future(api.add_image_copy(photo, "main", Path("x.jpg")))
    await asyncio.sleep(delay)
    task.cancel()
    # The call may have finished before the cancellation arrived.
    with contextlib.suppress(asyncio.CancelledError):
        await task
    recorded = await api.find_image(root / "x.jpg") is not None
    assert (root / "x.jpg").exists() == recorded


@pytest.mark.parametrize("delay", [0, 0.001, 0.01])
async def test_move_cancelled_consistent(api, image_id, root, delay):
    # A cancelled move finishes or undoes itself: file and record agree.
    task = asyncio.ensure_future(api.move_image(image_id, Path("b/moved.jpg")))
    await asyncio.sleep(delay)
    task.cancel()
    # The call may have finished before the cancellation arrived.
    with contextlib.suppress(asyncio.CancelledError):
        await task
    image = await api.get_image(image_id)
    assert image.full_path.exists()
