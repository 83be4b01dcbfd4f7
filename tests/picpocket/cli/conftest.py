"""Fixtures for the command-line tests: a runner for main() and prepared libraries.

The `library` fixture, and every fixture built on it, runs each test
once on SQLite and once on PostgreSQL through the suite's `backend`
fixture. Tests that leave their library as it was use `shared` instead:
a library that each test module prepares once per backend, with the
commands in the module's SHARED_STEPS, which keeps the suite fast.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import picpocket.cli as cli_package
from picpocket.cli import main
from tests.conftest import BACKENDS
from tests.postgres_server import create_database, drop_database

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
    """Return a function that runs main() on the test library and captures output.

    `library=` runs the command on another library folder.
    """

    def run(*args: str, library: Path | None = None) -> Result:
        capsys.readouterr()
        directory = library_dir if library is None else library
        code = main(["--library", str(directory), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def postgres_options(info: dict[str, Any]) -> list[str]:
    """Return the `initialize postgres` options for a server's settings."""
    options = ["postgres"]
    for key in ("host", "port", "user", "dbname"):
        if info.get(key) is not None:
            options += [f"--{key}", str(info[key])]
    return options


@pytest.fixture
def library(
    cli: Runner,
    backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Runner:
    """Return the runner after creating an empty library on the backend under test."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    options: list[str] = []
    if backend == "postgres":
        info = request.getfixturevalue("postgres_database")
        if info.get("password") is not None:
            monkeypatch.setenv("PGPASSWORD", info["password"])
        options = [*postgres_options(info), "--store-password"]
    result = cli("initialize", *options)
    assert result.code == 0, result.err
    return cli


@pytest.fixture
def imported(library: Runner, jpegs: Path) -> Runner:
    """Return the runner for a library whose location 'photos' contains four JPEGs."""
    added = library("locations", "add", "photos", "--path", str(jpegs), "--destination")
    assert added.code == 0, added.err
    return library


@pytest.fixture
def sqlite_library(cli: Runner, tmp_path: Path) -> Path:
    """Return the folder of a second, empty library on SQLite."""
    folder = tmp_path / "other-library"
    result = cli("initialize", library=folder)
    assert result.code == 0, result.err
    return folder


@dataclass
class SharedBackend:
    """How to create a module's shared library: `initialize` options and password."""

    options: list[str]
    password: str | None = None


@pytest.fixture(scope="module", params=BACKENDS)
def shared_backend(request: pytest.FixtureRequest) -> Iterator[SharedBackend]:
    """Return how to create a module's shared library, once per backend.

    For PostgreSQL this creates a database for the module, because the
    test database of the `postgres_database` fixture is emptied before
    every test.
    """
    if request.param == "sqlite":
        yield SharedBackend([])
        return
    server = request.getfixturevalue("postgres_server")
    name = f"picpocket_cli_{uuid.uuid4().hex[:12]}"
    create_database(server, name)
    try:
        info = server.connection_info(name)
        options = [*postgres_options(info), "--store-password"]
        yield SharedBackend(options, info.get("password"))
    finally:
        drop_database(server, name)


@pytest.fixture(scope="module")
def shared_library(
    request: pytest.FixtureRequest,
    shared_backend: SharedBackend,
    tmp_path_factory: pytest.TempPathFactory,
    photo_source: Path,
) -> Path:
    """Return the folder of the module's shared library (see build_shared_library)."""
    folder = tmp_path_factory.mktemp("shared")
    steps = getattr(request.module, "SHARED_STEPS", ())
    return build_shared_library(folder, shared_backend, photo_source, steps)


@pytest.fixture
def shared(cli: Runner, shared_library: Path) -> Runner:
    """Return a runner on the module's shared library; tests must not change it."""

    def run(*args: str) -> Result:
        return cli(*args, library=shared_library)

    return run


@pytest.fixture
def shared_jpegs(shared_library: Path) -> Path:
    """Return the folder of the shared library's location 'photos'."""
    return shared_library.parent / "jpegs"


def run_setup(library: Path, *args: str, password: str | None = None) -> str:
    """Run main() for a module fixture, outside any test's capture; return stdout.

    Raises AssertionError with the error output when the command fails.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        with pytest.MonkeyPatch.context() as patch:
            if password is not None:
                patch.setenv("PGPASSWORD", password)
            code = main(["--library", str(library), *args])
    assert code == 0, f"{args}: {err.getvalue()}"
    return out.getvalue()


def build_shared_library(
    folder: Path,
    backend: SharedBackend,
    photo_source: Path,
    steps: Sequence[Sequence[str]] = (),
) -> Path:
    """Create a library with location 'photos' (four JPEGs) and run `steps` in it.

    A step's part such as "@Canon_40D" is replaced with that image's id.
    Returns the library folder; the JPEGs are in the folder 'jpegs' beside it.
    """
    jpegs = folder / "jpegs"
    jpegs.mkdir(parents=True)
    for name in JPEG_NAMES:
        shutil.copy2(photo_source / "jpg" / name, jpegs / name)
    library = folder / "library"
    run_setup(library, "initialize", *backend.options, password=backend.password)
    add_photos = ("locations", "add", "photos", "--path", str(jpegs), "--destination")
    run_setup(library, *add_photos)
    ids = setup_image_ids(library)
    for step in steps:
        run_setup(library, *fill_image_ids(step, ids))
    return library


def fill_image_ids(step: Sequence[str], ids: dict[str, str]) -> list[str]:
    """Replace each part such as "@Canon_40D" of a command with that image's id."""
    return [ids.get(part[1:], part) if part.startswith("@") else part for part in step]


def setup_image_ids(library: Path) -> dict[str, str]:
    """Return image ids by file stem, such as {'Canon_40D': '1'}, for step templates."""
    ids = {}
    for line in run_setup(library, "images", "search").splitlines():
        image_id, _location, path, _title = line.split("\t")
        ids[Path(path).stem] = image_id
    return ids


def image_ids(run: Runner) -> dict[str, int]:
    """Return the ids of all images by file name."""
    result = run("images", "search")
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
    """Remove the stderr handler that main() installs, after each test."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, cli_package._Handler):
            root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("picpocket").setLevel(logging.NOTSET)
