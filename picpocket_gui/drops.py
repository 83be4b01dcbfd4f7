"""Drop handling for the main window: copying dropped files, moving dragged images.

Files dragged in from a file manager arrive as local file URLs and are
copied into a location through the copy dialog. Thumbnails dragged inside
the app carry image ids (picpocket_gui.mime.IMAGE_IDS); dropped onto
another location they are moved there, keeping their relative paths,
after the user confirms.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from picpocket.api import PicPocket, Progress
from picpocket.database.types import Image, Location
from picpocket.errors import InvalidPathError, PicPocketError
from picpocket_gui.copying import recorded_paths
from picpocket_gui.dialogs import clicked_button
from picpocket_gui.dialogs.copy import CopyDialog
from picpocket_gui.jobs import JobManager, JobState
from picpocket_gui.mime import IMAGE_IDS, image_ids

logger = logging.getLogger(__name__)


# Files from other applications ---------------------------------------------


def dropped_file_paths(mime: QMimeData) -> list[Path]:
    """Return the local files and folders named by a drop's URLs, in order.

    Remote URLs (http, smb and the like) are left out.
    """
    if not mime.hasUrls():
        return []
    paths = []
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile():
            paths.append(Path(url.toLocalFile()))
        else:
            logger.info("Ignoring the dropped URL %s: it is not a local file", url)
    return paths


def accepts_file_drop(mime: QMimeData) -> bool:
    """Return whether a drop brings local files to copy into the library.

    A drag of the app's own thumbnails also carries file URLs, which other
    applications use. Inside the app such a drag moves images, so it is
    rejected here.
    """
    if mime.hasFormat(IMAGE_IDS):
        return False
    return any(url.isLocalFile() for url in mime.urls()) if mime.hasUrls() else False


def open_copy_dialog(
    parent: QWidget | None,
    api: PicPocket,
    mime: QMimeData,
    *,
    location_id: int | None = None,
    jobs: JobManager | None = None,
) -> CopyDialog | None:
    """Open the copy dialog for the files of a drop; None when it brings none.

    `location_id` is the location the files were dropped onto, if any. The
    dialog is opened with open() and deletes itself once closed; connect
    to its `copy_started(job)` signal to follow the copy.
    """
    if not accepts_file_drop(mime):
        return None
    paths = dropped_file_paths(mime)
    dialog = CopyDialog(api, paths, parent, location_id=location_id, jobs=jobs)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


# Moving images between locations -------------------------------------------


@dataclass(frozen=True)
class MoveFailure:
    """An image that was not moved, and why."""

    image_id: int
    path: Path  # relative to the image's location root
    reason: str
    target_taken: bool = False  # a file or record is already at the target


@dataclass
class MoveResult:
    """Outcome of a move run so far, filled in place so that it survives a cancel."""

    moved: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # already in the location
    failures: list[MoveFailure] = field(default_factory=list)
    total: int = 0  # images to move
    cancelled: bool = False

    def taken_targets(self) -> list[MoveFailure]:
        """Return the failures whose target was already taken."""
        return [failure for failure in self.failures if failure.target_taken]


async def move_images(
    api: PicPocket,
    ids: Iterable[int],
    location_id: int,
    progress: Progress | None = None,
    *,
    result: MoveResult | None = None,
) -> MoveResult:
    """Move images into a location, each keeping its path relative to the root.

    Files are moved with their records by move_image, which never
    overwrites: a target that is taken is listed as a failure with
    `target_taken` set. Images already in the location stay. Other
    failures are collected and the run goes on. Cancelling stops between
    images.

    Raises:
        UnknownItemError: no location has this id.
    """
    result = MoveResult() if result is None else result
    location = await api.get_location(location_id, expect=True)
    assert location is not None
    pending = await _images_to_move(api, list(ids), location, result)
    problem = await _unreachable_reason(location)
    if problem is not None:
        result.failures.extend(
            MoveFailure(image.id, image.path, problem) for image in pending
        )
        return result
    logger.info("Moving %d images into %r", len(pending), location.name)
    await _move_all(api, pending, location, progress, result)
    logger.info(
        "Moved %d images into %r, %d failed",
        len(result.moved), location.name, len(result.failures),
    )
    return result


async def _images_to_move(
    api: PicPocket, ids: list[int], location: Location, result: MoveResult
) -> list[Image]:
    """Return the images not yet in the location; list the others in `result`."""
    images = await api.get_images(ids)
    known = {image.id for image in images}
    for image_id in ids:
        if image_id not in known:
            reason = "the image is no longer in the library"
            result.failures.append(MoveFailure(image_id, Path(), reason))
    pending = [image for image in images if image.location != location.id]
    result.unchanged.extend(image.id for image in images if image not in pending)
    result.total = len(pending)
    return pending


async def _unreachable_reason(location: Location) -> str | None:
    root = location.root
    if root is not None and await asyncio.to_thread(root.is_dir):
        return None
    return (
        f"Location {location.name!r} is not reachable; attach the drive or "
        f"mount the location, then move the images again"
    )


async def _move_all(
    api: PicPocket,
    images: list[Image],
    location: Location,
    progress: Progress | None,
    result: MoveResult,
) -> None:
    if progress is not None:
        progress(0, len(images))
    try:
        for done, image in enumerate(images, start=1):
            # A cancellation point before each image, so a cancelled run
            # starts no new move.
            await asyncio.sleep(0)
            await _move_one(api, image, location, result)
            if progress is not None:
                progress(done, len(images))
    except asyncio.CancelledError:
        result.cancelled = True
        logger.info("Move cancelled after %d images", len(result.moved))
        raise


async def _move_one(
    api: PicPocket, image: Image, location: Location, result: MoveResult
) -> None:
    """Move one image; a cancel waits for it, so the result lists it either way."""
    task = asyncio.ensure_future(api.move_image(image.id, image.path, location.id))
    try:
        # Unlike awaiting the task, asyncio.wait leaves it running when this
        # coroutine is cancelled, and does not raise its error.
        await asyncio.wait([task])
    finally:
        if not task.done():
            await asyncio.wait([task])
        await _record_move(api, task, image, location, result)


async def _record_move(
    api: PicPocket,
    task: asyncio.Future[None],
    image: Image,
    location: Location,
    result: MoveResult,
) -> None:
    error = task.exception()
    if error is None:
        result.moved.append(image.id)
        return
    if not isinstance(error, (PicPocketError, OSError)):
        raise error
    target_taken = isinstance(error, InvalidPathError) and await _target_taken(
        api, image, location
    )
    logger.warning("Could not move image %d (%s): %s", image.id, image.path, error)
    result.failures.append(
        MoveFailure(image.id, image.path, str(error), target_taken)
    )


async def _target_taken(api: PicPocket, image: Image, location: Location) -> bool:
    root = location.root
    assert root is not None
    if await asyncio.to_thread(os.path.lexists, root / image.path):
        return True
    relative = image.path.as_posix()
    return relative in await recorded_paths(api, location.id, [relative])


# Confirmation and the whole drop -------------------------------------------


async def confirm_move(parent: QWidget | None, count: int, location_name: str) -> bool:
    """Ask whether to move `count` images into a location; return True to move.

    The box is opened with open(), so no nested event loop runs.
    """
    box = QMessageBox(parent)
    box.setObjectName("confirm-move")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Move Images")
    noun = "image" if count == 1 else "images"
    box.setText(f"Move {count} {noun} to the location “{location_name}”?")
    box.setInformativeText(
        "The files move on disk and keep their folders inside the location. "
        "A file already at a target path is never replaced; that image stays."
    )
    move = box.addButton(f"Move {count} {noun.capitalize()}",
                         QMessageBox.ButtonRole.AcceptRole)
    move.setObjectName("move")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(move)
    box.setEscapeButton(cancel)
    return await clicked_button(box) is move



async def drop_images_on_location(
    parent: QWidget | None,
    api: PicPocket,
    mime: QMimeData,
    location_id: int,
    *,
    jobs: JobManager | None = None,
) -> MoveResult | None:
    """Confirm and move the images of a thumbnail drag onto a location.

    Returns None when the drag carries no images to move or the user
    declines. With `jobs`, the move runs as a job with progress and
    cancel, and a cancelled move returns what was done before the cancel.
    Failures are shown in a message box (report_move).
    """
    ids = image_ids(mime)
    location = await api.get_location(location_id, expect=True)
    assert location is not None
    images = await api.get_images(ids)
    count = sum(1 for image in images if image.location != location.id)
    if not count or not await confirm_move(parent, count, location.name):
        return None
    result = MoveResult()
    if jobs is None:
        await move_images(api, ids, location.id, result=result)
    else:
        noun = "image" if count == 1 else "images"
        job = jobs.start(
            f"move {count} {noun} to {location.name}",
            lambda progress: move_images(
                api, ids, location.id, progress, result=result
            ),
        )
        await job.wait()
        # A job cancelled before its first step never ran move_images.
        result.cancelled = result.cancelled or job.state is JobState.CANCELLED
    report_move(parent, result, location.name)
    return result


def report_move(
    parent: QWidget | None, result: MoveResult, location_name: str
) -> QMessageBox | None:
    """Show the images a move left behind, and why; None when there are none."""
    if not result.failures:
        return None
    box = QMessageBox(parent)
    box.setObjectName("move-report")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Move Images")
    box.setText(describe_move(result, location_name))
    box.setInformativeText("No file was replaced. The images listed in the "
                           "details stay where they were.")
    box.setDetailedText("\n".join(
        f"Image {failure.image_id} ({failure.path.as_posix()}): {failure.reason}"
        for failure in result.failures
    ))
    box.open()
    return box


def describe_move(result: MoveResult, location_name: str) -> str:
    """Return a one-line summary of a move, such as "Moved 3 of 4 images to “x”"."""
    noun = "image" if result.total == 1 else "images"
    text = f"Moved {len(result.moved)} of {result.total} {noun} to “{location_name}”"
    if result.cancelled:
        text += " before the move was cancelled"
    taken_count = len(result.taken_targets())
    if taken_count:
        text += f"; {taken_count} stayed because their target path is taken"
    other = len(result.failures) - taken_count
    if other:
        text += f"; {other} could not be moved"
    return text + "."
