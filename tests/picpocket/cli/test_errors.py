"""Tests of the engine messages that the command line rewords."""

from __future__ import annotations

from pathlib import Path

import picpocket
from picpocket.cli.errors import ENGINE_PHRASES, one_line, reword_engine_message

ENGINE_ROOT = Path(picpocket.__file__).parent


def engine_source() -> str:
    """Return the text of every engine module, the command line's excluded."""
    texts = []
    for path in sorted(ENGINE_ROOT.rglob("*.py")):
        if "cli" not in path.relative_to(ENGINE_ROOT).parts:
            texts.append(path.read_text(encoding="utf-8"))
    # Messages are split across f-string lines; joining them lets a phrase match.
    joined = "\n".join(texts)
    return joined.replace('"\n', "").replace('f"', "").replace(" " * 4, " ")


def test_phrases_still_in_engine() -> None:
    source = " ".join(engine_source().split())
    for phrase, _replacement in ENGINE_PHRASES:
        assert phrase in source, f"the engine no longer says {phrase!r}"


def test_reworded_message() -> None:
    message = (
        "Location 'card' not found; list_locations() shows the known ones"
    )
    assert reword_engine_message(message) == (
        "Location 'card' not found; 'picpocket locations list' shows the known ones"
    )


def test_replacements_name_no_calls() -> None:
    for _phrase, replacement in ENGINE_PHRASES:
        assert "()" not in replacement
        assert "=True" not in replacement


def test_one_line() -> None:
    assert one_line("first\n  second\tthird ") == "first second third"
