"""Benchmark the desktop app's thumbnail pipeline against a plain Pillow loop.

Camera-sized JPEGs from make_photos.py are written to a temporary
folder. The same run measures:

- a plain loop of `Image.open(path).thumbnail(size)` on one core;
- ThumbnailLoader with an empty disk cache (worker processes decode,
  orient, encode and store each thumbnail; the UI thread builds QImages);
- ThumbnailLoader on a second pass, when every thumbnail comes from the
  disk cache and no worker runs;
- the CPU time per photo of the loop and of the loader (all processes),
  and the speed-up that those times predict for idle CPUs, because other
  load on the machine changes CPU times much less than rates;
- the maximum event-loop gap while more photos render, beside the same
  figure for an idle loop.

Both the loop and the loader read the photos from a warm page cache.
Run from the repository root:

    /work/venv/bin/python -m tests.benchmarks.bench_thumbnails [--write]

The worker processes import this module's top level again (they start
with "spawn"), so Qt is imported inside functions only.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

from tests.benchmarks import harness, results, stalls

if TYPE_CHECKING:
    from picpocket.database.types import Image as ImageRecord
    from picpocket_gui.thumbnails.loader import ThumbnailLoader

logger = logging.getLogger(__name__)

TITLE = "Thumbnails"
SECTION = "thumbnails"
BACKEND = "-"
# The loader must render at least this many times as fast as the plain
# loop on a 2-core machine.
SPEEDUP_TARGET = 1.5
TIMEOUT = 600.0
# Seconds of an idle event loop measured as the control for the gap figure.
CONTROL_SECONDS = 3.0
# Photos rendered while the event-loop gaps are measured.
GAP_PHOTOS = 200


def make_photos(folder: Path, count: int, size: str) -> list[Path]:
    """Write `count` JPEGs of `size` with make_photos.py and return their paths."""
    command = [sys.executable, str(harness.MAKE_PHOTOS), str(folder)]
    subprocess.run(command + ["--count", str(count), "--size", size], check=True)
    return harness.photo_files(folder)


def plain_loop(files: list[Path], size: int) -> tuple[float, float]:
    """Run `Image.open(path).thumbnail(size)` on one core.

    Returns files per second and CPU seconds per file.
    """
    from PIL import Image

    ticks = harness.own_ticks()
    started = time.perf_counter()
    for path in files:
        with Image.open(path) as image:
            image.thumbnail((size, size))
    elapsed = time.perf_counter() - started
    return len(files) / elapsed, cpu_seconds_since(ticks) / len(files)


def cpu_seconds_since(ticks: int) -> float:
    """Return the CPU seconds this process and its live children used since `ticks`."""
    return (harness.own_ticks() - ticks) / os.sysconf("SC_CLK_TCK")


def records(files: list[Path]) -> list[ImageRecord]:
    """Return image records with content hashes, as a library would hold them."""
    import hashlib

    from picpocket.database.types import Image as ImageRecord

    return [
        ImageRecord(
            id=index,
            location=1,
            path=Path(path.name),
            name=path.stem,
            extension=path.suffix[1:],
            full_path=path,
            hash=hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for index, path in enumerate(files)
    ]


async def load_all(
    loader: ThumbnailLoader, images: list[ImageRecord], size: int
) -> float:
    """Return the seconds from requesting every thumbnail to the last one ready."""
    remaining = {loader.key_for(image) for image in images}
    keys = set(remaining)
    finished = asyncio.Event()

    def on_ready(key: str, _size: int) -> None:
        remaining.discard(key)
        if not remaining:
            finished.set()

    loader.ready.connect(on_ready)
    started = time.perf_counter()
    for image in images:
        loader.request(image, size)
    await asyncio.wait_for(finished.wait(), TIMEOUT)
    elapsed = time.perf_counter() - started
    loader.ready.disconnect(on_ready)
    failed = [key for key in keys if loader.is_failed(key)]
    if failed:
        reason = loader.failure_reason(failed[0])
        raise RuntimeError(f"{len(failed)} photos could not be rendered, one: {reason}")
    return elapsed


async def max_gap_during(work: Awaitable[object]) -> float:
    """Return the maximum event-loop gap, in seconds, while `work` runs."""
    async with stalls.StallMonitor() as monitor:
        await work
    return monitor.max_gap


async def cold_pass(
    report: results.Report,
    photos: dict[str, list[ImageRecord]],
    cache: Path,
    arguments: argparse.Namespace,
) -> tuple[float, float]:
    """Load every thumbnail with an empty disk cache.

    Returns photos per second and the CPU seconds per photo of this process
    and the worker processes together. The event-loop gaps are measured on
    other photos afterwards, because the monitor's 1 ms timer costs CPU.
    """
    from picpocket_gui.thumbnails import ThumbnailLoader

    size = arguments.thumbnail_size
    loader = ThumbnailLoader(cache, workers=arguments.workers)
    # Start every worker process first: the app pays this once per session.
    start_up = await load_all(loader, photos["warmup"], size)
    control = await max_gap_during(asyncio.sleep(CONTROL_SECONDS))
    ticks = harness.own_ticks()
    elapsed = await load_all(loader, photos["measured"], size)
    cpu_per_photo = cpu_seconds_since(ticks) / len(photos["measured"])
    gap = await max_gap_during(load_all(loader, photos["gap"], size))
    await loader.close()
    if loader.stats.renders != sum(len(images) for images in photos.values()):
        raise RuntimeError(
            f"expected only renders in the cold pass, got {loader.stats}"
        )

    report.add(BACKEND, "worker start-up (first thumbnails)", start_up, "s", decimals=2)
    report.add(BACKEND, "max event-loop gap, idle loop (control)", control * 1000, "ms")
    name = f"max event-loop gap, {len(photos['gap'])} more photos"
    target = f"<= {stalls.MAX_STALL_TARGET * 1000:.0f} ms"
    report.add(BACKEND, name, gap * 1000, "ms", target, gap <= stalls.MAX_STALL_TARGET)
    return len(photos["measured"]) / elapsed, cpu_per_photo


async def warm_pass(
    images: list[ImageRecord], cache: Path, arguments: argparse.Namespace
) -> float:
    """Load every thumbnail from the disk cache; return photos per second."""
    from picpocket_gui.thumbnails import ThumbnailLoader

    loader = ThumbnailLoader(cache, workers=arguments.workers)
    elapsed = await load_all(loader, images, arguments.thumbnail_size)
    await loader.close()
    if loader.stats.cache_hits != len(images):
        raise RuntimeError(
            f"expected only cache hits in the warm pass, got {loader.stats}"
        )
    return len(images) / elapsed


def run_loop(coroutine_function, *args):
    """Run a coroutine on a qasync loop over an offscreen QApplication."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from picpocket_gui.event_loop import new_event_loop

    application = QApplication.instance() or QApplication([])
    loop = new_event_loop(application)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coroutine_function(*args))
    finally:
        loop.close()


async def measure(arguments: argparse.Namespace, folder: Path) -> results.Report:
    """Generate the photos, then take the plain loop's and the loader's figures."""
    files = make_photos(folder / "photos", arguments.count, arguments.size)
    # Other sizes, so that no extra photo has the content of a measured one.
    warmup = make_photos(folder / "warmup", arguments.workers * 2, "1200x900")
    gap = make_photos(folder / "gap", GAP_PHOTOS, "1200x1600")
    total = harness.read_all(files)
    harness.read_all(warmup + gap)
    images = records(files)
    photos = {"warmup": records(warmup), "measured": images, "gap": records(gap)}
    size = arguments.thumbnail_size

    report = results.Report(TITLE, results.command_line())
    report.notes.append(
        f"{len(files)} JPEGs of {arguments.size} from make_photos.py, "
        f"{total / len(files) / 1024:.0f} KiB on average, thumbnails of {size} px "
        f"with {arguments.workers} worker processes. Three photos in forty have an "
        f"EXIF orientation other than 1, which only the loader applies."
    )

    harness.add_busy_figure(report, BACKEND, arguments.wait_quiet)
    with harness.OtherLoad() as load:
        plain, plain_cpu = plain_loop(files, size)
        cold, cold_cpu = await cold_pass(report, photos, folder / "cache", arguments)
        warm = await warm_pass(images, folder / "cache", arguments)
    harness.add_other_load_figure(report, BACKEND, load)

    add_rate_figures(report, plain, cold, warm)
    add_cpu_figures(report, plain_cpu, cold_cpu)
    return report


def add_rate_figures(
    report: results.Report, plain: float, cold: float, warm: float
) -> None:
    """Add the three rates, in photos per second, and the loader's speed-up."""
    report.add(BACKEND, "Image.open().thumbnail() loop, 1 core", plain, "photos/s")
    report.add(BACKEND, "ThumbnailLoader, empty cache", cold, "photos/s")
    ratio = cold / plain
    target = f">= {SPEEDUP_TARGET}x"
    passed = ratio >= SPEEDUP_TARGET
    report.add(BACKEND, "loader / plain loop", ratio, "x", target, passed, decimals=2)
    report.add(BACKEND, "ThumbnailLoader, from the disk cache", warm, "photos/s")


def add_cpu_figures(report: results.Report, plain_cpu: float, cold_cpu: float) -> None:
    """Add CPU time per photo and the speed-up those times predict for idle CPUs.

    Unlike the rates, CPU times hardly change with other load on the
    machine. The prediction assumes that the work spreads evenly over every
    CPU this process may use, so it is an upper estimate.
    """
    cpus = len(os.sched_getaffinity(0))
    report.add(BACKEND, "CPU time per photo, plain loop", plain_cpu * 1000, "ms")
    name = "CPU time per photo, loader (all processes)"
    report.add(BACKEND, name, cold_cpu * 1000, "ms")
    name = f"loader / plain loop predicted from CPU time, {cpus} idle CPUs"
    report.add(BACKEND, name, cpus * plain_cpu / cold_cpu, "x", decimals=2)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="photos to render")
    parser.add_argument("--size", default="1600x1200", help="photo size, WxH pixels")
    parser.add_argument(
        "--thumbnail-size",
        type=int,
        default=256,
        help="longest edge of the thumbnails, in pixels (default: 256)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: the number of CPUs this process may use)",
    )
    parser.add_argument(
        "--write", action="store_true", help="also update tests/benchmarks/RESULTS.md"
    )
    parser.add_argument("--verbose", action="store_true", help="log at INFO level")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for the CPUs to be under 25%% busy "
        "(default: 0, do not wait)",
    )
    arguments = parser.parse_args(argv)
    if arguments.workers is None:
        from picpocket_gui.thumbnails.loader import default_workers

        arguments.workers = default_workers()
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and, with --write, update RESULTS.md."""
    arguments = parse_arguments(argv)
    harness.configure_logging(arguments.verbose)
    folder = Path(tempfile.mkdtemp(prefix="picpocket-bench-thumbnails-"))
    try:
        report = run_loop(measure, arguments, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results.publish(report, SECTION, arguments.write, None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
