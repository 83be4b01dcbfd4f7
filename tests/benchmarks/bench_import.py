"""Benchmark import_location on camera-sized JPEGs against a hash-only floor.

The floor is the rate at which one core can read each file and compute
its SHA-256, which every import must do at least. Both figures are taken
on the same files with a warm page cache, the floor right before the
import. Run from the repository root:

    /work/venv/bin/python -m tests.benchmarks.bench_import [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import statistics
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks import harness, results, stalls

logger = logging.getLogger(__name__)

TITLE = "Import"
SECTION = "import"
# Import must reach this share of the one-core hash floor on a 2-core machine.
FLOOR_SHARE_TARGET = 0.60


def hash_floor(files: list[Path]) -> float:
    """Return files per second for reading and SHA-256 hashing on one core."""
    started = time.perf_counter()
    for path in files:
        hashlib.sha256(path.read_bytes()).hexdigest()
    return len(files) / (time.perf_counter() - started)


def linked_copy(folder: Path, target: Path) -> Path:
    """Return a copy of folder made of hard links, so its files are the same
    bytes in the same page cache under other paths."""
    for source in folder.rglob("*"):
        destination = target / source.relative_to(folder)
        if source.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.link(source, destination)
    return target


async def timed_import(
    backend: str, server: harness.PostgresServer | None, folder: Path, expected: int
) -> tuple[float, float]:
    """Import `folder` into a new library, then a linked copy of it.

    Return the seconds each import took. The first import starts the
    reader processes; the second finds them running, as every import after
    the first in a session does.
    """
    with tempfile.TemporaryDirectory() as scratch:
        copy = linked_copy(folder, Path(scratch) / "copy")
        async with harness.new_library(backend, server) as api:
            await api.add_location(
                "bench", folder, source=True, destination=True, removable=False
            )
            await api.add_location(
                "copy", copy, source=True, destination=True, removable=False
            )
            started = time.perf_counter()
            await api.import_location("bench")
            first = time.perf_counter() - started
            started = time.perf_counter()
            await api.import_location("copy")
            second = time.perf_counter() - started
            recorded = await api.count_images()
    check_count(backend, recorded, 2 * expected)
    return first, second


async def watched_import(
    backend: str, server: harness.PostgresServer | None, folder: Path, expected: int
) -> tuple[float, stalls.StallMonitor]:
    """Import `folder` into a new library under a stall watch; return the
    seconds it took and the watch."""
    async with harness.new_library(backend, server) as api:
        elapsed, monitor = await stalls.watched_import(api, "bench", folder)
        recorded = await api.count_images()
    check_count(backend, recorded, expected)
    return elapsed, monitor


def check_count(backend: str, recorded: int, expected: int) -> None:
    if recorded != expected:
        raise RuntimeError(
            f"{backend}: the imports recorded {recorded} images, expected {expected}"
        )


@dataclass
class _Run:
    """The figures of one floor measure and the two imports after it."""

    floor: float  # photos per second
    first: float  # seconds
    second: float  # seconds


async def measure(
    report: results.Report,
    backend: str,
    server: harness.PostgresServer | None,
    folder: Path,
    files: list[Path],
    arguments: argparse.Namespace,
) -> None:
    """Add the floor, import rate, ratio and stall figures of one backend.

    Each repetition measures the floor, then imports into a new library,
    whose reader processes start with its first import. The stalls are
    watched in imports of their own, because the watch's wake-ups every
    millisecond cost a timed import 5 to 9 points of its ratio.
    """
    harness.add_busy_figure(report, backend, arguments.wait_quiet)
    runs = []
    with harness.OtherLoad() as load:
        for _ in range(arguments.repeats):
            floor = hash_floor(files)
            first, second = await timed_import(backend, server, folder, len(files))
            runs.append(_Run(floor, first, second))
    harness.add_other_load_figure(report, backend, load)
    add_rate_figures(report, backend, runs, len(files))
    monitor = stalls.StallMonitor()
    watched = 0.0
    for _ in range(arguments.watched):
        elapsed, watch = await watched_import(backend, server, folder, len(files))
        monitor.add(watch)
        watched += elapsed
    await stalls.add_stall_figures(
        report, backend, monitor, watched, f"{arguments.watched} watched imports"
    )


def add_rate_figures(
    report: results.Report, backend: str, runs: list[_Run], photos: int
) -> None:
    """Report the floor, the import rates and their ratios to the floor."""
    count = len(runs)
    shares = sorted(photos / run.first / run.floor for run in runs)
    seconds = sorted(photos / run.second / run.floor for run in runs)
    share = statistics.median(shares)
    second_share = statistics.median(seconds)
    floor = statistics.median(run.floor for run in runs)
    rate = statistics.median(photos / run.first for run in runs)
    report.add(backend, f"read + SHA-256 floor, 1 core (median of {count})", floor, "photos/s")
    report.add(backend, f"import_location (median of {count})", rate, "photos/s")
    report.add(
        backend, f"import / floor (median of {count})", share * 100, "%",
        f">= {FLOOR_SHARE_TARGET:.0%}", share >= FLOOR_SHARE_TARGET,
    )
    report.add(backend, "import / floor, lowest", shares[0] * 100, "%")
    report.add(backend, "import / floor, highest", shares[-1] * 100, "%")
    report.add(
        backend, f"second import (readers running) / floor (median of {count})",
        second_share * 100, "%",
        f">= {FLOOR_SHARE_TARGET:.0%}", second_share >= FLOOR_SHARE_TARGET,
    )


async def run(
    arguments: argparse.Namespace, server: harness.PostgresServer | None
) -> results.Report:
    """Run the import benchmark on each requested backend."""
    stalls.freeze_start_up_objects()
    folder = harness.camera_photos(arguments.count, arguments.size)
    files = harness.photo_files(folder)
    total = harness.read_all(files)
    report = results.Report(TITLE, results.command_line())
    report.notes.append(
        f"{len(files)} JPEGs of {arguments.size} from make_photos.py, "
        f"{total / len(files) / 1024:.0f} KiB on average. Both the floor and the "
        f"import read the files from a warm page cache."
    )
    for backend in arguments.backends:
        await measure(report, backend, server, folder, files, arguments)
    return report


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_common_arguments(parser)
    parser.add_argument("--count", type=int, default=2000, help="photos to import")
    parser.add_argument("--size", default="1600x1200", help="photo size, WxH pixels")
    parser.add_argument(
        "--repeats", type=int, default=5, help="floor and import runs per backend"
    )
    parser.add_argument(
        "--watched", type=int, default=3, help="imports watched for stalls per backend"
    )
    return harness.finish_arguments(parser.parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and, with --write, update RESULTS.md."""
    arguments = parse_arguments(argv)
    harness.configure_logging(arguments.verbose)
    needs_server = "postgres" in arguments.backends
    with harness.postgres_server() if needs_server else nullcontext() as server:
        report = asyncio.run(run(arguments, server))
        results.publish(report, SECTION, arguments.write, server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
