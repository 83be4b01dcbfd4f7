"""Tests of the `picpocket locations` commands on both backends.

Tests that change nothing use the module's shared library (`shared`),
with its location 'photos'; the others use a library of their own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from picpocket.cli.records import LOCATION_KEYS
from picpocket.images import DEFAULT_FORMATS
from tests.picpocket.cli.conftest import JPEG_NAMES, Runner, image_ids


def locations_json(run: Runner) -> dict[str, dict]:
    result = run("locations", "list", "--json")
    assert result.code == 0, result.err
    return {location["name"]: location for location in json.loads(result.out)}


def test_add_destination_imports(library: Runner, jpegs: Path) -> None:
    result = library(
        "locations", "add", "photos", "--path", str(jpegs), "--destination"
    )
    assert result.code == 0, result.err
    assert result.lines == [
        "Added location 'photos' with id 1",
        "4 images added or changed",
    ]
    assert library("images", "count").out == "4\n"


def test_add_no_import(library: Runner, jpegs: Path) -> None:
    result = library(
        "locations", "add", "photos", "--path", str(jpegs), "--destination",
        "--no-import",
    )
    assert result.lines == ["Added location 'photos' with id 1"]
    assert library("images", "count").out == "0\n"


def test_add_source_without_path(library: Runner) -> None:
    result = library(
        "locations", "add", "card", "--source", "--removable",
        "--description", "EOS 6D card",
    )
    assert result.code == 0, result.err
    card = locations_json(library)["card"]
    assert card["path"] is None
    assert card["removable"] is True
    assert card["source"] is True
    assert card["destination"] is False
    assert card["description"] == "EOS 6D card"


def test_add_relative_path(
    library: Runner, jpegs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(jpegs.parent)
    library("locations", "add", "photos", "--path", jpegs.name, "--destination")
    assert locations_json(library)["photos"]["path"] == str(jpegs)


def test_add_without_role(shared: Runner) -> None:
    result = shared("locations", "add", "card", "--removable")
    assert result.code == 2
    assert "--source, --destination or both" in result.err
    assert list(locations_json(shared)) == ["photos"]


def test_add_existing_name(shared: Runner) -> None:
    result = shared("locations", "add", "photos", "--source")
    assert result.code == 1
    assert "A location named 'photos' already exists" in result.err


def test_add_missing_folder(library: Runner, tmp_path: Path) -> None:
    missing = tmp_path / "unplugged"
    result = library(
        "locations", "add", "disk", "--path", str(missing), "--destination"
    )
    assert result.code == 1
    assert f"but its folder {missing} does not exist" in result.err
    assert "'picpocket locations import disk'" in result.err
    assert "disk" in locations_json(library)


def test_list_table(imported: Runner, jpegs: Path) -> None:
    imported("locations", "add", "card", "--source", "--removable")
    lines = imported("locations", "list").lines
    assert lines[0].split() == ["NAME", "ROLE", "REMOVABLE", "IMAGES", "PATH"]
    assert lines[1].split() == ["photos", "destination", "no", "4", str(jpegs)]
    assert lines[2].split() == ["card", "source", "yes", "0"]


def test_list_json(shared: Runner, shared_jpegs: Path) -> None:
    locations = json.loads(shared("locations", "list", "--json").out)
    assert len(locations) == 1
    assert tuple(locations[0]) == LOCATION_KEYS
    assert locations[0]["path"] == str(shared_jpegs)
    assert locations[0]["images"] == 4


def test_list_empty(library: Runner) -> None:
    assert library("locations", "list").out.startswith("No locations yet")
    assert library("locations", "list", "--json").out == "[]\n"


def test_edit(imported: Runner) -> None:
    result = imported(
        "locations", "edit", "photos", "--name", "archive", "--path", "",
        "--description", "old disk", "--source", "--removable",
    )
    assert result.code == 0, result.err
    archive = locations_json(imported)["archive"]
    assert archive["path"] is None
    assert archive["description"] == "old disk"
    assert archive["source"] is True
    assert archive["destination"] is True
    assert archive["removable"] is True


def test_edit_erase_description(library: Runner) -> None:
    library("locations", "add", "card", "--source", "--description", "old")
    library("locations", "edit", "card", "--description", "", "--no-source",
            "--destination")
    card = locations_json(library)["card"]
    assert card["description"] is None
    assert card["source"] is False
    assert card["destination"] is True


def test_edit_nothing(shared: Runner) -> None:
    result = shared("locations", "edit", "photos")
    assert result.code == 2
    assert "nothing to change" in result.err


def test_edit_unknown(shared: Runner) -> None:
    result = shared("locations", "edit", "nowhere", "--description", "x")
    assert result.code == 1
    assert "Location 'nowhere' not found" in result.err


def test_remove_needs_force(imported: Runner, jpegs: Path) -> None:
    rejected = imported("locations", "remove", "photos")
    assert rejected.code == 1
    assert "still has 4 images and 0 tasks; add --force" in rejected.err
    forced = imported("locations", "remove", "photos", "--force")
    assert forced.code == 0
    assert locations_json(imported) == {}
    assert sorted(path.name for path in jpegs.iterdir()) == list(JPEG_NAMES)


def test_remove_empty(library: Runner) -> None:
    library("locations", "add", "card", "--source")
    assert library("locations", "remove", "card").code == 0
    assert locations_json(library) == {}


def test_remove_unknown(shared: Runner) -> None:
    result = shared("locations", "remove", "nowhere")
    assert result.code == 1
    assert "Location 'nowhere' not found" in result.err


def test_import_with_mount(library: Runner, jpegs: Path) -> None:
    library("locations", "add", "card", "--source", "--destination", "--removable")
    result = library("locations", "import", "card", "--mount", str(jpegs))
    assert result.code == 0, result.err
    assert result.lines == ["4 images added or changed"]
    assert library("images", "count", "--location", "card").out == "4\n"


def test_import_unmounted(library: Runner) -> None:
    library("locations", "add", "card", "--source")
    result = library("locations", "import", "card")
    assert result.code == 1
    assert result.err == (
        "picpocket: error: Location 'card' is not mounted and has no path; "
        "pass --mount PATH\n"
    )


def test_import_folder_gone(imported: Runner, jpegs: Path) -> None:
    moved = jpegs.with_name("moved")
    jpegs.rename(moved)
    result = imported("locations", "import", "photos")
    assert result.code == 1
    assert f"its folder {jpegs} does not exist" in result.err
    assert "pass --mount PATH" in result.err
    again = imported("locations", "import", "photos", "--mount", str(moved))
    assert again.lines == ["0 images added or changed"]


def test_import_mount_missing(library: Runner, tmp_path: Path) -> None:
    library("locations", "add", "card", "--source")
    result = library("locations", "import", "card", "--mount", str(tmp_path / "no"))
    assert result.code == 1
    assert "it is not an existing folder" in result.err


def test_import_unknown(shared: Runner) -> None:
    result = shared("locations", "import", "nowhere")
    assert result.code == 1
    assert result.err == (
        "picpocket: error: Location 'nowhere' not found; "
        "'picpocket locations list' shows the known locations\n"
    )


def test_import_again_with_tag(imported: Runner) -> None:
    result = imported(
        "locations", "import", "photos", "--tag", "holiday", "--creator", "Me"
    )
    assert result.lines == ["0 images added or changed"]
    assert imported("images", "count", "--tag", "holiday").out == "4\n"
    assert imported("images", "count", "--where", "creator = Me").out == "4\n"


def test_import_formats(library: Runner, jpegs: Path) -> None:
    (jpegs / "notes.txt").write_text("not a photo")
    (jpegs / "scan.dat").write_text("not a photo either")
    library(
        "locations", "add", "photos", "--path", str(jpegs), "--destination",
        "--no-import",
    )
    result = library("locations", "import", "photos", "--formats", "txt", "dat")
    assert result.lines == ["2 images added or changed"]
    comma = library("locations", "import", "photos", "--formats", "txt,jpg")
    assert comma.lines == ["4 images added or changed"]


def test_import_bad_batch_size(shared: Runner) -> None:
    result = shared("locations", "import", "photos", "--batch-size", "0")
    assert result.code == 2
    assert "'0' is too small; give 1 or more" in result.err


def test_import_every_sample(library: Runner, photos: Path) -> None:
    expected = sum(
        1
        for path in photos.rglob("*")
        if path.is_file() and path.suffix.lower().lstrip(".") in DEFAULT_FORMATS
    )
    result = library(
        "locations", "add", "samples", "--path", str(photos), "--destination"
    )
    assert result.code == 0, result.err
    assert result.lines[-1] == f"{expected} images added or changed"
    assert library("images", "count").out == f"{expected}\n"


def test_verify_missing(imported: Runner, jpegs: Path) -> None:
    ids = image_ids(imported)
    (jpegs / "Pentax_K10D.jpg").unlink()
    result = imported("locations", "verify")
    assert result.code == 0
    assert result.lines == [
        f"{ids['Pentax_K10D.jpg']}\tphotos\tPentax_K10D.jpg\t",
        "Checked 4 images: 1 missing",
    ]


def test_verify_named(imported: Runner) -> None:
    result = imported("locations", "verify", "photos", "--reparse-exif")
    assert result.lines == ["Checked 4 images: 0 missing"]


def test_verify_removable(library: Runner, jpegs: Path) -> None:
    library("locations", "add", "card", "--source", "--removable")
    library("locations", "import", "card", "--mount", str(jpegs))
    skipped = library("locations", "verify")
    assert skipped.lines == [
        "Checked 0 images: 0 missing; skipped unreachable locations: card"
    ]
    unmounted = library("locations", "verify", "card")
    assert unmounted.code == 1
    assert "Location 'card' is not mounted and has no path; pass --mount" in (
        unmounted.err
    )
    mounted = library("locations", "verify", "card", "--mount", str(jpegs))
    assert mounted.lines == ["Checked 4 images: 0 missing"]


def test_verify_mount_needs_name(shared: Runner, shared_jpegs: Path) -> None:
    result = shared("locations", "verify", "--mount", str(shared_jpegs))
    assert result.code == 2
    assert "--mount needs a location" in result.err


def test_verify_unknown(shared: Runner) -> None:
    result = shared("locations", "verify", "nowhere")
    assert result.code == 1
    assert "Location 'nowhere' not found" in result.err
