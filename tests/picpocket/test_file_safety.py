"""Tests for the safe-path and no-overwrite helpers in picpocket.files."""

import errno
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

import pytest

from picpocket.errors import InvalidPathError
from picpocket.files import (
    PARTIAL_SUFFIX,
    copy_exclusive,
    move_exclusive,
    relative_inside,
    resolve_inside,
)
from picpocket.images import has_format, normalize_formats


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Return an empty folder that plays the part of a location's root."""
    folder = tmp_path / "root"
    folder.mkdir()
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Return an empty folder beside the root, which nothing may write into."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


@pytest.fixture
def photo(tmp_path: Path, photo_source: Path) -> Path:
    """Return a writable copy of one camera JPEG outside the root."""
    path = tmp_path / "Canon_40D.jpg"
    shutil.copy2(photo_source / "jpg" / "Canon_40D.jpg", path)
    return path


# relative_inside ------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("a.jpg", PurePosixPath("a.jpg")),
        ("sub/a.jpg", PurePosixPath("sub/a.jpg")),
        (Path("sub/deeper/a.jpg"), PurePosixPath("sub/deeper/a.jpg")),
        ("./sub/a.jpg", PurePosixPath("sub/a.jpg")),
        ("sub//a.jpg", PurePosixPath("sub/a.jpg")),
    ],
)
def test_relative_inside_clean(root, given, expected):
    assert relative_inside(root, given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "/etc/passwd",
        Path("/tmp/a.jpg"),
        "..",
        "../a.jpg",
        "sub/../../a.jpg",
        "sub/../a.jpg",
    ],
)
def test_relative_inside_escape(root, given):
    with pytest.raises(InvalidPathError):
        relative_inside(root, given)


@pytest.mark.parametrize("given", ["", ".", "./"])
def test_relative_inside_empty(root, given):
    with pytest.raises(InvalidPathError):
        relative_inside(root, given)


# resolve_inside -------------------------------------------------------


def test_resolve_inside_plain(root):
    assert resolve_inside(root, "sub/a.jpg") == root / "sub" / "a.jpg"


def test_resolve_inside_missing_folders(root):
    assert resolve_inside(root, "new/deeper/a.jpg") == root / "new" / "deeper" / "a.jpg"


def test_resolve_inside_link_outside(root, outside):
    (root / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidPathError):
        resolve_inside(root, "escape/a.jpg")


def test_resolve_inside_dangling_link_outside(root, outside):
    (root / "escape").symlink_to(outside / "not-yet", target_is_directory=True)
    with pytest.raises(InvalidPathError):
        resolve_inside(root, "escape/a.jpg")


def test_resolve_inside_file_link_outside(root, outside):
    (root / "a.jpg").symlink_to(outside / "a.jpg")
    with pytest.raises(InvalidPathError):
        resolve_inside(root, "a.jpg")


def test_resolve_inside_link_within(root):
    (root / "real").mkdir()
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    assert resolve_inside(root, "alias/a.jpg") == root / "alias" / "a.jpg"


def test_resolve_inside_root_is_link(tmp_path, root):
    linked_root = tmp_path / "linked-root"
    linked_root.symlink_to(root, target_is_directory=True)
    assert resolve_inside(linked_root, "a.jpg") == linked_root / "a.jpg"


def test_resolve_inside_absolute(root):
    with pytest.raises(InvalidPathError):
        resolve_inside(root, str(root / "a.jpg"))


# copy_exclusive -------------------------------------------------------


def test_copy_exclusive_bytes(root, photo):
    original = photo.read_bytes()
    copy_exclusive(photo, root / "a.jpg")
    assert (root / "a.jpg").read_bytes() == original


def test_copy_exclusive_source_kept(root, photo):
    original = photo.read_bytes()
    copy_exclusive(photo, root / "a.jpg")
    assert photo.read_bytes() == original


def test_copy_exclusive_creates_folders(root, photo):
    copy_exclusive(photo, root / "new" / "deeper" / "a.jpg")
    assert (root / "new" / "deeper" / "a.jpg").is_file()


def test_copy_exclusive_keeps_mtime(root, photo):
    os.utime(photo, ns=(1_500_000_000_000_000_000, 1_500_000_000_000_000_000))
    copy_exclusive(photo, root / "a.jpg")
    assert (root / "a.jpg").stat().st_mtime_ns == 1_500_000_000_000_000_000


def test_copy_exclusive_existing(root, photo):
    (root / "a.jpg").write_bytes(b"already here")
    with pytest.raises(InvalidPathError):
        copy_exclusive(photo, root / "a.jpg")
    assert (root / "a.jpg").read_bytes() == b"already here"


def test_copy_exclusive_existing_link(root, outside, photo):
    (root / "a.jpg").symlink_to(outside / "a.jpg")
    with pytest.raises(InvalidPathError):
        copy_exclusive(photo, root / "a.jpg")
    assert list(outside.iterdir()) == []


def test_copy_exclusive_missing_source(root, tmp_path):
    with pytest.raises(FileNotFoundError):
        copy_exclusive(tmp_path / "missing.jpg", root / "new" / "a.jpg")
    assert list(root.iterdir()) == []


def test_copy_exclusive_parent_is_file(root, photo):
    (root / "blocker").write_bytes(b"a file, not a folder")
    with pytest.raises(InvalidPathError):
        copy_exclusive(photo, root / "blocker" / "a.jpg")
    assert (root / "blocker").read_bytes() == b"a file, not a folder"


def test_copy_exclusive_partial_removed(root, photo, monkeypatch):
    def fail_half_way(reader, writer, length=0):
        writer.write(reader.read(100))
        raise OSError("the drive was pulled out")

    monkeypatch.setattr(shutil, "copyfileobj", fail_half_way)
    with pytest.raises(OSError, match="pulled out"):
        copy_exclusive(photo, root / "a.jpg")
    assert not (root / "a.jpg").exists()


def test_copy_exclusive_no_partial_left(root, photo):
    copy_exclusive(photo, root / "a.jpg")
    assert sorted(os.listdir(root)) == ["a.jpg"]


def test_copy_exclusive_failure_no_partial_left(root, photo, monkeypatch):
    def fail_half_way(reader, writer, length=0):
        writer.write(reader.read(100))
        raise OSError("the drive was pulled out")

    monkeypatch.setattr(shutil, "copyfileobj", fail_half_way)
    with pytest.raises(OSError, match="pulled out"):
        copy_exclusive(photo, root / "sub" / "a.jpg")
    assert os.listdir(root / "sub") == []


def test_copy_exclusive_hidden_mid_copy(root, photo, monkeypatch):
    seen_mid_copy = []
    real_copyfileobj = shutil.copyfileobj

    def copy_and_look(reader, writer, length=0):
        writer.write(reader.read(100))
        seen_mid_copy.append(sorted(os.listdir(root)))
        real_copyfileobj(reader, writer, length)

    monkeypatch.setattr(shutil, "copyfileobj", copy_and_look)
    copy_exclusive(photo, root / "a.jpg")
    [names] = seen_mid_copy
    assert "a.jpg" not in names
    assert len(names) == 1
    assert names[0].startswith(".a.jpg.")
    assert names[0].endswith(PARTIAL_SUFFIX)
    assert (root / "a.jpg").read_bytes() == photo.read_bytes()


def test_copy_exclusive_existing_no_partial_left(root, photo):
    (root / "a.jpg").write_bytes(b"already here")
    with pytest.raises(InvalidPathError):
        copy_exclusive(photo, root / "a.jpg")
    assert sorted(os.listdir(root)) == ["a.jpg"]


def test_copy_exclusive_long_name(root, photo):
    # 254 bytes in UTF-8, just under the 255-byte maximum of ext4 and NTFS
    # names. The partial file's name must still fit.
    name = "é" * 125 + ".jpg"
    copy_exclusive(photo, root / name)
    assert sorted(os.listdir(root)) == [name]


def _no_hard_links(source, destination, **keywords):
    raise OSError(errno.EPERM, "Operation not permitted")


def test_copy_exclusive_without_hard_links(root, photo, monkeypatch):
    os.utime(photo, ns=(1_500_000_000_000_000_000, 1_500_000_000_000_000_000))
    monkeypatch.setattr(os, "link", _no_hard_links)
    copy_exclusive(photo, root / "a.jpg")
    assert (root / "a.jpg").read_bytes() == photo.read_bytes()
    assert (root / "a.jpg").stat().st_mtime_ns == 1_500_000_000_000_000_000
    assert sorted(os.listdir(root)) == ["a.jpg"]


def test_copy_exclusive_without_hard_links_existing(root, photo, monkeypatch):
    def appear_then_fail(source, destination, **keywords):
        Path(destination).write_bytes(b"written by another program")
        _no_hard_links(source, destination)

    monkeypatch.setattr(os, "link", appear_then_fail)
    with pytest.raises(InvalidPathError):
        copy_exclusive(photo, root / "a.jpg")
    assert (root / "a.jpg").read_bytes() == b"written by another program"
    assert sorted(os.listdir(root)) == ["a.jpg"]


def test_copy_exclusive_link_error(root, photo, monkeypatch):
    def fail_to_link(source, destination, **keywords):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "link", fail_to_link)
    with pytest.raises(OSError, match="Input/output"):
        copy_exclusive(photo, root / "a.jpg")
    assert os.listdir(root) == []


def test_partial_suffix_not_image_format():
    assert not has_format(f".a.jpg.0123{PARTIAL_SUFFIX}", normalize_formats(None))


# move_exclusive -------------------------------------------------------


def test_move_exclusive_bytes(root, photo):
    original = photo.read_bytes()
    move_exclusive(photo, root / "a.jpg")
    assert (root / "a.jpg").read_bytes() == original


def test_move_exclusive_source_gone(root, photo):
    move_exclusive(photo, root / "a.jpg")
    assert not photo.exists()


def test_move_exclusive_creates_folders(root, photo):
    move_exclusive(photo, root / "new" / "deeper" / "a.jpg")
    assert (root / "new" / "deeper" / "a.jpg").is_file()


def test_move_exclusive_existing_kept(root, photo):
    (root / "a.jpg").write_bytes(b"already here")
    with pytest.raises(InvalidPathError):
        move_exclusive(photo, root / "a.jpg")
    assert (root / "a.jpg").read_bytes() == b"already here"


def test_move_exclusive_existing_source_kept(root, photo):
    original = photo.read_bytes()
    (root / "a.jpg").write_bytes(b"already here")
    with pytest.raises(InvalidPathError):
        move_exclusive(photo, root / "a.jpg")
    assert photo.read_bytes() == original


def test_move_exclusive_dangling_link(root, outside, photo):
    (root / "a.jpg").symlink_to(outside / "a.jpg")
    with pytest.raises(InvalidPathError):
        move_exclusive(photo, root / "a.jpg")
    assert list(outside.iterdir()) == []


def test_move_exclusive_parent_is_file(root, photo):
    (root / "blocker").write_bytes(b"a file, not a folder")
    with pytest.raises(InvalidPathError):
        move_exclusive(photo, root / "blocker" / "a.jpg")
    assert photo.is_file()


def test_move_exclusive_missing_source(root, tmp_path):
    with pytest.raises(FileNotFoundError):
        move_exclusive(tmp_path / "missing.jpg", root / "new" / "a.jpg")
    assert list(root.iterdir()) == []


def test_move_exclusive_other_device(tmp_path, photo):
    shared_memory = Path("/dev/shm")
    if not shared_memory.is_dir():
        pytest.skip("needs /dev/shm, a file system other than tmp_path's")
    if shared_memory.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on a different file system than tmp_path")
    original = photo.read_bytes()
    with tempfile.TemporaryDirectory(dir=shared_memory) as other:
        target = Path(other) / "sub" / "a.jpg"
        move_exclusive(photo, target)
        moved = target.read_bytes()
    assert moved == original
    assert not photo.exists()
