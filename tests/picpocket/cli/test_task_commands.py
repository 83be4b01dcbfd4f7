"""Tests of the `picpocket tasks` commands on a small memory-card tree.

Tests that change nothing use the module's shared library (`shared`).
It has the same locations and task as `with_task`, except that its
'archive' has no folder. The other tests use a library of their own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from picpocket.cli.records import TASK_KEYS
from tests.picpocket.cli.conftest import Runner


ADD_TASK = (
    "tasks", "add", "offload", "camera", "archive",
    "--description", "Empty the card",
    "--path", r"DCIM/{regex:\d{3}CANON}",
    "--format", "{file}",
    "--creator", "Me",
    "--tag", "from-camera",
    "--formats", "jpg", "jpeg",
)
SHARED_STEPS = (
    ("locations", "add", "camera", "--source", "--removable"),
    ("locations", "add", "archive", "--destination"),
    ADD_TASK,
)


@pytest.fixture
def with_task(library: Runner, tmp_path: Path) -> Runner:
    """Add a removable 'camera' source, an 'archive' destination and a task."""
    archive = tmp_path / "archive"
    archive.mkdir()
    library("locations", "add", "camera", "--source", "--removable")
    library("locations", "add", "archive", "--path", str(archive), "--destination")
    result = library(*ADD_TASK)
    assert result.code == 0, result.err
    return library


def test_run_copies_dcim(with_task: Runner, camera_card: Path, tmp_path: Path) -> None:
    result = with_task("tasks", "run", "offload", "--mount", str(camera_card))
    assert result.code == 0, result.err
    assert result.lines == ["2 images imported"]
    archive = tmp_path / "archive"
    assert sorted(path.name for path in archive.iterdir()) == [
        "Canon_40D.jpg",
        "Nikon_D70.jpg",
    ]
    assert with_task("images", "count", "--tag", "from-camera").out == "2\n"
    assert with_task("images", "count", "--where", "creator = Me").out == "2\n"


def test_run_again(with_task: Runner, camera_card: Path) -> None:
    with_task("tasks", "run", "offload", "--mount", str(camera_card))
    again = with_task("tasks", "run", "offload", "--mount", str(camera_card))
    assert again.lines == ["0 images imported"]


def test_run_full_extra_tag(with_task: Runner, camera_card: Path) -> None:
    result = with_task(
        "tasks", "run", "offload", "--full", "--tag", "trip",
        "--mount", str(camera_card),
    )
    assert result.code == 0, result.err
    assert with_task("images", "count", "--tag", "trip").out == "2\n"


def test_run_since_future(with_task: Runner, camera_card: Path) -> None:
    result = with_task(
        "tasks", "run", "offload", "--since", "2999-01-01",
        "--mount", str(camera_card),
    )
    assert result.lines == ["0 images imported"]


def test_run_full_and_since(shared: Runner, camera_card: Path) -> None:
    result = shared("tasks", "run", "offload", "--full", "--since", "2020-01-01")
    assert result.code == 2
    assert "not allowed with argument" in result.err


def test_run_bad_date(shared: Runner) -> None:
    result = shared("tasks", "run", "offload", "--since", "last week")
    assert result.code == 2
    assert "invalid date 'last week'" in result.err


def test_run_unmounted(shared: Runner) -> None:
    result = shared("tasks", "run", "offload")
    assert result.code == 1
    assert result.err == (
        "picpocket: error: Location 'camera' is not mounted and has no path; "
        "pass --mount PATH\n"
    )


def test_run_destination_gone(
    with_task: Runner, camera_card: Path, tmp_path: Path
) -> None:
    (tmp_path / "archive").rmdir()
    result = with_task("tasks", "run", "offload", "--mount", str(camera_card))
    assert result.code == 1
    assert "Location 'archive' is not reachable" in result.err
    assert "'picpocket locations edit archive --path PATH'" in result.err


def test_run_unknown(shared: Runner) -> None:
    result = shared("tasks", "run", "nothing")
    assert result.code == 1
    assert result.err == (
        "picpocket: error: Task 'nothing' not found; 'picpocket tasks list' shows "
        "the known tasks\n"
    )


def test_add_unknown_location(library: Runner) -> None:
    library("locations", "add", "archive", "--destination")
    result = library("tasks", "add", "offload", "camera", "archive")
    assert result.code == 1
    assert "Location 'camera' not found" in result.err


def test_add_wrong_roles(shared: Runner) -> None:
    source = shared("tasks", "add", "back", "archive", "camera")
    assert source.code == 1
    assert "Location 'archive' is not a source" in source.err
    assert "'picpocket locations edit archive --source'" in source.err


def test_add_bad_template(shared: Runner) -> None:
    result = shared("tasks", "add", "bad", "camera", "archive", "--format", "{x")
    assert result.code == 1
    assert "Invalid destination format '{x'" in result.err


def test_add_existing(shared: Runner) -> None:
    rejected = shared("tasks", "add", "offload", "camera", "archive")
    assert rejected.code == 1
    assert "add --force to replace it" in rejected.err


def test_add_force(with_task: Runner) -> None:
    forced = with_task("tasks", "add", "offload", "camera", "archive", "--force")
    assert forced.code == 0
    task = json.loads(with_task("tasks", "show", "offload", "--json").out)
    assert task["description"] is None


def test_list(shared: Runner) -> None:
    lines = shared("tasks", "list").lines
    assert lines[0].split() == ["NAME", "SOURCE", "DESTINATION", "LAST", "RUN"]
    assert lines[1].split() == ["offload", "camera", "archive"]


def test_list_json(with_task: Runner, camera_card: Path) -> None:
    with_task("tasks", "run", "offload", "--mount", str(camera_card))
    tasks = json.loads(with_task("tasks", "list", "--json").out)
    assert len(tasks) == 1
    assert tuple(tasks[0]) == TASK_KEYS
    assert tasks[0]["source"] == "camera"
    assert tasks[0]["destination"] == "archive"
    assert tasks[0]["path"] == r"DCIM/{regex:\d{3}CANON}"
    assert tasks[0]["format"] == "{file}"
    assert tasks[0]["formats"] == ["jpeg", "jpg"]
    assert tasks[0]["tags"] == ["from-camera"]
    assert tasks[0]["last_ran"] is not None


def test_list_empty(library: Runner) -> None:
    assert library("tasks", "list").out.startswith("No tasks yet")
    assert library("tasks", "list", "--json").out == "[]\n"


def test_show(shared: Runner) -> None:
    lines = shared("tasks", "show", "offload").lines
    assert "description: Empty the card" in lines
    assert r"path:        DCIM/{regex:\d{3}CANON}" in lines
    assert "format:      {file}" in lines
    assert "formats:     jpeg jpg" in lines
    assert "tags:        from-camera" in lines


def test_show_unknown(shared: Runner) -> None:
    result = shared("tasks", "show", "nothing")
    assert result.code == 1
    assert "Task 'nothing' not found" in result.err


def test_remove(with_task: Runner) -> None:
    assert with_task("tasks", "remove", "offload").code == 0
    assert with_task("tasks", "list", "--json").out == "[]\n"
    again = with_task("tasks", "remove", "offload")
    assert again.code == 1
    assert "Task 'offload' not found" in again.err
