"""Tests for the thumbnail disk cache: entry names, atomic writes, failure markers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from picpocket_gui.thumbnails import cache as cache_module
from picpocket_gui.thumbnails.cache import ThumbnailCache, entry_name

HASH = "ab" * 32


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def test_thumbnail_round_trip(tmp_path: Path):
    cache = ThumbnailCache(tmp_path)
    cache.write_thumbnail(HASH, 256, b"encoded")
    assert cache.read_thumbnail(HASH, 256) == b"encoded"


def test_thumbnail_missing_size(tmp_path: Path):
    cache = ThumbnailCache(tmp_path)
    cache.write_thumbnail(HASH, 256, b"encoded")
    assert cache.read_thumbnail(HASH, 128) is None


def test_write_leaves_only_final_file(tmp_path: Path):
    cache = ThumbnailCache(tmp_path)
    cache.write_thumbnail(HASH, 256, b"encoded")
    assert files_under(tmp_path) == [cache.thumbnail_path(HASH, 256)]


def test_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = ThumbnailCache(tmp_path)

    def fail_replace(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module.os, "replace", fail_replace)
    with pytest.raises(OSError):
        cache.write_thumbnail(HASH, 256, b"encoded")
    assert files_under(tmp_path) == []


def test_failed_write_keeps_old_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = ThumbnailCache(tmp_path)
    cache.write_thumbnail(HASH, 256, b"old")

    def fail_replace(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module.os, "replace", fail_replace)
    with pytest.raises(OSError):
        cache.write_thumbnail(HASH, 256, b"new")
    assert cache.read_thumbnail(HASH, 256) == b"old"
    assert files_under(tmp_path) == [cache.thumbnail_path(HASH, 256)]


def test_entry_name_uses_hash(tmp_path: Path):
    assert entry_name(HASH, tmp_path / "missing.jpg") == HASH


def test_entry_name_hashes_odd_hash(tmp_path: Path):
    name = entry_name("not/a hex hash", tmp_path / "missing.jpg")
    assert "/" not in name
    assert len(name) == 64


def test_entry_name_follows_file_changes(jpegs: Path):
    path = jpegs / "Canon_40D.jpg"
    before = entry_name(None, path)
    with open(path, "ab") as file:
        file.write(b"\0")
    assert entry_name(None, path) != before


def test_entry_name_stable(jpegs: Path):
    path = jpegs / "Canon_40D.jpg"
    assert entry_name(None, path) == entry_name(None, path)


def test_entry_name_missing_file(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        entry_name(None, tmp_path / "missing.jpg")


def test_failure_marker_read(tmp_path: Path, jpegs: Path):
    cache = ThumbnailCache(tmp_path / "cache")
    source = jpegs / "Nikon_D70.jpg"
    cache.write_failure(HASH, source, "the image data is truncated")
    assert cache.read_failure(HASH, source) == "the image data is truncated"


def test_failure_marker_cleared_on_change(tmp_path: Path, jpegs: Path):
    cache = ThumbnailCache(tmp_path / "cache")
    source = jpegs / "Nikon_D70.jpg"
    cache.write_failure(HASH, source, "the image data is truncated")
    shutil.copyfile(jpegs / "Canon_40D.jpg", source)
    assert cache.read_failure(HASH, source) is None
    assert not cache.marker_path(HASH).exists()


def test_failure_marker_cleared_on_new_mtime(tmp_path: Path, jpegs: Path):
    cache = ThumbnailCache(tmp_path / "cache")
    source = jpegs / "Nikon_D70.jpg"
    cache.write_failure(HASH, source, "the image data is truncated")
    status = source.stat()
    os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))
    assert cache.read_failure(HASH, source) is None


def test_damaged_marker_ignored(tmp_path: Path, jpegs: Path):
    cache = ThumbnailCache(tmp_path / "cache")
    marker = cache.marker_path(HASH)
    marker.parent.mkdir(parents=True)
    marker.write_text("{not json", encoding="utf-8")
    assert cache.read_failure(HASH, jpegs / "Nikon_D70.jpg") is None
    assert not marker.exists()


def test_default_folder_is_user_cache():
    folder = cache_module.default_cache_folder()
    assert "picpocket" in folder.parts
