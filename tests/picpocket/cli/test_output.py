"""Unit tests of the output helpers: progress bars, tables, records and the tag tree."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from picpocket.cli import records
from picpocket.cli.output import Output, image_line, quantity
from picpocket.cli.tags import tree_lines
from picpocket.database.types import Image, Location, Task


def terminal_console(buffer: io.StringIO) -> Console:
    """Return a console that draws into `buffer` as if it were a terminal."""
    return Console(file=buffer, force_terminal=True, width=100)


def test_progress_draws_bar() -> None:
    buffer = io.StringIO()
    out = Output(progress_console=terminal_console(buffer))
    with out.progress("Importing photos") as progress:
        progress(1, 4)
        progress(4, 4)
    drawn = buffer.getvalue()
    assert "Importing photos" in drawn
    assert "4/4" in drawn
    assert progress.total == 4


def test_progress_without_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with Output().progress("Importing photos") as progress:
        progress(5, 10)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""
    assert progress.done == 5
    assert progress.total == 10


def test_progress_quiet_on_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    with Output(quiet=True).progress("Importing photos") as progress:
        progress(1, 1)
    assert capsys.readouterr().err == ""


def test_table(capsys: pytest.CaptureFixture[str]) -> None:
    Output().table(("ID", "NAME"), [(1, "photos"), (12, None)])
    assert capsys.readouterr().out == "ID  NAME\n1   photos\n12\n"


def test_quiet_status(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output(quiet=True)
    out.status("Added")
    out.line("result")
    assert capsys.readouterr().out == "result\n"


def test_image_line_without_title() -> None:
    image = Image(id=7, location=2, path=Path("a/b.jpg"), name="b", extension="jpg")
    assert image_line(image, {2: "photos"}) == "7\tphotos\ta/b.jpg\t"


def test_image_record_keys() -> None:
    image = Image(
        id=7, location=2, path=Path("a/b.jpg"), name="b", extension="jpg",
        exif={"Model": "X"}, tags=["sky"],
    )
    record = records.image_record(image, {2: "photos"})
    assert tuple(record) == records.IMAGE_KEYS
    assert record["location"] == "photos"
    assert record["path"] == "a/b.jpg"
    assert records.image_record(image, {2: "photos"}, exif=True)["exif"] == {
        "Model": "X"
    }


def test_location_record_keys() -> None:
    location = Location(
        id=1, name="photos", path=Path("/p"), description=None, source=False,
        destination=True, removable=False,
    )
    record = records.location_record(location, 3)
    assert tuple(record) == records.LOCATION_KEYS
    assert record["images"] == 3
    assert record["path"] == "/p"


def test_task_record_keys() -> None:
    task = Task(
        id=1, name="offload", source=2, destination=3, source_path="DCIM",
        destination_format="{file}", file_formats={"jpg", "cr2"},
        last_ran=datetime(2024, 5, 1, tzinfo=UTC),
    )
    record = records.task_record(task, {2: "card", 3: "archive"})
    assert tuple(record) == records.TASK_KEYS
    assert record["source"] == "card"
    assert record["destination"] == "archive"
    assert record["path"] == "DCIM"
    assert record["format"] == "{file}"
    assert record["formats"] == ["cr2", "jpg"]
    assert record["last_ran"] == "2024-05-01T00:00:00+00:00"


def test_tag_tree() -> None:
    tree = {
        "bird": {
            "description": "Birds",
            "children": {"goose": {"description": None, "children": {}}},
        },
        "animal": {"description": None, "children": {}},
    }
    tags = records.tag_records(tree, {"bird": 3, "bird/goose": 2})
    assert [tag["name"] for tag in tags] == ["animal", "bird"]
    assert tags[1]["children"][0]["name"] == "bird/goose"
    assert tags[0]["images"] == 0
    assert tree_lines(tags) == ["animal (0)", "bird (3) - Birds", "  goose (2)"]


@pytest.mark.parametrize(
    "count, text", [(0, "0 images"), (1, "1 image"), (2, "2 images")]
)
def test_quantity(count: int, text: str) -> None:
    assert quantity(count, "image") == text
