"""Tests for the app's QSettings wrapper."""

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from picpocket_gui import settings as settings_module
from picpocket_gui.settings import Settings


@pytest.fixture
def settings_folder(tmp_path):
    """Point the app's INI settings at a temporary folder for one test."""
    folder = tmp_path / "settings"
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder)
    )
    return folder


@pytest.fixture
def folders(tmp_path):
    """Return twelve existing library folders."""
    paths = []
    for number in range(12):
        path = tmp_path / f"library-{number}"
        path.mkdir()
        paths.append(path)
    return paths


def test_settings_file_location(settings_folder):
    store = Settings().store
    store.setValue("probe", 1)
    store.sync()
    assert store.fileName().startswith(str(settings_folder))


def test_last_library_round_trip(settings_folder, tmp_path):
    Settings().set_last_library(tmp_path / "library")
    assert Settings().last_library() == tmp_path / "library"


def test_last_library_unset(settings_folder):
    assert Settings().last_library() is None


def test_recent_most_recent_first(settings_folder, folders):
    settings = Settings()
    for folder in folders[:3]:
        settings.add_recent_library(folder)
    settings.add_recent_library(folders[0])
    assert Settings().recent_libraries() == [folders[0], folders[2], folders[1]]


def test_recent_keeps_ten(settings_folder, folders):
    settings = Settings()
    for folder in folders:
        settings.add_recent_library(folder)
    recent = Settings().recent_libraries()
    assert len(recent) == settings_module.MAX_RECENT_LIBRARIES
    assert recent[0] == folders[-1]
    assert folders[0] not in recent


def test_recent_drops_missing(settings_folder, folders):
    settings = Settings()
    for folder in folders[:3]:
        settings.add_recent_library(folder)
    folders[1].rmdir()
    assert settings.recent_libraries() == [folders[2], folders[0]]


def test_recent_remove(settings_folder, folders):
    settings = Settings()
    settings.add_recent_library(folders[0])
    settings.add_recent_library(folders[1])
    settings.remove_recent_library(folders[0])
    assert settings.recent_libraries() == [folders[1]]


def test_last_library_joins_recent(settings_folder, folders):
    settings = Settings()
    settings.add_recent_library(folders[0])
    settings.set_last_library(folders[1])
    assert settings.recent_libraries() == [folders[1], folders[0]]


def test_recent_damaged_value(settings_folder, folders):
    settings = Settings()
    settings.store.setValue("libraries/recent", "[not json")
    assert settings.recent_libraries() == []


def test_thumbnail_size_default(settings_folder):
    assert Settings().thumbnail_size() == settings_module.DEFAULT_THUMBNAIL_SIZE


def test_thumbnail_size_clamped(settings_folder):
    settings = Settings()
    settings.set_thumbnail_size(5000)
    assert Settings().thumbnail_size() == settings_module.MAX_THUMBNAIL_SIZE


def test_thumbnail_size_round_trip(settings_folder):
    Settings().set_thumbnail_size(200)
    Settings().sync()
    assert Settings().thumbnail_size() == 200


def test_tag_suggestion_count(settings_folder):
    settings = Settings()
    assert settings.tag_suggestion_count() == settings_module.DEFAULT_TAG_SUGGESTIONS
    settings.set_tag_suggestion_count(4)
    assert Settings().tag_suggestion_count() == 4


def test_mount_point_per_library(settings_folder, tmp_path):
    settings = Settings()
    settings.set_last_mount_point(tmp_path / "a", 3, tmp_path / "media" / "card")
    settings.set_last_mount_point(tmp_path / "b", 3, tmp_path / "media" / "other")
    assert Settings().last_mount_point(tmp_path / "a", 3) == tmp_path / "media" / "card"
    assert (
        Settings().last_mount_point(tmp_path / "b", 3) == tmp_path / "media" / "other"
    )


def test_mount_point_forget(settings_folder, tmp_path):
    settings = Settings()
    settings.set_last_mount_point(tmp_path / "a", 3, tmp_path / "card")
    settings.set_last_mount_point(tmp_path / "a", 3, None)
    assert settings.last_mount_point(tmp_path / "a", 3) is None


def test_mount_point_unknown(settings_folder, tmp_path):
    assert Settings().last_mount_point(tmp_path / "a", 1) is None


def test_window_layout_round_trip(settings_folder, qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(640, 420)
    Settings().save_window(window)
    restored = QMainWindow()
    qtbot.addWidget(restored)
    assert Settings().restore_window(restored)
    assert restored.size().width() == 640


def test_window_layout_missing(settings_folder, qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    assert not Settings().restore_window(window)
