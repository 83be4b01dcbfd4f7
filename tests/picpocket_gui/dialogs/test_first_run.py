"""Tests for the first-run dialog and opening a library from the app."""

import asyncio
import socket

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog

import picpocket
from picpocket.configuration import CONFIG_NAME, new_configuration, write_configuration
from picpocket_gui.dialogs import first_run
from picpocket_gui.dialogs.first_run import (
    FirstRunDialog,
    load_library,
    run_first_run,
)
from tests.picpocket_gui.waiting import until


def free_port():
    """Return a loopback TCP port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def open_dialog(qtbot, folder):
    dialog = FirstRunDialog(folder)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def accepted(dialog):
    return dialog.result() == QDialog.DialogCode.Accepted


def top_level(kind):
    """Return the visible top-level widget of `kind`, or None."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


async def test_create_one_click(qtbot, tmp_path):
    folder = tmp_path / "library"
    dialog = open_dialog(qtbot, folder)
    assert dialog.new_page.folder.path() == folder
    qtbot.mouseClick(dialog.new_page.create_button, Qt.MouseButton.LeftButton)
    await until(lambda: accepted(dialog))
    assert dialog.library_folder == folder
    assert await dialog.api.list_locations() == []
    await dialog.api.close()
    reopened = await picpocket.load(folder)
    assert await reopened.list_locations() == []
    await reopened.close()


async def test_create_changed_folder(qtbot, tmp_path):
    dialog = open_dialog(qtbot, tmp_path / "default")
    dialog.new_page.folder.set_path(tmp_path / "chosen")
    dialog.new_page.create_button.click()
    await until(lambda: accepted(dialog))
    await dialog.api.close()
    assert (tmp_path / "chosen" / CONFIG_NAME).is_file()
    assert not (tmp_path / "default").exists()


async def test_create_over_library(qtbot, tmp_path):
    folder = tmp_path / "library"
    api = await picpocket.initialize(folder)
    await api.close()
    dialog = open_dialog(qtbot, folder)
    dialog.new_page.create_button.click()
    await until(lambda: not dialog.is_busy())
    error = dialog.new_page.folder.error_label
    assert "already contains a PicPocket library" in error.text()
    assert error.isVisibleTo(dialog)
    assert not accepted(dialog)


async def test_create_empty_folder_field(qtbot, tmp_path):
    dialog = open_dialog(qtbot, tmp_path / "library")
    dialog.new_page.folder.line_edit.clear()
    dialog.new_page.create_button.click()
    await until(lambda: not dialog.is_busy())
    assert "folder" in dialog.new_page.folder.error_label.text()


async def test_open_rejects_plain_folder(qtbot, tmp_path):
    plain = tmp_path / "photos"
    plain.mkdir()
    dialog = open_dialog(qtbot, tmp_path / "library")
    dialog.tabs.setCurrentWidget(dialog.open_page)
    dialog.open_page.folder.set_path(plain)
    dialog.open_page.open_button.click()
    await until(lambda: not dialog.is_busy())
    error = dialog.open_page.folder.error_label
    assert CONFIG_NAME in error.text()
    assert error.isVisibleTo(dialog)
    assert not accepted(dialog)


async def test_open_rejects_missing_folder(qtbot, tmp_path):
    dialog = open_dialog(qtbot, tmp_path / "library")
    dialog.open_page.folder.set_path(tmp_path / "nowhere")
    dialog.open_page.open_button.click()
    await until(lambda: not dialog.is_busy())
    assert "does not exist" in dialog.open_page.folder.error_label.text()


async def test_open_existing_library(qtbot, tmp_path):
    folder = tmp_path / "existing"
    api = await picpocket.initialize(folder)
    (tmp_path / "photos").mkdir()
    await api.add_location("photos", tmp_path / "photos", source=True)
    await api.close()
    dialog = open_dialog(qtbot, tmp_path / "library")
    dialog.open_page.folder.set_path(folder)
    dialog.open_page.open_button.click()
    await until(lambda: accepted(dialog))
    locations = await dialog.api.list_locations()
    await dialog.api.close()
    assert [location.name for location in locations] == ["photos"]


async def test_postgres_bad_port(qtbot, tmp_path):
    port = free_port()
    dialog = open_dialog(qtbot, tmp_path / "library")
    page = dialog.postgres_page
    page.host.setText("127.0.0.1")
    page.port.setValue(port)
    page.test_button.click()
    await until(lambda: not dialog.is_busy())
    assert f"127.0.0.1:{port}" in page.status_label.text()
    assert page.status_label.text().startswith("Could not connect")
    assert page.test_button.isEnabled()


async def test_postgres_connect_bad_port(qtbot, tmp_path):
    port = free_port()
    folder = tmp_path / "library"
    dialog = open_dialog(qtbot, folder)
    page = dialog.postgres_page
    page.host.setText("127.0.0.1")
    page.port.setValue(port)
    page.connect_button.click()
    await until(lambda: not dialog.is_busy(), timeout=30)
    assert f"127.0.0.1:{port}" in page.status_label.text()
    assert not (folder / CONFIG_NAME).exists()
    assert not accepted(dialog)


async def test_postgres_needs_database(qtbot, tmp_path):
    dialog = open_dialog(qtbot, tmp_path / "library")
    page = dialog.postgres_page
    page.database.clear()
    page.connect_button.click()
    await until(lambda: not dialog.is_busy())
    assert "database" in page.status_label.text()


async def test_run_returns_library(qtbot, tmp_path):
    folder = tmp_path / "library"
    task = asyncio.ensure_future(run_first_run(folder))
    await until(lambda: top_level(FirstRunDialog) is not None)
    top_level(FirstRunDialog).new_page.create_button.click()
    api, opened = await asyncio.wait_for(task, 10)
    await api.close()
    assert opened == folder


async def test_run_quit(qtbot, tmp_path):
    task = asyncio.ensure_future(run_first_run(tmp_path / "library"))
    await until(lambda: top_level(FirstRunDialog) is not None)
    top_level(FirstRunDialog).reject()
    assert await asyncio.wait_for(task, 10) is None


async def test_run_shows_message(qtbot, tmp_path):
    task = asyncio.ensure_future(
        run_first_run(tmp_path / "library", message="The server is down.")
    )
    await until(lambda: top_level(FirstRunDialog) is not None)
    dialog = top_level(FirstRunDialog)
    texts = [label.text() for label in dialog.findChildren(type(dialog.error_label))]
    dialog.reject()
    await task
    assert "The server is down." in texts


@pytest.fixture
def postgres_folder(tmp_path):
    """Return a library folder whose configuration stores no database password."""
    folder = tmp_path / "shared"
    connection = {"host": "127.0.0.1", "port": 5499, "dbname": "photos"}
    write_configuration(folder, new_configuration("postgres", connection))
    return folder


async def test_password_asked_when_needed(monkeypatch, postgres_folder):
    passwords = []

    async def fake_load(folder, prompt=None):
        passwords.append(prompt())
        return "api"

    async def fake_ask(folder, parent=None):
        return "secret"

    monkeypatch.setattr(picpocket, "load", fake_load)
    monkeypatch.setattr(first_run, "ask_password", fake_ask)
    assert await load_library(postgres_folder) == "api"
    assert passwords == ["secret"]


async def test_password_cancelled(monkeypatch, postgres_folder):
    async def fake_load(folder, prompt=None):
        return prompt()

    async def fake_ask(folder, parent=None):
        return None

    monkeypatch.setattr(picpocket, "load", fake_load)
    monkeypatch.setattr(first_run, "ask_password", fake_ask)
    assert await load_library(postgres_folder) is None


async def test_password_dialog(qtbot, postgres_folder):
    task = asyncio.ensure_future(first_run.ask_password(postgres_folder))
    await until(lambda: top_level(QInputDialog) is not None)
    dialog = top_level(QInputDialog)
    assert "127.0.0.1:5499" in dialog.labelText()
    dialog.setTextValue("hunter2")
    dialog.accept()
    assert await asyncio.wait_for(task, 10) == "hunter2"
