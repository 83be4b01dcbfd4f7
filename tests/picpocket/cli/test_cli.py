"""Tests of the global options, help, logging, errors and exit codes."""

from __future__ import annotations

import argparse
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import picpocket.cli as cli_package
from picpocket.cli import main
from picpocket.cli.parser import build_parser
from tests.picpocket.cli.conftest import Runner

COMMAND_TREE = {
    "initialize": ["sqlite", "postgres"],
    "locations": ["add", "edit", "remove", "list", "import", "verify"],
    "tasks": ["add", "list", "show", "run", "remove"],
    "images": [
        "count", "search", "show", "edit", "tag", "untag", "move", "remove", "copy"
    ],
    "tags": ["list", "add", "move", "remove", "show"],
    "export": [],
    "import": [],
}


def walk_parsers(
    parser: argparse.ArgumentParser, name: str = "picpocket"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Yield every parser of the command tree with its full command name."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, subparser in action.choices.items():
                yield from walk_parsers(subparser, f"{name} {command}")


def subcommands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def test_command_tree() -> None:
    parser = build_parser()
    assert subcommands(parser) == list(COMMAND_TREE)
    parsers = dict(walk_parsers(parser))
    for command, children in COMMAND_TREE.items():
        assert subcommands(parsers[f"picpocket {command}"]) == children, command


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMAND_TREE:
        assert re.search(rf"^    {command}\s", out, re.MULTILINE), command


def test_help_every_option() -> None:
    for name, parser in walk_parsers(build_parser()):
        assert parser.description, name
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue  # each command's own description is checked instead
            assert action.help, f"{name} {action.dest}"


def test_help_states_defaults() -> None:
    """Every option with a value default names it in its help."""
    for name, parser in walk_parsers(build_parser()):
        for action in parser._actions:
            if not action.option_strings or action.nargs == 0:
                continue
            if action.default not in (None, [], argparse.SUPPRESS):
                assert "default" in action.help, f"{name} {action.dest}"


def test_help_every_command_runs(capsys: pytest.CaptureFixture[str]) -> None:
    for name, _parser in walk_parsers(build_parser()):
        argv = name.split()[1:]
        assert main([*argv, "--help"]) == 0, name
        assert capsys.readouterr().out.startswith("usage: "), name


def test_json_help_lists_keys(capsys: pytest.CaptureFixture[str]) -> None:
    main(["images", "search", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "keys id, location, path, full_path" in out


def test_library_not_initialized(cli: Runner, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    result = cli("locations", "list", library=folder)
    assert result.code == 1
    assert result.err.startswith(f"picpocket: error: No PicPocket library in {folder}")
    assert f"picpocket --library {folder} initialize" in result.err
    assert result.err.count("\n") == 1


def test_missing_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["locations"]) == 2
    err = capsys.readouterr().err
    assert "COMMAND" in err
    assert err.count("\n") == 1


def test_usage_error_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["images", "count", "--rating-min", "high"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "picpocket images count: error: argument --rating-min: invalid whole "
        "number 'high'; see 'picpocket images count --help'\n"
    )


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["image", "count"]) == 2
    assert "invalid choice: 'image'" in capsys.readouterr().err


def test_verbose_and_quiet_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-v", "-q", "images", "count"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_global_option_after_command(shared: Runner) -> None:
    result = shared("locations", "list", "-q")
    assert result.code == 2
    assert "unrecognized arguments: -q" in result.err


def test_quiet_before_command(
    library_dir: Path, jpegs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--library", str(library_dir), "initialize"])
    capsys.readouterr()
    code = main(
        ["-q", "--library", str(library_dir),
         "locations", "add", "photos", "--path", str(jpegs), "--destination"]
    )
    assert code == 0
    assert capsys.readouterr().out == "4 images added or changed\n"


def test_verbose_logs_debug(
    library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--library", str(library_dir), "initialize"])
    capsys.readouterr()
    assert main(["-v", "--library", str(library_dir), "locations", "list"]) == 0
    err = capsys.readouterr().err
    assert f"DEBUG picpocket.cli.session: Opening the library in {library_dir}" in err


def test_verbose_shows_traceback(
    library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--library", str(library_dir), "initialize"])
    capsys.readouterr()
    assert main(["-v", "--library", str(library_dir), "images", "show", "7"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.endswith("picpocket: error: Image 7 not found; 'picpocket images "
                        "search' lists image ids in its first column\n")


def test_logging_one_handler(shared: Runner) -> None:
    shared("locations", "list")
    shared("locations", "list")
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, cli_package._Handler)
    ]
    assert len(handlers) == 1


def test_logging_follows_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Records go to sys.stderr as it is when they arrive, as a progress bar sets it."""
    cli_package.configure_logging()
    replaced = io.StringIO()
    monkeypatch.setattr("sys.stderr", replaced)
    logging.getLogger("picpocket.test").warning("first %d", 1)
    assert replaced.getvalue() == "WARNING picpocket.test: first 1\n"


def test_interrupt_exit_code(
    shared: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("picpocket.cli.open_library", interrupted)
    result = shared("locations", "list")
    assert result.code == 130
    assert result.err.startswith("picpocket: interrupted; work finished before")


def test_unexpected_error_one_line(
    shared: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise TypeError("bad\nvalue")

    monkeypatch.setattr("picpocket.cli.open_library", broken)
    result = shared("locations", "list")
    assert result.code == 1
    assert result.err == (
        "picpocket: error: unexpected TypeError: bad value; rerun with -v to see "
        "the traceback\n"
    )
