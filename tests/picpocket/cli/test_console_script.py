"""Tests that run the installed `picpocket` console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("picpocket")


def run_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Without PYTHONPATH, the script must find the package through its install.
    environment = dict(os.environ)
    environment.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """Check that the installed package imports outside the checkout; return a cwd."""
    if not SCRIPT.is_file():
        pytest.fail(f"{SCRIPT} is missing; install the project with pip install -e .")
    probe = subprocess.run(
        [sys.executable, "-c", "import picpocket; print(picpocket.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if probe.stdout.strip() in ("", "None"):
        pytest.fail(
            "picpocket imports as a namespace package outside the checkout, so "
            "the editable install is stale; rerun pip install -e . in the venv"
        )
    return tmp_path


def test_script_help(installed: Path) -> None:
    result = run_script("--help", cwd=installed)
    assert result.returncode == 0, result.stderr
    assert "initialize" in result.stdout


def test_script_import_and_count(installed: Path, jpegs: Path) -> None:
    library = str(installed / "library")
    steps = [
        ("initialize",),
        ("locations", "add", "photos", "--path", str(jpegs), "--destination"),
    ]
    for step in steps:
        result = run_script("--library", library, *step, cwd=installed)
        assert result.returncode == 0, result.stderr
        # stderr is a pipe here, so no progress bar is drawn.
        assert result.stderr == ""
    counted = run_script("--library", library, "images", "count", cwd=installed)
    assert counted.stdout == "4\n"


def test_script_exit_codes(installed: Path) -> None:
    library = str(installed / "library")
    run_script("--library", library, "initialize", cwd=installed)
    unknown = run_script(
        "--library", library, "locations", "import", "nowhere", cwd=installed
    )
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("picpocket: error: Location 'nowhere' not found")
    assert unknown.stderr.count("\n") == 1
    bad_filter = run_script(
        "--library", library, "images", "search", "--where", "rating >> 4",
        cwd=installed,
    )
    assert bad_filter.returncode == 2
    assert "'rating' takes a number, got '> 4'" in bad_filter.stderr
    assert bad_filter.stderr.count("\n") == 1
