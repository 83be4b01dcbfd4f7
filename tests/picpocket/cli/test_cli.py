"""End-to-end tests of the command line on a real SQLite library."""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import picpocket.cli as cli_package
from picpocket.cli import main
from picpocket.cli.parser import build_parser
from tests.picpocket.cli.conftest import JPEG_NAMES, Runner


def test_init_creates_library(cli: Runner, library_dir: Path) -> None:
    result = cli("init")
    assert result.code == 0
    assert (library_dir / "picpocket-config.toml").is_file()
    assert "Created a sqlite library" in result.out


def test_init_existing_library(library: Runner) -> None:
    result = library("init")
    assert result.code == 1
    assert "already contains a PicPocket library" in result.err


def test_init_sqlite_with_host(cli: Runner, library_dir: Path) -> None:
    result = cli("init", "--host", "localhost")
    assert result.code == 2
    assert "--host" in result.err
    assert not library_dir.exists()


def test_init_server_unreachable(cli: Runner) -> None:
    result = cli(
        "init", "--backend", "postgres", "--host", "127.0.0.1", "--port", "1",
        "--dbname", "missing",
    )
    assert result.code == 1
    assert result.err.startswith("picpocket: error: Could not connect")


def test_config_not_a_library(cli: Runner, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    result = cli("location", "list", config=folder)
    assert result.code == 1
    assert result.err.startswith(f"picpocket: error: No PicPocket library in {folder}")
    assert "picpocket --config" in result.err
    assert "Traceback" not in result.err


def test_location_add_and_list(library: Runner, jpegs: Path) -> None:
    added = library(
        "location", "add", "photos", str(jpegs), "--destination", "--non-removable"
    )
    assert added.code == 0
    listed = library("location", "list")
    assert listed.lines[0].split() == ["ID", "NAME", "ROLE", "REMOVABLE", "PATH"]
    assert listed.lines[1].split() == ["1", "photos", "destination", "no", str(jpegs)]


def test_location_list_json(library: Runner, jpegs: Path) -> None:
    library("location", "add", "photos", str(jpegs), "--destination")
    library("location", "add", "camera", "--source", "--description", "EOS 6D")
    locations = json.loads(library("location", "list", "--json").out)
    assert [location["name"] for location in locations] == ["photos", "camera"]
    assert locations[1]["path"] is None
    assert locations[1]["description"] == "EOS 6D"
    assert locations[1]["source"] is True


def test_location_add_relative_path(
    library: Runner, jpegs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(jpegs.parent)
    library("location", "add", "photos", jpegs.name, "--destination")
    location = json.loads(library("location", "show", "photos", "--json").out)
    assert location["path"] == str(jpegs)


def test_location_add_without_role(library: Runner, jpegs: Path) -> None:
    result = library("location", "add", "photos", str(jpegs))
    assert result.code == 2
    assert "--source, --destination" in result.err


def test_location_import_with_mount(library: Runner, jpegs: Path) -> None:
    library("location", "add", "card", "--source", "--destination")
    result = library("location", "import", "card", "--mount", str(jpegs))
    assert result.code == 0
    assert result.lines == ["4 images added or changed"]
    assert library("search", "--count").out == "4\n"


def test_location_import_unmounted(library: Runner) -> None:
    library("location", "add", "card", "--source")
    result = library("location", "import", "card")
    assert result.code == 1
    assert "'card'" in result.err


def test_location_import_again(imported: Runner) -> None:
    result = imported("location", "import", "photos", "--tag", "holiday")
    assert result.lines == ["0 images added or changed"]
    assert imported("search", "--any-tag", "holiday", "--count").out == "4\n"


def test_location_import_formats(library: Runner, jpegs: Path) -> None:
    (jpegs / "notes.txt").write_text("not a photo")
    library("location", "add", "photos", str(jpegs), "--destination")
    result = library("location", "import", "photos", "--formats", "txt")
    assert result.lines == ["1 images added or changed"]


def test_location_unknown(library: Runner) -> None:
    result = library("location", "import", "nowhere")
    assert result.code == 1
    assert result.err == (
        "picpocket: error: Location 'nowhere' not found; "
        "'picpocket location list' shows the known locations\n"
    )


def test_location_edit(library: Runner, jpegs: Path) -> None:
    library("location", "add", "photos", str(jpegs), "--destination")
    result = library(
        "location", "edit", "photos", "--name", "archive", "--no-path",
        "--description", "old disk", "--source", "--non-removable",
    )
    assert result.code == 0
    location = json.loads(library("location", "show", "archive", "--json").out)
    assert location["path"] is None
    assert location["description"] == "old disk"
    assert location["source"] is True
    assert location["destination"] is True
    assert location["removable"] is False


def test_location_edit_nothing(library: Runner, jpegs: Path) -> None:
    library("location", "add", "photos", str(jpegs), "--destination")
    result = library("location", "edit", "photos")
    assert result.code == 2


def test_location_remove_needs_force(imported: Runner, jpegs: Path) -> None:
    rejected = imported("location", "remove", "photos")
    assert rejected.code == 1
    assert "4 images" in rejected.err
    assert "--force" in rejected.err
    forced = imported("location", "remove", "photos", "--force")
    assert forced.code == 0
    assert imported("location", "list", "--json").out == "[]\n"
    assert sorted(path.name for path in jpegs.iterdir()) == list(JPEG_NAMES)


def test_location_show(imported: Runner) -> None:
    result = imported("location", "show", "photos")
    assert "images:      4" in result.lines
    assert "role:        destination" in result.lines


def test_help_lists_groups(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in (
        "init", "location", "image", "search", "tag", "task", "export", "import-backup"
    ):
        assert re.search(rf"^    {command}\s", out, re.MULTILINE), command


def walk_parsers(
    parser: argparse.ArgumentParser, name: str = "picpocket"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Yield every parser of the command tree with its full command name."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, subparser in action.choices.items():
                yield from walk_parsers(subparser, f"{name} {command}")


def test_help_every_command() -> None:
    commands = list(walk_parsers(build_parser()))
    assert len(commands) > 30
    for name, parser in commands:
        assert parser.description, name
        assert parser.format_help(), name
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue  # each command's own description is checked instead
            assert action.help, f"{name} {action.dest}"


def test_missing_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["location"]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_quiet_before_command(
    library_dir: Path, jpegs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--config", str(library_dir), "init"])
    capsys.readouterr()
    code = main(
        ["--quiet", "--config", str(library_dir),
         "location", "add", "photos", str(jpegs), "--destination"]
    )
    assert code == 0
    assert capsys.readouterr().out == ""


def test_verbose_logs_debug(
    library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--config", str(library_dir), "init"])
    capsys.readouterr()
    assert main(["-v", "--config", str(library_dir), "location", "list"]) == 0
    err = capsys.readouterr().err
    assert f"DEBUG picpocket.cli.session: Opening the library in {library_dir}" in err


def test_logging_one_handler(library: Runner) -> None:
    library("location", "list")
    library("location", "list")
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, cli_package._Handler)
    ]
    assert len(handlers) == 1


def test_interrupt_exit_code(
    library: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("picpocket.cli.locations.run_list", interrupted)
    result = library("location", "list")
    assert result.code == 130
    assert result.err == "picpocket: interrupted\n"
