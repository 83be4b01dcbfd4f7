"""Fixtures for the thumbnail tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory, photo_source: Path) -> Path:
    """Return one copy of the sample photos per test module, for tests that only read.

    Tests that change a file copy that file into their own tmp_path, so a
    module's tests do not each copy every sample photo.
    """
    copy = tmp_path_factory.mktemp("samples") / "photos"
    shutil.copytree(photo_source, copy)
    return copy
