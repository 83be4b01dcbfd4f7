"""Reading one file's facts for an import or a check.

This module imports little beyond picpocket.images, because reader
processes import it when they start.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, Sequence

from picpocket.images import ImageFacts, modification_time_of, read_image_facts

logger = logging.getLogger(__name__)


class FileRead(NamedTuple):
    """Facts a worker read from one file, with facts None when the file vanished."""

    facts: ImageFacts | None
    modified: datetime | None


def read_file(path: Path | str) -> FileRead:
    """Read one file's facts, or return empty facts when it cannot be read."""
    try:
        # The time is taken before the read, so a file changed during the
        # read looks changed again on the next import.
        modified = modification_time_of(os.stat(path))
        facts = read_image_facts(path)
    except OSError as error:
        logger.warning("Skipping %s: %s", path, error)
        return FileRead(None, None)
    if facts.creation_date == facts.last_modified:
        # Without an EXIF date the creation date is the mtime. Keep it equal
        # to the stored last_modified, even if the file changed mid-read.
        facts = replace(facts, creation_date=modified)
    return FileRead(facts, modified)


def read_files(root: Path | str, relatives: Sequence[str]) -> list[FileRead]:
    """Read several files under root, given by relative paths with '/'.

    One call per chunk keeps the event loop's wake-ups, and so its waits
    for the GIL, few.
    """
    folder = os.fspath(root)
    return [read_file(os.path.join(folder, relative)) for relative in relatives]
