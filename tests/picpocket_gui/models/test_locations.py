"""Tests for the location list model over a real library."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from picpocket_gui.models import LocationListModel
from picpocket_gui.models.locations import (
    IMAGES_COLUMN,
    KIND_COLUMN,
    NAME_COLUMN,
    WHERE_COLUMN,
)
from picpocket_gui.models.roles import (
    ImageCountRole,
    LocationIdRole,
    LocationRole,
    ReachableRole,
)

DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole


@pytest.fixture
async def locations(library, qapp) -> LocationListModel:
    model = LocationListModel(library)
    await model.reload()
    return model


@pytest.fixture
async def card(library, tmp_path: Path, photo_source: Path) -> Path:
    """Add a removable location "card", mount it at a folder and return the folder."""
    folder = tmp_path / "card"
    folder.mkdir()
    shutil.copy2(photo_source / "jpg" / "Canon_40D.jpg", folder / "Canon_40D.jpg")
    await library.add_location(
        "card", description="The camera's SD card", source=True, removable=True
    )
    await library.mount("card", folder)
    await library.import_location("card")
    return folder


def _cell(model: LocationListModel, row: int, column: int, role=DISPLAY):
    return model.index(row, column).data(role)


async def test_locations_pass_model_tester(locations, qtmodeltester):
    qtmodeltester.check(locations, force_py=True)


async def test_photos_listed(locations):
    assert _cell(locations, 0, NAME_COLUMN) == "photos"


async def test_photos_kind(locations):
    assert _cell(locations, 0, KIND_COLUMN) == "source, destination, removable"


async def test_photos_reachable(locations, photos):
    assert _cell(locations, 0, NAME_COLUMN, ReachableRole) is True
    assert _cell(locations, 0, WHERE_COLUMN) == str(photos)


async def test_photos_count(library, locations):
    assert _cell(locations, 0, IMAGES_COLUMN) == await library.count_images()


async def test_location_roles(library, locations):
    location = await library.get_location("photos")
    assert _cell(locations, 0, KIND_COLUMN, LocationRole) == location
    assert _cell(locations, 0, KIND_COLUMN, LocationIdRole) == location.id


async def test_mounted_card(library, locations, card, qtmodeltester):
    qtmodeltester.check(locations, force_py=True)
    await locations.reload()
    row = locations.row_of((await library.get_location("card")).id)
    assert row == 1
    assert _cell(locations, row, NAME_COLUMN, ReachableRole) is True
    assert _cell(locations, row, WHERE_COLUMN) == str(card)
    assert _cell(locations, row, IMAGES_COLUMN, ImageCountRole) == 1


async def test_unmounted_card(library, locations, card, qtmodeltester):
    await locations.reload()
    qtmodeltester.check(locations, force_py=True)
    await library.unmount("card")
    await locations.reload()
    assert _cell(locations, 1, WHERE_COLUMN) == "not mounted"
    assert _cell(locations, 1, NAME_COLUMN, ReachableRole) is False


async def test_unmounted_card_keeps_count(library, locations, card):
    await library.unmount("card")
    await locations.reload()
    assert _cell(locations, 1, IMAGES_COLUMN) == 1


async def test_card_kind(locations, card):
    await locations.reload()
    assert _cell(locations, 1, KIND_COLUMN) == "source, removable"


async def test_fixed_destination_kind(library, locations, tmp_path):
    (tmp_path / "archive").mkdir()
    await library.add_location(
        "archive", tmp_path / "archive", destination=True, removable=False
    )
    await locations.reload()
    assert _cell(locations, 1, KIND_COLUMN) == "destination"


async def test_missing_folder(library, locations, tmp_path):
    await library.add_location(
        "archive", tmp_path / "gone", destination=True, removable=False
    )
    await locations.reload()
    assert _cell(locations, 1, WHERE_COLUMN) == f"{tmp_path / 'gone'} (folder missing)"
    assert _cell(locations, 1, NAME_COLUMN, ReachableRole) is False


async def test_tooltip_description(locations, card):
    await locations.reload()
    tooltip = _cell(locations, 1, NAME_COLUMN, TOOLTIP)
    assert tooltip == f"The camera's SD card\nReachable at {card}"


async def test_tooltip_not_mounted(library, locations, card):
    await library.unmount("card")
    await locations.reload()
    assert "Not mounted" in _cell(locations, 1, KIND_COLUMN, TOOLTIP)


async def test_headers(locations):
    headers = [
        locations.headerData(column, Qt.Orientation.Horizontal, DISPLAY)
        for column in range(locations.columnCount())
    ]
    assert headers == ["Name", "Kind", "Where", "Images"]


async def test_row_of_unknown(locations):
    assert locations.row_of(-5) is None
