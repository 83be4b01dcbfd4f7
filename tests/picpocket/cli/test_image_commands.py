"""Tests of the `picpocket image` commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.picpocket.cli.conftest import Runner, image_ids


class TerminalInput(io.StringIO):
    """Standard input that reports being a terminal and contains prepared replies."""

    def isatty(self) -> bool:
        return True


def test_image_edit_and_show(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported(
        "image", "edit", image_id, "--title", "Goose", "--caption", "On the lake",
        "--alt", "A grey goose", "--creator", "Ansel", "--rating", "4",
    )
    assert result.code == 0
    lines = imported("image", "show", image_id).lines
    assert f"id:        {image_id}" in lines
    assert "title:     Goose" in lines
    assert "caption:   On the lake" in lines
    assert "alt:       A grey goose" in lines
    assert "creator:   Ansel" in lines
    assert "rating:    4" in lines
    assert "location:  photos" in lines
    assert f"full path: {jpegs / 'Canon_40D.jpg'}" in lines


def test_image_edit_clear(imported: Runner) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    imported("image", "edit", image_id, "--title", "Goose", "--rating", "4")
    imported("image", "edit", image_id, "--no-title", "--no-rating")
    image = json.loads(imported("image", "show", image_id, "--json").out)
    assert image["title"] is None
    assert image["rating"] is None


def test_image_edit_keeps_others(imported: Runner) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    imported("image", "edit", image_id, "--title", "Goose", "--rating", "4")
    imported("image", "edit", image_id, "--rating", "2")
    image = json.loads(imported("image", "show", image_id, "--json").out)
    assert image["title"] == "Goose"
    assert image["rating"] == 2


def test_image_edit_conflicting_options(imported: Runner) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("image", "edit", image_id, "--title", "x", "--no-title")
    assert result.code == 2


def test_image_edit_bad_rating(imported: Runner) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("image", "edit", image_id, "--rating", "good")
    assert result.code == 2
    assert "invalid whole number 'good'" in result.err


def test_image_show_unknown(imported: Runner) -> None:
    result = imported("image", "show", "999")
    assert result.code == 1
    assert result.err == (
        "picpocket: error: Image 999 not found; "
        "'picpocket search --ids' lists image ids\n"
    )


def test_image_tag_several(imported: Runner) -> None:
    ids = image_ids(imported)
    first, second = str(ids["Canon_40D.jpg"]), str(ids["Nikon_D70.jpg"])
    result = imported(
        "image", "tag", first, second, "--tag", "bird/goose", "--tag", "lake"
    )
    assert result.code == 0
    for image_id in (first, second):
        image = json.loads(imported("image", "show", image_id, "--json").out)
        assert image["tags"] == ["bird/goose", "lake"]


def test_image_untag(imported: Runner) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    imported("image", "tag", image_id, "--tag", "bird/goose", "--tag", "lake")
    result = imported("image", "untag", image_id, "--tag", "lake")
    assert result.code == 0
    image = json.loads(imported("image", "show", image_id, "--json").out)
    assert image["tags"] == ["bird/goose"]


def test_image_tag_unknown(imported: Runner) -> None:
    result = imported("image", "tag", "999", "--tag", "bird")
    assert result.code == 1
    assert "999" in result.err


def test_image_tag_needs_tag(imported: Runner) -> None:
    assert imported("image", "tag", "1").code == 2


def test_image_find(imported: Runner, jpegs: Path) -> None:
    ids = image_ids(imported)
    result = imported("image", "find", str(jpegs / "Nikon_D70.jpg"), "--json")
    assert json.loads(result.out)["id"] == ids["Nikon_D70.jpg"]


def test_image_find_unrecorded(imported: Runner, tmp_path: Path) -> None:
    result = imported("image", "find", str(tmp_path / "nothing.jpg"))
    assert result.code == 1
    assert "No image recorded at" in result.err


def test_image_move(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("image", "move", image_id, "birds/goose.jpg")
    assert result.code == 0
    assert (jpegs / "birds" / "goose.jpg").is_file()
    assert not (jpegs / "Canon_40D.jpg").exists()
    image = json.loads(imported("image", "show", image_id, "--json").out)
    assert image["path"] == "birds/goose.jpg"


def test_image_move_other_location(imported: Runner, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    imported("location", "add", "archive", str(archive), "--destination")
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("image", "move", image_id, "goose.jpg", "--location", "archive")
    assert result.code == 0
    assert (archive / "goose.jpg").is_file()


def test_image_move_onto_existing(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("image", "move", image_id, "Nikon_D70.jpg")
    assert result.code == 1
    assert (jpegs / "Canon_40D.jpg").is_file()


def test_image_remove_record_only(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    assert imported("image", "remove", image_id).code == 0
    assert imported("search", "--count").out == "3\n"
    assert (jpegs / "Canon_40D.jpg").is_file()


def test_image_delete_needs_yes(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    result = imported("image", "remove", image_id, "--delete")
    assert result.code == 2
    assert "--yes" in result.err
    assert (jpegs / "Canon_40D.jpg").is_file()
    assert imported("search", "--count").out == "4\n"


def test_image_delete_with_yes(imported: Runner, jpegs: Path) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    assert imported("image", "remove", image_id, "--delete", "--yes").code == 0
    assert not (jpegs / "Canon_40D.jpg").exists()
    assert imported("search", "--count").out == "3\n"


def test_image_delete_declined(
    imported: Runner, jpegs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    monkeypatch.setattr("sys.stdin", TerminalInput("n\n"))
    result = imported("image", "remove", image_id, "--delete")
    assert result.code == 0
    assert "Nothing removed" in result.out
    assert (jpegs / "Canon_40D.jpg").is_file()
    assert imported("search", "--count").out == "4\n"


def test_image_delete_confirmed(
    imported: Runner, jpegs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image_id = str(image_ids(imported)["Canon_40D.jpg"])
    monkeypatch.setattr("sys.stdin", TerminalInput("yes\n"))
    result = imported("image", "remove", image_id, "--delete")
    assert result.code == 0
    assert f"({jpegs / 'Canon_40D.jpg'})? [y/N]" in result.out
    assert not (jpegs / "Canon_40D.jpg").exists()
    assert imported("search", "--count").out == "3\n"


def test_image_copy(imported: Runner, photo_source: Path, jpegs: Path) -> None:
    source = photo_source / "jpg" / "Olympus_C8080WZ.jpg"
    result = imported(
        "image", "copy", str(source), "photos", "copies/olympus.jpg",
        "--title", "Copy", "--rating", "2", "--tag", "copied",
    )
    assert result.code == 0
    image = json.loads(imported("image", "show", result.out.strip(), "--json").out)
    assert image["path"] == "copies/olympus.jpg"
    assert image["title"] == "Copy"
    assert image["rating"] == 2
    assert image["tags"] == ["copied"]
    assert (jpegs / "copies" / "olympus.jpg").read_bytes() == source.read_bytes()


def test_image_verify_missing(imported: Runner, jpegs: Path) -> None:
    ids = image_ids(imported)
    (jpegs / "Pentax_K10D.jpg").unlink()
    result = imported("image", "verify")
    assert result.code == 0
    assert result.lines[0] == f"{ids['Pentax_K10D.jpg']}\tphotos\tPentax_K10D.jpg\t"
    assert result.lines[1] == "Checked 4 images: 1 missing"


def test_image_verify_path(imported: Runner, jpegs: Path) -> None:
    (jpegs / "Pentax_K10D.jpg").unlink()
    result = imported("image", "verify", "--path", str(jpegs / "elsewhere"))
    assert result.lines == ["Checked 0 images: 0 missing"]


def test_image_verify_mount(library: Runner, jpegs: Path) -> None:
    library("location", "add", "card", "--source")
    library("location", "import", "card", "--mount", str(jpegs))
    skipped = library("image", "verify", "--location", "card")
    assert skipped.lines == ["Checked 0 images: 0 missing"]
    mounted = library("image", "verify", "--mount", f"card={jpegs}", "--reparse-exif")
    assert mounted.lines == ["Checked 4 images: 0 missing"]
