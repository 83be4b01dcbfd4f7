"""Tests that a large import refreshes the query planner's statistics."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from picpocket.database import importer
from picpocket.errors import PicPocketError


@pytest.fixture
def refreshes(api, monkeypatch) -> list[str]:
    """Count the calls of api.refresh_statistics, which still runs."""
    calls: list[str] = []
    original = api.refresh_statistics

    async def counted() -> None:
        calls.append("refresh")
        await original()

    monkeypatch.setattr(api, "refresh_statistics", counted)
    return calls


async def test_large_import_refreshes(api, jpegs: Path, monkeypatch, refreshes):
    monkeypatch.setattr(importer, "STATISTICS_IMAGES", 2)
    await api.add_location("main", jpegs, source=True, removable=False)

    ids = await api.import_location("main")

    assert len(ids) >= 2
    assert refreshes == ["refresh"]


async def test_small_import_skips_refresh(api, jpegs: Path, monkeypatch, refreshes):
    await api.add_location("main", jpegs, source=True, removable=False)
    monkeypatch.setattr(importer, "STATISTICS_IMAGES", 10_000)

    await api.import_location("main")

    assert refreshes == []


async def test_unchanged_import_skips_refresh(
    api, jpegs: Path, monkeypatch, refreshes
):
    monkeypatch.setattr(importer, "STATISTICS_IMAGES", 2)
    await api.add_location("main", jpegs, source=True, removable=False)
    await api.import_location("main")

    assert await api.import_location("main") == []
    assert refreshes == ["refresh"]


async def test_failed_refresh_keeps_import(api, jpegs: Path, monkeypatch, caplog):
    async def fail() -> None:
        raise PicPocketError("statistics unavailable")

    monkeypatch.setattr(importer, "STATISTICS_IMAGES", 2)
    monkeypatch.setattr(api, "refresh_statistics", fail)
    await api.add_location("main", jpegs, source=True, removable=False)

    with caplog.at_level(logging.WARNING):
        ids = await api.import_location("main")

    assert await api.count_images() == len(ids)
    assert "statistics unavailable" in caplog.text
