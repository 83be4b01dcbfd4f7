"""The file side of running a task: finding source files and copying them."""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from picpocket.database.images import modification_time
from picpocket.errors import InputValidationError, InvalidPathError
from picpocket.files import copy_exclusive, resolve_inside, walk_files
from picpocket.images import ImageFacts, has_format, hash_image, read_image_facts
from picpocket.tasks import PathPart, find_source_folders, format_destination

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceFile:
    """A file a task found, with its place in the order the task met it."""

    path: Path
    directory: str  # folder relative to the source root, '' at the root
    index: int


@dataclass(frozen=True)
class Transfer:
    """Outcome of copying one source file.

    status is 'copied', 'present' (an identical file is already at the
    destination), 'conflict' (a different file is there) or 'failed'.
    """

    source: SourceFile
    status: str
    relative: PurePosixPath | None = None
    facts: ImageFacts | None = None
    modified: datetime | None = None


def find_source_files(
    root: Path,
    parts: list[PathPart],
    formats: frozenset[str],
    since: datetime | None,
) -> list[SourceFile]:
    """List the files a task would copy, in the order it meets them."""
    found: list[SourceFile] = []
    seen: set[Path] = set()
    for folder in find_source_folders(root, parts, since):
        for path in walk_files(folder):
            if path in seen or not has_format(path, formats):
                continue
            seen.add(path)
            if since is not None and _older_than(path, since):
                continue
            directory = path.parent.relative_to(root).as_posix()
            if directory == ".":
                directory = ""
            found.append(SourceFile(path, directory, len(found) + 1))
    return found


def _older_than(path: Path, since: datetime) -> bool:
    try:
        return modification_time(path) < since.astimezone()
    except OSError as error:
        logger.warning("Skipping %s: %s", path, error)
        return True


def transfer_file(
    source: SourceFile, template: str, destination_root: Path
) -> Transfer:
    """Copy one source file to its rendered destination, never overwriting.

    Raises:
        OSError: the source or destination drive failed; the caller checks
            whether a drive disappeared.
    """
    facts = read_image_facts(source.path)
    destination = _destination(source, template, destination_root, facts)
    if destination is None:
        return Transfer(source, "failed")
    relative, target = destination
    if target.exists():
        return _compare_existing(source, relative, target, facts)
    if not destination_root.is_dir():
        raise FileNotFoundError(
            errno.ENOENT, "The destination folder is missing", str(destination_root)
        )
    try:
        # With the root given, a drive pulled out during the copy is never
        # recreated as an empty folder on the system disk.
        copy_exclusive(source.path, target, destination_root)
    except InvalidPathError as error:
        if target.is_file():
            # Another run (of this task in another process, say) published
            # a file there since the check above, which may be this photo.
            return _compare_existing(source, relative, target, facts)
        logger.warning("Not copying %s: %s", source.path, error)
        return Transfer(source, "conflict", relative)
    return Transfer(source, "copied", relative, facts, _copy_time(source, target))


def _copy_time(source: SourceFile, target: Path) -> datetime:
    """Return a finished copy's modification time, even if its drive just left.

    The copy is complete and published, so it must be recorded. When the
    destination drive disappears before the copy can be read back, this
    returns the source's time, which copy_exclusive gave the copy.
    """
    try:
        return modification_time(target)
    except OSError as error:
        logger.warning(
            "Copied %s to %s, but cannot read the copy back (%s); recording "
            "the source's modification time",
            source.path, target, error,
        )
        return modification_time(source.path)


def _destination(
    source: SourceFile, template: str, destination_root: Path, facts: ImageFacts
) -> tuple[PurePosixPath, Path] | None:
    """Return where a file goes, relative and in full, or None when it cannot."""
    try:
        relative = format_destination(
            template,
            directory=source.directory,
            file=source.path.name,
            date=modification_time(source.path).astimezone(),
            hash=facts.hash or "",
            index=source.index,
        )
        return relative, resolve_inside(destination_root, relative)
    except (InputValidationError, InvalidPathError) as error:
        logger.warning("Not copying %s: %s", source.path, error)
        return None


def _compare_existing(
    source: SourceFile, relative: PurePosixPath, target: Path, facts: ImageFacts
) -> Transfer:
    """Accept an identical file already at the target; leave a different one."""
    if target.is_file() and hash_image(target) == facts.hash:
        return Transfer(source, "present", relative, facts, modification_time(target))
    logger.warning(
        "Not copying %s: a different file already exists at %s", source.path, target
    )
    return Transfer(source, "conflict", relative)
