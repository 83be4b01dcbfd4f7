"""Tests for thumbnail rendering with Pillow: formats, orientation and bad files."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from picpocket_gui.thumbnails import render
from picpocket_gui.thumbnails.cache import ThumbnailCache
from picpocket_gui.thumbnails.render import Failure, RenderJob, Thumbnail

ORIENTATIONS = range(1, 9)
# Mean difference per channel (0-255) between our thumbnail and Pillow's
# reference: about 2.5 when they match, above 45 when one is rotated.
MAX_MEAN_DIFFERENCE = 8.0


def as_image(thumbnail: Thumbnail) -> Image.Image:
    size = (thumbnail.width, thumbnail.height)
    return Image.frombytes(thumbnail.mode, size, thumbnail.pixels)


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / 3


def rendered(path: Path, size: int = 256) -> Thumbnail:
    result = render.render(path, size)
    assert isinstance(result, Thumbnail), result
    return result


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def huge_png(width: int, height: int) -> bytes:
    """Return a small PNG file that declares a `width` x `height` RGB image."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("kind", ["landscape", "portrait"])
@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_orientation_matches_exif_transpose(samples: Path, kind: str, orientation: int):
    path = samples / "jpg" / "orientation" / f"{kind}_{orientation}.jpg"
    reference = ImageOps.exif_transpose(Image.open(path))
    reference.thumbnail((256, 256))
    thumbnail = as_image(rendered(path))
    assert thumbnail.size == reference.size
    assert mean_difference(thumbnail, reference) < MAX_MEAN_DIFFERENCE


def test_orientation_check_detects_rotation(samples: Path):
    path = samples / "jpg" / "orientation" / "landscape_6.jpg"
    reference = ImageOps.exif_transpose(Image.open(path))
    reference.thumbnail((256, 256))
    upside_down = as_image(rendered(path)).transpose(Image.Transpose.ROTATE_180)
    assert mean_difference(upside_down, reference) > MAX_MEAN_DIFFERENCE


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_portrait_aspect(samples: Path, orientation: int):
    thumbnail = rendered(
        samples / "jpg" / "orientation" / f"portrait_{orientation}.jpg"
    )
    assert (thumbnail.width, thumbnail.height) == (192, 256)


@pytest.mark.parametrize(
    "name, size",
    [
        ("heic/IMG_5195.HEIC", (198, 256)),
        ("heic/mobile/iphone_13_pro_max.HEIC", (192, 256)),
        ("heic/mobile/HMD_Nokia_8.3_5G_hdr.heif", (256, 192)),
        ("heic/samplefilehub.heif", (256, 170)),
    ],
)
def test_heic_renders(samples: Path, name: str, size: tuple[int, int]):
    thumbnail = rendered(samples / name)
    assert (thumbnail.width, thumbnail.height) == size
    assert thumbnail.mode == "RGB"


def test_heic_not_blank(samples: Path):
    thumbnail = as_image(
        rendered(samples / "heic" / "mobile" / "iphone_13_pro_max.HEIC")
    )
    assert max(ImageStat.Stat(thumbnail).stddev) > 20


@pytest.mark.parametrize("name", ["BSG1.tiff", "Picoawards.tiff", "Crémieux11.tiff"])
def test_tiff_renders(samples: Path, name: str):
    thumbnail = rendered(samples / "tiff" / name)
    assert max(thumbnail.width, thumbnail.height) <= 256
    assert thumbnail.mode in ("RGB", "RGBA")


def test_small_image_keeps_size(samples: Path):
    thumbnail = rendered(samples / "jpg" / "Canon_40D.jpg")
    assert (thumbnail.width, thumbnail.height) == (100, 68)


def test_large_jpeg_longest_edge(samples: Path):
    thumbnail = rendered(samples / "jpg" / "Reconyx_HC500_Hyperfire.jpg", 128)
    assert (thumbnail.width, thumbnail.height) == (128, 96)


def test_pixels_match_size(samples: Path):
    thumbnail = rendered(samples / "jpg" / "gps" / "DSCN0010.jpg")
    assert len(thumbnail.pixels) == thumbnail.width * thumbnail.height * 3


@pytest.mark.parametrize("name", ["image00971.jpg", "image01713.jpg", "image02206.jpg"])
def test_damaged_exif_still_renders(samples: Path, name: str):
    assert isinstance(render.render(samples / "jpg" / "invalid" / name, 256), Thumbnail)


def test_unreadable_orientation_ignored(samples: Path, monkeypatch: pytest.MonkeyPatch):
    def fail_transpose(image: Image.Image, *, in_place: bool = False) -> None:
        raise SyntaxError("not a TIFF file")

    monkeypatch.setattr(render.ImageOps, "exif_transpose", fail_transpose)
    thumbnail = rendered(samples / "jpg" / "orientation" / "landscape_6.jpg")
    # Without orientation the stored portrait pixels stay portrait.
    assert (thumbnail.width, thumbnail.height) == (192, 256)


def test_png_16_bit_keeps_tones(tmp_path: Path):
    gradient = Image.new("I;16", (256, 16))
    gradient.putdata([x * 256 for _ in range(16) for x in range(256)])
    path = tmp_path / "gradient16.png"
    gradient.save(path)
    thumbnail = as_image(rendered(path))
    # Convert("L") would clip every value above 255 to white.
    assert thumbnail.getpixel((128, 8)) == (128, 128, 128)


def test_palette_png_keeps_transparency(tmp_path: Path):
    image = Image.new("P", (64, 64), 1)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(0, (0, 0, 32, 64))
    path = tmp_path / "palette.png"
    image.save(path, transparency=0)
    thumbnail = as_image(rendered(path))
    assert thumbnail.mode == "RGBA"
    assert thumbnail.getpixel((8, 8))[3] == 0
    assert thumbnail.getpixel((56, 8)) == (0, 0, 255, 255)


def test_opaque_alpha_becomes_rgb(tmp_path: Path):
    path = tmp_path / "opaque.png"
    Image.new("RGBA", (300, 200), (10, 200, 30, 255)).save(path)
    thumbnail = rendered(path)
    assert thumbnail.mode == "RGB"
    assert (thumbnail.width, thumbnail.height) == (256, 171)


def test_cmyk_jpeg_converted(tmp_path: Path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (400, 300), (0, 255, 255, 0)).save(path, quality=95)
    thumbnail = as_image(rendered(path))
    red, green, blue = thumbnail.getpixel((128, 96))
    assert red > 200
    assert green < 40
    assert blue < 40


def test_animated_gif_first_frame(tmp_path: Path):
    path = tmp_path / "animated.gif"
    frames = [Image.new("RGB", (64, 48), color) for color in ("red", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    thumbnail = as_image(rendered(path))
    assert thumbnail.getpixel((32, 24)) == (255, 0, 0)


def test_truncated_jpeg_fails(samples: Path, tmp_path: Path):
    data = (samples / "jpg" / "gps" / "DSCN0010.jpg").read_bytes()
    path = tmp_path / "DSCN0010.jpg"
    path.write_bytes(data[: len(data) // 2])
    assert render.render(path, 256) == Failure("the image data is truncated")


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "the file is empty"),
        (b"this is not an image\n" * 40, "not in an image format"),
        (huge_png(40_000, 40_000), "too many pixels"),
    ],
    ids=["empty", "garbage", "decompression-bomb"],
)
def test_bad_file_fails(tmp_path: Path, content: bytes, reason: str):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    result = render.render(path, 256)
    assert isinstance(result, Failure)
    assert reason in result.reason
    assert result.permanent


def test_missing_file_not_permanent(tmp_path: Path):
    result = render.render(tmp_path / "gone.jpg", 256)
    assert result == Failure("the file was not found", permanent=False)


def test_render_job_writes_cache(tmp_path: Path, jpegs: Path):
    job = RenderJob(
        str(jpegs / "Nikon_D70.jpg"), 128, str(tmp_path / "cache"), "ab" * 32
    )
    outcome = render.render_job(job)
    cache = ThumbnailCache(tmp_path / "cache")
    assert isinstance(outcome.result, Thumbnail)
    assert cache.read_thumbnail("ab" * 32, 128) is not None


def test_render_job_cached_copy_decodes(tmp_path: Path, jpegs: Path):
    job = RenderJob(
        str(jpegs / "Nikon_D70.jpg"), 128, str(tmp_path / "cache"), "ab" * 32
    )
    outcome = render.render_job(job)
    cache = ThumbnailCache(tmp_path / "cache")
    name, cached = render.read_cached(cache, "ab" * 32, jpegs / "Nikon_D70.jpg", 128)
    assert isinstance(cached, Thumbnail)
    assert (cached.width, cached.height) == (
        outcome.result.width,
        outcome.result.height,
    )


def test_render_job_writes_marker(tmp_path: Path):
    source = tmp_path / "garbage.jpg"
    source.write_bytes(b"garbage" * 100)
    job = RenderJob(str(source), 128, str(tmp_path / "cache"), "cd" * 32)
    outcome = render.render_job(job)
    marker = ThumbnailCache(tmp_path / "cache").marker_path("cd" * 32)
    assert isinstance(outcome.result, Failure)
    assert "not in an image format" in json.loads(marker.read_text())["reason"]


def test_render_job_reports_cache_error(tmp_path: Path, jpegs: Path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    job = RenderJob(str(jpegs / "Nikon_D70.jpg"), 128, str(blocked), "ab" * 32)
    outcome = render.render_job(job)
    assert isinstance(outcome.result, Thumbnail)
    assert outcome.cache_error is not None


def test_read_cached_returns_marker(tmp_path: Path):
    source = tmp_path / "garbage.jpg"
    source.write_bytes(b"garbage" * 100)
    cache = ThumbnailCache(tmp_path / "cache")
    render.render_job(RenderJob(str(source), 128, str(cache.root), "cd" * 32))
    _, result = render.read_cached(cache, "cd" * 32, source, 128)
    assert isinstance(result, Failure)


def test_read_cached_retries_changed_file(tmp_path: Path, jpegs: Path):
    source = tmp_path / "fixed.jpg"
    source.write_bytes(b"garbage" * 100)
    cache = ThumbnailCache(tmp_path / "cache")
    render.render_job(RenderJob(str(source), 128, str(cache.root), "cd" * 32))
    source.write_bytes((jpegs / "Nikon_D70.jpg").read_bytes())
    _, result = render.read_cached(cache, "cd" * 32, source, 128)
    assert result is None


def test_read_cached_drops_damaged_entry(tmp_path: Path, jpegs: Path):
    cache = ThumbnailCache(tmp_path / "cache")
    cache.write_thumbnail("ab" * 32, 128, b"\xff\xd8\xff garbage")
    _, result = render.read_cached(cache, "ab" * 32, jpegs / "Nikon_D70.jpg", 128)
    assert result is None
    assert cache.read_thumbnail("ab" * 32, 128) is None


def test_worker_module_imports_no_qt():
    code = (
        "import sys, picpocket_gui.thumbnails.render; "
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
