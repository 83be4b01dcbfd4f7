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
    assert "import-backup" in result.stdout


def test_script_import_and_search(installed: Path, jpegs: Path) -> None:
    library = str(installed / "library")
    steps = [
        ("init",),
        ("location", "add", "photos", str(jpegs), "--destination"),
        ("location", "import", "photos"),
    ]
    for step in steps:
        result = run_script("--config", library, *step, cwd=installed)
        assert result.returncode == 0, result.stderr
    counted = run_script("--config", library, "search", "--count", cwd=installed)
    assert counted.stdout == "4\n"


def test_script_exit_codes(installed: Path) -> None:
    library = str(installed / "library")
    run_script("--config", library, "init", cwd=installed)
    unknown = run_script(
        "--config", library, "location", "show", "nowhere", cwd=installed
    )
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("picpocket: error: Location 'nowhere' not found")
    bad_filter = run_script(
        "--config", library, "search", "--filter", "rating>>4", cwd=installed
    )
    assert bad_filter.returncode == 2
    assert "'rating' takes a number, got '>4'" in bad_filter.stderr
