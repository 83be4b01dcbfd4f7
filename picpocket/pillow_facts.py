"""Reading an image's size and EXIF with Pillow, for every file but plain JPEGs.

picpocket.images imports this module when it first needs it, so that a
reader process which meets only plain JPEGs starts without Pillow's
image module and its plugins.
"""

from __future__ import annotations

import logging
import threading
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image, UnidentifiedImageError
from PIL.PngImagePlugin import PngImageFile

from picpocket.exif import describe_error, exif_as_json

logger = logging.getLogger(__name__)

# Load Pillow's format plugins now: loading them on the first image read
# took over 100 ms, inside an import.
Image.preinit()

_heif_lock = threading.Lock()
_heif_loaded = False


def read_with_pillow(
    path: Path | str, source: BinaryIO
) -> tuple[int | None, int | None, dict[str, Any] | None]:
    """Return the width, height and EXIF (as JSON-safe data) of an image file.

    What cannot be read is None, with a warning logged.
    """
    # Pillow and its plugins raise many unrelated types on malformed input
    # (OSError, SyntaxError, ValueError, struct.error, DecompressionBombError,
    # DecompressionBombWarning when warnings are errors). The file was opened
    # and read before, so an exception here comes from its content, or (for a
    # file too large to hold in memory) from a read error, which is logged
    # the same way.
    try:
        image = open_image(source)
    except Exception as error:
        logger.warning(
            "Could not read image data from %s, so the file is recorded without "
            "dimensions or EXIF: %s",
            path,
            describe_error(error),
        )
        return None, None, None
    with image:
        # NOTE: for TIFF-based RAW files (NEF, DNG) Pillow reports the first image,
        # which may be a reduced preview. Pillow cannot open CR3, RW2, RAF or ORF.
        width, height = image.size
        exif = exif_as_json(
            partial(pillow_exif, image), image.info.get("exif"), path
        )
        if isinstance(image, PngImageFile):
            _check_png_chunks(image, path)
    return width, height, exif


def pillow_exif(image: Image.Image) -> Image.Exif:
    """Return the EXIF of an image that Pillow opened, without decoding pixels."""
    if isinstance(image, PngImageFile):
        # PngImageFile.getexif decodes all pixels to look for an eXIf chunk after
        # them, while the base method reads only the chunks before the pixels.
        # NOTE: so EXIF stored after a PNG's pixel data is not read.
        return Image.Image.getexif(image)
    return image.getexif()


def open_image(source: BinaryIO) -> Image.Image:
    """Open an image with Pillow, trying again with HEIF support if it is unknown.

    The HEIF plugin loads on first need, so that processes which never meet
    a HEIC photo start faster.
    """
    try:
        return Image.open(source)
    except UnidentifiedImageError:
        if not _load_heif_plugin():
            raise
    source.seek(0)
    return Image.open(source)


def _load_heif_plugin() -> bool:
    """Register pillow-heif's opener, and return False if it was registered before."""
    global _heif_loaded
    with _heif_lock:
        if _heif_loaded:
            return False
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_loaded = True
        return True


def _check_png_chunks(image: PngImageFile, path: Path | str) -> None:
    """Log a warning when the chunks after a PNG's header are damaged or missing.

    Pillow's verify() checks each chunk's CRC up to the end chunk, which reads
    the compressed pixel data without decoding it.
    """
    try:
        image.verify()
    except Exception as error:
        logger.warning(
            "%s looks damaged: its PNG data failed a checksum or ends early (%s), "
            "so part of the photo may be missing or wrong",
            path,
            describe_error(error),
        )
