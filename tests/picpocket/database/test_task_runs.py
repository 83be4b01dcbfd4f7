"""Tests for defining, listing, removing and running import tasks."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from picpocket.database.logic import Number
from picpocket.database.types import Image, Task
from picpocket.errors import InputValidationError, InvalidPathError, UnknownItemError

# Where each camera JPEG sits on the card, with the modification time it gets
# (local time, like a camera clock).
CARD_FILES = {
    "DCIM/2021/03/01/Canon_40D.jpg": ("Canon_40D.jpg", datetime(2021, 3, 1, 10)),
    "DCIM/2021/03/01/Nikon_D70.jpg": ("Nikon_D70.jpg", datetime(2021, 3, 1, 11)),
    "DCIM/2021/04/02/Pentax_K10D.jpg": ("Pentax_K10D.jpg", datetime(2021, 4, 2, 10)),
    "DCIM/2021/04/02/Kodak_CX7530.jpg": ("Kodak_CX7530.jpg", datetime(2021, 4, 2, 11)),
    "MISC/Sony_HDR-HC3.jpg": ("Sony_HDR-HC3.jpg", datetime(2020, 1, 1, 10)),
}
DCIM_FILES = sorted(path for path in CARD_FILES if path.startswith("DCIM/"))
ALL_IMAGES = sorted(CARD_FILES)
NOTE = "DCIM/2021/03/01/notes.txt"
TASK = "import"


def _place(root: Path, relative: str, original: Path, modified: datetime) -> Path:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(original, target)
    os.utime(target, (modified.timestamp(), modified.timestamp()))
    return target


def _files(root: Path) -> dict[str, bytes]:
    """Return every file under root by its relative path, with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _state(root: Path) -> dict[str, tuple[bytes, int]]:
    """Return every file under root with its bytes and modification time."""
    return {
        relative: (data, (root / relative).stat().st_mtime_ns)
        for relative, data in _files(root).items()
    }


def _today_folder() -> str:
    today = datetime.now().date()
    return f"DCIM/{today.year}/{today.month:02d}/{today.day:02d}"


@pytest.fixture
def card(tmp_path: Path, photo_source: Path) -> Path:
    """Return a camera card: DCIM/year/month/day folders, a MISC folder, a note."""
    root = tmp_path / "card"
    for relative, (name, modified) in CARD_FILES.items():
        _place(root, relative, photo_source / "jpg" / name, modified)
    (root / NOTE).write_text("not a photo", encoding="utf-8")
    return root


@pytest.fixture
def dated_card(tmp_path: Path, photo_source: Path) -> Path:
    """Return a card with one folder per day, named like 2021-03-01."""
    root = tmp_path / "dated"
    _place(root, "2021-03-01/Canon_40D.jpg", photo_source / "jpg" / "Canon_40D.jpg",
           datetime(2021, 3, 1, 10))
    _place(root, "2021-04-02/Nikon_D70.jpg", photo_source / "jpg" / "Nikon_D70.jpg",
           datetime(2021, 4, 2, 10))
    _place(root, "notes/Pentax_K10D.jpg", photo_source / "jpg" / "Pentax_K10D.jpg",
           datetime(2021, 5, 1, 10))
    return root


@pytest.fixture
def big_card(tmp_path: Path, photo_source: Path) -> Path:
    """Return a card with 48 photos in one folder, more than the copy window."""
    root = tmp_path / "big"
    names = ["Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Kodak_CX7530.jpg"]
    for number in range(48):
        name = names[number % len(names)]
        _place(root, f"DCIM/IMG_{number:04d}.jpg", photo_source / "jpg" / name,
               datetime(2021, 3, 1, 10))
    return root


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    root = tmp_path / "storage"
    root.mkdir()
    return root


async def _add_locations(api, card: Path, storage: Path) -> tuple[int, int]:
    source = await api.add_location("card", card, source=True)
    destination = await api.add_location(
        "storage", storage, destination=True, removable=False
    )
    return source, destination


async def _images_in(api, location: str) -> dict[str, Image]:
    """Return the images recorded in a location, by relative path, with tags."""
    found = await api.get_location(location, expect=True)
    ids = await api.get_image_ids(Number("location", "=", found.id))
    images = [await api.get_image(image_id, tags=True) for image_id in ids]
    return {image.path.as_posix(): image for image in images}


# add_task, get_task, list_tasks, remove_task ------------------------------


async def test_add_task_all_arguments(api, card, storage):
    source, destination = await _add_locations(api, card, storage)
    task_id = await api.add_task(
        TASK,
        "card",
        "storage",
        description="Copy the camera card",
        creator="Ada Lovelace",
        tags=["trip/2021", "/camera/"],
        source_path="DCIM/{year}/{month}/{day}",
        destination_format="{date:%Y/%m}/{file}",
        file_formats={".JPG", "heic"},
    )
    task = await api.get_task(TASK)
    assert isinstance(task, Task)
    assert task.id == task_id
    assert task.name == TASK
    assert task.source == source
    assert task.destination == destination
    assert task.description == "Copy the camera card"
    assert task.creator == "Ada Lovelace"
    assert task.tags == ["trip/2021", "camera"]
    assert task.source_path == "DCIM/{year}/{month}/{day}"
    assert task.destination_format == "{date:%Y/%m}/{file}"
    assert task.file_formats == {"jpg", "heic"}
    assert task.last_ran is None


async def test_add_task_defaults(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    task = await api.get_task(TASK)
    assert task.description is None
    assert task.creator is None
    assert task.tags == []
    assert task.source_path is None
    assert task.destination_format is None
    assert task.file_formats is None
    assert task.last_ran is None


async def test_add_task_by_location_id(api, card, storage):
    source, destination = await _add_locations(api, card, storage)
    await api.add_task(TASK, source, destination)
    task = await api.get_task(TASK)
    assert (task.source, task.destination) == (source, destination)


async def test_add_task_source_not_source(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_location("backup", storage / "backup", destination=True)
    with pytest.raises(InputValidationError, match="backup"):
        await api.add_task(TASK, "backup", "storage")
    assert await api.get_task(TASK) is None


async def test_add_task_destination_not_destination(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_location("phone", card / "phone", source=True)
    with pytest.raises(InputValidationError, match="phone"):
        await api.add_task(TASK, "card", "phone")
    assert await api.get_task(TASK) is None


@pytest.mark.parametrize("source, destination", [("nowhere", "storage"), ("card", 999)])
async def test_add_task_unknown_location(api, card, storage, source, destination):
    await _add_locations(api, card, storage)
    with pytest.raises(UnknownItemError):
        await api.add_task(TASK, source, destination)
    assert await api.list_tasks() == []


async def test_add_task_duplicate_name(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", description="first")
    with pytest.raises(InputValidationError, match=TASK):
        await api.add_task(TASK, "card", "storage", description="second")
    task = await api.get_task(TASK)
    assert task.description == "first"


async def test_add_task_force_replaces(api, card, storage):
    await _add_locations(api, card, storage)
    first = await api.add_task(
        TASK, "card", "storage", description="first", creator="A"
    )
    await api.add_location("both", storage / "both", source=True, destination=True)
    second = await api.add_task(
        TASK, "both", "both", description="second", source_path="DCIM", force=True
    )
    task = await api.get_task(TASK)
    both = await api.get_location("both")
    assert second == first
    assert task.description == "second"
    assert task.creator is None
    assert task.source_path == "DCIM"
    assert (task.source, task.destination) == (both.id, both.id)
    assert len(await api.list_tasks()) == 1


@pytest.mark.parametrize(
    "source_path",
    ["/DCIM", "DCIM//100", "DCIM/{bogus}", "DCIM/{year:4}", "{date:none}",
     "{regex:(}", "IMG_{year}", ".."],
)
async def test_add_task_invalid_source_path(api, card, storage, source_path):
    await _add_locations(api, card, storage)
    with pytest.raises(InputValidationError):
        await api.add_task(TASK, "card", "storage", source_path=source_path)
    assert await api.get_task(TASK) is None


@pytest.mark.parametrize(
    "destination_format",
    ["{directory}/../../x/{file}", "../{file}", "/tmp/{file}", "{unknown}",
     "{0}", "{file!r}", "{file.stem}", "{index:%Y}", "{file", ""],
)
async def test_add_task_invalid_destination_format(
    api, card, storage, destination_format
):
    await _add_locations(api, card, storage)
    with pytest.raises(InputValidationError):
        await api.add_task(
            TASK, "card", "storage", destination_format=destination_format
        )
    assert await api.get_task(TASK) is None


@pytest.mark.parametrize(
    "arguments",
    [{"file_formats": "jpg"}, {"file_formats": {"j.pg"}}, {"tags": ["a//b"]},
     {"creator": 7}, {"description": 7}],
)
async def test_add_task_invalid_argument(api, card, storage, arguments):
    await _add_locations(api, card, storage)
    with pytest.raises(InputValidationError):
        await api.add_task(TASK, "card", "storage", **arguments)
    assert await api.get_task(TASK) is None


@pytest.mark.parametrize("name", ["", "   ", None])
async def test_add_task_invalid_name(api, card, storage, name):
    await _add_locations(api, card, storage)
    with pytest.raises(InputValidationError):
        await api.add_task(name, "card", "storage")
    assert await api.list_tasks() == []


async def test_get_task_unknown(api):
    assert await api.get_task("nothing") is None


async def test_list_tasks_by_name(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task("zebra", "card", "storage", creator="Z")
    await api.add_task("alpha", "card", "storage", tags=["a"])
    tasks = await api.list_tasks()
    assert [task.name for task in tasks] == ["alpha", "zebra"]
    assert all(isinstance(task, Task) for task in tasks)
    assert tasks[0].tags == ["a"]
    assert tasks[1].creator == "Z"


async def test_list_tasks_empty(api):
    assert await api.list_tasks() == []


async def test_remove_task(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    await api.add_task("other", "card", "storage")
    await api.run_task(TASK)
    await api.remove_task(TASK)
    assert await api.get_task(TASK) is None
    assert [task.name for task in await api.list_tasks()] == ["other"]


async def test_remove_task_unknown(api):
    await api.remove_task("nothing")
    assert await api.list_tasks() == []


async def test_remove_task_keeps_images(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    ids = await api.run_task(TASK)
    await api.remove_task(TASK)
    assert await api.count_images() == len(ids)


async def test_run_task_unknown(api):
    with pytest.raises(UnknownItemError, match="nothing"):
        await api.run_task("nothing")


# Running a task -------------------------------------------------------------


async def test_run_copies_files(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    ids = await api.run_task(TASK)
    copied = _files(storage)
    originals = _files(card)
    assert sorted(copied) == DCIM_FILES
    for relative in DCIM_FILES:
        assert copied[relative] == originals[relative]


async def test_run_leaves_source_untouched(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    before = _state(card)
    await api.run_task(TASK)
    assert _state(card) == before


async def test_run_returns_new_ids(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    ids = await api.run_task(TASK)
    images = await _images_in(api, "storage")
    assert sorted(images) == DCIM_FILES
    assert sorted(ids) == sorted(image.id for image in images.values())
    assert len(ids) == len(set(ids))


async def test_run_records_file_facts(api, card, storage, photo_source):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    await api.run_task(TASK)
    image = (await _images_in(api, "storage"))["DCIM/2021/03/01/Canon_40D.jpg"]
    original = (photo_source / "jpg" / "Canon_40D.jpg").read_bytes()
    assert image.hash == hashlib.sha256(original).hexdigest()
    assert (image.width, image.height) == (100, 68)
    assert image.exif["Model"] == "Canon EOS 40D"
    assert image.last_modified == datetime(2021, 3, 1, 10).astimezone(UTC)
    assert image.full_path == storage / "DCIM/2021/03/01/Canon_40D.jpg"
    assert image.name == "Canon_40D"
    assert image.extension == "jpg"


async def test_run_nothing_in_source_location(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    await api.run_task(TASK)
    assert await _images_in(api, "card") == {}


async def test_run_default_formats_only(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    await api.run_task(TASK)
    assert sorted(_files(storage)) == ALL_IMAGES


async def test_run_file_formats(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", file_formats={"TXT"})
    ids = await api.run_task(TASK)
    assert sorted(_files(storage)) == [NOTE]
    assert len(ids) == 1


async def test_run_creator_and_tags(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", creator="Ada", tags=["trip/2021", "camera"],
        source_path="DCIM/{year}/{month}/{day}",
    )
    await api.run_task(TASK, tags=["batch/1", "camera"])
    images = await _images_in(api, "storage")
    for image in images.values():
        assert image.creator == "Ada"
        assert image.tags == ["batch/1", "camera", "trip/2021"]


async def test_run_creator_from_exif(api, card, storage, photo_source):
    # This sample's EXIF Artist is 'SSG KYLE DAVIS'; the camera samples have none.
    _place(card, "DCIM/2021/03/01/long_description.jpg",
           photo_source / "jpg" / "long_description.jpg", datetime(2021, 3, 1))
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    await api.run_task(TASK)
    images = await _images_in(api, "storage")
    assert images["DCIM/2021/03/01/long_description.jpg"].creator == "SSG KYLE DAVIS"
    assert images["DCIM/2021/03/01/Canon_40D.jpg"].creator is None
    assert images["DCIM/2021/03/01/Canon_40D.jpg"].tags == []


async def test_run_task_creator_wins(api, card, storage, photo_source):
    _place(card, "DCIM/2021/03/01/long_description.jpg",
           photo_source / "jpg" / "long_description.jpg", datetime(2021, 3, 1))
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", creator="Ada", source_path="DCIM/{year}/{month}/{day}"
    )
    await api.run_task(TASK)
    images = await _images_in(api, "storage")
    assert images["DCIM/2021/03/01/long_description.jpg"].creator == "Ada"


async def test_run_invalid_run_tag(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    with pytest.raises(InputValidationError):
        await api.run_task(TASK, tags=["a//b"])
    assert _files(storage) == {}


async def test_run_source_path_date_format(api, dated_card, storage):
    await _add_locations(api, dated_card, storage)
    await api.add_task(TASK, "card", "storage", source_path="{date:%Y-%m-%d}")
    ids = await api.run_task(TASK)
    assert sorted(_files(storage)) == [
        "2021-03-01/Canon_40D.jpg", "2021-04-02/Nikon_D70.jpg"
    ]
    assert len(ids) == 2


async def test_run_source_path_date_since(api, dated_card, storage):
    await _add_locations(api, dated_card, storage)
    await api.add_task(TASK, "card", "storage", source_path="{date:%Y-%m-%d}")
    ids = await api.run_task(TASK, since=datetime(2021, 4, 1))
    assert sorted(_files(storage)) == ["2021-04-02/Nikon_D70.jpg"]
    assert len(ids) == 1


async def test_run_source_path_regex(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", source_path=r"DCIM/{regex:20\d\d}/{regex:0[34]}/{day}"
    )
    await api.run_task(TASK)
    assert sorted(_files(storage)) == DCIM_FILES


async def test_run_source_path_regex_filters(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{regex:0?4}")
    await api.run_task(TASK)
    assert sorted(_files(storage)) == [
        "DCIM/2021/04/02/Kodak_CX7530.jpg", "DCIM/2021/04/02/Pentax_K10D.jpg"
    ]


async def test_run_source_path_str(api, card, storage, photo_source):
    _place(card, "{raw}/Canon_40D.jpg", photo_source / "jpg" / "Canon_40D.jpg",
           datetime(2021, 3, 1))
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="{str:{raw}}")
    await api.run_task(TASK)
    assert sorted(_files(storage)) == ["{raw}/Canon_40D.jpg"]


async def test_run_source_path_literal(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="MISC")
    await api.run_task(TASK)
    assert sorted(_files(storage)) == ["MISC/Sony_HDR-HC3.jpg"]


async def test_run_source_path_missing_folder(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/100CANON")
    assert await api.run_task(TASK) == []
    assert _files(storage) == {}


@pytest.mark.parametrize(
    "destination_format, expected",
    [
        ("{directory}/{file}", DCIM_FILES),
        ("photos/{file}", sorted(
            f"photos/{path.rsplit('/', 1)[1]}" for path in DCIM_FILES
        )),
        ("{name}-copy.{extension}", sorted(
            f"{Path(path).stem}-copy.jpg" for path in DCIM_FILES
        )),
        ("{date:%Y/%m}/{file}", [
            "2021/03/Canon_40D.jpg", "2021/03/Nikon_D70.jpg",
            "2021/04/Kodak_CX7530.jpg", "2021/04/Pentax_K10D.jpg",
        ]),
        ("{date:%Y-%m-%d_%H}.{extension}", [
            "2021-03-01_10.jpg", "2021-03-01_11.jpg",
            "2021-04-02_10.jpg", "2021-04-02_11.jpg",
        ]),
    ],
)
async def test_run_destination_format(api, card, storage, destination_format, expected):
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}",
        destination_format=destination_format,
    )
    ids = await api.run_task(TASK)
    assert sorted(_files(storage)) == expected
    assert sorted(await _images_in(api, "storage")) == expected
    assert len(ids) == 4


async def test_run_destination_hash(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}",
        destination_format="{hash}.{extension}",
    )
    await api.run_task(TASK)
    originals = _files(card)
    expected = sorted(
        f"{hashlib.sha256(originals[path]).hexdigest()}.jpg" for path in DCIM_FILES
    )
    assert sorted(_files(storage)) == expected


async def test_run_destination_uuid(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}",
        destination_format="{uuid}/{file}",
    )
    await api.run_task(TASK)
    copied = sorted(_files(storage))
    folders = {path.split("/")[0] for path in copied}
    assert len(copied) == 4
    assert len(folders) == 4
    assert all(re.fullmatch("[0-9a-f]{32}", folder) for folder in folders)
    assert sorted(path.split("/")[1] for path in copied) == sorted(
        path.rsplit("/", 1)[1] for path in DCIM_FILES
    )


async def test_run_destination_index(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}",
        destination_format="{index:03d}.{extension}",
    )
    await api.run_task(TASK)
    copied = _files(storage)
    originals = _files(card)
    assert sorted(copied) == ["001.jpg", "002.jpg", "003.jpg", "004.jpg"]
    assert sorted(copied.values()) == sorted(originals[path] for path in DCIM_FILES)


async def test_run_progress(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    calls = []
    await api.run_task(TASK, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


async def test_run_progress_nothing_to_do(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="EMPTY")
    calls = []
    await api.run_task(TASK, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 0)]


# Last-run bookkeeping -------------------------------------------------------


async def test_run_sets_last_ran(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    before = datetime.now(UTC)
    await api.run_task(TASK)
    after = datetime.now(UTC)
    task = await api.get_task(TASK)
    assert task.last_ran is not None
    assert before <= task.last_ran <= after


async def test_run_last_ran_in_list(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    await api.run_task(TASK)
    [task] = await api.list_tasks()
    assert task.last_ran == (await api.get_task(TASK)).last_ran


async def test_run_twice_adds_nothing(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    await api.run_task(TASK)
    assert await api.run_task(TASK) == []
    assert await api.count_images() == 4


async def test_run_full_twice_adds_nothing(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    await api.run_task(TASK)
    before = _state(storage)
    assert await api.run_task(TASK, full=True) == []
    assert await api.count_images() == len(ALL_IMAGES)
    assert _state(storage) == before


async def test_run_imports_new_file(api, card, storage, photo_source):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    await api.run_task(TASK)
    new = f"{_today_folder()}/Olympus_C8080WZ.jpg"
    (card / new).parent.mkdir(parents=True)
    shutil.copyfile(photo_source / "jpg" / "Olympus_C8080WZ.jpg", card / new)
    ids = await api.run_task(TASK)
    images = await _images_in(api, "storage")
    assert len(ids) == 1
    assert images[new].id == ids[0]
    assert (storage / new).read_bytes() == (card / new).read_bytes()


async def test_run_since_skips_old_folders(api, card, storage):
    for path in card.rglob("*.jpg"):
        os.utime(path)
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    ids = await api.run_task(TASK, since=datetime(2021, 4, 1))
    assert sorted(_files(storage)) == [
        "DCIM/2021/04/02/Kodak_CX7530.jpg", "DCIM/2021/04/02/Pentax_K10D.jpg"
    ]
    assert len(ids) == 2


async def test_run_since_skips_old_files(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    ids = await api.run_task(TASK, since=datetime(2021, 4, 2, 10, 30).astimezone(UTC))
    assert sorted(_files(storage)) == ["DCIM/2021/04/02/Kodak_CX7530.jpg"]
    assert len(ids) == 1


async def test_run_since_overrides_last_ran(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage")
    await api.run_task(TASK, since=datetime(2021, 4, 1))
    ids = await api.run_task(TASK, since=datetime(2021, 1, 1))
    assert len(ids) == 2
    assert sorted(_files(storage)) == DCIM_FILES


async def test_run_skips_new_file_in_old_folder(api, card, storage, photo_source):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    await api.run_task(TASK)
    shutil.copyfile(photo_source / "jpg" / "Olympus_C8080WZ.jpg",
                    card / "DCIM/2021/03/01/Olympus_C8080WZ.jpg")
    assert await api.run_task(TASK) == []
    assert not (storage / "DCIM/2021/03/01/Olympus_C8080WZ.jpg").exists()


async def test_run_full_looks_again(api, card, storage, photo_source):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    await api.run_task(TASK)
    new = "DCIM/2021/03/01/Olympus_C8080WZ.jpg"
    _place(card, new, photo_source / "jpg" / "Olympus_C8080WZ.jpg",
           datetime(2021, 3, 1))
    ids = await api.run_task(TASK, full=True)
    images = await _images_in(api, "storage")
    assert ids == [images[new].id]
    assert len(images) == 5


async def test_run_full_ignores_since(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    ids = await api.run_task(TASK, since=datetime(2030, 1, 1), full=True)
    assert len(ids) == 4


async def test_run_force_replace_resets_last_ran(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    await api.run_task(TASK)
    await api.add_task(TASK, "card", "storage", force=True)
    task = await api.get_task(TASK)
    assert task.last_ran is None
    assert await api.run_task(TASK) == [
        (await _images_in(api, "storage"))["MISC/Sony_HDR-HC3.jpg"].id
    ]


# Never overwriting ----------------------------------------------------------


async def test_run_keeps_different_file(api, card, storage, photo_source, caplog):
    existing = storage / "DCIM/2021/03/01/Canon_40D.jpg"
    existing.parent.mkdir(parents=True)
    shutil.copyfile(photo_source / "jpg" / "Fujifilm_FinePix_E500.jpg", existing)
    before = existing.read_bytes()
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    with caplog.at_level(logging.WARNING):
        ids = await api.run_task(TASK)
    images = await _images_in(api, "storage")
    assert existing.read_bytes() == before
    assert len(ids) == 3
    assert "DCIM/2021/03/01/Canon_40D.jpg" not in images
    assert any(
        record.levelno == logging.WARNING and "Canon_40D.jpg" in record.getMessage()
        for record in caplog.records
    )


async def test_run_records_identical_file(api, card, storage):
    present = storage / "DCIM/2021/03/01/Canon_40D.jpg"
    present.parent.mkdir(parents=True)
    shutil.copy2(card / "DCIM/2021/03/01/Canon_40D.jpg", present)
    inode = present.stat().st_ino
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    ids = await api.run_task(TASK)
    images = await _images_in(api, "storage")
    assert present.stat().st_ino == inode
    assert sorted(images) == DCIM_FILES
    assert images["DCIM/2021/03/01/Canon_40D.jpg"].id in ids
    assert len(ids) == 4


async def test_run_keeps_record_of_identical_file(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    first = await api.run_task(TASK)
    image = (await _images_in(api, "storage"))["DCIM/2021/03/01/Canon_40D.jpg"]
    await api.edit_image(image.id, title="Kept")
    assert await api.run_task(TASK, full=True) == []
    again = await api.get_image(image.id)
    assert again.title == "Kept"
    assert await api.count_images() == len(first)


async def test_run_readds_deleted_file(api, card, storage):
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    await api.run_task(TASK)
    deleted = storage / "DCIM/2021/04/02/Pentax_K10D.jpg"
    deleted.unlink()
    image = (await _images_in(api, "storage"))["DCIM/2021/04/02/Pentax_K10D.jpg"]
    ids = await api.run_task(TASK, full=True)
    assert ids == [image.id]
    original = card / "DCIM/2021/04/02/Pentax_K10D.jpg"
    assert deleted.read_bytes() == original.read_bytes()
    assert await api.count_images() == 4


async def test_run_same_destination_twice(api, card, storage, photo_source, caplog):
    _place(card, "DCIM/2021/04/02/Canon_40D.jpg",
           photo_source / "jpg" / "Nikon_D70.jpg", datetime(2021, 4, 2))
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}",
        destination_format="{file}",
    )
    with caplog.at_level(logging.WARNING):
        ids = await api.run_task(TASK)
    images = await _images_in(api, "storage")
    copied = _files(storage)
    originals = _files(card)
    assert len(ids) == 4
    assert sorted(copied) == sorted(images)
    assert copied["Canon_40D.jpg"] in (
        originals["DCIM/2021/03/01/Canon_40D.jpg"],
        originals["DCIM/2021/04/02/Canon_40D.jpg"],
    )
    assert images["Canon_40D.jpg"].hash == hashlib.sha256(
        copied["Canon_40D.jpg"]
    ).hexdigest()


def _conflict_summaries(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING
        and "did not copy" in record.getMessage()
    ]


async def _run_with_name_clash(api, card, storage, photo_source) -> None:
    """Add a task whose '{file}' format sends two photos to Canon_40D.jpg."""
    _place(card, "DCIM/2021/04/02/Canon_40D.jpg",
           photo_source / "jpg" / "Nikon_D70.jpg", datetime(2021, 4, 2))
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}",
        destination_format="{file}",
    )


async def test_run_conflict_keeps_last_ran(
    api, card, storage, photo_source, caplog
):
    await _run_with_name_clash(api, card, storage, photo_source)
    with caplog.at_level(logging.WARNING):
        await api.run_task(TASK)
    summaries = _conflict_summaries(caplog)
    assert (await api.get_task(TASK)).last_ran is None
    assert len(summaries) == 1
    assert "did not copy 1 photos" in summaries[0]
    assert "{index}" in summaries[0]


async def test_run_conflict_reported_again(
    api, card, storage, photo_source, caplog
):
    await _run_with_name_clash(api, card, storage, photo_source)
    await api.run_task(TASK)
    first_copy = (storage / "Canon_40D.jpg").read_bytes()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        ids = await api.run_task(TASK)
    assert ids == []
    assert len(_conflict_summaries(caplog)) == 1
    assert (await api.get_task(TASK)).last_ran is None
    assert (storage / "Canon_40D.jpg").read_bytes() == first_copy


async def test_run_conflict_after_last_ran(api, card, storage, photo_source):
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}",
        destination_format="{file}",
    )
    await api.run_task(TASK)
    last_ran = (await api.get_task(TASK)).last_ran
    _place(card, f"{_today_folder()}/Canon_40D.jpg",
           photo_source / "jpg" / "Nikon_D70.jpg", datetime.now())
    await api.run_task(TASK)
    assert last_ran is not None
    assert (await api.get_task(TASK)).last_ran == last_ran


async def test_run_format_escape_at_run_time(
    api, card, storage, photo_source, tmp_path, caplog
):
    # The sample name passes add_task, but this file name renders as '..'.
    _place(card, "..escape.jpg", photo_source / "jpg" / "Canon_40D.jpg",
           datetime(2021, 3, 1))
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", destination_format="{name:.2}/{file}")
    with caplog.at_level(logging.WARNING):
        ids = await api.run_task(TASK)
    assert not (tmp_path / "..escape.jpg").exists()
    assert len(ids) == len(ALL_IMAGES)
    assert "..escape.jpg" not in {path.name for path in storage.rglob("*")}
    assert any("..escape.jpg" in record.getMessage() for record in caplog.records)


async def test_run_symlink_escape(api, card, storage, tmp_path, caplog):
    outside = tmp_path / "outside"
    outside.mkdir()
    (storage / "DCIM").symlink_to(outside, target_is_directory=True)
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    with caplog.at_level(logging.WARNING):
        ids = await api.run_task(TASK)
    assert ids == []
    assert _files(outside) == {}
    assert await api.count_images() == 0
    assert any(record.levelno == logging.WARNING for record in caplog.records)


async def test_run_symlinked_file_escape(api, card, storage, tmp_path):
    outside = tmp_path / "outside.jpg"
    target = storage / "DCIM/2021/03/01/Canon_40D.jpg"
    target.parent.mkdir(parents=True)
    target.symlink_to(outside)
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    ids = await api.run_task(TASK)
    assert not outside.exists()
    assert len(ids) == 3


async def test_run_file_in_the_way(api, card, storage, caplog):
    blocker = storage / "DCIM"
    blocker.write_text("a file where a folder is needed", encoding="utf-8")
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    with caplog.at_level(logging.WARNING):
        assert await api.run_task(TASK) == []
    assert blocker.read_text(encoding="utf-8") == "a file where a folder is needed"
    assert await api.count_images() == 0
    assert sum(record.levelno == logging.WARNING for record in caplog.records) >= 4


async def test_run_failed_copy_retried(api, card, storage, photo_source, caplog):
    # Doubled by the format, this name passes the 255-byte limit of a file name.
    long_name = "L" * 130
    long_file = f"DCIM/2021/03/01/{long_name}.jpg"
    _place(card, long_file, photo_source / "jpg" / "Olympus_C8080WZ.jpg",
           datetime(2021, 3, 1))
    await _add_locations(api, card, storage)
    await api.add_task(
        TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}",
        destination_format="{directory}/{name}{name}.{extension}",
    )
    with caplog.at_level(logging.WARNING):
        first = await api.run_task(TASK)
    assert len(first) == 4
    assert (await api.get_task(TASK)).last_ran is None
    messages = [record.getMessage() for record in caplog.records]
    assert any("could not copy 1 files" in message for message in messages)
    (card / long_file).rename(card / "DCIM/2021/03/01/short.jpg")
    second = await api.run_task(TASK)
    images = await _images_in(api, "storage")
    assert second == [images["DCIM/2021/03/01/shortshort.jpg"].id]
    assert (await api.get_task(TASK)).last_ran is not None


async def test_run_folder_at_destination(api, card, storage):
    (storage / "DCIM/2021/03/01/Canon_40D.jpg").mkdir(parents=True)
    await _add_locations(api, card, storage)
    await api.add_task(TASK, "card", "storage", source_path="DCIM/{year}/{month}/{day}")
    ids = await api.run_task(TASK)
    assert len(ids) == 3
    assert (storage / "DCIM/2021/03/01/Canon_40D.jpg").is_dir()
    # The folder blocks one photo, so the next run must look at it again.
    assert (await api.get_task(TASK)).last_ran is None


# Drives that are missing or pulled out ------------------------------------


async def test_run_unmounted_source(api, card, storage):
    await api.add_location("card", source=True)
    await api.add_location("storage", storage, destination=True, removable=False)
    await api.add_task(TASK, "card", "storage")
    with pytest.raises(InvalidPathError, match="card"):
        await api.run_task(TASK)
    assert (await api.get_task(TASK)).last_ran is None


async def test_run_mounted_source(api, card, storage):
    await api.add_location("card", source=True)
    await api.add_location("storage", storage, destination=True, removable=False)
    await api.add_task(TASK, "card", "storage")
    await api.mount("card", card)
    ids = await api.run_task(TASK)
    assert len(ids) == len(ALL_IMAGES)


async def test_run_detached_source(api, tmp_path, storage):
    await _add_locations(api, tmp_path / "not-attached", storage)
    await api.add_task(TASK, "card", "storage")
    with pytest.raises(InvalidPathError, match="card"):
        await api.run_task(TASK)
    assert (await api.get_task(TASK)).last_ran is None


async def test_run_missing_fixed_source(api, tmp_path, storage):
    await api.add_location("card", tmp_path / "gone", source=True, removable=False)
    await api.add_location("storage", storage, destination=True, removable=False)
    await api.add_task(TASK, "card", "storage")
    with pytest.raises(InvalidPathError, match="card"):
        await api.run_task(TASK)
    assert (await api.get_task(TASK)).last_ran is None


async def test_run_unmounted_destination(api, card):
    await api.add_location("card", card, source=True)
    await api.add_location("storage", destination=True)
    await api.add_task(TASK, "card", "storage")
    with pytest.raises(InvalidPathError, match="storage"):
        await api.run_task(TASK)


async def test_run_missing_fixed_destination(api, card, tmp_path):
    await api.add_location("card", card, source=True)
    await api.add_location(
        "storage", tmp_path / "gone", destination=True, removable=False
    )
    await api.add_task(TASK, "card", "storage")
    with pytest.raises(InvalidPathError, match="storage"):
        await api.run_task(TASK)
    assert not (tmp_path / "gone").exists()


async def test_run_source_pulled(api, big_card, storage):
    await _add_locations(api, big_card, storage)
    await api.add_task(TASK, "card", "storage")
    originals = _files(big_card)

    def pull(done: int, total: int) -> None:
        if done == 1:
            shutil.rmtree(big_card)

    with pytest.raises(InvalidPathError, match="card"):
        await api.run_task(TASK, progress=pull)
    copied = _files(storage)
    images = await _images_in(api, "storage")
    assert len(copied) >= 1
    assert len(copied) < len(originals)
    assert sorted(images) == sorted(copied)
    for relative, data in copied.items():
        assert data == originals[relative]
    assert (await api.get_task(TASK)).last_ran is None


async def test_run_source_pulled_then_rerun(api, big_card, storage, tmp_path):
    await _add_locations(api, big_card, storage)
    await api.add_task(TASK, "card", "storage")
    saved = tmp_path / "saved"
    shutil.copytree(big_card, saved)

    def pull(done: int, total: int) -> None:
        if done == 3:
            shutil.rmtree(big_card)

    with pytest.raises(InvalidPathError):
        await api.run_task(TASK, progress=pull)
    first = await _images_in(api, "storage")
    shutil.copytree(saved, big_card, copy_function=shutil.copy2)
    ids = await api.run_task(TASK)
    images = await _images_in(api, "storage")
    assert sorted(_files(storage)) == sorted(_files(big_card))
    assert sorted(images) == sorted(_files(big_card))
    assert sorted(ids) == sorted(
        image.id for path, image in images.items() if path not in first
    )


async def test_run_cancelled_then_rerun(api, big_card, storage):
    await _add_locations(api, big_card, storage)
    await api.add_task(TASK, "card", "storage")
    originals = _files(big_card)
    running: asyncio.Task | None = None

    def cancel(done: int, total: int) -> None:
        if done == 2:
            running.cancel()

    running = asyncio.ensure_future(api.run_task(TASK, progress=cancel))
    with pytest.raises(asyncio.CancelledError):
        await running
    after_cancel = _state(storage)
    first = await _images_in(api, "storage")
    assert len(after_cancel) < len(originals)
    assert sorted(first) == sorted(after_cancel)
    ids = await api.run_task(TASK)
    copied = _state(storage)
    images = await _images_in(api, "storage")
    assert sorted(images) == sorted(originals)
    assert {path: data for path, (data, _) in copied.items()} == originals
    for relative, state in after_cancel.items():
        assert copied[relative] == state
    assert len(ids) == len(originals) - len(first)
    assert await api.count_images() == len(originals)
