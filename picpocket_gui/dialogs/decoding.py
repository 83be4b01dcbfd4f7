"""Decoding image files for the viewer: upright pixels off the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pillow_heif
from PIL import Image as PillowImage
from PIL import ImageOps, UnidentifiedImageError
from PySide6.QtGui import QImage, QPixmap

# picpocket.images registers the HEIF opener too. Registering it here as
# well keeps the viewer independent of which engine modules were imported.
pillow_heif.register_heif_opener()

_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
# Pillow opens 16-bit grayscale files (PNG, TIFF) in these modes.
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})


@dataclass(frozen=True)
class DecodedImage:
    """Pixels of an image file turned upright, as 8-bit RGB or RGBA rows."""

    width: int
    height: int
    has_alpha: bool
    data: bytes


def decode_image(path: Path) -> DecodedImage:
    """Decode an image file and turn it upright as its EXIF Orientation tag specifies.

    This blocks on file reading and decoding, so run it in a worker thread.
    """
    with PillowImage.open(path) as source:
        # exif_transpose returns a loaded copy, so closing the file is safe.
        upright = ImageOps.exif_transpose(source)
    if upright.mode in _SIXTEEN_BIT_MODES:
        # convert() clips 16-bit values above 255 to white, so scale them first.
        # NOTE: 32-bit "I" images are assumed to contain 16-bit values.
        upright = upright.convert("I").point(lambda value: value * (1 / 256))
        upright = upright.convert("L")
    has_alpha = upright.mode in _ALPHA_MODES or "transparency" in upright.info
    converted = upright.convert("RGBA" if has_alpha else "RGB")
    return DecodedImage(
        converted.width, converted.height, has_alpha, converted.tobytes()
    )


def pixmap_from(decoded: DecodedImage) -> QPixmap:
    """Return a pixmap of decoded pixels; call it on the UI thread."""
    if decoded.has_alpha:
        image_format, channels = QImage.Format.Format_RGBA8888, 4
    else:
        image_format, channels = QImage.Format.Format_RGB888, 3
    image = QImage(
        decoded.data, decoded.width, decoded.height, decoded.width * channels,
        image_format,
    )
    # fromImage copies the pixels, so the QImage may share `decoded.data`.
    return QPixmap.fromImage(image)


def failure_reason(error: Exception) -> str:
    """Return a sentence saying why an image file could not be shown."""
    if isinstance(error, FileNotFoundError):
        return "The file does not exist."
    if isinstance(error, PermissionError):
        return "Permission denied: the file cannot be opened for reading."
    if isinstance(error, UnidentifiedImageError):
        return "The file is not in an image format this viewer can decode."
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
