"""Watching how long an event loop waits, and what else makes it wait.

A gap is the time from one 1 ms sleep to the next wake-up, so a gap of
about 1.1 ms means the loop was free. Beside the loop's own gaps, a watch
records the same sleeper in another process, which shows what the
machine's scheduler alone does at the same moment. It also records the
length of each garbage collection, which stops every thread of this
process.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import picpocket

from tests.benchmarks.results import Report

SLEEP = 0.001
# The engine promises that the event loop is never blocked for more than a
# few milliseconds, read here as at most 5 ms. A busy machine delays any
# sleeping process by as much or more: up to 14 ms on a 2-core virtual
# machine. So the target applies to the loop's longest gap beyond the
# longest gap of a sleeper in another process at the same time.
MAX_STALL_TARGET = 0.005

# A process that sleeps 1 ms in a loop until its input closes, then prints
# the time between wake-ups as JSON.
_SLEEPER = """\
import json, sys, threading, time
gaps = []
closed = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
print("ready", flush=True)
while not closed.is_set():
    before = time.perf_counter()
    time.sleep(0.001)
    gaps.append(time.perf_counter() - before)
print(json.dumps(gaps))
"""

# A process that keeps one CPU busy, at the priority of a reader process.
_CPU_BURNER = "import os; os.nice(10)\nwhile True: pass"


class Gaps:
    """Times between wake-ups of a sleeper, in seconds."""

    def __init__(self) -> None:
        self.gaps: list[float] = []

    @property
    def max_gap(self) -> float:
        """The maximum time between two wake-ups, in seconds."""
        return max(self.gaps, default=0.0)

    def count_over(self, seconds: float) -> int:
        """Return how many gaps were longer than `seconds`."""
        return sum(1 for gap in self.gaps if gap > seconds)

    def percentile(self, share: float) -> float:
        """Return the gap that this share of all gaps (0 to 1) does not exceed."""
        if not self.gaps:
            return 0.0
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class StallMonitor(Gaps):
    """Measure how long the event loop goes without running a ready task.

    `other` contains the gaps of a sleeper in another process over the same
    time, and `collections` the seconds each garbage collection took.
    """

    def __init__(self) -> None:
        super().__init__()
        self.other = Gaps()
        self.collections: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._sleeper: subprocess.Popen[str] | None = None
        self._collection_started = 0.0

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(SLEEP)
            self.gaps.append(time.perf_counter() - before)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._collection_started = time.perf_counter()
        else:
            self.collections.append(time.perf_counter() - self._collection_started)

    @property
    def longest_collection(self) -> float:
        """The maximum duration of a garbage collection during the watch, in seconds."""
        return max(self.collections, default=0.0)

    def add(self, other: StallMonitor) -> None:
        """Add another watch's figures to this one's."""
        self.gaps += other.gaps
        self.other.gaps += other.other.gaps
        self.collections += other.collections

    async def __aenter__(self) -> StallMonitor:
        self._sleeper = subprocess.Popen(
            [sys.executable, "-c", _SLEEPER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._sleeper.stdout is not None
        await asyncio.to_thread(self._sleeper.stdout.readline)
        gc.callbacks.append(self._on_collection)
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._task is not None and self._sleeper is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        gc.callbacks.remove(self._on_collection)
        output, _ = await asyncio.to_thread(self._sleeper.communicate, "")
        self.other.gaps = json.loads(output)


async def watched_import(
    api: picpocket.PicPocket, name: str, folder: Path
) -> tuple[float, StallMonitor]:
    """Add folder as a location and import it under a stall watch; return the
    seconds the import took and the watch."""
    await api.add_location(name, folder, source=True, destination=True, removable=False)
    async with StallMonitor() as monitor:
        started = time.perf_counter()
        await api.import_location(name)
        elapsed = time.perf_counter() - started
    return elapsed, monitor


async def gap_with_cpus_busy(seconds: float) -> Gaps:
    """Watch an idle event loop while other processes keep every CPU busy.

    An import that uses every core makes the machine share them, and the
    gaps this gives with no engine code running are the machine's own.
    """
    burners = [
        subprocess.Popen([sys.executable, "-c", _CPU_BURNER])
        for _ in range(os.cpu_count() or 1)
    ]
    try:
        await asyncio.sleep(0.1)  # for the interpreters to start
        async with StallMonitor() as monitor:
            await asyncio.sleep(seconds)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    return monitor


def freeze_start_up_objects() -> None:
    """Leave the objects alive now out of every later garbage collection.

    The desktop app does the same at start (picpocket_gui.garbage), so
    that a full collection does not walk its modules and classes.
    """
    gc.collect()
    gc.freeze()


async def add_stall_figures(
    report: Report,
    backend: str,
    monitor: StallMonitor,
    seconds: float,
    during: str,
) -> None:
    """Report the event-loop gaps of a watch, beside what the machine and the
    garbage collector did meanwhile."""
    stall = monitor.max_gap
    other = monitor.other
    report.add(backend, f"max event-loop gap during {during}", stall * 1000, "ms")
    report.add(
        backend, "max gap of a sleeper in another process, same time",
        other.max_gap * 1000, "ms",
    )
    excess = stall - other.max_gap
    report.add(
        backend, "max event-loop gap beyond the other process's", excess * 1000, "ms",
        f"<= {MAX_STALL_TARGET * 1000:.0f} ms", excess <= MAX_STALL_TARGET,
    )
    report.add(backend, "gaps over 8 ms", monitor.count_over(0.008), "", decimals=0)
    report.add(backend, "99th percentile gap", monitor.percentile(0.99) * 1000, "ms")
    report.add(
        backend, "99th percentile gap, other process", other.percentile(0.99) * 1000, "ms"
    )
    report.add(
        backend, "longest garbage collection", monitor.longest_collection * 1000, "ms"
    )
    # The same watch as long, with no import, while other processes use every CPU.
    machine = await gap_with_cpus_busy(seconds)
    report.add(
        backend, "max gap, no import, CPUs busy elsewhere", machine.max_gap * 1000, "ms"
    )
