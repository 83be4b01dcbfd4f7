"""Plan and run copies of dropped files into a destination location.

A drop is first scanned into a DropScan: the image files with their
dates and hashes, and the files left out. A CopyPlan then gives each image
its target in one location, folder and path template, and marks the
targets that are taken. run_copy makes the copies with the engine's
add_image_copy. A taken target is skipped or the file is copied under a
free name, as the user chooses, so no file is overwritten (except in the
race that picpocket.files.copy_exclusive notes for file systems without
hard links). Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from picpocket.api import PicPocket, Progress
from picpocket.database.logic import And, Comparator, Number, Or, Text
from picpocket.database.types import Location
from picpocket.errors import InputValidationError, InvalidPathError, PicPocketError
from picpocket.files import resolve_inside, walk_files
from picpocket.images import DEFAULT_FORMATS, has_format, hash_image, read_image_facts
from picpocket.tasks.destination import format_destination, validate_destination_format

logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "{date:%Y}/{date:%m}/{file}"
# Files read at once while scanning a drop, each in a worker thread.
SCAN_BATCH = 8
# Paths per library query when looking for recorded targets, well below
# SQLite's default limit of 32,766 bound parameters (since SQLite 3.32).
QUERY_CHUNK = 400
# Rounds of picking free names when a picked name turns out to be recorded.
_NAME_ROUNDS = 5


class Resolution(enum.Enum):
    """Action for a file whose target is taken."""

    SKIP = "skip"
    KEEP_BOTH = "keep both"


class Conflict(enum.Enum):
    """Reason a target path is taken. Each value describes it to the user."""

    EXISTS = "a different file is already there"
    IDENTICAL = "the same file is already there"
    RECORDED = "the library has an image recorded at this path"
    DUPLICATE = "another dropped file goes to the same path"


@dataclass(frozen=True)
class FileProblem:
    """A file that is not copied, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class DroppedFile:
    """An image file from a drop, with the values its target path may use."""

    path: Path
    directory: str  # folder relative to the dropped folder, '' for a dropped file
    date: datetime  # EXIF creation date, else the file's modification time
    hash: str  # SHA-256 hex of the file's bytes


@dataclass
class DropScan:
    """The files of a drop: images to copy and files left out."""

    images: list[DroppedFile] = field(default_factory=list)
    not_images: list[Path] = field(default_factory=list)
    unreadable: list[FileProblem] = field(default_factory=list)


@dataclass
class PlannedCopy:
    """One image's copy: its target inside the location and any conflict there."""

    file: DroppedFile
    index: int  # 1-based, the {index} field
    target: PurePosixPath | None  # relative to the location root
    error: str | None = None  # why the file has no target
    conflict: Conflict | None = None
    alternative: PurePosixPath | None = None  # free name for Resolution.KEEP_BOTH
    resolution: Resolution = Resolution.SKIP

    @property
    def destination(self) -> PurePosixPath | None:
        """The path the file is copied to, or None when it is not copied."""
        if self.error is not None or self.target is None:
            return None
        if self.conflict is None:
            return self.target
        if self.resolution is Resolution.KEEP_BOTH:
            return self.alternative
        return None


@dataclass
class CopyPlan:
    """Targets of a drop's images in one location, and the files left out."""

    location_id: int
    location_name: str
    root: Path
    folder: PurePosixPath
    template: str
    copies: list[PlannedCopy]
    not_images: list[Path]
    unreadable: list[FileProblem]

    def conflicts(self) -> list[PlannedCopy]:
        """Return the copies whose target is taken, in drop order."""
        return [copy for copy in self.copies if copy.conflict is not None]

    def errors(self) -> list[PlannedCopy]:
        """Return the copies that have no target, such as a path the template
        cannot give."""
        return [copy for copy in self.copies if copy.error is not None]

    def to_copy(self) -> list[PlannedCopy]:
        """Return the copies that will be made, in drop order."""
        return [copy for copy in self.copies if copy.destination is not None]

    def set_resolution(
        self, resolution: Resolution, copies: Iterable[PlannedCopy] | None = None
    ) -> None:
        """Set the resolution of some conflicting copies, or of every one."""
        for copy in self.conflicts() if copies is None else copies:
            if copy.conflict is not None:
                copy.resolution = resolution


@dataclass(frozen=True)
class CopiedFile:
    """A file copied into the location and recorded as an image."""

    source: Path
    target: PurePosixPath
    image_id: int


@dataclass
class CopyResult:
    """Outcome of a copy run so far. It is filled in place, so it survives a cancel."""

    copied: list[CopiedFile] = field(default_factory=list)
    skipped: list[PlannedCopy] = field(default_factory=list)
    failures: list[FileProblem] = field(default_factory=list)
    total: int = 0  # copies attempted or planned
    cancelled: bool = False


# Scanning a drop ------------------------------------------------------------


def collect_dropped_files(
    paths: Iterable[Path],
) -> tuple[list[tuple[Path, str]], list[Path], list[FileProblem]]:
    """Walk dropped files and folders and sort the files found.

    Returns the image files with their folder relative to the dropped
    folder, the other files, and the dropped paths that are missing or
    not a file or folder. Folders are walked recursively. A symbolic link
    inside a dropped folder is followed only when it points inside that
    folder. A file reached twice (dropped on its own and inside a dropped
    folder) is listed once. This touches the file system, so run it in a
    worker thread.
    """
    images: list[tuple[Path, str]] = []
    not_images: list[Path] = []
    problems: list[FileProblem] = []
    seen: set[str] = set()
    for dropped in paths:
        for path, directory in _files_of(Path(dropped), problems):
            key = os.path.realpath(path)
            if key in seen:
                continue
            seen.add(key)
            if has_format(path, DEFAULT_FORMATS):
                images.append((path, directory))
            else:
                not_images.append(path)
    return images, not_images, problems


def _files_of(
    dropped: Path, problems: list[FileProblem]
) -> Iterable[tuple[Path, str]]:
    if dropped.is_dir():
        for path in walk_files(dropped):
            directory = path.parent.relative_to(dropped).as_posix()
            yield path, "" if directory == "." else directory
    elif dropped.is_file():
        yield dropped, ""
    elif not os.path.lexists(dropped):
        problems.append(FileProblem(dropped, "the file does not exist"))
    else:
        problems.append(FileProblem(dropped, "it is not a regular file or folder"))


def read_dropped_file(path: Path, directory: str) -> DroppedFile:
    """Read the date and hash of a dropped image file.

    The date is the EXIF creation date at the camera's clock, or else the
    file's modification time in local time. Task runs use the modification
    time alone, but dropped photos are sorted by when they were taken.

    Raises:
        OSError: the file cannot be read.
    """
    facts = read_image_facts(path)
    date = facts.creation_date
    # read_image_facts falls back to the modification time (in UTC) when
    # the EXIF has no date.
    if date is None or date == facts.last_modified:
        date = facts.last_modified.astimezone()
    return DroppedFile(path, directory, date, facts.hash or "")


async def scan_drop(
    paths: Iterable[Path], progress: Progress | None = None
) -> DropScan:
    """Find the images of a drop and read their dates and hashes in worker threads.

    `progress(done, total)` is called as files are read.
    """
    found, not_images, problems = await asyncio.to_thread(
        collect_dropped_files, list(paths)
    )
    scan = DropScan(not_images=not_images, unreadable=problems)
    _report(progress, 0, len(found))
    for start in range(0, len(found), SCAN_BATCH):
        await _read_batch(found[start : start + SCAN_BATCH], scan)
        _report(progress, min(start + SCAN_BATCH, len(found)), len(found))
    logger.info(
        "Scanned a drop: %d images, %d other files, %d unreadable",
        len(scan.images), len(scan.not_images), len(scan.unreadable),
    )
    return scan


async def _read_batch(batch: list[tuple[Path, str]], scan: DropScan) -> None:
    """Read files in worker threads and add them to the scan, in order."""
    results = await asyncio.gather(
        *(asyncio.to_thread(read_dropped_file, *item) for item in batch),
        return_exceptions=True,
    )
    for (path, _directory), outcome in zip(batch, results):
        if isinstance(outcome, DroppedFile):
            scan.images.append(outcome)
        elif isinstance(outcome, OSError):
            logger.warning("Cannot read the dropped file %s: %s", path, outcome)
            scan.unreadable.append(FileProblem(path, str(outcome)))
        else:
            raise outcome


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


# Target paths ---------------------------------------------------------------


def normalize_folder(text: str) -> PurePosixPath:
    """Return a folder inside a location as a clean relative path ('.' for the root).

    Raises:
        InputValidationError: the folder is absolute, has a '..' segment
            or contains a NUL character.
    """
    stripped = text.strip().replace("\\", "/")
    if stripped.startswith("/"):
        raise InputValidationError(
            f"Invalid folder {text!r}: give a folder inside the location, such "
            f"as 'Imports/Trip', without a leading '/'"
        )
    segments = [part.strip() for part in stripped.split("/")]
    segments = [part for part in segments if part not in ("", ".")]
    if ".." in segments:
        raise InputValidationError(
            f"Invalid folder {text!r}: a '..' segment would leave the location"
        )
    if "\0" in stripped:
        raise InputValidationError(f"Invalid folder {text!r}: it contains NUL")
    return PurePosixPath(*segments)


def render_target(
    file: DroppedFile, index: int, template: str, folder: PurePosixPath
) -> PurePosixPath:
    """Return a file's target path, relative to the location root.

    Raises:
        InputValidationError: the template is invalid, or gives this file
            an empty path or one that leaves the folder.
    """
    relative = format_destination(
        template,
        directory=file.directory,
        file=file.path.name,
        date=file.date,
        hash=file.hash,
        index=index,
    )
    return folder / relative


def preview_targets(
    files: Sequence[DroppedFile], template: str, folder: PurePosixPath
) -> list[PurePosixPath | str]:
    """Return the target of each file, or the message why it has none.

    Raises:
        InputValidationError: the template itself is invalid.
    """
    validate_destination_format(template)
    targets: list[PurePosixPath | str] = []
    for index, file in enumerate(files, start=1):
        try:
            targets.append(render_target(file, index, template, folder))
        except InputValidationError as error:
            targets.append(str(error))
    return targets


def free_name(
    target: PurePosixPath, taken: Callable[[PurePosixPath], bool]
) -> PurePosixPath:
    """Return the first name "stem (n).suffix", n from 2, for which `taken` is false."""
    number = 2
    while True:
        candidate = target.with_name(f"{target.stem} ({number}){target.suffix}")
        if not taken(candidate):
            return candidate
        number += 1


# Planning -------------------------------------------------------------------


async def build_plan(
    api: PicPocket,
    scan: DropScan,
    location_id: int,
    *,
    folder: str = "",
    template: str = DEFAULT_TEMPLATE,
) -> CopyPlan:
    """Plan where each scanned image goes in a location, and find taken targets.

    A target is taken when a file or a library record is there, or when
    an earlier file of the drop goes there. Each conflict gets a free
    alternative name and starts with Resolution.SKIP.

    Raises:
        InputValidationError: the template or folder is invalid.
        UnknownItemError: no location has this id.
        InvalidPathError: the location is not a destination or not reachable.
    """
    validate_destination_format(template)
    clean_folder = normalize_folder(folder)
    location = await api.get_location(location_id, expect=True)
    root = await _destination_root(location)
    plan = CopyPlan(
        location.id, location.name, root, clean_folder, template,
        _render_copies(scan.images, template, clean_folder),
        list(scan.not_images), list(scan.unreadable),
    )
    await _find_conflicts(api, plan)
    logger.info(
        "Planned %d copies into %r: %d conflicts, %d without a target",
        len(plan.copies), location.name, len(plan.conflicts()), len(plan.errors()),
    )
    return plan


async def _destination_root(location: Location) -> Path:
    if not location.destination:
        raise InvalidPathError(
            f"Location {location.name!r} is not a destination; edit it and tick "
            f"Destination to copy photos into it"
        )
    root = location.root
    if root is None or not await asyncio.to_thread(root.is_dir):
        raise InvalidPathError(
            f"Location {location.name!r} is not reachable; attach the drive or "
            f"mount the location"
        )
    return root


def _render_copies(
    files: Sequence[DroppedFile], template: str, folder: PurePosixPath
) -> list[PlannedCopy]:
    copies = []
    for index, file in enumerate(files, start=1):
        try:
            target = render_target(file, index, template, folder)
        except InputValidationError as error:
            copies.append(PlannedCopy(file, index, None, error=str(error)))
        else:
            copies.append(PlannedCopy(file, index, target))
    return copies


async def _find_conflicts(api: PicPocket, plan: CopyPlan) -> None:
    """Mark taken targets and pick free names, until no picked name is recorded."""
    targets = [copy.target.as_posix() for copy in plan.copies if copy.target]
    recorded = await recorded_paths(api, plan.location_id, targets)
    for _round in range(_NAME_ROUNDS):
        await asyncio.to_thread(_mark_conflicts, plan, recorded)
        picked = [copy.alternative.as_posix() for copy in plan.conflicts()
                  if copy.alternative is not None]
        newly_recorded = await recorded_paths(api, plan.location_id, picked)
        if not newly_recorded - recorded:
            return
        recorded |= newly_recorded
    # NOTE: a name still recorded after the last round makes that one copy
    # fail with the engine's message; nothing is overwritten.
    logger.warning("Free names in %r still collide with records", plan.location_name)


async def recorded_paths(
    api: PicPocket, location_id: int, paths: Sequence[str]
) -> set[str]:
    """Return which of these relative paths have an image record in the location."""
    found: set[str] = set()
    for start in range(0, len(paths), QUERY_CHUNK):
        chunk = paths[start : start + QUERY_CHUNK]
        query = And(
            Number("location", Comparator.EQUALS, location_id),
            Or(*(Text("path", Comparator.EQUALS, path) for path in chunk)),
        )
        ids = await api.get_image_ids(query)
        images = await api.get_images(ids)
        found.update(PurePosixPath(image.path).as_posix() for image in images)
    return found


def _mark_conflicts(plan: CopyPlan, recorded: set[str]) -> None:
    """Set each copy's conflict and alternative name.

    This touches the file system, so it runs in a worker thread.
    """
    claimed = {copy.target for copy in plan.copies if copy.target is not None}
    used: set[PurePosixPath] = set()

    def is_taken(candidate: PurePosixPath) -> bool:
        return (
            candidate in claimed
            or candidate.as_posix() in recorded
            or _exists(plan.root, candidate)
        )

    for copy in plan.copies:
        copy.conflict, copy.alternative = None, None
        if copy.target is None:
            continue
        try:
            copy.conflict = _conflict_of(copy, plan.root, recorded, used)
        except (InvalidPathError, OSError) as error:
            copy.target, copy.error = None, str(error)
            continue
        used.add(copy.target)
        if copy.conflict is not None:
            copy.alternative = free_name(copy.target, is_taken)
            claimed.add(copy.alternative)


def _conflict_of(
    copy: PlannedCopy,
    root: Path,
    recorded: set[str],
    used: set[PurePosixPath],
) -> Conflict | None:
    assert copy.target is not None
    full = resolve_inside(root, copy.target)
    if os.path.lexists(full):
        return Conflict.IDENTICAL if _same_file(full, copy.file) else Conflict.EXISTS
    if copy.target.as_posix() in recorded:
        return Conflict.RECORDED
    if copy.target in used:
        return Conflict.DUPLICATE
    return None


def _same_file(full: Path, file: DroppedFile) -> bool:
    try:
        return full.is_file() and hash_image(full) == file.hash
    except OSError as error:
        logger.warning("Cannot read %s to compare it: %s", full, error)
        return False


def _exists(root: Path, relative: PurePosixPath) -> bool:
    return os.path.lexists(root / relative)


# Copying --------------------------------------------------------------------


async def run_copy(
    api: PicPocket,
    plan: CopyPlan,
    *,
    creator: str | None = None,
    tags: list[str] | None = None,
    progress: Progress | None = None,
    result: CopyResult | None = None,
) -> CopyResult:
    """Copy the plan's files one by one with add_image_copy and return what happened.

    A file that fails (its target got taken since planning, a read error)
    is listed in `failures` and the run goes on. Cancelling stops between
    files: the file being copied is finished and recorded first. Pass
    `result` to keep what was done when the run is cancelled.
    """
    result = CopyResult() if result is None else result
    pending = _sort_out(plan, result)
    logger.info("Copying %d files into %r", len(pending), plan.location_name)
    _report(progress, 0, len(pending))
    try:
        for done, copy in enumerate(pending, start=1):
            # A cancellation point before each file, so a cancelled run
            # starts no new copy.
            await asyncio.sleep(0)
            await _copy_one(api, plan, copy, (creator, tags), result)
            _report(progress, done, len(pending))
    except asyncio.CancelledError:
        result.cancelled = True
        logger.info("Copy cancelled after %d files", len(result.copied))
        raise
    logger.info("Copied %d files, %d failed", len(result.copied), len(result.failures))
    return result


def _sort_out(plan: CopyPlan, result: CopyResult) -> list[PlannedCopy]:
    """List the plan's failures and skipped files in `result`; return the copies."""
    result.failures.extend(plan.unreadable)
    for copy in plan.copies:
        if copy.error is not None:
            result.failures.append(FileProblem(copy.file.path, copy.error))
        elif copy.destination is None:
            result.skipped.append(copy)
    pending = plan.to_copy()
    result.total = len(pending)
    return pending


async def _copy_one(
    api: PicPocket,
    plan: CopyPlan,
    copy: PlannedCopy,
    batch: tuple[str | None, list[str] | None],
    result: CopyResult,
) -> None:
    """Copy one file; a cancel waits for it, so the result lists it either way."""
    destination = copy.destination
    assert destination is not None
    creator, tags = batch
    task = asyncio.ensure_future(
        api.add_image_copy(
            copy.file.path, plan.location_id, Path(destination),
            creator=creator, tags=tags,
        )
    )
    try:
        # Unlike awaiting the task, asyncio.wait leaves it running when this
        # coroutine is cancelled, and does not raise its error.
        await asyncio.wait([task])
    finally:
        if not task.done():
            await asyncio.wait([task])
        _record_copy(task, copy, destination, result)


def _record_copy(
    task: asyncio.Future[int],
    copy: PlannedCopy,
    destination: PurePosixPath,
    result: CopyResult,
) -> None:
    error = task.exception()
    if error is None:
        result.copied.append(CopiedFile(copy.file.path, destination, task.result()))
    elif isinstance(error, (PicPocketError, OSError)):
        logger.warning("Could not copy %s: %s", copy.file.path, error)
        result.failures.append(FileProblem(copy.file.path, str(error)))
    else:
        raise error


def describe_result(result: CopyResult) -> str:
    """Return a one-line summary of a copy run, such as "Copied 3 of 4 photos"."""
    copied = len(result.copied)
    parts = [f"Copied {copied} of {result.total} {_photos(result.total)}"]
    if result.cancelled:
        parts[0] += " before the copy was cancelled"
    if result.skipped:
        parts.append(f"skipped {len(result.skipped)} with a taken target")
    if result.failures:
        parts.append(f"{len(result.failures)} could not be copied")
    return "; ".join(parts) + "."


def _photos(count: int) -> str:
    return "photo" if count == 1 else "photos"
