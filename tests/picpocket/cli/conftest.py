"""Fixtures for the command-line tests: a runner for main() and prepared libraries."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import picpocket.cli as cli_package
from picpocket.cli import main

# The four camera JPEGs of the shared `jpegs` fixture.
JPEG_NAMES = ("Canon_40D.jpg", "Kodak_CX7530.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg")


@dataclass
class Result:
    """What one call of main() returned and printed."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


Runner = Callable[..., Result]


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    return tmp_path / "library"


@pytest.fixture
def cli(library_dir: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Return a function that runs main() on the test library and captures output."""

    def run(*args: str, config: Path | None = None) -> Result:
        capsys.readouterr()
        directory = library_dir if config is None else config
        code = main(["--config", str(directory), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def library(cli: Runner) -> Runner:
    """Return the runner after creating an empty SQLite library."""
    result = cli("init")
    assert result.code == 0, result.err
    return cli


@pytest.fixture
def imported(library: Runner, jpegs: Path) -> Runner:
    """Return the runner for a library whose location 'photos' contains four JPEGs."""
    added = library("location", "add", "photos", str(jpegs), "--destination")
    assert added.code == 0, added.err
    result = library("location", "import", "photos")
    assert result.code == 0, result.err
    return library


def image_ids(run: Runner) -> dict[str, int]:
    """Return the ids of all images by file name."""
    result = run("search")
    assert result.code == 0, result.err
    ids = {}
    for line in result.lines:
        image_id, _location, path, _title = line.split("\t")
        ids[Path(path).name] = int(image_id)
    return ids


@pytest.fixture
def camera_card(tmp_path: Path, photo_source: Path) -> Path:
    """Return a memory-card folder: two DCIM folders and one that is not DCIM."""
    card = tmp_path / "card"
    layout = {
        "DCIM/100CANON": "Canon_40D.jpg",
        "DCIM/101CANON": "Nikon_D70.jpg",
        "MISC": "Kodak_CX7530.jpg",
    }
    for folder, name in layout.items():
        (card / folder).mkdir(parents=True)
        shutil.copy2(photo_source / "jpg" / name, card / folder / name)
    return card


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Remove the stderr handler that main() installs, after each test.

    The handler writes to the test's captured stderr, which pytest closes
    afterwards.
    """
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, cli_package._Handler):
            root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("picpocket").setLevel(logging.NOTSET)
