"""Tests for planning and running copies of dropped files into a location."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import datetime
from pathlib import Path, PurePosixPath

import pytest

from picpocket.database.logic import Comparator, Number
from picpocket.errors import InputValidationError, InvalidPathError
from picpocket_gui.copying import (
    DEFAULT_TEMPLATE,
    Conflict,
    CopyResult,
    FileProblem,
    Resolution,
    build_plan,
    describe_result,
    free_name,
    normalize_folder,
    preview_targets,
    recorded_paths,
    run_copy,
    scan_drop,
)
from picpocket_gui.jobs import JobManager, JobState
from tests.picpocket_gui.waiting import until

@pytest.fixture
def drop(tmp_path: Path, photo_source: Path) -> Path:
    """Return a dropped folder: photos, a subfolder of GPS photos, a text file."""
    folder = tmp_path / "drop"
    shutil.copytree(photo_source / "jpg" / "gps", folder / "gps")
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg"):
        shutil.copy2(photo_source / "jpg" / name, folder / name)
    (folder / "notes.txt").write_text("not a photo")
    return folder


@pytest.fixture
async def archive(library, tmp_path: Path) -> tuple[int, Path]:
    """Return the id and folder of a second, destination-only location."""
    folder = tmp_path / "archive"
    folder.mkdir()
    location_id = await library.add_location("archive", folder, destination=True)
    return location_id, folder


def names(paths) -> list[str]:
    return sorted(Path(path).name for path in paths)


async def records_in(library, location_id: int) -> dict[str, int]:
    """Return the relative path and id of every image recorded in a location."""
    query = Number("location", Comparator.EQUALS, location_id)
    ids = await library.get_image_ids(query)
    images = await library.get_images(ids)
    return {image.path.as_posix(): image.id for image in images}


def files_under(folder: Path) -> set[str]:
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
    }


# Scanning ------------------------------------------------------------------


async def test_scan_images_and_others(drop):
    scan = await scan_drop([drop])
    assert len(scan.images) == 11
    assert names(scan.not_images) == ["notes.txt"]
    assert scan.unreadable == []


async def test_scan_directory_relative(drop):
    scan = await scan_drop([drop])
    directories = {file.path.name: file.directory for file in scan.images}
    assert directories["DSCN0010.jpg"] == "gps"
    assert directories["Canon_40D.jpg"] == ""


async def test_scan_dropped_file_directory(drop):
    scan = await scan_drop([drop / "gps" / "DSCN0010.jpg"])
    assert [file.directory for file in scan.images] == [""]


async def test_scan_exif_date(drop):
    scan = await scan_drop([drop / "Canon_40D.jpg"])
    date = scan.images[0].date
    assert (date.year, date.month, date.day) == (2008, 5, 30)


async def test_scan_file_time_without_exif(tmp_path, photo_source):
    photo = tmp_path / "PaintTool_sample.jpg"
    shutil.copy2(photo_source / "jpg" / "PaintTool_sample.jpg", photo)
    moment = datetime(2019, 7, 15, 12, 0).timestamp()
    os.utime(photo, (moment, moment))
    scan = await scan_drop([photo])
    date = scan.images[0].date
    assert (date.year, date.month, date.day) == (2019, 7, 15)


async def test_scan_hash(drop):
    scan = await scan_drop([drop / "Canon_40D.jpg"])
    assert len(scan.images[0].hash) == 64


async def test_scan_link_outside_skipped(drop, tmp_path, photo_source):
    (drop / "elsewhere.jpg").symlink_to(photo_source / "jpg" / "Pentax_K10D.jpg")
    scan = await scan_drop([drop])
    assert "elsewhere.jpg" not in names(file.path for file in scan.images)


async def test_scan_file_listed_once(drop):
    scan = await scan_drop([drop, drop / "Canon_40D.jpg"])
    assert names(file.path for file in scan.images).count("Canon_40D.jpg") == 1


async def test_scan_missing_path(tmp_path):
    scan = await scan_drop([tmp_path / "gone.jpg"])
    assert [problem.path.name for problem in scan.unreadable] == ["gone.jpg"]


async def test_scan_progress(drop):
    reports = []
    await scan_drop([drop], lambda *args: reports.append(args))
    assert reports[0] == (0, 11)
    assert reports[-1] == (11, 11)


# Paths ---------------------------------------------------------------------


def test_folder_normalized():
    assert normalize_folder(" Imports//Trip/ ") == PurePosixPath("Imports/Trip")


def test_folder_empty_is_root():
    assert normalize_folder("") == PurePosixPath(".")


@pytest.mark.parametrize("text", ["/abs", "a/../..", "../up"])
def test_folder_outside_rejected(text):
    with pytest.raises(InputValidationError):
        normalize_folder(text)


def test_free_name_skips_taken():
    occupied = {PurePosixPath("a/IMG (2).JPG")}
    name = free_name(PurePosixPath("a/IMG.JPG"), occupied.__contains__)
    assert name == PurePosixPath("a/IMG (3).JPG")


async def test_preview_targets(drop):
    scan = await scan_drop([drop / "Canon_40D.jpg"])
    targets = preview_targets(scan.images, DEFAULT_TEMPLATE, PurePosixPath("In"))
    assert targets == [PurePosixPath("In/2008/05/Canon_40D.jpg")]


async def test_preview_invalid_template(drop):
    scan = await scan_drop([drop / "Canon_40D.jpg"])
    with pytest.raises(InputValidationError, match="unknown field 'place'"):
        preview_targets(scan.images, "{place}/{file}", PurePosixPath("."))


# Planning ------------------------------------------------------------------


async def test_plan_default_template(library, archive, drop):
    scan = await scan_drop([drop])
    plan = await build_plan(library, scan, archive[0])
    targets = {copy.file.path.name: copy.target for copy in plan.copies}
    assert targets["Canon_40D.jpg"] == PurePosixPath("2008/05/Canon_40D.jpg")
    assert targets["DSCN0010.jpg"] == PurePosixPath("2008/10/DSCN0010.jpg")


async def test_plan_folder_and_directory(library, archive, drop):
    scan = await scan_drop([drop])
    plan = await build_plan(
        library, scan, archive[0], folder="Trip", template="{directory}/{file}"
    )
    targets = {copy.file.path.name: copy.target for copy in plan.copies}
    assert targets["DSCN0010.jpg"] == PurePosixPath("Trip/gps/DSCN0010.jpg")
    assert targets["Canon_40D.jpg"] == PurePosixPath("Trip/Canon_40D.jpg")


async def test_plan_lists_not_images(library, archive, drop):
    plan = await build_plan(library, await scan_drop([drop]), archive[0])
    assert names(plan.not_images) == ["notes.txt"]


async def test_plan_invalid_template(library, archive, drop):
    scan = await scan_drop([drop])
    with pytest.raises(InputValidationError):
        await build_plan(library, scan, archive[0], template="{date:%Y}/../{file}")


async def test_plan_not_destination(library, tmp_path, drop):
    card = tmp_path / "card"
    card.mkdir()
    card_id = await library.add_location("card", card, source=True)
    with pytest.raises(InvalidPathError, match="not a destination"):
        await build_plan(library, await scan_drop([drop]), card_id)


async def test_plan_unreachable(library, drop):
    card_id = await library.add_location("card", None, destination=True)
    with pytest.raises(InvalidPathError, match="not reachable"):
        await build_plan(library, await scan_drop([drop]), card_id)


async def test_plan_existing_file_conflict(library, archive, drop):
    location_id, folder = archive
    (folder / "2008" / "05").mkdir(parents=True)
    (folder / "2008" / "05" / "Canon_40D.jpg").write_bytes(b"another file")
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    [conflict] = plan.conflicts()
    assert conflict.target == PurePosixPath("2008/05/Canon_40D.jpg")
    assert conflict.conflict is Conflict.EXISTS
    assert conflict.alternative == PurePosixPath("2008/05/Canon_40D (2).jpg")
    assert conflict.resolution is Resolution.SKIP


async def test_plan_identical_file_conflict(library, archive, drop):
    location_id, folder = archive
    (folder / "2008" / "05").mkdir(parents=True)
    shutil.copy2(drop / "Canon_40D.jpg", folder / "2008" / "05" / "Canon_40D.jpg")
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    assert [copy.conflict for copy in plan.conflicts()] == [Conflict.IDENTICAL]


async def test_plan_recorded_path_conflict(library, archive, drop):
    location_id, folder = archive
    target = Path("2008/05/Canon_40D.jpg")
    await library.add_image_copy(drop / "Nikon_D70.jpg", location_id, target)
    (folder / target).unlink()
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    assert [copy.conflict for copy in plan.conflicts()] == [Conflict.RECORDED]


async def test_plan_duplicate_targets(library, archive, drop, photo_source):
    same_name = drop / "gps" / "Canon_40D.jpg"
    shutil.copy2(photo_source / "jpg" / "Pentax_K10D.jpg", same_name)
    scan = await scan_drop([drop])
    plan = await build_plan(library, scan, archive[0], template="{file}")
    [conflict] = plan.conflicts()
    assert conflict.conflict is Conflict.DUPLICATE
    assert conflict.alternative == PurePosixPath("Canon_40D (2).jpg")


async def test_plan_alternative_not_recorded(library, archive, drop):
    location_id, folder = archive
    (folder / "Canon_40D.jpg").write_bytes(b"another file")
    await library.add_image_copy(
        drop / "Nikon_D70.jpg", location_id, Path("Canon_40D (2).jpg")
    )
    (folder / "Canon_40D (2).jpg").unlink()
    scan = await scan_drop([drop / "Canon_40D.jpg"])
    plan = await build_plan(library, scan, location_id, template="{file}")
    assert plan.conflicts()[0].alternative == PurePosixPath("Canon_40D (3).jpg")


async def test_recorded_paths(library, archive, drop):
    location_id, _folder = archive
    await library.add_image_copy(drop / "Nikon_D70.jpg", location_id, Path("a/b.jpg"))
    found = await recorded_paths(library, location_id, ["a/b.jpg", "a/c.jpg"])
    assert found == {"a/b.jpg"}


# Copying -------------------------------------------------------------------


async def test_copy_lands_with_template(library, archive, drop):
    location_id, folder = archive
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    result = await run_copy(library, plan)
    assert len(result.copied) == 11
    assert (folder / "2008" / "05" / "Canon_40D.jpg").read_bytes() == (
        drop / "Canon_40D.jpg"
    ).read_bytes()
    assert (folder / "2008" / "03" / "Nikon_D70.jpg").is_file()


async def test_copy_records_images(library, archive, drop):
    location_id, folder = archive
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    result = await run_copy(library, plan)
    recorded = await records_in(library, location_id)
    assert set(recorded) == files_under(folder)
    assert sorted(recorded.values()) == sorted(file.image_id for file in result.copied)


async def test_copy_skips_not_images(library, archive, drop):
    location_id, folder = archive
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    await run_copy(library, plan)
    assert not any(name.endswith("notes.txt") for name in files_under(folder))


async def test_copy_creator_and_tags(library, archive, drop):
    location_id, _folder = archive
    scan = await scan_drop([drop / "Canon_40D.jpg"])
    plan = await build_plan(library, scan, location_id)
    result = await run_copy(library, plan, creator="Ada", tags=["trip/alps"])
    image = await library.get_image(result.copied[0].image_id, tags=True)
    assert image.creator == "Ada"
    assert image.tags == ["trip/alps"]


async def test_copy_never_overwrites(library, archive, drop):
    location_id, folder = archive
    existing = folder / "2008" / "05" / "Canon_40D.jpg"
    existing.parent.mkdir(parents=True)
    existing.write_bytes(b"another file")
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    result = await run_copy(library, plan)
    assert existing.read_bytes() == b"another file"
    assert [copy.target for copy in result.skipped] == [
        PurePosixPath("2008/05/Canon_40D.jpg")
    ]
    assert len(result.copied) == 10


async def test_copy_keep_both(library, archive, drop):
    location_id, folder = archive
    existing = folder / "2008" / "05" / "Canon_40D.jpg"
    existing.parent.mkdir(parents=True)
    existing.write_bytes(b"another file")
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    plan.set_resolution(Resolution.KEEP_BOTH)
    await run_copy(library, plan)
    assert existing.read_bytes() == b"another file"
    second_copy = folder / "2008" / "05" / "Canon_40D (2).jpg"
    assert second_copy.read_bytes() == (drop / "Canon_40D.jpg").read_bytes()
    assert "2008/05/Canon_40D (2).jpg" in await records_in(library, location_id)


async def test_copy_keep_both_duplicates(library, archive, drop, photo_source):
    location_id, folder = archive
    same_name = drop / "gps" / "Canon_40D.jpg"
    shutil.copy2(photo_source / "jpg" / "Pentax_K10D.jpg", same_name)
    scan = await scan_drop([drop])
    plan = await build_plan(library, scan, location_id, template="{file}")
    plan.set_resolution(Resolution.KEEP_BOTH)
    await run_copy(library, plan)
    first = (drop / "Canon_40D.jpg").read_bytes()
    assert (folder / "Canon_40D.jpg").read_bytes() == first
    assert (folder / "Canon_40D (2).jpg").read_bytes() == same_name.read_bytes()


async def test_copy_target_taken_after_plan(library, archive, drop):
    location_id, folder = archive
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    late = folder / "2008" / "05" / "Canon_40D.jpg"
    late.parent.mkdir(parents=True)
    late.write_bytes(b"arrived after planning")
    result = await run_copy(library, plan)
    assert late.read_bytes() == b"arrived after planning"
    assert [failure.path.name for failure in result.failures] == ["Canon_40D.jpg"]
    assert "already exists" in result.failures[0].reason


async def test_copy_collects_failures(library, archive, drop):
    location_id, _folder = archive
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    (drop / "Nikon_D70.jpg").unlink()
    result = await run_copy(library, plan)
    assert [failure.path.name for failure in result.failures] == ["Nikon_D70.jpg"]
    assert len(result.copied) == 10


async def test_copy_progress(library, archive, drop):
    plan = await build_plan(library, await scan_drop([drop]), archive[0])
    reports = []
    await run_copy(library, plan, progress=lambda *args: reports.append(args))
    assert reports == [(done, 11) for done in range(12)]


async def test_copy_cancel_keeps_copied(library, archive, drop):
    location_id, folder = archive
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    jobs = JobManager()
    result = CopyResult()

    def factory(progress):
        def cancel_at_three(done, total):
            progress(done, total)
            if done == 3:
                job.cancel()

        return run_copy(library, plan, progress=cancel_at_three, result=result)

    job = jobs.start("copy", factory)
    await job.wait()
    assert job.state is JobState.CANCELLED
    assert result.cancelled
    assert len(result.copied) == 3
    recorded = await records_in(library, location_id)
    assert set(recorded) == files_under(folder)
    assert set(recorded) == {file.target.as_posix() for file in result.copied}


async def test_copy_cancel_mid_file(library, archive, drop):
    location_id, folder = archive
    plan = await build_plan(library, await scan_drop([drop]), location_id)
    task = asyncio.ensure_future(run_copy(library, plan))
    await until(lambda: files_under(folder))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    recorded = await records_in(library, location_id)
    assert set(recorded) == files_under(folder)
    assert 0 < len(recorded) < 11


def test_describe_result():
    result = CopyResult(total=4, failures=[FileProblem(Path("a.jpg"), "gone")])
    assert describe_result(result) == "Copied 0 of 4 photos; 1 could not be copied."
