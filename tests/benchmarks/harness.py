"""Shared parts of the benchmark scripts: photos, libraries, timing and output.

The scripts run outside pytest, from the repository root:

    /work/venv/bin/python -m tests.benchmarks.bench_import
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import picpocket
from tests.benchmarks.results import Report
from tests.postgres_server import (
    PostgresServer,
    create_database,
    drop_database,
    server_from_environment,
    start_server,
)

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(__file__).resolve().parent
# Generated photos are cached here between runs; the folder is git-ignored.
WORK_DIR = BENCH_DIR / "work"
# The photo generator lives beside the repository; PICPOCKET_MAKE_PHOTOS
# can point elsewhere.
DEFAULT_MAKE_PHOTOS = REPO_ROOT.parent / "shared" / "bench" / "make_photos.py"
MAKE_PHOTOS = Path(os.environ.get("PICPOCKET_MAKE_PHOTOS", DEFAULT_MAKE_PHOTOS))
BACKENDS = ("sqlite", "postgres")
TINY_SEED = 20240601


# Photos --------------------------------------------------------------


def cached_folder(name: str, build: Callable[[Path], None]) -> Path:
    """Return WORK_DIR/name, building it first through a temporary folder if absent.

    The folder appears under its final name only once `build` has finished,
    so an interrupted run never leaves a half-filled cache behind.
    """
    final = WORK_DIR / name
    if final.is_dir():
        return final
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{name}.", suffix=".partial", dir=WORK_DIR))
    try:
        started = time.perf_counter()
        build(partial)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    logger.info("Built %s in %.1f s", final, time.perf_counter() - started)
    return final


def camera_photos(count: int, size: str) -> Path:
    """Return a cached folder of `count` camera-like JPEGs from make_photos.py."""

    def build(folder: Path) -> None:
        command = [sys.executable, str(MAKE_PHOTOS), str(folder)]
        subprocess.run(command + ["--count", str(count), "--size", size], check=True)

    return cached_folder(f"photos-{count}-{size}", build)


def tiny_photos(count: int) -> Path:
    """Return a cached folder of `count` valid 1x1 JPEGs with distinct EXIF dates.

    Dates are a shuffled sequence 97 minutes apart, so the order of the
    creation dates is unrelated to the order of import (and of image ids).
    """

    def build(folder: Path) -> None:
        from PIL import Image

        steps = list(range(count))
        random.Random(TINY_SEED).shuffle(steps)
        start = datetime(2012, 1, 1, 8, 0, 0)
        for index, step in enumerate(steps):
            taken_at = start + timedelta(minutes=97 * step)
            exif = Image.Exif()
            exif[0x0132] = f"{taken_at:%Y:%m:%d %H:%M:%S}"  # DateTime
            exif.get_ifd(0x8769)[0x9003] = exif[0x0132]  # DateTimeOriginal
            color = (index % 256, index // 256 % 256, index // 65536 % 256)
            subfolder = folder / f"batch{index // 1000:03d}"
            subfolder.mkdir(exist_ok=True)
            image = Image.new("RGB", (1, 1), color)
            image.save(subfolder / f"IMG_{index:06d}.JPG", quality=90, exif=exif)

    return cached_folder(f"tiny-{count}", build)


def photo_files(folder: Path) -> list[Path]:
    """Return every file under folder, sorted by path."""
    return sorted(path for path in folder.rglob("*") if path.is_file())


def read_all(files: list[Path]) -> int:
    """Read every file once, so later reads come from the page cache; return bytes."""
    return sum(len(path.read_bytes()) for path in files)


# Libraries ---------------------------------------------------------------


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Yield the server named by PICPOCKET_TEST_POSTGRES, or a throwaway one."""
    configured = server_from_environment()
    if configured is not None:
        yield configured
        return
    with start_server() as running:
        yield running.server


@asynccontextmanager
async def new_library(
    backend: str, server: PostgresServer | None
) -> AsyncIterator[picpocket.PicPocket]:
    """Yield an empty library on `backend`, deleted again afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="picpocket-bench-"))
    database = None
    settings: dict[str, Any] = {}
    if backend == "postgres":
        if server is None:
            raise ValueError("the postgres backend needs a server")
        database = f"picpocket_bench_{uuid.uuid4().hex[:12]}"
        create_database(server, database)
        settings = {"store_credentials": True, **server.connection_info(database)}
    try:
        api = await picpocket.initialize(directory / "library", backend, **settings)
        try:
            yield api
        finally:
            await api.close()
    finally:
        if database is not None and server is not None:
            drop_database(server, database)
        shutil.rmtree(directory, ignore_errors=True)


# Timing ------------------------------------------------------------------


async def median_seconds(
    call: Callable[[int], Awaitable[Any]], repetitions: int = 30, warmups: int = 3
) -> float:
    """Return the median wall time of `call(i)` after `warmups` untimed calls.

    Each call gets its running index, so calls that must differ (tagging a
    new image each time) can.
    """
    for index in range(warmups):
        await call(index)
    times = []
    for index in range(warmups, warmups + repetitions):
        started = time.perf_counter()
        await call(index)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cpu_times() -> tuple[int, int]:
    """Return (busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat", encoding="utf-8") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def cpu_busy(seconds: float = 1.0) -> float:
    """Return the share of all CPUs' time spent busy over the next `seconds`."""
    busy_before, total_before = cpu_times()
    time.sleep(seconds)
    busy_after, total_after = cpu_times()
    elapsed = total_after - total_before
    return (busy_after - busy_before) / elapsed if elapsed else 0.0


def wait_for_quiet(max_wait: float, threshold: float = 0.25) -> float:
    """Wait up to `max_wait` seconds for other processes to leave the CPUs idle.

    Returns the last measured busy share, which callers report beside the
    figures: a share above `threshold` means the figures are low estimates.
    """
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        logger.info("CPUs %.0f%% busy; waiting for a quieter machine", busy * 100)
        busy = cpu_busy(5.0)
    return busy


def process_ticks() -> dict[int, tuple[int, int]]:
    """Return (parent pid, CPU ticks used) for every process, from /proc.

    The ticks include those of reaped children, so a worker that has
    exited still counts through its parent.
    """
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8") as stat:
                # The command name is in brackets and may contain spaces.
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # The process ended while the table was read.
        # After the name: state, ppid, ..., utime (12), stime, cutime, cstime.
        ticks = sum(int(value) for value in fields[11:15])
        found[int(entry.name)] = (int(fields[1]), ticks)
    return found


def own_ticks() -> int:
    """Return the CPU ticks used by this process and all its live descendants."""
    table = process_ticks()
    children: dict[int, list[int]] = {}
    for pid, (parent, _ticks) in table.items():
        children.setdefault(parent, []).append(pid)
    total, pending = 0, [os.getpid()]
    while pending:
        pid = pending.pop()
        total += table.get(pid, (0, 0))[1]
        pending.extend(children.get(pid, []))
    return total


class OtherLoad:
    """Measure the share of all CPUs that other processes used during a block.

    This process and its descendants (reader processes, for example) are
    excluded. A PostgreSQL server counts as another process, so for that
    backend the share includes the server's work for the benchmark.
    """

    def __init__(self) -> None:
        self.share = 0.0
        self._start: tuple[int, int, int] = (0, 0, 0)

    def __enter__(self) -> OtherLoad:
        self._start = (*cpu_times(), own_ticks())
        return self

    def __exit__(self, *exc_info: object) -> None:
        busy_before, total_before, own_before = self._start
        busy_after, total_after = cpu_times()
        elapsed = total_after - total_before
        other = busy_after - busy_before - (own_ticks() - own_before)
        self.share = max(0.0, other / elapsed) if elapsed else 0.0


def add_other_load_figure(report: Report, backend: str, load: OtherLoad) -> None:
    """Report the CPU share that other processes used during a backend's run."""
    name = "CPUs used by other processes during the run"
    report.add(backend, name, load.share * 100, "%", decimals=0)


def add_busy_figure(report: Report, backend: str, max_wait: float) -> None:
    """Measure how busy the machine is right before a backend's run and report it."""
    busy = wait_for_quiet(max_wait)
    name = "CPUs busy before the run (1 s sample)"
    report.add(backend, name, busy * 100, "%", decimals=0)


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the --backend, --write and --verbose options every script takes."""
    parser.add_argument(
        "--backend",
        choices=[*BACKENDS, "all"],
        default="all",
        help="backend to measure (default: all)",
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
        help="before each backend, wait up to this long for the CPUs to be "
        "under 25%% busy (default: 0, do not wait)",
    )


def finish_arguments(arguments: argparse.Namespace) -> argparse.Namespace:
    """Turn --backend into the list `arguments.backends`."""
    backend = arguments.backend
    arguments.backends = list(BACKENDS) if backend == "all" else [backend]
    return arguments
