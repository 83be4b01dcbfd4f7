"""Reading one file's facts for an import or a check.

This module imports little beyond picpocket.images, because reader
processes import it when they start.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, Sequence

from picpocket.images import ImageFacts, read_image_facts

logger = logging.getLogger(__name__)


class FileRead(NamedTuple):
    """Facts a worker read from one file, with facts None when the file vanished."""

    facts: ImageFacts | None
    modified: datetime | None


def read_file(path: Path | str) -> FileRead:
    """Read one file's facts, or return empty facts when it cannot be read."""
    try:
        facts = read_image_facts(path)
    except OSError as error:
        logger.warning("Skipping %s: %s", path, error)
        return FileRead(None, None)
    return FileRead(facts, facts.last_modified)


def read_files(root: Path | str, relatives: Sequence[str]) -> list[FileRead]:
    """Read several files under root, given by relative paths with '/'.

    One call per chunk keeps the event loop's wake-ups, and so its waits
    for the GIL, few.
    """
    folder = os.fspath(root)
    return [read_file(os.path.join(folder, relative)) for relative in relatives]
