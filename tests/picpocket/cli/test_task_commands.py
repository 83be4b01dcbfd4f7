"""Tests of the `picpocket task` commands on a small memory-card tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.picpocket.cli.conftest import Runner


@pytest.fixture
def with_task(library: Runner, tmp_path: Path) -> Runner:
    """Add a removable 'camera' source, an 'archive' destination and a task."""
    archive = tmp_path / "archive"
    archive.mkdir()
    library("location", "add", "camera", "--source")
    library("location", "add", "archive", str(archive), "--destination")
    result = library(
        "task", "add", "offload", "camera", "archive",
        "--description", "Empty the card",
        "--source-path", r"DCIM/{regex:\d{3}CANON}",
        "--destination-format", "{file}",
        "--creator", "Me",
        "--tag", "from-camera",
        "--formats", "jpg,jpeg",
    )
    assert result.code == 0, result.err
    return library


def test_task_run_copies_dcim(
    with_task: Runner, camera_card: Path, tmp_path: Path
) -> None:
    result = with_task("task", "run", "offload", "--mount", f"camera={camera_card}")
    assert result.code == 0, result.err
    assert result.lines == ["2 images imported"]
    archive = tmp_path / "archive"
    assert sorted(path.name for path in archive.iterdir()) == [
        "Canon_40D.jpg",
        "Nikon_D70.jpg",
    ]
    assert with_task("search", "--all-tag", "from-camera", "--count").out == "2\n"
    assert with_task("search", "--filter", "creator=Me", "--count").out == "2\n"


def test_task_run_again(with_task: Runner, camera_card: Path) -> None:
    with_task("task", "run", "offload", "--mount", f"camera={camera_card}")
    again = with_task("task", "run", "offload", "--mount", f"camera={camera_card}")
    assert again.lines == ["0 images imported"]


def test_task_run_extra_tag(with_task: Runner, camera_card: Path) -> None:
    with_task(
        "task", "run", "offload", "--full", "--tag", "trip",
        "--mount", f"camera={camera_card}",
    )
    assert with_task("search", "--all-tag", "trip", "--count").out == "2\n"


def test_task_run_since_future(with_task: Runner, camera_card: Path) -> None:
    result = with_task(
        "task", "run", "offload", "--since", "2999-01-01",
        "--mount", f"camera={camera_card}",
    )
    assert result.lines == ["0 images imported"]


def test_task_run_unmounted(with_task: Runner) -> None:
    result = with_task("task", "run", "offload")
    assert result.code == 1
    assert "'camera'" in result.err


def test_task_run_bad_mount(with_task: Runner, tmp_path: Path) -> None:
    result = with_task("task", "run", "offload", "--mount", "camera")
    assert result.code == 2
    assert "LOCATION=PATH" in result.err


def test_task_run_unknown(with_task: Runner) -> None:
    result = with_task("task", "run", "nothing")
    assert result.code == 1
    assert "Task 'nothing' not found" in result.err


def test_task_add_unknown_location(library: Runner) -> None:
    library("location", "add", "archive", "--destination")
    result = library("task", "add", "offload", "camera", "archive")
    assert result.code == 1
    assert "Location 'camera' not found" in result.err


def test_task_list(with_task: Runner) -> None:
    lines = with_task("task", "list").lines
    assert lines[0].split() == ["NAME", "SOURCE", "DESTINATION", "LAST", "RUN"]
    assert lines[1].split() == ["offload", "camera", "archive"]


def test_task_show(with_task: Runner) -> None:
    lines = with_task("task", "show", "offload").lines
    assert "description:        Empty the card" in lines
    assert r"source path:        DCIM/{regex:\d{3}CANON}" in lines
    assert "destination format: {file}" in lines
    assert "formats:            jpeg, jpg" in lines
    assert "tags:               from-camera" in lines


def test_task_add_existing(with_task: Runner) -> None:
    rejected = with_task("task", "add", "offload", "camera", "archive")
    assert rejected.code == 1
    forced = with_task("task", "add", "offload", "camera", "archive", "--force")
    assert forced.code == 0


def test_task_remove(with_task: Runner) -> None:
    assert with_task("task", "remove", "offload").code == 0
    assert with_task("task", "list").out.startswith("No tasks yet")
    assert with_task("task", "remove", "offload").code == 1
