"""File operations that never overwrite a photo or write outside a root."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath, PurePosixPath
from typing import BinaryIO

from picpocket.errors import InvalidPathError, PathOutsideRootError

logger = logging.getLogger(__name__)

_COPY_CHUNK = 1024 * 1024

# Suffix of a copy in progress. It is not an image format, so imports skip it.
PARTIAL_SUFFIX = ".picpocket-partial"

# errno values of os.link on a file system or mount without hard links.
_NO_HARD_LINKS = frozenset({
    errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV,
    errno.ENOSYS,
})


def relative_inside(root: Path, relative: PurePath | str) -> PurePosixPath:
    """Return `relative` as a clean relative path, or raise InvalidPathError.

    Absolute paths and `..` segments raise PathOutsideRootError, because
    each could place a file outside the location's root; an empty path or
    one containing NUL raises InvalidPathError.
    """
    text = os.fspath(relative)
    if "\x00" in text:
        # No file name can contain NUL, and os functions raise ValueError on it.
        raise InvalidPathError(f"Path {text!r} contains a NUL character; remove it")
    path = PurePosixPath(text.replace(os.sep, "/")) if os.sep != "/" else PurePosixPath(text)
    if path.is_absolute() or PurePath(text).is_absolute():
        raise PathOutsideRootError(
            f"Path {text!r} is absolute; give a path relative to the root {root}"
        )
    if ".." in path.parts:
        raise PathOutsideRootError(
            f"Path {text!r} contains '..'; give a path inside the root {root}"
        )
    if not path.parts or path == PurePosixPath("."):
        raise InvalidPathError(f"Path {text!r} is empty; give a file path inside {root}")
    return path


def resolve_inside(root: Path, relative: PurePath | str) -> Path:
    """Join a relative path to root, refusing results that leave root.

    Symbolic links are followed for the folders that exist, so a link
    inside the root that points elsewhere raises PathOutsideRootError too.
    A name or path too long for the file system raises InvalidPathError.
    """
    clean = relative_inside(root, relative)
    full = Path(root) / clean
    _check_lengths(root, clean, full)
    real_root = Path(os.path.realpath(root))
    real_full = Path(os.path.realpath(full))
    if real_full != real_root and real_root not in real_full.parents:
        raise PathOutsideRootError(
            f"Path {os.fspath(relative)!r} resolves to {real_full}, outside the "
            f"root {root}; choose a path inside it"
        )
    return full


def _check_lengths(root: Path, relative: PurePosixPath, full: Path) -> None:
    """Raise InvalidPathError when a name or the whole path is too long to create."""
    name_max = _path_limit(root, "PC_NAME_MAX", 255)
    for name in relative.parts:
        size = len(os.fsencode(name))
        if size > name_max:
            raise InvalidPathError(
                f"Name {name!r} is {size} bytes long, more than the {name_max} "
                f"bytes the file system under {root} allows; choose a shorter name"
            )
    # PATH_MAX counts the terminating NUL byte.
    path_max = _path_limit(root, "PC_PATH_MAX", 4096)
    size = len(os.fsencode(os.path.abspath(full)))
    if size >= path_max:
        raise InvalidPathError(
            f"Path {os.fspath(full)!r} is {size} bytes long, more than the "
            f"{path_max - 1} bytes the system allows; choose a shorter path"
        )


def _path_limit(root: Path, name: str, default: int) -> int:
    """Return a pathconf limit for root, or default where it is not known."""
    try:
        limit = os.pathconf(root, name)
    except (AttributeError, ValueError, OSError):
        return default
    return default if limit is None or limit < 0 else limit


def copy_exclusive(source: Path, destination: Path, root: Path | None = None) -> None:
    """Copy a file to a path that must not exist yet, creating folders.

    With `root`, only folders below it are created: a root that vanished,
    such as a drive pulled out, is a FileNotFoundError and is never made
    again on the disk it was mounted on.

    The bytes go to a hidden temporary file in the destination folder, which
    is synced to disk and then published under the final name without
    replacing anything (on file systems without hard links, see the race
    noted in _publish). So the final name never shows a partial copy, even
    after a crash or power cut, and any failure removes the temporary file.
    A crash can leave a `.picpocket-partial` file behind, which imports skip
    because that suffix is not an image format.

    Raises:
        InvalidPathError: the destination exists, a file is where a parent
            folder must be created, or the temporary copy's path is too long.
        FileNotFoundError: the source is missing; no folder is created.
    """
    # The source is opened first, so a missing source leaves no new folders.
    with open(source, "rb") as reader:
        _make_parent_folders(destination, root)
        temporary = _partial_path(destination)
        try:
            _write_partial(reader, source, temporary)
            _publish(temporary, destination)
        except OSError as error:
            if error.errno != errno.ENAMETOOLONG:
                raise
            # The temporary name is up to 92 bytes, which can push a path
            # near the limit over it.
            raise InvalidPathError(
                f"Cannot copy to {destination}: the path of its temporary copy "
                f"{temporary.name!r} is too long ({error.strerror}); choose a "
                f"shorter path"
            ) from error
        finally:
            _remove_partial(temporary)


def _partial_path(destination: Path) -> Path:
    """Return a unique hidden name beside destination for the copy in progress."""
    # 40 characters of the name keep the result within the 255-byte limit
    # of a file name, even for 4-byte UTF-8 characters.
    name = f".{destination.name[:40]}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}"
    return destination.with_name(name)


def _write_partial(reader: BinaryIO, source: Path, temporary: Path) -> None:
    with open(temporary, "xb") as writer:
        shutil.copyfileobj(reader, writer, _COPY_CHUNK)
        writer.flush()
        os.fsync(writer.fileno())
    shutil.copystat(source, temporary)


def _publish(temporary: Path, destination: Path) -> None:
    """Give the complete temporary file its final name without replacing a file."""
    try:
        os.link(temporary, destination)
    except FileExistsError:
        raise _exists_error(destination) from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        # NOTE: another program can create the destination between this
        # check and the rename, and rename then replaces it on POSIX. Only
        # file systems or mounts that reject hard links (such as FAT and
        # exFAT) take this path.
        if os.path.lexists(destination):
            raise _exists_error(destination) from None
        os.rename(temporary, destination)
    _sync_folder(destination.parent)


def _exists_error(destination: Path) -> InvalidPathError:
    return InvalidPathError(
        f"File {destination} already exists; PicPocket never overwrites "
        f"a file, so choose another destination"
    )


def _sync_folder(folder: Path) -> None:
    """Write a folder's entries to disk, so a new name survives a power cut."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        # Some file systems cannot sync a folder, but the file's own bytes
        # are already synced.
        logger.debug("Could not sync the folder %s: %s", folder, error)


def _make_parent_folders(destination: Path, root: Path | None = None) -> None:
    try:
        if root is None:
            destination.parent.mkdir(parents=True, exist_ok=True)
        else:
            _make_folders_below(root, destination.parent)
    except (FileExistsError, NotADirectoryError):
        raise InvalidPathError(
            f"Cannot create the folder {destination.parent}: a file is in the way; "
            f"move that file or choose another destination"
        ) from None


def _make_folders_below(root: Path, folder: Path) -> None:
    """Create `folder` one level at a time below `root`, which must exist."""
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        try:
            current.mkdir()
        except FileExistsError:
            if not current.is_dir():
                raise


def _remove_partial(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as error:
        logger.warning("Could not remove the partial copy %s: %s", path, error)


def move_exclusive(source: Path, destination: Path) -> None:
    """Move a file to a path that must not exist yet, creating folders.

    On one file system this is a hard link followed by an unlink, which
    fails instead of replacing an existing file. Elsewhere (another
    drive, or a file system without hard links) the file is copied,
    and the source is removed only after the copy is complete.

    Raises:
        InvalidPathError: the destination exists (a dangling symbolic
            link counts), or a file is where a parent folder must be created.
        FileNotFoundError: the source is missing; no folder is created.
    """
    if destination.exists() or destination.is_symlink():
        raise InvalidPathError(
            f"File {destination} already exists; PicPocket never overwrites "
            f"a file, so choose another destination"
        )
    # Raise FileNotFoundError for a missing source before creating folders.
    os.lstat(source)
    _make_parent_folders(destination)
    try:
        os.link(source, destination, follow_symlinks=False)
    except FileExistsError:
        raise InvalidPathError(
            f"File {destination} already exists; PicPocket never overwrites "
            f"a file, so choose another destination"
        ) from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        copy_exclusive(source, destination)
    os.unlink(source)


def walk_files(root: Path, skip: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield every file under root, following symbolic links that stay inside it.

    A link whose target lies outside root is logged and skipped, so every
    yielded path names a file inside root. Folders in `skip` are skipped
    without a warning. Folders already visited (a symbolic-link loop),
    folders that cannot be read or vanish during the walk, links to
    missing targets, FIFOs, sockets and devices are logged and skipped.
    """
    for entry in walk_entries(root, skip):
        yield Path(entry.path)


def walk_entries(root: Path, skip: Iterable[Path] = ()) -> Iterator[os.DirEntry]:
    """Yield the directory entry of every file that walk_files would yield.

    An entry's path starts with root as given, and the walk skips what
    walk_files skips. Entries spare callers a Path object per file, which
    matters in folders of tens of thousands of files.
    """
    real_root = os.path.realpath(root)
    seen = _folder_keys(skip)
    skipped = set(seen)
    pending = [Path(root)]
    while pending:
        folder = pending.pop()
        entries = _read_new_folder(folder, seen, skipped)
        subfolders = []
        for entry in entries:
            kind = _entry_kind(entry, real_root)
            if kind == "folder":
                subfolders.append(Path(entry.path))
            elif kind == "file":
                yield entry
        pending.extend(reversed(subfolders))


def _folder_keys(folders: Iterable[Path]) -> set[tuple[int, int]]:
    """Return the (device, inode) pairs of the folders that exist."""
    keys = set()
    for folder in folders:
        try:
            status = os.stat(folder)
        except OSError:
            continue
        keys.add((status.st_dev, status.st_ino))
    return keys


def _read_new_folder(
    folder: Path, seen: set[tuple[int, int]], skipped: set[tuple[int, int]]
) -> list[os.DirEntry]:
    """Return a folder's entries sorted by name, or [] if seen or unreadable."""
    try:
        status = folder.stat()
    except OSError as error:
        logger.warning("Skipping folder %s: %s", folder, error)
        return []
    key = (status.st_dev, status.st_ino)
    if key in skipped:
        logger.info("Skipping folder %s: the caller excluded it", folder)
        return []
    if key in seen:
        logger.warning(
            "Skipping folder %s: a symbolic link leads to it again, and it was "
            "already read",
            folder,
        )
        return []
    seen.add(key)
    try:
        with os.scandir(folder) as scan:
            return sorted(scan, key=lambda entry: entry.name)
    except OSError as error:
        logger.warning("Skipping unreadable folder %s: %s", folder, error)
        return []


def is_inside(real_root: str, path: str) -> bool:
    """Return whether a path with links resolved is real_root or lies under it."""
    if path == real_root:
        return True
    prefix = real_root if real_root.endswith(os.sep) else real_root + os.sep
    return path.startswith(prefix)


def _leads_outside(entry: os.DirEntry, real_root: str) -> bool:
    """Return whether entry is a symbolic link to a place outside real_root."""
    if not entry.is_symlink():
        return False
    target = os.path.realpath(entry.path)
    if is_inside(real_root, target):
        return False
    logger.warning(
        "Skipping %s: it is a symbolic link to %s, outside the folder %s being "
        "read",
        entry.path,
        target,
        real_root,
    )
    return True


def _entry_kind(entry: os.DirEntry, real_root: str) -> str | None:
    """Return "folder", "file", or None for anything else (logged if skipped)."""
    try:
        if _leads_outside(entry, real_root):
            return None
        if entry.is_dir():
            return "folder"
        if entry.is_file():
            return "file"
        if entry.is_symlink() and not os.path.exists(entry.path):
            logger.warning(
                "Skipping %s: it is a symbolic link to %s, which does not exist",
                entry.path,
                os.readlink(entry.path),
            )
        else:
            # A FIFO would block the reader, and a device is no photo.
            logger.warning(
                "Skipping %s: it is not a regular file or folder", entry.path
            )
    except OSError as error:
        logger.warning("Skipping %s: %s", entry.path, error)
    return None
