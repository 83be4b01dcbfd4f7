"""Tests for picpocket.files."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from picpocket.files import copy_exclusive, walk_files

# walk_files


def make_tree(root: Path, files: list[str]) -> Path:
    """Create empty files at the given relative paths under root."""
    for relative in files:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    return root


def relative_paths(root: Path, paths) -> list[str]:
    return [path.relative_to(root).as_posix() for path in paths]


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING
        and record.name == "picpocket.files"
        and text in record.getMessage()
    ]


def test_walk_files_all(tmp_path):
    root = make_tree(
        tmp_path / "root", ["b.jpg", "a.txt", "x/c.jpg", "x/y/d.png", "z/e"]
    )

    found = relative_paths(root, walk_files(root))

    assert found == ["a.txt", "b.jpg", "x/c.jpg", "x/y/d.png", "z/e"]


def test_walk_files_empty_folder(tmp_path):
    (tmp_path / "root" / "empty").mkdir(parents=True)

    assert list(walk_files(tmp_path / "root")) == []


def test_walk_files_missing_root(tmp_path, caplog):
    found = list(walk_files(tmp_path / "missing"))

    assert found == []
    assert len(warnings_about(caplog, "missing")) == 1


def test_walk_files_link_loop(tmp_path, caplog):
    root = make_tree(tmp_path / "root", ["a.jpg", "sub/b.jpg"])
    (root / "sub" / "up").symlink_to("..")
    (root / "self").symlink_to(".")

    found = relative_paths(root, walk_files(root))

    assert found == ["a.jpg", "sub/b.jpg"]
    assert len(warnings_about(caplog, "already read")) == 2


def test_walk_files_linked_folder_once(tmp_path):
    root = make_tree(tmp_path / "root", ["real/a.jpg"])
    (root / "alias").symlink_to("real", target_is_directory=True)

    found = relative_paths(root, walk_files(root))

    assert len(found) == 1
    assert found[0] in ("alias/a.jpg", "real/a.jpg")


def test_walk_files_link_to_file(tmp_path):
    root = make_tree(tmp_path / "root", ["a.jpg"])
    (root / "b.jpg").symlink_to("a.jpg")

    found = relative_paths(root, walk_files(root))

    assert found == ["a.jpg", "b.jpg"]


def test_walk_files_dangling_link(tmp_path, caplog):
    root = make_tree(tmp_path / "root", ["a.jpg"])
    (root / "drive").symlink_to(tmp_path / "unplugged", target_is_directory=True)
    (root / "gone.jpg").symlink_to(tmp_path / "gone.jpg")

    found = relative_paths(root, walk_files(root))

    assert found == ["a.jpg"]
    assert len(warnings_about(caplog, "drive")) == 1
    assert len(warnings_about(caplog, "gone.jpg")) == 1


def test_walk_files_folder_removed(tmp_path, caplog):
    root = make_tree(tmp_path / "root", ["a/1.jpg", "b/2.jpg", "c/3.jpg"])
    walk = walk_files(root)

    first = next(walk)
    shutil.rmtree(root / "b")
    rest = list(walk)

    assert relative_paths(root, [first, *rest]) == ["a/1.jpg", "c/3.jpg"]
    assert len(warnings_about(caplog, str(root / "b"))) == 1


def test_walk_files_folder_replaced_by_file(tmp_path, caplog):
    root = make_tree(tmp_path / "root", ["a/1.jpg", "b/2.jpg"])
    walk = walk_files(root)

    first = next(walk)
    shutil.rmtree(root / "b")
    (root / "b").write_bytes(b"")
    rest = list(walk)

    assert relative_paths(root, [first, *rest]) == ["a/1.jpg"]
    assert len(warnings_about(caplog, str(root / "b"))) == 1


def test_walk_files_name_not_utf8(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    with open(os.fsencode(root) + b"/bad\xffname.jpg", "wb") as file:
        file.write(b"")

    found = list(walk_files(root))

    assert [os.fsencode(path.name) for path in found] == [b"bad\xffname.jpg"]


def test_walk_files_newline_name(tmp_path):
    root = make_tree(tmp_path / "root", ["line\nbreak.jpg"])

    found = relative_paths(root, walk_files(root))

    assert found == ["line\nbreak.jpg"]


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root can read folders without permission"
)
def test_walk_files_unreadable_folder(tmp_path, caplog):
    root = make_tree(tmp_path / "root", ["a.jpg", "locked/b.jpg"])
    (root / "locked").chmod(0)
    try:
        found = relative_paths(root, walk_files(root))
    finally:
        (root / "locked").chmod(0o755)

    assert found == ["a.jpg"]
    assert len(warnings_about(caplog, "locked")) == 1


def test_copy_exclusive_root_not_recreated(tmp_path, jpegs):
    root = tmp_path / "drive"
    with pytest.raises(FileNotFoundError):
        copy_exclusive(jpegs / "Canon_40D.jpg", root / "a" / "b.jpg", root)
    assert not root.exists()


def test_copy_exclusive_folders_below_root(tmp_path, jpegs):
    root = tmp_path / "drive"
    root.mkdir()
    copy_exclusive(jpegs / "Canon_40D.jpg", root / "a" / "b" / "c.jpg", root)
    assert (root / "a" / "b" / "c.jpg").is_file()
