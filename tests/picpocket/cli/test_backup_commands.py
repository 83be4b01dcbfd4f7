"""Tests of `picpocket export` and `picpocket import`.

Backups move between backends: a SQLite library exports, and the
library under test (SQLite or PostgreSQL) imports, or the other way.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.picpocket.cli.conftest import Runner, image_ids


def describe(run: Runner) -> None:
    """Give one image a title, a rating and a tag, and describe the tag."""
    canon = str(image_ids(run)["Canon_40D.jpg"])
    assert run("images", "edit", canon, "--title", "Goose", "--rating", "5").code == 0
    assert run("images", "tag", canon, "bird/goose").code == 0
    assert run("tags", "add", "bird", "--description", "Birds").code == 0


def test_export_contents(imported: Runner, tmp_path: Path) -> None:
    describe(imported)
    backup = tmp_path / "backup.json"
    result = imported("export", str(backup))
    assert result.code == 0, result.err
    assert result.out == f"Wrote backup {backup}\n"
    data = json.loads(backup.read_text())
    assert [location["name"] for location in data["locations"]] == ["photos"]
    assert len(data["images"]) == 4
    goose = [image for image in data["images"] if image["title"] == "Goose"]
    assert goose[0]["tags"] == ["bird/goose"]


def test_round_trip(imported: Runner, sqlite_library: Path, tmp_path: Path) -> None:
    describe(imported)
    backup = tmp_path / "backup.json"
    assert imported("export", str(backup)).code == 0
    result = imported("import", str(backup), library=sqlite_library)
    assert result.code == 0, result.err
    assert result.out == f"Imported backup {backup}\n"
    found = imported(
        "images", "search", "--json", "--where", "title = Goose",
        library=sqlite_library,
    )
    images = json.loads(found.out)
    assert [image["path"] for image in images] == ["Canon_40D.jpg"]
    assert images[0]["rating"] == 5
    assert images[0]["tags"] == ["bird/goose"]
    bird = imported("tags", "show", "bird", library=sqlite_library)
    assert "description: Birds" in bird.lines
    assert imported("images", "count", library=sqlite_library).out == "4\n"


def test_import_into_backend(
    cli: Runner, library: Runner, sqlite_library: Path, jpegs: Path, tmp_path: Path
) -> None:
    """Import into the library under test a backup that SQLite made."""
    cli("locations", "add", "photos", "--path", str(jpegs), "--destination",
        library=sqlite_library)
    describe(lambda *args: cli(*args, library=sqlite_library))
    backup = tmp_path / "backup.json"
    assert cli("export", str(backup), library=sqlite_library).code == 0
    first = library("import", str(backup))
    assert first.code == 0, first.err
    second = library("import", str(backup))
    assert second.code == 0, second.err
    assert library("images", "count").out == "4\n"
    assert library("images", "count", "--tag", "bird").out == "1\n"
    locations = json.loads(library("locations", "list", "--json").out)
    assert [location["name"] for location in locations] == ["photos"]


def test_import_location_mount(
    imported: Runner, sqlite_library: Path, jpegs: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.json"
    imported("export", str(backup), "--location", "photos")
    moved = jpegs.with_name("moved")
    jpegs.rename(moved)
    result = imported(
        "import", str(backup), "--location", f"photos={moved}", library=sqlite_library
    )
    assert result.code == 0, result.err
    assert imported("images", "count", library=sqlite_library).out == "4\n"


def test_import_location_not_in_backup(
    imported: Runner, sqlite_library: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.json"
    imported("export", str(backup))
    result = imported(
        "import", str(backup), "--location", "card", library=sqlite_library
    )
    assert result.code == 1
    assert "Location 'card' is not in the backup" in result.err


def test_import_location_without_path(
    library: Runner, sqlite_library: Path, tmp_path: Path
) -> None:
    library("locations", "add", "card", "--source")
    backup = tmp_path / "backup.json"
    library("export", str(backup))
    result = library(
        "import", str(backup), "--location", "card", library=sqlite_library
    )
    assert result.code == 1
    assert "give --location NAME=MOUNT" in result.err
    assert "dict" not in result.err


def test_import_bad_location_option(library: Runner, tmp_path: Path) -> None:
    result = library("import", str(tmp_path / "b.json"), "--location", "photos=")
    assert result.code == 2
    assert "the folder after '=' is empty" in result.err


def test_export_unknown_location(imported: Runner, tmp_path: Path) -> None:
    result = imported("export", str(tmp_path / "backup.json"), "--location", "nowhere")
    assert result.code == 1
    assert "Location 'nowhere' not found" in result.err
    assert not (tmp_path / "backup.json").exists()


def test_export_existing_file(imported: Runner, tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    backup.write_text("keep me")
    rejected = imported("export", str(backup))
    assert rejected.code == 1
    assert "already exists; add --force to replace it" in rejected.err
    assert backup.read_text() == "keep me"
    forced = imported("export", str(backup), "--force")
    assert forced.code == 0, forced.err
    assert json.loads(backup.read_text())["images"]


def test_export_missing_folder(imported: Runner, tmp_path: Path) -> None:
    result = imported("export", str(tmp_path / "none" / "backup.json"))
    assert result.code == 1
    assert "does not exist" in result.err


def test_import_missing_file(library: Runner, tmp_path: Path) -> None:
    result = library("import", str(tmp_path / "missing.json"))
    assert result.code == 1
    assert "missing.json" in result.err


def test_import_not_a_backup(library: Runner, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    result = library("import", str(other))
    assert result.code == 1
    assert "is not a PicPocket backup; create one with 'picpocket export'" in (
        result.err
    )
