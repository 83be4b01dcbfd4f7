"""Tests of `picpocket images show`, `edit`, `tag`, `untag`, `move`, `remove`, `copy`.

Tests that change nothing use the module's shared library (`shared`),
the others a library of their own (`imported`).
"""

from __future__ import annotations

import json
from pathlib import Path

from picpocket.cli.records import IMAGE_SHOW_KEYS
from tests.picpocket.cli.conftest import Runner, image_ids


def show_json(run: Runner, image_id: int | str) -> dict:
    result = run("images", "show", str(image_id), "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_edit_and_show(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported(
        "images", "edit", image_id, "--title", "Goose", "--caption", "On the lake",
        "--alt", "A grey goose", "--creator", "Ansel", "--rating", "4",
    )
    assert result.code == 0, result.err
    assert result.out == (
        f"Edited image {image_id}: alt, caption, creator, rating, title\n"
    )
    lines = imported("images", "show", image_id).lines
    assert f"id:        {image_id}" in lines
    assert "title:     Goose" in lines
    assert "caption:   On the lake" in lines
    assert "alt:       A grey goose" in lines
    assert "creator:   Ansel" in lines
    assert "rating:    4" in lines
    assert "location:  photos" in lines
    assert f"full path: {jpegs / 'Canon_40D.jpg'}" in lines
    assert "size:      100 x 68 pixels" in lines


def test_show_json(shared: Runner, shared_jpegs: Path) -> None:
    image_id = image_ids(shared)["Canon_40D.jpg"]
    image = show_json(shared, image_id)
    assert tuple(image) == IMAGE_SHOW_KEYS
    assert image["id"] == image_id
    assert image["location"] == "photos"
    assert image["full_path"] == str(shared_jpegs / "Canon_40D.jpg")
    assert image["exif"]["Model"] == "Canon EOS 40D"
    assert image["tags"] == []


def test_edit_empty_erases(imported: Runner) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    imported("images", "edit", image_id, "--title", "Goose", "--rating", "4")
    result = imported("images", "edit", image_id, "--title", "", "--rating", "")
    assert result.code == 0, result.err
    image = show_json(imported, image_id)
    assert image["title"] is None
    assert image["rating"] is None


def test_edit_keeps_others(imported: Runner) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    imported("images", "edit", image_id, "--title", "Goose", "--rating", "4")
    imported("images", "edit", image_id, "--rating", "2")
    image = show_json(imported, image_id)
    assert image["title"] == "Goose"
    assert image["rating"] == 2


def test_edit_nothing(shared: Runner) -> None:
    image_id = str(image_ids(shared)["Canon_40D.jpg"])
    result = shared("images", "edit", image_id)
    assert result.code == 2
    assert "nothing to change" in result.err


def test_edit_bad_rating(shared: Runner) -> None:
    image_id = str(image_ids(shared)["Canon_40D.jpg"])
    result = shared("images", "edit", image_id, "--rating", "good")
    assert result.code == 2
    assert "invalid whole number 'good'" in result.err


def test_edit_unknown(shared: Runner) -> None:
    result = shared("images", "edit", "999", "--title", "x")
    assert result.code == 1
    assert "Image 999 not found" in result.err


def test_show_unknown(shared: Runner) -> None:
    result = shared("images", "show", "999")
    assert result.code == 1
    assert result.err == (
        "picpocket: error: Image 999 not found; 'picpocket images search' lists "
        "image ids in its first column\n"
    )


def test_show_bad_id(shared: Runner) -> None:
    result = shared("images", "show", "Canon_40D.jpg")
    assert result.code == 2
    assert "invalid image id 'Canon_40D.jpg'" in result.err


def test_tag_and_untag(imported: Runner) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    tagged = imported("images", "tag", image_id, "bird/goose", "lake")
    assert tagged.code == 0, tagged.err
    assert show_json(imported, image_id)["tags"] == ["bird/goose", "lake"]
    untagged = imported("images", "untag", image_id, "lake")
    assert untagged.code == 0, untagged.err
    assert show_json(imported, image_id)["tags"] == ["bird/goose"]


def test_tag_unknown_image(shared: Runner) -> None:
    result = shared("images", "tag", "999", "bird")
    assert result.code == 1
    assert "Image 999 not found" in result.err


def test_tag_needs_tag(shared: Runner) -> None:
    result = shared("images", "tag", "1")
    assert result.code == 2
    assert "the following arguments are required: TAG" in result.err


def test_tag_invalid_name(shared: Runner) -> None:
    image_id = str(image_ids(shared)["Canon_40D.jpg"])
    result = shared("images", "tag", image_id, "bird//goose")
    assert result.code == 1
    assert "'bird//goose'" in result.err


def test_move(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("images", "move", image_id, "birds/goose.jpg")
    assert result.code == 0, result.err
    assert result.out == f"Moved image {image_id} to photos: birds/goose.jpg\n"
    assert (jpegs / "birds" / "goose.jpg").is_file()
    assert not (jpegs / "Canon_40D.jpg").exists()
    assert show_json(imported, image_id)["path"] == "birds/goose.jpg"


def test_move_other_location(imported: Runner, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    imported("locations", "add", "archive", "--path", str(archive), "--destination")
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("images", "move", image_id, "goose.jpg", "--location", "archive")
    assert result.code == 0, result.err
    assert (archive / "goose.jpg").is_file()
    assert show_json(imported, image_id)["location"] == "archive"


def test_move_onto_existing(shared: Runner, shared_jpegs: Path) -> None:
    image_id = str(image_ids(shared)["Canon_40D.jpg"])
    before = (shared_jpegs / "Nikon_D70.jpg").read_bytes()
    result = shared("images", "move", image_id, "Nikon_D70.jpg")
    assert result.code == 1
    assert "already" in result.err
    assert "choose another destination" in result.err
    assert (shared_jpegs / "Canon_40D.jpg").is_file()
    assert (shared_jpegs / "Nikon_D70.jpg").read_bytes() == before


def test_move_onto_unrecorded_file(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    (jpegs / "other.jpg").write_bytes(b"not the goose")
    result = imported("images", "move", image_id, "other.jpg")
    assert result.code == 1
    assert f"File {jpegs / 'other.jpg'} already exists" in result.err
    assert (jpegs / "other.jpg").read_bytes() == b"not the goose"


def test_move_outside_location(shared: Runner) -> None:
    image_id = str(image_ids(shared)["Canon_40D.jpg"])
    result = shared("images", "move", image_id, "../escape.jpg")
    assert result.code == 1
    assert "contains '..'" in result.err


def test_move_unknown(shared: Runner) -> None:
    unknown_image = shared("images", "move", "999", "x.jpg")
    assert unknown_image.code == 1
    assert "Image 999 not found" in unknown_image.err
    image_id = str(image_ids(shared)["Canon_40D.jpg"])
    unknown_location = shared(
        "images", "move", image_id, "x.jpg", "--location", "nowhere"
    )
    assert unknown_location.code == 1
    assert "Location 'nowhere' not found" in unknown_location.err


def test_move_unreachable(imported: Runner) -> None:
    imported("locations", "add", "card", "--destination", "--removable")
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("images", "move", image_id, "x.jpg", "--location", "card")
    assert result.code == 1
    assert result.err == (
        "picpocket: error: Location 'card' is not mounted and has no path; set "
        "its folder with 'picpocket locations edit card --path PATH'\n"
    )


def test_remove_record_only(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("images", "remove", image_id)
    assert result.code == 0, result.err
    assert imported("images", "count").out == "3\n"
    assert (jpegs / "Canon_40D.jpg").is_file()


def test_remove_delete(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("images", "remove", image_id, "--delete")
    assert result.code == 0, result.err
    assert not (jpegs / "Canon_40D.jpg").exists()
    assert imported("images", "count").out == "3\n"


def test_remove_delete_changed_file(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    (jpegs / "Canon_40D.jpg").write_bytes(b"replaced by another program")
    result = imported("images", "remove", image_id, "--delete")
    assert result.code == 1
    assert "Run 'picpocket locations verify'" in result.err
    assert "--reparse-exif" in result.err
    assert "()" not in result.err
    assert (jpegs / "Canon_40D.jpg").exists()


def test_remove_unknown(shared: Runner) -> None:
    result = shared("images", "remove", "999")
    assert result.code == 1
    assert "Image 999 not found" in result.err


def test_copy(imported: Runner, photo_source: Path, jpegs: Path) -> None:
    source = photo_source / "jpg" / "Olympus_C8080WZ.jpg"
    result = imported(
        "images", "copy", str(source), "photos", "copies/olympus.jpg",
        "--title", "Copy", "--rating", "2", "--tag", "copied", "--tag", "olympus",
    )
    assert result.code == 0, result.err
    image = show_json(imported, result.out.strip())
    assert image["path"] == "copies/olympus.jpg"
    assert image["title"] == "Copy"
    assert image["rating"] == 2
    assert image["tags"] == ["copied", "olympus"]
    assert (jpegs / "copies" / "olympus.jpg").read_bytes() == source.read_bytes()


def test_copy_destination_exists(
    shared: Runner, photo_source: Path, shared_jpegs: Path
) -> None:
    source = photo_source / "jpg" / "Olympus_C8080WZ.jpg"
    before = (shared_jpegs / "Nikon_D70.jpg").read_bytes()
    result = shared("images", "copy", str(source), "photos", "Nikon_D70.jpg")
    assert result.code == 1
    assert "choose another destination" in result.err
    assert (shared_jpegs / "Nikon_D70.jpg").read_bytes() == before
    assert shared("images", "count").out == "4\n"


def test_copy_missing_file(shared: Runner, tmp_path: Path) -> None:
    result = shared("images", "copy", str(tmp_path / "none.jpg"), "photos", "a.jpg")
    assert result.code == 1
    assert "none.jpg" in result.err


def test_copy_unknown_location(shared: Runner, photo_source: Path) -> None:
    source = photo_source / "jpg" / "Olympus_C8080WZ.jpg"
    result = shared("images", "copy", str(source), "nowhere", "a.jpg")
    assert result.code == 1
    assert "Location 'nowhere' not found" in result.err
