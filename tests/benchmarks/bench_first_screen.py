"""Benchmark the desktop app's first screen of thumbnails on a 100,000-photo library.

The library is built in a temporary folder:

- make_photos.py writes a few hundred camera-like JPEGs, which
  import_location records with their real hashes, sizes and EXIF dates;
- the rest of the 100,000 files are hard links to those photos in nested
  folders, recorded in one transaction through the engine's SQL layer with
  the facts of the photo they link to. Their creation dates are moved ten
  years back, so the newest rows, which the default order shows first,
  are distinct photos.

Importing every link would take minutes and would put copies of a single
photo on the whole first screen, because links share their photo's EXIF
date and hash, and the thumbnail cache is keyed by hash.

Each pass opens the main window in a new process, so that its peak
memory (ru_maxrss) covers only the window and not the library build. The
window is 1500x900, offscreen, on the app's qasync loop. The time runs
from window.show() to the first paint of the grid's viewport in which
every visible row has its thumbnail in memory or has failed. The first
pass starts with an empty thumbnail cache, the second reuses its disk
cache. Run from the repository root:

    /work/venv/bin/python -m tests.benchmarks.bench_first_screen

The thumbnail workers start with "spawn" and import this module again,
so Qt is imported inside functions only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.benchmarks import harness, results

logger = logging.getLogger(__name__)

TITLE = "First screen"
SECTION = "first-screen"
BACKEND = "sqlite"
COLD_TARGET = 3.0
WARM_TARGET = 1.0
MEMORY_TARGET_MB = 500
WINDOW_SIZE = (1500, 900)
TIMEOUT = 300.0
# Moves the linked copies behind every imported photo in the default order.
LINK_AGE = timedelta(days=3650)
LINKS_PER_FOLDER = 1000


# Library -----------------------------------------------------------------


def make_photos(folder: Path, count: int, size: str) -> list[Path]:
    """Write `count` JPEGs of `size` with make_photos.py and return their paths."""
    command = [sys.executable, str(harness.MAKE_PHOTOS), str(folder)]
    subprocess.run(command + ["--count", str(count), "--size", size], check=True)
    return harness.photo_files(folder)


def make_links(root: Path, photos: list[Path], count: int) -> list[Path]:
    """Return `count` new hard links under root/links, to each of `photos` in turn."""
    links = []
    for index in range(count):
        folder = root / "links" / f"{index // LINKS_PER_FOLDER:03d}"
        if index % LINKS_PER_FOLDER == 0:
            folder.mkdir(parents=True)
        link = folder / f"IMG_L{index:06d}.JPG"
        os.link(photos[index % len(photos)], link)
        links.append(link)
    return links


async def build_library(folder: Path, arguments: argparse.Namespace) -> dict[str, Any]:
    """Build the library in `folder`/library and return facts for the notes."""
    import picpocket

    root = folder / "photos"
    started = time.perf_counter()
    photos = make_photos(root, arguments.photos, arguments.size)
    generated = time.perf_counter() - started
    print(f"Generated {len(photos)} photos in {generated:.1f} s", flush=True)
    api = await picpocket.initialize(folder / "library")
    try:
        await api.add_location(
            "bench", root, source=True, destination=True, removable=False
        )
        started = time.perf_counter()
        await api.import_location("bench", progress=_print_progress)
        imported = time.perf_counter() - started
        print(f"\nImported {len(photos)} photos in {imported:.1f} s", flush=True)
        started = time.perf_counter()
        links = make_links(root, photos, arguments.library - len(photos))
        await insert_links(api, root, links)
        inserted = time.perf_counter() - started
        print(f"Linked and recorded {len(links)} files in {inserted:.1f} s")
        total = await api.count_images()
    finally:
        await api.close()
    if total != arguments.library:
        expected = arguments.library
        raise RuntimeError(f"the library has {total} images, expected {expected}")
    size = sum(path.stat().st_size for path in photos) / len(photos)
    return {"photos": len(photos), "links": len(links), "average_bytes": size}


def _print_progress(done: int, total: int) -> None:
    if done % 50 == 0 or done == total:
        print(f"\rImporting: {done}/{total}", end="", flush=True)


async def insert_links(api: Any, root: Path, links: list[Path]) -> None:
    """Record each link with its photo's facts, ten years older, in one transaction."""
    from picpocket.database.logic import Types

    images = await api.get_images(await api.get_image_ids())
    by_inode = {image.full_path.stat().st_ino: image for image in images}
    location = images[0].location
    adapt = api.sql.adapt
    rows = []
    for link in links:
        image = by_inode[link.stat().st_ino]
        relative = link.relative_to(root).as_posix()
        rows.append(
            (
                location, relative, link.stem, link.suffix[1:], image.creator,
                image.hash, image.width, image.height,
                adapt(Types.JSON, image.exif),
                adapt(Types.DATETIME, image.creation_date - LINK_AGE),
                adapt(Types.DATETIME, image.last_modified),
            )
        )
    columns = (
        "location, path, name, extension, creator, hash, width, height, exif, "
        "creation_date, last_modified"
    )
    async with api.transaction() as cursor:
        await cursor.executemany(
            f"INSERT INTO images ({columns}) VALUES ({', '.join('?' * 11)})", rows
        )


# One window pass, in its own process ---------------------------------------


class PaintWatch:
    """Record when the grid first paints with every visible thumbnail ready."""

    def __init__(self, window: Any) -> None:
        from PySide6.QtCore import QObject

        self.window = window
        self.painted_at: float | None = None
        self.ready_at: float | None = None
        self.visible_rows = 0
        watch = self

        class Filter(QObject):
            def eventFilter(self, target: Any, event: Any) -> bool:  # noqa: N802
                watch.on_event(event)
                return False

        self._filter = Filter()
        window.grid.viewport().installEventFilter(self._filter)

    def on_event(self, event: Any) -> None:
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.Paint and self.painted_at is None:
            if self.screen_ready():
                # The paint that follows draws every visible thumbnail.
                self.painted_at = time.perf_counter()

    def visible(self) -> list[int]:
        """Return the rows whose cells intersect the grid's viewport."""
        grid, model = self.window.grid, self.window.grid_model
        area = grid.viewport().rect()
        rows = []
        for row in range(model.rowCount()):
            rect = grid.visualRect(model.index(row, 0))
            if rect.top() > area.bottom():
                break
            if rect.intersects(area):
                rows.append(row)
        return rows

    def screen_ready(self) -> bool:
        """Return whether every visible row's thumbnail is in memory or failed.

        The first time it is, the time goes to `ready_at`.
        """
        model, thumbnails = self.window.grid_model, self.window.thumbnails
        rows = self.visible()
        if not rows:
            return False
        size = model.thumbnail_size()
        for row in rows:
            image = model.image(row)
            if image is None:
                return False
            ready = thumbnails.get(image, size) is not None
            if not ready and not thumbnails.is_failed(thumbnails.key_for(image)):
                return False
        self.visible_rows = len(rows)
        if self.ready_at is None:
            self.ready_at = time.perf_counter()
        return True


async def show_window(
    library: Path, cache: Path, settings_dir: Path, grab: Path | None
) -> dict[str, Any]:
    """Open the main window on `library` and return timings, rows and cache counts."""
    import picpocket
    from PySide6.QtCore import QSettings

    from picpocket_gui.main_window import MainWindow
    from picpocket_gui.settings import Settings

    api = await picpocket.load(library)
    store = QSettings(str(settings_dir / "settings.ini"), QSettings.Format.IniFormat)
    construct_started = time.perf_counter()
    window = MainWindow(api, library, cache_dir=cache, settings=Settings(store))
    window.resize(*WINDOW_SIZE)
    constructed = time.perf_counter()
    watch = PaintWatch(window)
    window.show()
    shown_at = time.perf_counter()
    await window.start()
    started_at = time.perf_counter()
    deadline = shown_at + TIMEOUT
    while watch.painted_at is None and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
        watch.screen_ready()  # Notes when the state is ready, before the paint.
    if watch.painted_at is None:
        raise RuntimeError(f"the first screen was not painted within {TIMEOUT:.0f} s")
    stats = window.thumbnails.stats
    figures = {
        "construct": constructed - construct_started,
        "start": started_at - shown_at,
        "ready": watch.ready_at - shown_at,
        "painted": watch.painted_at - shown_at,
        "rows": watch.visible_rows,
        "count": window.grid_model.rowCount(),
        "size": window.grid_model.thumbnail_size(),
        "renders": stats.renders,
        "cache_hits": stats.cache_hits,
        "failures": stats.failures,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if grab is not None:
        window.grab().save(str(grab))
    window.close()
    await window.shutdown()
    await api.close()
    # The workers have exited by now, so their peak counts here.
    figures["children_maxrss_mb"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    return figures


def window_pass(
    library: Path, cache: Path, settings_dir: Path, grab: Path | None
) -> None:
    """Run one window pass on the app's qasync loop and print its figures as JSON."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from picpocket_gui.event_loop import new_event_loop

    application = QApplication(sys.argv[:1])
    application.setQuitOnLastWindowClosed(False)
    loop = new_event_loop(application)
    asyncio.set_event_loop(loop)
    with loop:
        figures = loop.run_until_complete(
            show_window(library, cache, settings_dir, grab)
        )
    print(json.dumps(figures), flush=True)


def run_pass(folder: Path, name: str, grab: Path | None) -> dict[str, Any]:
    """Run a window pass in a new process and return its figures."""
    settings_dir = folder / f"settings-{name}"
    settings_dir.mkdir()
    command = [
        sys.executable, "-m", __spec__.name, "--window-pass",
        str(folder / "library"), str(folder / "cache"), str(settings_dir),
    ]
    if grab is not None:
        command += ["--grab", str(grab / f"first-screen-{name}.png")]
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    output = subprocess.run(
        command, check=True, stdout=subprocess.PIPE, text=True,
        cwd=harness.REPO_ROOT, env=environment,
    ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    print(f"{name} pass: {figures}", flush=True)
    return figures


# Report ------------------------------------------------------------------


def add_pass_figures(
    report: results.Report, name: str, figures: dict[str, Any], target: float
) -> None:
    """Add the timings and peak memory of one window pass."""
    report.add(BACKEND, f"{name}: window constructed", figures["construct"], "s",
               decimals=2)
    report.add(BACKEND, f"{name}: show() to start() returned", figures["start"], "s",
               decimals=2)
    painted = figures["painted"]
    report.add(BACKEND, f"{name}: show() to first screen painted", painted, "s",
               f"< {target:.0f} s", painted < target, decimals=2)
    memory = figures["maxrss_mb"]
    report.add(BACKEND, f"{name}: app peak RSS (ru_maxrss)", memory, "MB",
               f"< {MEMORY_TARGET_MB} MB", memory < MEMORY_TARGET_MB, decimals=0)
    workers = figures["children_maxrss_mb"]
    if workers:
        name = f"{name}: largest thumbnail worker peak RSS"
        report.add(BACKEND, name, workers, "MB", decimals=0)


def build_report(
    facts: dict[str, Any], cold: dict[str, Any], warm: dict[str, Any], busy: float
) -> results.Report:
    """Return the report of both passes, with the library's facts as notes."""
    report = results.Report(TITLE, results.command_line(), load_at_start=facts["load"])
    report.add(BACKEND, "CPUs busy before the passes (1 s sample)", busy * 100, "%",
               decimals=0)
    add_pass_figures(report, "cold cache", cold, COLD_TARGET)
    add_pass_figures(report, "warm cache", warm, WARM_TARGET)
    report.notes.append(
        f"{cold['count']:,} images: {facts['photos']} JPEGs from make_photos.py "
        f"({facts['average_bytes'] / 1024:.0f} KiB on average) imported with "
        f"import_location, and {facts['links']:,} hard links to them recorded in "
        f"one transaction with the facts of their photo, dated ten years earlier."
    )
    report.notes.append(
        f"Window {WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}, offscreen, thumbnails of "
        f"{cold['size']} px, {cold['rows']} rows visible. Renders / cache hits / "
        f"failures: cold {cold['renders']} / {cold['cache_hits']} / "
        f"{cold['failures']}, warm {warm['renders']} / {warm['cache_hits']} / "
        f"{warm['failures']}. Each pass runs in a new process. The warm pass "
        f"starts no thumbnail worker."
    )
    report.notes.append(
        f"Load average (1, 5, 15 min) after the build, before the passes: "
        f"{report.load_at_start}; after the passes: {results.load_average()}."
    )
    return report


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--library", type=int, default=100_000, help="images in the library"
    )
    parser.add_argument(
        "--photos", type=int, default=300, help="distinct photos to generate"
    )
    parser.add_argument("--size", default="1600x1200", help="photo size, WxH pixels")

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
    parser.add_argument(
        "--grab",
        type=Path,
        metavar="FOLDER",
        help="save a PNG of the window after each pass's first screen in FOLDER",
    )
    parser.add_argument(
        "--window-pass", nargs=3, metavar=("LIBRARY", "CACHE", "SETTINGS"),
        type=Path, help=argparse.SUPPRESS,
    )

    arguments = parser.parse_args(argv)
    if arguments.window_pass is None and not 0 < arguments.photos <= arguments.library:
        parser.error("--photos must be between 1 and --library")
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Build the library, run the cold and warm passes and print the table."""
    arguments = parse_arguments(argv)
    harness.configure_logging(arguments.verbose)
    if arguments.window_pass is not None:
        window_pass(*arguments.window_pass, arguments.grab)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="picpocket-bench-first-screen-"))
    try:
        facts = asyncio.run(build_library(folder, arguments))
        busy = harness.wait_for_quiet(arguments.wait_quiet)
        facts["load"] = results.load_average()
        cold = run_pass(folder, "cold", arguments.grab)
        warm = run_pass(folder, "warm", arguments.grab)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report = build_report(facts, cold, warm, busy)
    results.publish(report, SECTION, arguments.write, None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
