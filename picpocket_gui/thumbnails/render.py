"""Render thumbnails with Pillow, in worker processes and without Qt.

`render_job` is the function the worker processes run: it renders one
file, stores the result in the disk cache and returns the pixels.
`read_cached` is the matching cache lookup, cheap enough for a thread.
Nothing here may import Qt or picpocket_gui modules that do, because
every worker process imports this module.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from picpocket_gui.thumbnails.cache import ThumbnailCache, entry_name

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()

# Worker processes run at a lower priority, so the UI thread gets the larger
# share of a CPU when both compete for it.
WORKER_NICENESS = 5
JPEG_QUALITY = 85
_HIGH_BIT_DEPTH_MODES = ("I", "F")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
# Exceptions from Pillow's EXIF parser on damaged data. Damaged EXIF blocks
# made Pillow 13.0 raise SyntaxError, struct.error and AttributeError.
_EXIF_ERRORS = (
    SyntaxError,
    struct.error,
    AttributeError,
    ValueError,
    TypeError,
    LookupError,
    OSError,
)


@dataclass(frozen=True)
class Thumbnail:
    """Raw pixels of a rendered thumbnail: rows of RGB or RGBA bytes, top first."""

    width: int
    height: int
    mode: str
    pixels: bytes = field(repr=False)


@dataclass(frozen=True)
class Failure:
    """The reason that a file could not be rendered.

    `permanent` is False for problems with reaching the file (missing,
    no permission, I/O error), because those may go away. Such failures
    get no marker in the disk cache.
    """

    reason: str
    permanent: bool = True


@dataclass(frozen=True)
class RenderJob:
    """One thumbnail for a worker process to render and store in the cache.

    `cache_folder` is the folder given to ThumbnailCache and `name` the
    file's entry name from `read_cached`.
    """

    source: str
    size: int
    cache_folder: str
    name: str


@dataclass(frozen=True)
class RenderOutcome:
    """A worker's result, with the error of a failed cache write if there was one."""

    result: Thumbnail | Failure
    cache_error: str | None = None


def init_worker() -> None:
    """Prepare a worker process: lower its priority, ignore Ctrl+C, load plugins."""
    # The parent process handles Ctrl+C and shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):
        pass  # Not available on Windows; the workers then run at normal priority.
    Image.init()


def render_image(data: bytes, size: int) -> Image.Image:
    """Decode an image file's bytes into an upright RGB or RGBA thumbnail.

    The longest edge is at most `size` pixels; smaller images keep their
    size. JPEG decodes at a reduced scale (`draft`) and HEIF uses an
    embedded thumbnail when one is large enough. Only the first frame of
    an animation is used.

    Raises:
        UnidentifiedImageError, OSError, SyntaxError, ValueError,
        Image.DecompressionBombError: the data is not a readable image.
    """
    image = Image.open(io.BytesIO(data))
    target = _fitted_size(image.size, size)
    # Decode at the smallest scale that still covers the thumbnail (JPEG:
    # 1/1 to 1/8 of the stored size, HEIF: an embedded thumbnail).
    image.draft("RGB", target)
    image.load()
    _apply_orientation(image)
    image = _to_display_mode(image)
    image.thumbnail((size, size), Image.Resampling.BICUBIC, reducing_gap=2.0)
    if image.mode == "RGBA" and image.getextrema()[3][0] == 255:
        image = image.convert("RGB")
    return image


def render(path: Path | str, size: int) -> Thumbnail | Failure:
    """Render the thumbnail of the file at `path`, or return why that failed.

    Never raises for a bad file. The caller logs the failure.
    """
    image = _render_pillow_image(path, size)
    if isinstance(image, Failure):
        return image
    return _thumbnail_of(image)


def render_job(job: RenderJob) -> RenderOutcome:
    """Render one file, store the thumbnail or a failure marker, return the result.

    Runs in a worker process. A file that cannot be read and a cache folder
    that cannot be written are reported in the outcome instead of raised.
    """
    cache = ThumbnailCache(job.cache_folder)
    image = _render_pillow_image(job.source, job.size)
    try:
        if isinstance(image, Failure):
            if image.permanent:
                cache.write_failure(job.name, job.source, image.reason)
            return RenderOutcome(image)
        cache.write_thumbnail(job.name, job.size, encode(image))
    except OSError as error:
        return RenderOutcome(
            _result_of(image), f"cannot write to {cache.folder}: {error}"
        )
    return RenderOutcome(_thumbnail_of(image))


def read_cached(
    cache: ThumbnailCache, content_hash: str | None, source: Path | str, size: int
) -> tuple[str, Thumbnail | Failure | None]:
    """Return a file's cache entry name and its cached thumbnail or failure.

    The result is the cached thumbnail, the recorded failure, or None when
    the file has to be rendered. A cached thumbnail that no longer decodes
    is deleted and reported as None.
    """
    try:
        name = entry_name(content_hash, source)
    except OSError as error:
        return "", Failure(_access_reason(error), permanent=False)
    data = cache.read_thumbnail(name, size)
    if data is not None:
        try:
            return name, decode(data)
        except (OSError, SyntaxError, ValueError) as error:
            logger.debug("Deleting damaged cached thumbnail %s: %s", name, error)
            cache.discard_thumbnail(name, size)
    reason = cache.read_failure(name, source)
    return name, None if reason is None else Failure(reason)


def encode(image: Image.Image) -> bytes:
    """Encode a thumbnail for the disk cache: JPEG, or PNG when it has alpha."""
    output = io.BytesIO()
    if image.mode == "RGBA":
        image.save(output, "PNG", compress_level=1)
    else:
        image.save(output, "JPEG", quality=JPEG_QUALITY)
    return output.getvalue()


def decode(data: bytes) -> Thumbnail:
    """Decode a thumbnail from the disk cache into raw pixels."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if image.mode in _ALPHA_MODES else "RGB")
        return _thumbnail_of(image)


def _render_pillow_image(path: Path | str, size: int) -> Image.Image | Failure:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        return Failure(_access_reason(error), permanent=False)
    if not data:
        return Failure("the file is empty")
    try:
        with warnings.catch_warnings():
            # Damaged EXIF blocks and large images raise warnings, not errors.
            warnings.simplefilter("ignore")
            return render_image(data, size)
    except Exception as error:  # noqa: BLE001 - any decoder error is a bad file.
        return Failure(_decode_reason(error))


def _apply_orientation(image: Image.Image) -> None:
    """Turn the image upright by its EXIF orientation, unless the EXIF is unreadable."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except _EXIF_ERRORS as error:
        # A damaged EXIF block should not cost the user the whole thumbnail.
        logger.debug("Ignoring unreadable EXIF orientation: %s", error)


def _fitted_size(size: tuple[int, int], limit: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, limit / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_display_mode(image: Image.Image) -> Image.Image:
    """Return the image in RGB or RGBA, keeping transparency and the tone range."""
    # NOTE: embedded ICC profiles are ignored, so CMYK and wide-gamut photos
    # get approximate colours.
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        return image
    if mode.startswith("I;16"):
        # 16-bit samples: keep the high byte, where convert("L") would clip.
        image = image.convert("I").point(lambda value: value * (1 / 256))
        return image.convert("L").convert("RGB")
    if mode in _HIGH_BIT_DEPTH_MODES:
        return _stretched(image).convert("RGB")
    if mode in _ALPHA_MODES or "transparency" in image.info:
        return image.convert("RGBA")
    return image.convert("RGB")


def _stretched(image: Image.Image) -> Image.Image:
    """Map a 32-bit integer or float image's value range onto 0 to 255."""
    low, high = image.getextrema()
    span = (high - low) or 1
    image = image.convert("F").point(lambda value: (value - low) * (255 / span))
    return image.convert("L")


def _thumbnail_of(image: Image.Image) -> Thumbnail:
    return Thumbnail(image.width, image.height, image.mode, image.tobytes())


def _result_of(image: Image.Image | Failure) -> Thumbnail | Failure:
    return image if isinstance(image, Failure) else _thumbnail_of(image)


def _access_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "the file was not found"
    if isinstance(error, PermissionError):
        return "permission to read the file was denied"
    return f"reading the file failed: {error.strerror or error}"


def _decode_reason(error: Exception) -> str:
    if isinstance(error, Image.DecompressionBombError):
        return f"the image has too many pixels ({error})"
    if isinstance(error, UnidentifiedImageError):
        return "the file is not in an image format that can be read"
    if isinstance(error, OSError) and "truncated" in str(error):
        return "the image data is truncated"
    return f"decoding failed: {type(error).__name__}: {error}"
