"""Tests of `picpocket export` and `picpocket import-backup`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.picpocket.cli.conftest import Runner, image_ids


def test_backup_round_trip(imported: Runner, tmp_path: Path) -> None:
    ids = image_ids(imported)
    canon = str(ids["Canon_40D.jpg"])
    imported("image", "edit", canon, "--title", "Goose", "--rating", "5")
    imported("image", "tag", canon, "--tag", "bird/goose")
    imported("tag", "add", "bird", "--description", "Birds")
    backup = tmp_path / "backup.json"
    assert imported("export", str(backup)).code == 0
    copy = tmp_path / "copy"
    assert imported("init", config=copy).code == 0
    assert imported("import-backup", str(backup), config=copy).code == 0
    found = imported("search", "--json", "--filter", "title=Goose", config=copy)
    images = json.loads(found.out)
    assert [image["path"] for image in images] == ["Canon_40D.jpg"]
    assert images[0]["rating"] == 5
    assert imported("search", "--any-tag", "bird", "--count", config=copy).out == "1\n"
    assert "description: Birds" in imported("tag", "show", "bird", config=copy).lines
    assert imported("search", "--count", config=copy).out == "4\n"


def test_backup_import_twice(imported: Runner, tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    imported("export", str(backup))
    copy = tmp_path / "copy"
    imported("init", config=copy)
    imported("import-backup", str(backup), config=copy)
    imported("import-backup", str(backup), config=copy)
    assert imported("search", "--count", config=copy).out == "4\n"
    locations = json.loads(imported("location", "list", "--json", config=copy).out)
    assert [location["name"] for location in locations] == ["photos"]


def test_backup_location_path(imported: Runner, tmp_path: Path, jpegs: Path) -> None:
    backup = tmp_path / "backup.json"
    imported("export", str(backup), "--location", "photos")
    copy = tmp_path / "copy"
    imported("init", config=copy)
    result = imported(
        "import-backup", str(backup), "--location", f"photos={jpegs}", config=copy
    )
    assert result.code == 0, result.err
    assert imported("search", "--count", config=copy).out == "4\n"


def test_backup_export_unknown_location(imported: Runner, tmp_path: Path) -> None:
    result = imported("export", str(tmp_path / "backup.json"), "--location", "nowhere")
    assert result.code == 1
    assert "Location 'nowhere' not found" in result.err


def test_backup_missing_file(library: Runner, tmp_path: Path) -> None:
    result = library("import-backup", str(tmp_path / "missing.json"))
    assert result.code == 1
    assert "missing.json" in result.err
