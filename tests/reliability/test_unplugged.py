"""A drive unplugged in the middle of an import or a task run.

A progress callback renames the drive's folder away, as the system does
when a removable drive is pulled out, and renames it back to plug the
drive in again. The job must stop with an error that names the location
and its folder, keep every batch it saved, and mark nothing as gone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from picpocket.api import PicPocket
from picpocket.database import task_files
from picpocket.database.importer import READ_CHUNK, read_ahead
from picpocket.errors import InvalidPathError
from tests.reliability.worker_process import make_photos, visible_files

IMPORT_BATCH = 10
UNPLUG_AT = 30  # files done when the drive is pulled out


def photo_count() -> int:
    """Return enough photos that the import cannot read them all ahead of time.

    The importer reads at most read_ahead() chunks ahead of the file it is
    recording.
    """
    return 2 * READ_CHUNK * read_ahead() + UNPLUG_AT


class Drive:
    """A folder that can be unplugged (renamed away) and plugged in again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.away = folder.with_name(folder.name + "-unplugged")

    def unplug(self) -> None:
        self.folder.rename(self.away)

    def plug_in(self) -> None:
        self.away.rename(self.folder)

    def unplug_at(self, at: int) -> Callable[[int, int], None]:
        """Return a progress callback that unplugs the drive after `at` files."""

        def progress(done: int, total: int) -> None:
            if done >= at and self.folder.exists():
                self.unplug()

        return progress


async def recorded_paths(api: PicPocket) -> list[str]:
    return sorted(image.path.as_posix() for image in await api.search_images())


def check_message(
    error: pytest.ExceptionInfo[InvalidPathError], name: str, folder: Path
) -> None:
    message = str(error.value)
    assert f"'{name}'" in message
    assert str(folder) in message
    assert "reattach" in message


async def test_import_removable_unplugged(
    api: PicPocket, tmp_path: Path, photo_source: Path
) -> None:
    drive = Drive(tmp_path / "media" / "CARD")
    photos = make_photos(drive.folder, photo_source, photo_count())
    names = [path.name for path in photos]
    await api.add_location("card", None, source=True, removable=True)
    await api.mount("card", drive.folder)

    with pytest.raises(InvalidPathError) as error:
        await api.import_location(
            "card", batch_size=IMPORT_BATCH, progress=drive.unplug_at(UNPLUG_AT)
        )
    check_message(error, "card", drive.folder)

    # The files read before the drive went are saved, in the order read.
    saved = await recorded_paths(api)
    assert len(saved) >= UNPLUG_AT
    assert len(saved) < len(names)
    assert saved == names[: len(saved)]
    # While the drive is away its images are unreachable, not missing.
    assert await api.verify_image_files() == []
    assert await api.count_images(reachable=False) == len(saved)

    drive.plug_in()
    assert await api.verify_image_files() == []
    await api.import_location("card", batch_size=IMPORT_BATCH)
    assert await recorded_paths(api) == names


async def test_import_permanent_unplugged(
    api: PicPocket, tmp_path: Path, photo_source: Path
) -> None:
    drive = Drive(tmp_path / "photos")
    photos = make_photos(drive.folder, photo_source, photo_count())
    names = [path.name for path in photos]
    await api.add_location("photos", drive.folder, source=True, removable=False)

    with pytest.raises(InvalidPathError) as error:
        await api.import_location(
            "photos", batch_size=IMPORT_BATCH, progress=drive.unplug_at(UNPLUG_AT)
        )
    check_message(error, "photos", drive.folder)

    # A permanent location's folder is expected to be there, so verify
    # reports the saved images as missing, and keeps their records.
    saved = await api.get_image_ids(order=("id",))
    missing = await api.verify_image_files()
    assert sorted(image.id for image in missing) == saved
    assert await api.count_images() == len(saved)

    drive.plug_in()
    assert await api.verify_image_files() == []
    await api.import_location("photos", batch_size=IMPORT_BATCH)
    assert await recorded_paths(api) == names


@pytest.mark.parametrize("unplugged", ["card", "archive"])
async def test_task_drive_unplugged(
    api: PicPocket, tmp_path: Path, photo_source: Path, unplugged: str
) -> None:
    drives = {
        "card": Drive(tmp_path / "media" / "CARD"),
        "archive": Drive(tmp_path / "media" / "ARCHIVE"),
    }
    photos = make_photos(drives["card"].folder, photo_source, photo_count())
    drives["archive"].folder.mkdir()
    await api.add_location("card", None, source=True, removable=True)
    await api.add_location("archive", None, destination=True, removable=True)
    for name, drive in drives.items():
        await api.mount(name, drive.folder)
    await api.add_task("offload", "card", "archive")
    drive = drives[unplugged]

    with pytest.raises(InvalidPathError) as error:
        await api.run_task("offload", progress=drive.unplug_at(UNPLUG_AT))
    check_message(error, unplugged, drive.folder)

    drive.plug_in()
    sources = {path.name: path.read_bytes() for path in photos}
    copied = visible_files(drives["archive"].folder)
    # Every copy that was made is complete and recorded.
    assert {name: sources[name] for name in copied} == copied
    assert await recorded_paths(api) == sorted(copied)
    assert (await api.get_task("offload")).last_ran is None

    await api.run_task("offload")
    assert visible_files(drives["archive"].folder) == sources
    assert await recorded_paths(api) == sorted(sources)


async def test_task_archive_gone_after_copy(
    api: PicPocket, tmp_path: Path, photo_source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The drive goes right after a copy is published, before the run reads
    # the copy back: the copy is complete, so it must still be recorded.
    card, archive = Drive(tmp_path / "CARD"), Drive(tmp_path / "ARCHIVE")
    make_photos(card.folder, photo_source, UNPLUG_AT)
    archive.folder.mkdir()
    await api.add_location("card", card.folder, source=True, removable=True)
    await api.add_location("archive", archive.folder, destination=True, removable=True)
    await api.add_task("offload", "card", "archive")
    copy = task_files.copy_exclusive
    unplugged_after: list[str] = []

    def copy_then_unplug(source: Path, destination: Path, root: Path) -> None:
        copy(source, destination, root)
        # Copies run in parallel, so the drive goes after the first copy to
        # finish: a named file could finish after all the others.
        if not unplugged_after:
            unplugged_after.append(source.name)
            archive.unplug()

    monkeypatch.setattr(task_files, "copy_exclusive", copy_then_unplug)
    with pytest.raises(InvalidPathError) as error:
        await api.run_task("offload")
    check_message(error, "archive", archive.folder)

    archive.plug_in()
    copied = visible_files(archive.folder)
    assert unplugged_after[0] in copied
    assert await recorded_paths(api) == sorted(copied)
