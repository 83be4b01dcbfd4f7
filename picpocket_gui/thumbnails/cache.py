"""A disk cache of rendered thumbnails, keyed by file content and thumbnail size.

Entries are named by the file's content hash (SHA-256 hex) when the library
has one, and otherwise by a hash of the file's path, modification time and
size, so an edited file gets new entries. Everything here is plain file I/O
without Qt, safe to call from any thread and from the worker processes.

Layout under the cache folder::

    v1/<first two characters of the name>/<name>_<size>.thumb   encoded image
    v1/<first two characters of the name>/<name>.failed         JSON failure marker
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

logger = logging.getLogger(__name__)

# Bump when rendering changes in a way that makes old thumbnails wrong.
FORMAT_VERSION = "v1"
_HEX_NAME = re.compile(r"[0-9a-f]{16,128}", re.ASCII)


def default_cache_folder() -> Path:
    """Return the thumbnail folder inside the user's cache folder for PicPocket."""
    return platformdirs.user_cache_path("picpocket") / "thumbnails"


@dataclass(frozen=True)
class FileSignature:
    """The modification time (ns) and size of a file, which change when it is edited."""

    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path | str) -> FileSignature:
        """Return the signature of `path`. Raises OSError when it cannot be reached."""
        status = os.stat(path)
        return cls(status.st_mtime_ns, status.st_size)


def entry_name(content_hash: str | None, source: Path | str) -> str:
    """Return the cache name of a file: its content hash, or a hash of its state.

    Without a content hash the name covers the path, modification time and
    size, so it costs one stat call (OSError when the file is unreachable).
    """
    if content_hash:
        if _HEX_NAME.fullmatch(content_hash):
            return content_hash
        return hashlib.sha256(content_hash.encode()).hexdigest()
    signature = FileSignature.of(source)
    state = f"{os.fspath(source)}\0{signature.mtime_ns}\0{signature.size}"
    return hashlib.sha256(state.encode("utf-8", "surrogateescape")).hexdigest()


class ThumbnailCache:
    """Encoded thumbnails and failure markers in one folder, written atomically.

    Readers never see a partly written file: each write goes to a temporary
    file in the same folder, which `os.replace` then moves into place.
    """

    def __init__(self, folder: Path | str | None = None) -> None:
        self.root = Path(folder) if folder is not None else default_cache_folder()
        self.folder = self.root / FORMAT_VERSION

    def thumbnail_path(self, name: str, size: int) -> Path:
        """Return where the thumbnail of entry `name` at `size` pixels is stored."""
        return self.folder / name[:2] / f"{name}_{size}.thumb"

    def marker_path(self, name: str) -> Path:
        """Return where the failure marker of entry `name` is stored."""
        return self.folder / name[:2] / f"{name}.failed"

    def read_thumbnail(self, name: str, size: int) -> bytes | None:
        """Return the encoded thumbnail, or None when it is not cached."""
        try:
            return self.thumbnail_path(name, size).read_bytes()
        except FileNotFoundError:
            return None

    def write_thumbnail(self, name: str, size: int, data: bytes) -> None:
        """Store an encoded thumbnail. Raises OSError if the folder is not writable."""
        _write_atomically(self.thumbnail_path(name, size), data)

    def discard_thumbnail(self, name: str, size: int) -> None:
        """Delete a cached thumbnail, for example one that no longer decodes."""
        self.thumbnail_path(name, size).unlink(missing_ok=True)

    def read_failure(self, name: str, source: Path | str) -> str | None:
        """Return why `source` could not be rendered, or None when it may be tried.

        A marker written for an earlier state of the file (another modification
        time or size) is deleted, so an edited file is tried again.
        """
        path = self.marker_path(name)
        try:
            marker = json.loads(path.read_text(encoding="utf-8"))
            recorded = FileSignature(int(marker["mtime_ns"]), int(marker["size"]))
            reason = str(marker["reason"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            logger.debug("Deleting unreadable failure marker %s", path)
            path.unlink(missing_ok=True)
            return None
        try:
            current = FileSignature.of(source)
        except OSError:
            return reason
        if current != recorded:
            logger.debug("%s changed since it failed; trying it again", source)
            path.unlink(missing_ok=True)
            return None
        return reason

    def write_failure(self, name: str, source: Path | str, reason: str) -> None:
        """Record that `source` cannot be rendered in its current state.

        Raises OSError when the source cannot be stat'ed or the folder is
        not writable.
        """
        signature = FileSignature.of(source)
        marker = {
            "reason": reason,
            "mtime_ns": signature.mtime_ns,
            "size": signature.size,
        }
        _write_atomically(self.marker_path(name), json.dumps(marker).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # NOTE: no fsync, because thumbnails can be rendered again. A file that
    # a power cut leaves damaged fails to decode and is then rendered anew.
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
