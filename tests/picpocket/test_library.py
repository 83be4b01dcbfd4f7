"""Tests for creating and opening libraries, backends and schema migrations."""

from __future__ import annotations

import importlib.metadata
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import platformdirs
import pytest

import picpocket
import picpocket.api
from picpocket.backends import available_backends, load_backend
from picpocket.configuration import CONFIG_NAME, new_configuration, write_configuration
from picpocket.database import schema
from picpocket.database.postgres import PostgreSQL
from picpocket.database.sqlite import DEFAULT_FILE, SQLite
from picpocket.errors import InputValidationError, InvalidPathError, PicPocketError

# Objects that only the second migration creates.
MIGRATION_2_INDEX = "images_name"
INDEX_COUNT_QUERIES = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?",
    "postgres": "SELECT count(*) FROM pg_indexes WHERE indexname = ?",
}


def new_backend_object(directory: Path, backend: str, info: dict[str, Any]) -> Any:
    """Write a configuration and return a backend object that has not migrated."""
    settings = dict(info)
    store_credentials = settings.pop("store_credentials", None)
    backend_class = load_backend(backend)
    connection = backend_class.parse_connection_info(
        directory, store_credentials=store_credentials, **settings
    )
    configuration = new_configuration(backend, connection)
    if not (directory / CONFIG_NAME).exists():
        write_configuration(directory, configuration)
    return backend_class(directory, configuration)


async def stored_version(directory: Path, backend: str, info: dict[str, Any]) -> int:
    api = new_backend_object(directory, backend, info)
    try:
        return await api.get_version()
    finally:
        await api.close()


async def index_count(directory: Path, backend: str, info: dict[str, Any]) -> int:
    api = new_backend_object(directory, backend, info)
    try:
        async with api.transaction(commit=False) as cursor:
            row = await cursor.fetch_one(
                INDEX_COUNT_QUERIES[backend], (MIGRATION_2_INDEX,)
            )
    finally:
        await api.close()
    return row[0]


async def create_version_1(directory: Path, backend: str, info: dict[str, Any]) -> None:
    api = new_backend_object(directory, backend, info)
    try:
        await api.migrate(target=1)
        await api.add_location("old", Path("/photos"), destination=True)
    finally:
        await api.close()


# Initialize and load ---------------------------------------------------


async def test_initialize_sqlite_files(tmp_path):
    directory = tmp_path / "new" / "library"
    api = await picpocket.initialize(directory)
    await api.close()
    assert (directory / CONFIG_NAME).is_file()
    assert (directory / DEFAULT_FILE).is_file()


async def test_initialize_configuration(tmp_path):
    api = await picpocket.initialize(tmp_path / "library")
    await api.close()
    with open(tmp_path / "library" / CONFIG_NAME, "rb") as file:
        configuration = tomllib.load(file)
    assert configuration["backend"]["type"] == "sqlite"
    assert configuration["connection"] == {"path": DEFAULT_FILE}


async def test_initialize_sqlite_path(tmp_path):
    api = await picpocket.initialize(tmp_path / "library", "sqlite", path="photos.db")
    await api.close()
    assert (tmp_path / "library" / "photos.db").is_file()
    assert not (tmp_path / "library" / DEFAULT_FILE).exists()


async def test_initialize_unknown_setting(tmp_path):
    with pytest.raises(InputValidationError, match="dbname"):
        await picpocket.initialize(tmp_path / "library", "sqlite", dbname="photos")
    assert not (tmp_path / "library" / CONFIG_NAME).exists()


async def test_initialize_existing(tmp_path, backend, connection_info):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, backend, **connection_info)
    await api.add_location("main", tmp_path, destination=True)
    await api.close()
    before = (directory / CONFIG_NAME).read_bytes()
    with pytest.raises(InvalidPathError, match="already"):
        await picpocket.initialize(directory, backend, **connection_info)
    assert (directory / CONFIG_NAME).read_bytes() == before
    api = await picpocket.load(directory)
    try:
        locations = await api.list_locations()
    finally:
        await api.close()
    assert [location.name for location in locations] == ["main"]


async def test_initialize_onto_file(tmp_path):
    target = tmp_path / "library"
    target.write_text("not a folder")
    with pytest.raises(InvalidPathError):
        await picpocket.initialize(target)
    assert target.read_text() == "not a folder"


async def test_load_opens(tmp_path, backend, connection_info):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, backend, **connection_info)
    location_id = await api.add_location("main", tmp_path, destination=True)
    await api.close()
    loaded = await picpocket.load(directory)
    try:
        location = await loaded.get_location("main")
    finally:
        await loaded.close()
    assert location.id == location_id
    assert loaded.configuration["backend"]["type"] == backend


async def test_load_empty_folder(tmp_path):
    with pytest.raises(InvalidPathError, match=CONFIG_NAME):
        await picpocket.load(tmp_path)


async def test_load_missing_folder(tmp_path):
    with pytest.raises(InvalidPathError):
        await picpocket.load(tmp_path / "absent")


async def test_load_missing_database(tmp_path):
    api = await picpocket.initialize(tmp_path / "library")
    await api.close()
    (tmp_path / "library" / DEFAULT_FILE).unlink()
    with pytest.raises(InvalidPathError, match=DEFAULT_FILE):
        await picpocket.load(tmp_path / "library")
    assert not (tmp_path / "library" / DEFAULT_FILE).exists()


async def test_load_not_database(tmp_path):
    api = await picpocket.initialize(tmp_path / "library")
    await api.close()
    database = tmp_path / "library" / DEFAULT_FILE
    for leftover in database.parent.glob(f"{DEFAULT_FILE}-*"):
        leftover.unlink()
    database.write_bytes(b"these bytes are not a SQLite database" * 100)
    with pytest.raises(InvalidPathError, match=DEFAULT_FILE):
        await picpocket.load(tmp_path / "library")
    assert database.read_bytes() == b"these bytes are not a SQLite database" * 100


async def test_load_invalid_toml(tmp_path):
    (tmp_path / CONFIG_NAME).write_text("backend = [")
    with pytest.raises(InputValidationError, match="TOML"):
        await picpocket.load(tmp_path)


async def test_load_no_backend(tmp_path):
    (tmp_path / CONFIG_NAME).write_text('[connection]\npath = "x.db"\n')
    with pytest.raises(InputValidationError, match="backend"):
        await picpocket.load(tmp_path)



async def test_load_empty_database_file(tmp_path):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory)
    await api.close()
    database = directory / DEFAULT_FILE
    database.write_bytes(b"")
    with pytest.raises(InvalidPathError, match="no PicPocket library") as caught:
        await picpocket.load(directory)
    assert str(database) in str(caught.value)
    assert database.stat().st_size == 0


async def test_load_database_without_tables(tmp_path):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory)
    await api.close()
    database = directory / DEFAULT_FILE
    database.unlink()
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    connection.close()
    with pytest.raises(InvalidPathError, match="no PicPocket library") as caught:
        await picpocket.load(directory)
    assert str(database) in str(caught.value)
    assert sqlite_tables(database) == ["notes"]


async def test_load_no_connection_table(tmp_path):
    (tmp_path / CONFIG_NAME).write_text('[backend]\ntype = "sqlite"\n')
    with pytest.raises(InputValidationError, match=r"\[connection\]") as caught:
        await picpocket.load(tmp_path)
    assert CONFIG_NAME in str(caught.value)


async def test_load_path_not_string(tmp_path):
    (tmp_path / CONFIG_NAME).write_text(
        '[backend]\ntype = "sqlite"\n[connection]\npath = 7\n'
    )
    with pytest.raises(InputValidationError, match="path") as caught:
        await picpocket.load(tmp_path)
    assert CONFIG_NAME in str(caught.value)


async def test_load_not_utf8(tmp_path):
    (tmp_path / CONFIG_NAME).write_bytes(b'[backend]\ntype = "sql\xffite"\n')
    with pytest.raises(InputValidationError, match="UTF-8") as caught:
        await picpocket.load(tmp_path)
    assert CONFIG_NAME in str(caught.value)


async def test_load_backend_not_table(tmp_path):
    (tmp_path / CONFIG_NAME).write_text('backend = "sqlite"\n')
    with pytest.raises(InputValidationError, match="backend"):
        await picpocket.load(tmp_path)


# Read-only SQLite libraries ----------------------------------------------


def sqlite_tables(database: Path) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
    finally:
        connection.close()
    return [row[0] for row in rows]


@pytest.fixture
def make_immutable() -> Iterator[Callable[[Path], None]]:
    """Return a function that marks a file immutable with chattr +i.

    Tests run as root, where file modes do not stop writes, but the
    immutable attribute does. The attribute is cleared afterwards so that
    pytest can delete tmp_path.
    """
    marked: list[Path] = []

    def mark(path: Path) -> None:
        result = subprocess.run(
            ["chattr", "+i", str(path)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            pytest.skip(f"chattr +i is not available here: {result.stderr.strip()}")
        marked.append(path)

    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    yield mark
    for path in marked:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def read_only_library(
    directory: Path, make_immutable: Callable[[Path], None]
) -> Path:
    """Create a library with one location and make its database read-only."""
    api = await picpocket.initialize(directory)
    await api.add_location("main", directory, destination=True)
    await api.add_tag("birds")
    await api.close()
    database = directory / DEFAULT_FILE
    make_immutable(database)
    return database


async def test_read_only_loads(tmp_path, make_immutable):
    directory = tmp_path / "library"
    await read_only_library(directory, make_immutable)
    api = await picpocket.load(directory)
    try:
        locations = await api.list_locations()
        images = await api.search_images()
        version = await api.get_version()
    finally:
        await api.close()
    assert [location.name for location in locations] == ["main"]
    assert images == []
    assert version == schema.SCHEMA_VERSION


async def test_read_only_write_error(tmp_path, make_immutable):
    directory = tmp_path / "library"
    database = await read_only_library(directory, make_immutable)
    api = await picpocket.load(directory)
    try:
        with pytest.raises(PicPocketError, match="read-only") as caught:
            await api.add_tag("cats")
        tags = await api.all_tags()
    finally:
        await api.close()
    assert str(database) in str(caught.value)
    assert not isinstance(caught.value, sqlite3.Error)
    assert "cats" not in tags


async def test_read_only_old_schema(tmp_path, make_immutable):
    directory = tmp_path / "library"
    await create_version_1(directory, "sqlite", {})
    database = directory / DEFAULT_FILE
    make_immutable(database)
    with pytest.raises(PicPocketError, match="read-only") as caught:
        await picpocket.load(directory)
    assert str(database) in str(caught.value)


def test_default_directory():
    expected = platformdirs.user_config_path("picpocket", appauthor=False)
    assert picpocket.default_directory() == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG is Linux only")
def test_default_directory_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert picpocket.default_directory() == tmp_path / "picpocket"


# Backends --------------------------------------------------------------


def test_backends_entry_points():
    entries = importlib.metadata.entry_points(group="picpocket.backends")
    names = {entry.name for entry in entries}
    assert {"sqlite", "postgres"} <= names


def test_backends_classes():
    assert load_backend("sqlite") is SQLite
    assert load_backend("postgres") is PostgreSQL


async def test_backend_unknown(tmp_path):
    with pytest.raises(InputValidationError) as caught:
        await picpocket.initialize(tmp_path / "library", "oracle")
    message = str(caught.value)
    assert "oracle" in message
    assert "sqlite" in message
    assert "postgres" in message
    assert not (tmp_path / "library").exists()


async def test_backend_unknown_on_load(tmp_path):
    (tmp_path / CONFIG_NAME).write_text('[backend]\ntype = "oracle"\n')
    with pytest.raises(InputValidationError, match="sqlite"):
        await picpocket.load(tmp_path)


THIRD_PARTY_MODULE = "picpocket_test_notebook_backend"


@pytest.fixture
def third_party_backend(tmp_path, monkeypatch):
    """Register a backend named 'notebook' through a dist-info folder."""
    site = tmp_path / "site"
    site.mkdir()
    (site / f"{THIRD_PARTY_MODULE}.py").write_text(
        "from picpocket.database.sqlite import SQLite\n\n\n"
        "class NotebookBackend(SQLite):\n"
        '    """A SQLite library registered under another name."""\n'
    )
    dist_info = site / "picpocket_test_notebook-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: picpocket-test-notebook\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[picpocket.backends]\nnotebook = {THIRD_PARTY_MODULE}:NotebookBackend\n"
    )
    monkeypatch.syspath_prepend(site)
    yield "notebook"
    sys.modules.pop(THIRD_PARTY_MODULE, None)


@pytest.fixture
def broken_backend(tmp_path, monkeypatch):
    """Register a backend named 'broken' whose module does not exist."""
    site = tmp_path / "broken-site"
    dist_info = site / "picpocket_test_broken-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: picpocket-test-broken\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[picpocket.backends]\nbroken = picpocket_test_absent_module:Backend\n"
    )
    monkeypatch.syspath_prepend(site)
    return "broken"


async def test_backend_fails_import(tmp_path, broken_backend):
    with pytest.raises(PicPocketError, match="picpocket_test_absent_module"):
        await picpocket.initialize(tmp_path / "library", broken_backend)
    assert not (tmp_path / "library").exists()


def test_third_party_listed(third_party_backend):
    assert third_party_backend in available_backends()


async def test_third_party_initialize(tmp_path, third_party_backend):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, third_party_backend)
    try:
        await api.add_location("main", tmp_path, destination=True)
    finally:
        await api.close()
    assert type(api).__name__ == "NotebookBackend"
    assert api.configuration["backend"]["type"] == "notebook"


async def test_third_party_load(tmp_path, third_party_backend):
    directory = tmp_path / "library"
    api = await picpocket.initialize(directory, third_party_backend)
    await api.add_location("main", tmp_path, destination=True)
    await api.close()
    loaded = await picpocket.load(directory)
    try:
        locations = await loaded.list_locations()
    finally:
        await loaded.close()
    assert type(loaded).__name__ == "NotebookBackend"
    assert [location.name for location in locations] == ["main"]


# Schema migrations -----------------------------------------------------


async def test_migrate_target_1(tmp_path, backend, connection_info):
    directory = tmp_path / "library"
    await create_version_1(directory, backend, connection_info)
    assert await stored_version(directory, backend, connection_info) == 1
    assert await index_count(directory, backend, connection_info) == 0


async def test_load_migrates(tmp_path, backend, connection_info):
    directory = tmp_path / "library"
    await create_version_1(directory, backend, connection_info)
    api = await picpocket.load(directory)
    try:
        version = await api.get_version()
        session = await api.create_session({"query": "birds"})
        data = await api.get_session(session)
        locations = await api.list_locations()
    finally:
        await api.close()
    assert version == schema.SCHEMA_VERSION
    assert data == {"query": "birds"}
    assert [location.name for location in locations] == ["old"]
    assert await index_count(directory, backend, connection_info) == 1


async def test_migration_atomic(tmp_path, backend, connection_info):
    directory = tmp_path / "library"
    await create_version_1(directory, backend, connection_info)
    api = new_backend_object(directory, backend, connection_info)
    async with api.transaction() as cursor:
        # Migration 2 creates this table after its indexes, so it fails late.
        await cursor.execute("CREATE TABLE sessions (id INTEGER)")
    await api.close()
    with pytest.raises(PicPocketError) as caught:
        await picpocket.load(directory)
    assert "1" in str(caught.value)
    assert str(schema.SCHEMA_VERSION) in str(caught.value)
    assert await stored_version(directory, backend, connection_info) == 1
    assert await index_count(directory, backend, connection_info) == 0


async def test_newer_library_refused(tmp_path, backend, connection_info):
    directory = tmp_path / "library"
    newer = schema.SCHEMA_VERSION + 5
    api = await picpocket.initialize(directory, backend, **connection_info)
    async with api.transaction() as cursor:
        await cursor.execute("DELETE FROM version")
        await cursor.execute("INSERT INTO version (version) VALUES (?)", (newer,))
    await api.close()
    with pytest.raises(PicPocketError) as caught:
        await picpocket.load(directory)
    assert f"version {newer}" in str(caught.value)
    assert f"version {schema.SCHEMA_VERSION}" in str(caught.value)
    assert await stored_version(directory, backend, connection_info) == newer


async def test_migrate_beyond_code(api):
    with pytest.raises(InputValidationError, match=str(schema.SCHEMA_VERSION)):
        await api.migrate(target=schema.SCHEMA_VERSION + 1)
    assert await api.get_version() == schema.SCHEMA_VERSION


async def test_matching_version(api):
    assert await api.matching_version()


# The PicPocket protocol --------------------------------------------------


async def test_protocol_instance(api):
    assert isinstance(api, picpocket.api.PicPocket)


def test_protocol_exported():
    assert picpocket.PicPocket is picpocket.api.PicPocket


def test_engine_imports_no_qt():
    code = (
        "import picpocket, picpocket.database.sqlite, picpocket.database.postgres; "
        "import sys; print([m for m in sys.modules if m.startswith('PySide')])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
