"""Benchmark searching, counting and tagging in a library of 50,000 images.

The library is built through the public API only: tiny valid JPEGs (1x1
pixel, each with its own EXIF date) are imported, and a quarter of the
images are tagged from a small tag tree with tag_images. Run from the
repository root:

    /work/venv/bin/python -m tests.benchmarks.bench_search [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import picpocket
from tests.benchmarks import harness, results, stalls

logger = logging.getLogger(__name__)

TITLE = "Search and tagging"
SECTION = "search"
QUERY_TARGET = 0.010  # seconds, median of search_images and count_images
TAG_ONE_TARGET = 0.0005  # seconds, median of tag_image on one image
TAG_BATCH_TARGET = 2.0  # seconds, one tag_images call over every image
REPETITIONS = 30
WARMUPS = 3
BATCH_REPETITIONS = 3

SUBJECT_TAGS = (
    "animal/bird/goose",
    "animal/bird/duck",
    "animal/cat",
    "animal/dog",
    "plant/tree",
    "plant/flower",
)
PLACE_TAGS = ("place/park", "place/beach", "place/city")
EVENT_TAG = "event/holiday"
ANY_TAGS = ["animal"]
ALL_TAGS = ["animal/bird", "place/park"]
NO_TAGS = [EVENT_TAG]
ORDER = ("-creation_date",)
PAGE = 200


def tag_plan(image_ids: list[int]) -> dict[str, list[int]]:
    """Assign tags to every fourth image: a subject, half a place, a fifth an event."""
    plan: dict[str, list[int]] = {}
    for position, image_id in enumerate(image_ids[::4]):
        tags = [SUBJECT_TAGS[position % len(SUBJECT_TAGS)]]
        if position % 2 == 0:
            tags.append(PLACE_TAGS[position // 2 % len(PLACE_TAGS)])
        if position % 5 == 0:
            tags.append(EVENT_TAG)
        for tag in tags:
            plan.setdefault(tag, []).append(image_id)
    return plan


def under(plan: dict[str, list[int]], parent: str) -> set[int]:
    """Return the images tagged with `parent` or one of its descendants."""
    return {
        image_id
        for tag, ids in plan.items()
        if tag == parent or tag.startswith(parent + "/")
        for image_id in ids
    }


def expected_count(plan: dict[str, list[int]]) -> int:
    """Return how many images the all_tags/no_tags count must find."""
    matching = set.intersection(*(under(plan, tag) for tag in ALL_TAGS))
    for tag in NO_TAGS:
        matching -= under(plan, tag)
    return len(matching)


def check(condition: bool, message: str) -> None:
    """Raise RuntimeError when a benchmark result is wrong, so figures stay honest."""
    if not condition:
        raise RuntimeError(message)


async def build_library(
    report: results.Report, backend: str, api: picpocket.PicPocket, folder: Path
) -> list[int]:
    """Import the tiny photos, report the time and stalls, and return the image ids."""
    elapsed, monitor = await stalls.watched_import(api, "tiny", folder)
    image_ids = await api.get_image_ids()
    count = len(image_ids)
    report.add(backend, f"import {count:,} tiny JPEGs", elapsed, "s", decimals=2)
    report.add(backend, "import rate", count / elapsed, "photos/s", decimals=0)
    await stalls.add_stall_figures(report, backend, monitor, elapsed, "import")
    return image_ids


async def tag_quarter(
    report: results.Report, backend: str, api: picpocket.PicPocket, image_ids: list[int]
) -> dict[str, list[int]]:
    """Tag a quarter of the images, one tag_images call per tag, and time it."""
    plan = tag_plan(image_ids)
    started = time.perf_counter()
    for tag, ids in plan.items():
        await api.tag_images(ids, tag)
    elapsed = time.perf_counter() - started
    tagged = len(image_ids[::4])
    applied = sum(len(ids) for ids in plan.values())
    report.add(
        backend,
        f"tag {tagged:,} images ({applied:,} tags, {len(plan)} calls)",
        elapsed * 1000, "ms", decimals=0,
    )
    return plan


def add_query(report: results.Report, backend: str, name: str, seconds: float) -> None:
    report.add(
        backend, name, seconds * 1000, "ms",
        f"< {QUERY_TARGET * 1000:.0f} ms", seconds < QUERY_TARGET, decimals=2,
    )


async def time_queries(
    report: results.Report,
    backend: str,
    api: picpocket.PicPocket,
    plan: dict[str, list[int]],
    total: int,
) -> None:
    """Report the medians of the searches and counts, after checking their results."""
    animals = len(under(plan, "animal"))
    queries: list[tuple[str, Callable[[int], Awaitable[Any]], Any]] = [
        (
            "search any_tags=['animal'], 200 newest",
            lambda _: api.search_images(any_tags=ANY_TAGS, order=ORDER, limit=PAGE),
            min(PAGE, animals),
        ),
        (
            "count all_tags (2), no_tags (1)",
            lambda _: api.count_images(all_tags=ALL_TAGS, no_tags=NO_TAGS),
            expected_count(plan),
        ),
        ("count_images(), no filter", lambda _: api.count_images(), total),
        (
            "search no filter, 200 newest",
            lambda _: api.search_images(order=ORDER, limit=PAGE),
            PAGE,
        ),
    ]
    for name, call, expected in queries:
        result = await call(0)
        found = result if isinstance(result, int) else len(result)
        check(
            found == expected,
            f"{backend}: {name} returned {found} images, expected {expected}",
        )
        median = await harness.median_seconds(call, REPETITIONS, WARMUPS)
        add_query(report, backend, name, median)


async def time_tagging(
    report: results.Report, backend: str, api: picpocket.PicPocket, image_ids: list[int]
) -> None:
    """Report the median of tag_image on one image and of tag_images on all."""
    untagged = [image_id for position, image_id in enumerate(image_ids) if position % 4]

    async def tag_one(index: int) -> None:
        await api.tag_image(untagged[index], "bench/single")

    single = await harness.median_seconds(tag_one, REPETITIONS, WARMUPS)
    report.add(
        backend, "tag_image, one image", single * 1000, "ms",
        f"< {TAG_ONE_TARGET * 1000:.1f} ms", single < TAG_ONE_TARGET, decimals=3,
    )
    times = []
    for repetition in range(BATCH_REPETITIONS):
        started = time.perf_counter()
        await api.tag_images(image_ids, f"bench/all/{repetition}")
        times.append(time.perf_counter() - started)
    tagged = await api.count_images(all_tags=[f"bench/all/{BATCH_REPETITIONS - 1}"])
    check(tagged == len(image_ids), f"{backend}: tag_images tagged {tagged} images")
    batch = statistics.median(times)
    report.add(
        backend, f"tag_images, {len(image_ids):,} images (median of {len(times)})",
        batch, "s", f"< {TAG_BATCH_TARGET:.0f} s", batch < TAG_BATCH_TARGET, decimals=3,
    )


async def measure(
    report: results.Report,
    backend: str,
    server: harness.PostgresServer | None,
    folder: Path,
    max_wait: float,
) -> None:
    """Build one backend's library and add all its figures to the report."""
    harness.add_busy_figure(report, backend, max_wait)
    with harness.OtherLoad() as load:
        async with harness.new_library(backend, server) as api:
            image_ids = await build_library(report, backend, api, folder)
            plan = await tag_quarter(report, backend, api, image_ids)
            await time_queries(report, backend, api, plan, len(image_ids))
            await time_tagging(report, backend, api, image_ids)
    harness.add_other_load_figure(report, backend, load)


async def run(
    arguments: argparse.Namespace, server: harness.PostgresServer | None
) -> results.Report:
    """Run the search benchmark on each requested backend."""
    stalls.freeze_start_up_objects()
    folder = harness.tiny_photos(arguments.count)
    report = results.Report(TITLE, results.command_line())
    report.notes.append(
        f"{arguments.count:,} 1x1 JPEGs with distinct EXIF dates, imported through "
        f"import_location; every fourth image tagged. Query figures are medians of "
        f"{REPETITIONS} calls after {WARMUPS} warm-up calls; tag_image tags a "
        f"different untagged image on each call."
    )
    for backend in arguments.backends:
        await measure(report, backend, server, folder, arguments.wait_quiet)
    return report


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_common_arguments(parser)
    parser.add_argument(
        "--count", type=int, default=50_000, help="images in the library"
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
