"""Tests for the task add and edit dialog and its live previews."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QWidget

from picpocket_gui.dialogs.task_edit import (
    PREVIEW_LIMIT,
    TaskEditDialog,
    field_for_error,
    split_list,
)
from tests.picpocket_gui.waiting import until

DAY_FILES = {
    "2024/05/01": ("Canon_40D.jpg", "Nikon_D70.jpg"),
    "2024/05/02": ("Pentax_K10D.jpg",),
}


@pytest.fixture
def parent():
    """Return a parent window, so closing a dialog does not quit the app."""
    widget = QWidget()
    yield widget
    widget.deleteLater()


@pytest.fixture
def card(tmp_path: Path, photo_source: Path) -> Path:
    """Return a camera-card folder with dated folders of sample photos."""
    root = tmp_path / "card"
    for folder, names in DAY_FILES.items():
        (root / folder).mkdir(parents=True)
        moment = datetime.strptime(folder + " 12:00", "%Y/%m/%d %H:%M").timestamp()
        for name in names:
            shutil.copy2(photo_source / "jpg" / name, root / folder / name)
            os.utime(root / folder / name, (moment, moment))
    (root / "misc" / "notes").mkdir(parents=True)
    return root


@pytest.fixture
async def locations(library, card: Path, tmp_path: Path) -> dict[str, int]:
    """Add the card as a mounted removable source and an archive destination."""
    archive = tmp_path / "archive"
    archive.mkdir()
    card_id = await library.add_location("card", None, source=True, removable=True)
    await library.mount(card_id, card)
    archive_id = await library.add_location(
        "archive", archive, destination=True, removable=False
    )
    return {"card": card_id, "archive": archive_id}


async def open_dialog(library, parent, task=None) -> TaskEditDialog:
    dialog = TaskEditDialog(library, task, parent)
    dialog.show()
    await dialog.wait_loaded()
    return dialog


def click_ok(dialog: TaskEditDialog) -> None:
    box = dialog.findChild(QDialogButtonBox)
    box.button(QDialogButtonBox.StandardButton.Ok).click()


async def test_add_stores_fields(library, locations, parent):
    await library.add_tag("trip/spring")
    dialog = await open_dialog(library, parent)
    dialog.name_edit.setText("card import")
    dialog.select_location(dialog.source_box, "card")
    dialog.select_location(dialog.destination_box, "archive")
    dialog.description_edit.setText("camera card")
    dialog.source_path_edit.setText("{year}/{month}/{day}")
    dialog.destination_format_edit.setText("{date:%Y}/{file}")
    dialog.creator_edit.setText("Ann")
    dialog.tags_edit.setText("trip/spring, family")
    dialog.formats_edit.setText("jpg, CR2")
    click_ok(dialog)
    await until(lambda: dialog.result() == QDialog.DialogCode.Accepted)
    task = await library.get_task("card import")
    assert task.source == locations["card"]
    assert task.destination == locations["archive"]
    assert task.description == "camera card"
    assert task.source_path == "{year}/{month}/{day}"
    assert task.destination_format == "{date:%Y}/{file}"
    assert task.creator == "Ann"
    assert task.tags == ["trip/spring", "family"]
    assert task.file_formats == {"jpg", "cr2"}
    assert dialog.saved_task_name() == "card import"


async def test_add_defaults_to_none(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.name_edit.setText("plain")
    dialog.select_location(dialog.source_box, "card")
    dialog.select_location(dialog.destination_box, "archive")
    assert await dialog.save()
    task = await library.get_task("plain")
    assert task.source_path is None
    assert task.destination_format is None
    assert task.file_formats is None
    assert task.tags == []


async def test_boxes_offer_roles(library, locations, parent):
    dialog = await open_dialog(library, parent)
    sources = [dialog.source_box.itemText(i) for i in range(dialog.source_box.count())]
    destinations = [
        dialog.destination_box.itemText(i)
        for i in range(dialog.destination_box.count())
    ]
    assert sources == ["card", "photos"]
    assert destinations == ["archive", "photos"]


async def test_add_without_name(library, locations, parent):
    dialog = await open_dialog(library, parent)
    assert not await dialog.save()
    assert "Enter a name" in dialog.message_text("name")
    assert await library.list_tasks() == []


async def test_add_taken_name(library, locations, parent):
    await library.add_task("daily", "card", "archive")
    dialog = await open_dialog(library, parent)
    dialog.name_edit.setText("daily")
    dialog.select_location(dialog.source_box, "card")
    dialog.select_location(dialog.destination_box, "archive")
    dialog.source_path_edit.setText("DCIM")
    assert not await dialog.save()
    assert "'daily' already exists" in dialog.message_text("name")
    assert (await library.get_task("daily")).source_path is None


async def test_preview_lists_folders(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.select_location(dialog.source_box, "card")
    dialog.source_path_edit.setText("{year}/{month}/{day}")
    await until(lambda: dialog.preview_folders() == ["2024/05/01", "2024/05/02"])
    assert dialog.preview_status() == "2 matching folders:"


async def test_preview_regex_part(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.select_location(dialog.source_box, "card")
    dialog.source_path_edit.setText("2024/05/{regex:0[2-9]}")
    await dialog.refresh_source_preview()
    assert dialog.preview_folders() == ["2024/05/02"]


async def test_preview_empty_path(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.select_location(dialog.source_box, "card")
    await dialog.refresh_source_preview()
    assert dialog.preview_folders() == ["(the whole source)"]


async def test_preview_no_match(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.select_location(dialog.source_box, "card")
    dialog.source_path_edit.setText("DCIM/{year}")
    await dialog.refresh_source_preview()
    assert dialog.preview_folders() == []
    assert "No folder matches" in dialog.preview_status()


async def test_preview_capped(library, locations, card, parent):
    for day in range(3, 31):
        (card / "2024" / "05" / f"{day:02}").mkdir()
    dialog = await open_dialog(library, parent)
    dialog.select_location(dialog.source_box, "card")
    dialog.source_path_edit.setText("{year}/{month}/{day}")
    await dialog.refresh_source_preview()
    assert len(dialog.preview_folders()) == PREVIEW_LIMIT
    assert "more match" in dialog.preview_status()


async def test_preview_unmounted(library, locations, parent):
    await library.unmount("card")
    dialog = await open_dialog(library, parent)
    dialog.select_location(dialog.source_box, "card")
    dialog.source_path_edit.setText("{year}")
    await dialog.refresh_source_preview()
    assert dialog.preview_folders() == []
    assert "Source not mounted" in dialog.preview_status()


async def test_invalid_source_path(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.name_edit.setText("broken")
    dialog.select_location(dialog.source_box, "card")
    dialog.select_location(dialog.destination_box, "archive")
    dialog.source_path_edit.setText("{year}/{week}")
    await dialog.refresh_source_preview()
    assert "unknown part name 'week'" in dialog.message_text("source_path")
    assert not await dialog.save()
    assert await library.get_task("broken") is None


async def test_destination_example_real_file(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.select_location(dialog.source_box, "card")
    dialog.source_path_edit.setText("{year}/{month}/{day}")
    dialog.destination_format_edit.setText("{date:%Y}/{date:%m-%d}/{name}.{extension}")
    await dialog.refresh_source_preview()
    assert "2024/05/01/Canon_40D.jpg" in dialog.destination_example()
    assert "<b>2024/05-01/Canon_40D.jpg</b>" in dialog.destination_example()


async def test_destination_example_made_up(library, locations, parent):
    await library.unmount("card")
    dialog = await open_dialog(library, parent)
    dialog.select_location(dialog.source_box, "card")
    await dialog.refresh_source_preview()
    assert "made-up file DCIM/100CANON/IMG_0001.JPG" in dialog.destination_example()
    assert "<b>DCIM/100CANON/IMG_0001.JPG</b>" in dialog.destination_example()


async def test_invalid_destination_format(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.name_edit.setText("bad format")
    dialog.select_location(dialog.source_box, "card")
    dialog.select_location(dialog.destination_box, "archive")
    dialog.destination_format_edit.setText("{camera}/{file}")
    assert "unknown field 'camera'" in dialog.message_text("destination_format")
    assert dialog.destination_example() == ""
    click_ok(dialog)
    await until(lambda: dialog.message_text("destination_format"))
    assert await library.get_task("bad format") is None
    assert dialog.result() != QDialog.DialogCode.Accepted


async def test_destination_format_leaving_root(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.destination_format_edit.setText("../{file}")
    assert "'..' segment" in dialog.message_text("destination_format")


async def test_engine_error_beside_field(library, locations, parent):
    dialog = await open_dialog(library, parent)
    dialog.name_edit.setText("tagged")
    dialog.select_location(dialog.source_box, "card")
    dialog.select_location(dialog.destination_box, "archive")
    dialog.tags_edit.setText("a//b")
    assert not await dialog.save()
    assert "empty level" in dialog.message_text("tags")
    assert dialog.message_text("general") == ""


async def test_tag_completions(library, locations, parent):
    await library.add_tag("bird/goose")
    dialog = await open_dialog(library, parent)
    completer = dialog.tags_edit.completer()
    assert completer.model().stringList() == ["bird/goose"]
    assert completer.splitPath("family, bi") == ["bi"]


async def test_add_has_no_replace_box(library, locations, parent):
    dialog = await open_dialog(library, parent)
    assert dialog.replace_box is None


async def test_edit_fills_fields(library, locations, parent):
    await library.add_task(
        "daily", "card", "archive", source_path="{year}", tags=["trip"],
        destination_format="{directory}/{file}", file_formats={"jpg"},
    )
    dialog = await open_dialog(library, parent, await library.get_task("daily"))
    assert dialog.name_edit.text() == "daily"
    assert dialog.source_box.currentText() == "card"
    assert dialog.destination_box.currentText() == "archive"
    assert dialog.source_path_edit.text() == "{year}"
    assert dialog.tags_edit.text() == "trip"
    assert dialog.formats_edit.text() == "jpg"
    assert dialog.replace_box.isChecked()


async def test_edit_replaces(library, locations, parent):
    await library.add_task("daily", "card", "archive", source_path="{year}")
    dialog = await open_dialog(library, parent, await library.get_task("daily"))
    dialog.source_path_edit.setText("{year}/{month}")
    assert await dialog.save()
    tasks = await library.list_tasks()
    assert [task.name for task in tasks] == ["daily"]
    assert tasks[0].source_path == "{year}/{month}"


async def test_edit_unchanged_keeps_last_run(library, locations, parent):
    await library.add_task("daily", "card", "archive")
    await library.run_task("daily")
    task = await library.get_task("daily")
    dialog = await open_dialog(library, parent, task)
    assert await dialog.save()
    assert (await library.get_task("daily")).last_ran == task.last_ran


async def test_edit_renames(library, locations, parent):
    await library.add_task("daily", "card", "archive")
    dialog = await open_dialog(library, parent, await library.get_task("daily"))
    dialog.name_edit.setText("weekly")
    assert await dialog.save()
    assert [task.name for task in await library.list_tasks()] == ["weekly"]


async def test_edit_without_replace(library, locations, parent):
    await library.add_task("daily", "card", "archive")
    dialog = await open_dialog(library, parent, await library.get_task("daily"))
    dialog.replace_box.setChecked(False)
    dialog.source_path_edit.setText("2024")
    assert not await dialog.save()
    assert "tick “Replace”" in dialog.message_text("name")
    dialog.name_edit.setText("copy")
    assert await dialog.save()
    names = [task.name for task in await library.list_tasks()]
    assert names == ["copy", "daily"]


def test_split_list():
    assert split_list(" a, b/c ,, d ") == ["a", "b/c", "d"]


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("Invalid source path '{x}': segment '{x}' is invalid", "source_path"),
        ("Invalid destination format '{a}': unknown field 'a'", "destination_format"),
        ("Location 'card' is not a source; edit it", "source"),
        ("Location 'card' is not a destination; edit it", "destination"),
        ("A task named 'x' already exists; pass force=True", "name"),
        ("Tag 'a//b' is empty or has an empty level", "tags"),
        ("Invalid file format 'j pg'. Give a file suffix", "formats"),
        ("creator must be text", "creator"),
        ("disk full", "general"),
    ],
)
def test_field_for_error(message, field):
    assert field_for_error(message) == field
