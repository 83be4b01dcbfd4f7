"""Tests for export_data and import_data, and moving a library between backends."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import picpocket
from picpocket.errors import InputValidationError, InvalidPathError, UnknownItemError
from tests.postgres_server import create_database, drop_database

TAG_DESCRIPTIONS = {
    "bird": "Birds of all kinds",
    "bird/goose/Canada Goose": "Branta canadensis",
    "unused": "A tag on no image",
}
CARD_FILES = {
    "DCIM/2021/03/01/Canon_40D.jpg": "Canon_40D.jpg",
    "DCIM/2021/04/02/Nikon_D70.jpg": "Nikon_D70.jpg",
}


@pytest.fixture
async def fresh_api(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> AsyncIterator[picpocket.PicPocket]:
    """Return a second empty library on the backend under test."""
    if backend == "sqlite":
        library = await picpocket.initialize(tmp_path / "fresh", "sqlite")
        try:
            yield library
        finally:
            await library.close()
        return
    server = request.getfixturevalue("postgres_server")
    name = f"picpocket_test_{uuid.uuid4().hex[:12]}"
    create_database(server, name)
    try:
        library = await picpocket.initialize(
            tmp_path / "fresh", "postgres", store_credentials=True,
            **server.connection_info(name),
        )
        try:
            yield library
        finally:
            await library.close()
    finally:
        drop_database(server, name)


@pytest.fixture
def folders(tmp_path: Path, photo_source: Path) -> dict[str, Path]:
    """Return the folders of a small library: main photos, a card, storage."""
    main = tmp_path / "main"
    main.mkdir()
    for name in ("Pentax_K10D.jpg", "Kodak_CX7530.jpg", "long_description.jpg"):
        shutil.copy2(photo_source / "jpg" / name, main / name)
    shutil.copy2(photo_source / "tiff" / "Crémieux11.tiff", main / "Crémieux11.tiff")
    card = tmp_path / "card"
    for relative, name in CARD_FILES.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo_source / "jpg" / name, card / relative)
        moment = datetime(2021, 3, 1, 12).timestamp()
        os.utime(card / relative, (moment, moment))
    storage = tmp_path / "storage"
    storage.mkdir()
    return {"main": main, "card": card, "storage": storage}


async def build_library(api, folders: dict[str, Path]) -> None:
    """Fill a library with locations, edited and tagged images, and a task."""
    await api.add_location(
        "main", folders["main"], description="Photos at home",
        source=True, destination=True, removable=False,
    )
    await api.add_location("card", description="Camera card", source=True)
    await api.add_location("storage", folders["storage"], destination=True)
    await api.import_location("main", tags=["imported"])
    by_name = {image.name: image.id for image in await api.search_images()}
    await api.edit_image(
        by_name["Pentax_K10D"], title="Geese", caption="Three geese on a lake",
        alt="Geese swimming", rating=4, creator="Ada Lovelace",
    )
    await api.edit_image(by_name["Kodak_CX7530"], rating=0, title="Ünïcode ✓")
    await api.tag_image(by_name["Pentax_K10D"], "bird/goose/Canada Goose")
    await api.tag_image(by_name["Pentax_K10D"], "places/lake")
    for tag, description in TAG_DESCRIPTIONS.items():
        await api.add_tag(tag, description)
    await api.add_task(
        "offload", "card", "storage", description="Empty the camera card",
        creator="Grace Hopper", tags=["camera"],
        source_path="DCIM/{year}/{month}/{day}",
        destination_format="{date:%Y}/{file}", file_formats={"jpg"},
    )
    await api.add_task("idle", "main", "main", source_path="{regex:[A-Z].*}")
    await api.mount("card", folders["card"])
    await api.run_task("offload", tags=["first run"])
    await api.import_location("card")
    await api.unmount("card")


async def snapshot(api) -> dict[str, Any]:
    """Return everything a backup carries, with ids replaced by names."""
    locations = await api.list_locations()
    names = {location.id: location.name for location in locations}
    tasks = []
    for task in await api.list_tasks():
        data = task.serialize()
        del data["id"]
        data["source"] = names[data["source"]]
        data["destination"] = names[data["destination"]]
        data["last_ran"] = _instant(data["last_ran"])
        tasks.append(data)
    images = []
    for image_id in await api.get_image_ids():
        data = (await api.get_image(image_id, tags=True)).serialize()
        for key in ("id", "full_path"):
            del data[key]
        data["location"] = names[data["location"]]
        for key in ("creation_date", "last_modified"):
            data[key] = _instant(data[key])
        images.append(data)
    located = []
    for location in locations:
        data = location.serialize()
        for key in ("id", "mount_point"):
            del data[key]
        located.append(data)
    return {
        "locations": sorted(located, key=lambda item: item["name"]),
        "tasks": tasks,
        "images": sorted(images, key=lambda item: (item["location"], item["path"])),
        "tags": await api.all_tags(),
        "tag_names": await api.all_tag_names(),
    }


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _assert_same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual["locations"] == expected["locations"]
    assert actual["tasks"] == expected["tasks"]
    assert actual["images"] == expected["images"]
    assert actual["tags"] == expected["tags"]
    assert actual["tag_names"] == expected["tag_names"]


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
async def backup(api, folders, tmp_path) -> Path:
    """Build the library and export it; return the backup file."""
    await build_library(api, folders)
    path = tmp_path / "backup.json"
    await api.export_data(path)
    return path


# export_data ----------------------------------------------------------------


async def test_export_locations(api, backup, folders):
    locations = {item["name"]: item for item in _read(backup)["locations"]}
    assert sorted(locations) == ["card", "main", "storage"]
    assert locations["main"]["path"] == str(folders["main"])
    assert locations["main"]["description"] == "Photos at home"
    assert locations["main"]["source"] is True
    assert locations["main"]["destination"] is True
    assert locations["main"]["removable"] is False
    assert locations["card"]["path"] is None
    assert locations["card"]["description"] == "Camera card"


async def test_export_tasks(api, backup):
    tasks = {item["name"]: item for item in _read(backup)["tasks"]}
    offload = tasks["offload"]
    assert sorted(tasks) == ["idle", "offload"]
    assert offload["source"] == "card"
    assert offload["destination"] == "storage"
    assert offload["description"] == "Empty the camera card"
    assert offload["creator"] == "Grace Hopper"
    assert offload["tags"] == ["camera"]
    assert offload["source_path"] == "DCIM/{year}/{month}/{day}"
    assert offload["destination_format"] == "{date:%Y}/{file}"
    assert offload["file_formats"] == ["jpg"]
    assert offload["last_ran"] is not None
    assert tasks["idle"]["last_ran"] is None


async def test_export_images_by_location_and_path(api, backup):
    images = _read(backup)["images"]
    keys = sorted((item["location"], item["path"]) for item in images)
    assert keys == [
        ("card", "DCIM/2021/03/01/Canon_40D.jpg"),
        ("card", "DCIM/2021/04/02/Nikon_D70.jpg"),
        ("main", "Crémieux11.tiff"),
        ("main", "Kodak_CX7530.jpg"),
        ("main", "Pentax_K10D.jpg"),
        ("main", "long_description.jpg"),
        ("storage", "2021/Canon_40D.jpg"),
        ("storage", "2021/Nikon_D70.jpg"),
    ]
    assert all("id" not in item for item in images)


async def test_export_image_metadata(api, backup):
    images = {item["path"]: item for item in _read(backup)["images"]}
    geese = images["Pentax_K10D.jpg"]
    assert geese["title"] == "Geese"
    assert geese["caption"] == "Three geese on a lake"
    assert geese["alt"] == "Geese swimming"
    assert geese["rating"] == 4
    assert geese["creator"] == "Ada Lovelace"
    assert geese["tags"] == ["bird/goose/Canada Goose", "imported", "places/lake"]
    assert images["Kodak_CX7530.jpg"]["rating"] == 0
    assert images["Kodak_CX7530.jpg"]["title"] == "Ünïcode ✓"
    assert images["long_description.jpg"]["creator"] == "SSG KYLE DAVIS"


async def test_export_image_file_facts(api, backup):
    images = {item["path"]: item for item in _read(backup)["images"]}
    geese = images["Pentax_K10D.jpg"]
    assert len(geese["hash"]) == 64
    assert (geese["width"], geese["height"]) == (100, 72)
    assert geese["exif"]["Model"] == "PENTAX K10D"
    assert datetime.fromisoformat(geese["creation_date"]).year == 2008


async def test_export_tags(api, backup):
    tags = {item["name"]: item["description"] for item in _read(backup)["tags"]}
    for name, description in TAG_DESCRIPTIONS.items():
        assert tags[name] == description
    assert tags["places/lake"] is None
    assert tags["first run"] is None


async def test_export_locations_filter(api, folders, tmp_path):
    await build_library(api, folders)
    path = tmp_path / "main.json"
    await api.export_data(path, locations=["main"])
    data = _read(path)
    assert [item["name"] for item in data["locations"]] == ["main"]
    assert {item["location"] for item in data["images"]} == {"main"}
    assert len(data["images"]) == 4
    assert [item["name"] for item in data["tasks"]] == ["idle"]


async def test_export_locations_filter_by_id(api, folders, tmp_path):
    await build_library(api, folders)
    card = await api.get_location("card")
    storage = await api.get_location("storage")
    path = tmp_path / "card.json"
    await api.export_data(path, locations=[card.id, storage.id])
    data = _read(path)
    assert sorted(item["name"] for item in data["locations"]) == ["card", "storage"]
    assert {item["location"] for item in data["images"]} == {"card", "storage"}
    assert [item["name"] for item in data["tasks"]] == ["offload"]


async def test_export_unknown_location(api, tmp_path):
    with pytest.raises(UnknownItemError):
        await api.export_data(tmp_path / "backup.json", locations=["nowhere"])
    assert not (tmp_path / "backup.json").exists()


async def test_export_empty_library(api, tmp_path):
    path = tmp_path / "backup.json"
    await api.export_data(path)
    data = _read(path)
    assert data["locations"] == []
    assert data["tasks"] == []
    assert data["images"] == []
    assert data["tags"] == []


async def test_export_missing_folder(api, tmp_path):
    with pytest.raises(InvalidPathError):
        await api.export_data(tmp_path / "missing" / "backup.json")


# import_data ----------------------------------------------------------------


async def test_import_reproduces_library(api, backup, fresh_api):
    await fresh_api.import_data(backup)
    _assert_same(await snapshot(fresh_api), await snapshot(api))


async def test_import_keeps_image_ids_apart(api, backup, fresh_api):
    await fresh_api.import_data(backup)
    assert await fresh_api.count_images() == await api.count_images()


async def test_import_rerun_adds_nothing(api, backup, fresh_api):
    await fresh_api.import_data(backup)
    first = await snapshot(fresh_api)
    await fresh_api.import_data(backup)
    _assert_same(await snapshot(fresh_api), first)


async def test_import_rerun_keeps_changes(api, backup, fresh_api):
    await fresh_api.import_data(backup)
    [geese] = [image for image in await fresh_api.search_images()
               if image.name == "Pentax_K10D"]
    await fresh_api.edit_image(geese.id, title="Changed", rating=1)
    await fresh_api.add_tag("bird", "Changed description")
    await fresh_api.edit_location("main", description="Changed location")
    await fresh_api.add_task(
        "offload", "main", "main", description="Changed", force=True
    )
    await fresh_api.import_data(backup)
    image = await fresh_api.get_image(geese.id)
    assert image.title == "Changed"
    assert image.rating == 1
    assert image.caption == "Three geese on a lake"
    assert (await fresh_api.get_tag("bird")).description == "Changed description"
    assert (await fresh_api.get_location("main")).description == "Changed location"
    assert (await fresh_api.get_task("offload")).description == "Changed"


async def test_import_fills_missing_values(api, backup, fresh_api):
    await fresh_api.import_data(backup)
    [geese] = [image for image in await fresh_api.search_images()
               if image.name == "Pentax_K10D"]
    await fresh_api.edit_image(geese.id, caption=None)
    await fresh_api.untag_image(geese.id, "places/lake")
    await fresh_api.import_data(backup)
    image = await fresh_api.get_image(geese.id, tags=True)
    assert image.caption == "Three geese on a lake"
    assert "places/lake" in image.tags


async def test_import_locations_list(api, backup, fresh_api):
    await fresh_api.import_data(backup, locations=["main"])
    imported = await snapshot(fresh_api)
    original = await snapshot(api)
    assert [item["name"] for item in imported["locations"]] == ["main"]
    assert imported["images"] == [
        item for item in original["images"] if item["location"] == "main"
    ]
    assert [item["name"] for item in imported["tasks"]] == ["idle"]
    assert imported["tags"] == original["tags"]


async def test_import_locations_dict(api, backup, fresh_api, folders):
    await fresh_api.import_data(
        backup, locations={"card": folders["card"], "storage": None}
    )
    imported = await snapshot(fresh_api)
    original = await snapshot(api)
    card = await fresh_api.get_location("card")
    assert sorted(item["name"] for item in imported["locations"]) == ["card", "storage"]
    assert card.path is None
    assert card.mount_point is None
    assert imported["images"] == [
        item for item in original["images"] if item["location"] != "main"
    ]
    assert [item["name"] for item in imported["tasks"]] == ["offload"]


async def test_import_pathless_in_list(api, backup, fresh_api):
    with pytest.raises(InputValidationError, match="card"):
        await fresh_api.import_data(backup, locations=["card", "main"])
    assert await fresh_api.list_locations() == []
    assert await fresh_api.count_images() == 0


async def test_import_pathless_without_folder(api, backup, fresh_api):
    with pytest.raises(InputValidationError, match="card"):
        await fresh_api.import_data(backup, locations={"card": None})
    assert await fresh_api.list_locations() == []


async def test_import_missing_folder(api, backup, fresh_api, tmp_path):
    with pytest.raises(InvalidPathError):
        await fresh_api.import_data(backup, locations={"card": tmp_path / "absent"})
    assert await fresh_api.list_locations() == []


async def test_import_unknown_location(api, backup, fresh_api):
    with pytest.raises(InputValidationError, match="nowhere"):
        await fresh_api.import_data(backup, locations=["nowhere"])
    assert await fresh_api.list_locations() == []


async def test_import_existing_location_kept(api, backup, fresh_api, tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    await fresh_api.add_location("main", other, description="Mine", destination=True)
    await fresh_api.import_data(backup, locations=["main"])
    main = await fresh_api.get_location("main")
    assert main.path == other
    assert main.description == "Mine"
    assert await fresh_api.count_images() == 4


@pytest.mark.parametrize(
    "text",
    ['{"locations": []}', "[1, 2]", '"text"', "not json", "",
     '{"format": "picpocket-backup", "version": 99}',
     '{"format": "picpocket-backup", "version": "1"}'],
)
async def test_import_not_backup(api, tmp_path, text):
    path = tmp_path / "other.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputValidationError):
        await api.import_data(path)
    assert await api.list_locations() == []


@pytest.mark.parametrize(
    "section, item",
    [
        ("locations", {"path": None}),
        ("locations", "main"),
        ("images", {"location": "main"}),
        ("tags", {"description": "no name"}),
        ("tasks", {"name": "no locations"}),
        ("tasks", {"name": "escape", "source": "card", "destination": "storage",
                   "destination_format": "{directory}/../../x/{file}"}),
        ("tasks", {"name": "bad path", "source": "card", "destination": "storage",
                   "source_path": "/DCIM"}),
        ("images", {"location": "main", "path": "../outside.jpg"}),
        ("images", {"location": "main", "path": "a.jpg", "tags": ["a//b"]}),
        ("images", {"location": "main", "path": "a.jpg", "rating": "high"}),
        ("images", {"location": "main", "path": "a.jpg", "last_modified": "May"}),
        ("locations", {"name": "flags", "source": "yes"}),
    ],
)
async def test_import_malformed_backup(api, backup, fresh_api, tmp_path, section, item):
    data = _read(backup)
    data[section].append(item)
    path = tmp_path / "malformed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputValidationError):
        await fresh_api.import_data(path)
    assert await fresh_api.list_locations() == []
    assert await fresh_api.count_images() == 0


async def test_import_binary_file(api, tmp_path, photo_source):
    with pytest.raises(InputValidationError):
        await api.import_data(photo_source / "jpg" / "Canon_40D.jpg")


async def test_import_missing_file(api, tmp_path):
    with pytest.raises(InvalidPathError):
        await api.import_data(tmp_path / "absent.json")


# Moving a library between backends ----------------------------------------


@pytest.mark.postgres
async def test_move_between_backends(tmp_path, photos, folders, postgres_database):
    sqlite = await picpocket.initialize(tmp_path / "sqlite", "sqlite")
    postgres = await picpocket.initialize(
        tmp_path / "postgres", "postgres", store_credentials=True, **postgres_database
    )
    back = await picpocket.initialize(tmp_path / "back", "sqlite")
    try:
        await build_library(sqlite, folders)
        await sqlite.add_location("photos", photos, destination=True, removable=False)
        await sqlite.import_location("photos", tags=["sample"])
        original = await snapshot(sqlite)
        await sqlite.export_data(tmp_path / "from-sqlite.json")
        await postgres.import_data(tmp_path / "from-sqlite.json")
        on_postgres = await snapshot(postgres)
        await postgres.export_data(tmp_path / "from-postgres.json")
        await back.import_data(tmp_path / "from-postgres.json")
        on_sqlite = await snapshot(back)
    finally:
        for library in (sqlite, postgres, back):
            await library.close()
    assert len(original["images"]) == 8 + 81
    _assert_same(on_postgres, original)
    _assert_same(on_sqlite, original)
