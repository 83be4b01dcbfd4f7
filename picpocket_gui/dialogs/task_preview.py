"""Previews for the task dialog: folders a source path matches, where a file goes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from picpocket.files import walk_files
from picpocket.images import has_format, hash_image
from picpocket.tasks import (
    DEFAULT_DESTINATION_FORMAT,
    PathPart,
    find_source_folders,
    format_destination,
)

logger = logging.getLogger(__name__)

# The sample-file search stops after this many files without an image format.
SAMPLE_SCAN_LIMIT = 500
MADE_UP_HASH = "0" * 64


@dataclass(frozen=True)
class SampleFile:
    """An image file used to show where a task would copy it."""

    directory: str  # folder relative to the source root, '' at the root
    name: str
    modified: datetime
    hash: str
    real: bool  # False for a made-up file, when the source has no image to show


@dataclass(frozen=True)
class SourcePreview:
    """The first folders a source path matches, and an image file in them."""

    folders: list[str]  # relative to the source root, '' for the root itself
    more: bool  # more folders match than are listed
    sample: SampleFile | None


def made_up_sample() -> SampleFile:
    """Return a camera-style file modified now, for when no real file is at hand."""
    return SampleFile(
        "DCIM/100CANON", "IMG_0001.JPG", datetime.now().astimezone(),
        MADE_UP_HASH, real=False,
    )


def preview_source(
    root: Path, parts: list[PathPart], formats: frozenset[str], limit: int
) -> SourcePreview:
    """List up to `limit` folders under `root` that match `parts`, and a sample file.

    This reads the file system and hashes the sample, so run it in a
    worker thread.
    """
    folders: list[Path] = []
    more = False
    for folder in find_source_folders(root, parts):
        if len(folders) == limit:
            more = True
            break
        folders.append(folder)
    names = [_relative_text(root, folder) for folder in folders]
    return SourcePreview(names, more, _first_sample(root, folders, formats))


def _relative_text(root: Path, path: Path) -> str:
    text = path.relative_to(root).as_posix()
    return "" if text == "." else text


def _first_sample(
    root: Path, folders: list[Path], formats: frozenset[str]
) -> SampleFile | None:
    scanned = 0
    for folder in folders:
        for path in walk_files(folder):
            scanned += 1
            if scanned > SAMPLE_SCAN_LIMIT:
                return None
            if not has_format(path, formats):
                continue
            try:
                modified = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
                digest = hash_image(path)
            except OSError as error:
                logger.info("Not using %s as the preview sample: %s", path, error)
                continue
            directory = _relative_text(root, path.parent)
            return SampleFile(directory, path.name, modified, digest, real=True)
    return None


def example_destination(template: str, sample: SampleFile) -> str:
    """Return where `sample` goes under `template`, relative to the destination.

    Raises InputValidationError with the engine's message for an invalid
    template.
    """
    path = format_destination(
        template or DEFAULT_DESTINATION_FORMAT,
        directory=sample.directory,
        file=sample.name,
        date=sample.modified,
        hash=sample.hash,
        index=1,
    )
    return path.as_posix()
