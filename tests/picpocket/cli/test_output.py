"""Unit tests of the output helpers: progress, tables and the tag tree."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from picpocket.cli.output import Output, Progress, image_line
from picpocket.cli.tags import tree_lines
from picpocket.database.types import Image


class FakeClock:
    """A monotonic clock that the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_throttled() -> None:
    stream, clock = io.StringIO(), FakeClock()
    with Progress("Importing", stream, interval=0.1, clock=clock) as progress:
        progress(1, 10)
        clock.now = 0.05
        progress(2, 10)
        clock.now = 0.2
        progress(3, 10)
    assert stream.getvalue() == "\rImporting: 1/10\rImporting: 3/10\n"


def test_progress_final_update() -> None:
    stream, clock = io.StringIO(), FakeClock()
    with Progress("Importing", stream, clock=clock) as progress:
        progress(1, 2)
        progress(2, 2)
    assert stream.getvalue().endswith("\rImporting: 2/2\n")


def test_progress_disabled() -> None:
    stream = io.StringIO()
    with Progress("Importing", stream, enabled=False) as progress:
        progress(5, 10)
    assert stream.getvalue() == ""
    assert progress.total == 10


def test_output_table(capsys: pytest.CaptureFixture[str]) -> None:
    Output().table(("ID", "NAME"), [(1, "photos"), (12, None)])
    assert capsys.readouterr().out == "ID  NAME\n1   photos\n12\n"


def test_output_quiet_status(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output(quiet=True)
    out.status("Added")
    out.line("result")
    assert capsys.readouterr().out == "result\n"


def test_output_confirm(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["y", "no", ""])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    out = Output()
    assert out.confirm("Delete?") is True
    assert out.confirm("Delete?") is False
    assert out.confirm("Delete?") is False


def test_image_line_without_title() -> None:
    image = Image(id=7, location=2, path=Path("a/b.jpg"), name="b", extension="jpg")
    assert image_line(image, {2: "photos"}) == "7\tphotos\ta/b.jpg\t"


def test_tree_lines_nested() -> None:
    tree = {
        "bird": {
            "description": "Birds",
            "children": {"goose": {"description": None, "children": {}}},
        },
        "animal": {"description": None, "children": {}},
    }
    assert tree_lines(tree) == ["animal", "bird - Birds", "  goose"]
