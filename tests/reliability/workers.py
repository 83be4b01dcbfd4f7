"""Library work run in a child process, which the reliability tests kill or race.

Run as `python workers.py ACTION LIBRARY ...`. The worker stops at a chosen
point of its work, writes the marker file, and sleeps there with any
transaction still open, so the state is known when the test sends SIGKILL.
The sleep blocks the event loop on purpose, so nothing else in the worker
moves while it waits, except file copies already handed to threads.
At the end the worker prints one JSON object: its result, or the error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import picpocket
from picpocket.database.base import DbApiBase
from picpocket.errors import PicPocketError

# Seconds a paused worker waits; the test kills it well before then.
KILL_WAIT = 60.0


class Pause:
    """Write the marker file once and then hold the worker still."""

    def __init__(self, marker: Path | None, seconds: float) -> None:
        self.marker = marker
        self.seconds = seconds
        self.done = False

    def signal(self) -> bool:
        """Write the marker file; return False when it was written before."""
        if self.done or self.marker is None:
            return False
        self.done = True
        self.marker.write_text(str(os.getpid()))
        return True

    def __call__(self) -> None:
        if self.signal():
            time.sleep(self.seconds)


def pause_before_commit(count: int, pause: Pause) -> None:
    """Pause inside the `count`-th write transaction, after its statements ran."""
    original = DbApiBase.transaction
    started = 0

    @asynccontextmanager
    async def transaction(self: DbApiBase, commit: bool = True) -> AsyncIterator[Any]:
        nonlocal started
        async with original(self, commit) as cursor:
            if commit:
                started += 1
            number = started
            yield cursor
            if commit and number == count:
                pause()

    DbApiBase.transaction = transaction  # type: ignore[method-assign]


def pause_before_unlink(path: Path, pause: Pause) -> None:
    """Pause when `path` is about to be unlinked: a move has linked its new name."""
    unlink = os.unlink

    def paused_unlink(target: Any, *args: Any, **kwargs: Any) -> None:
        if Path(target) == path:
            pause()
        unlink(target, *args, **kwargs)

    os.unlink = paused_unlink  # type: ignore[assignment]


def progress_pause(at: int | None, pause: Pause) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        if at is not None and done >= at:
            pause()

    return progress


async def run_import(api: Any, options: argparse.Namespace, pause: Pause) -> Any:
    return await api.import_location(
        options.location,
        batch_size=options.batch_size,
        progress=progress_pause(options.pause_at_file, pause),
    )


async def run_task(api: Any, options: argparse.Namespace, pause: Pause) -> Any:
    return await api.run_task(
        options.task, progress=progress_pause(options.pause_at_file, pause)
    )


async def run_move(api: Any, options: argparse.Namespace, pause: Pause) -> Any:
    if options.pause_before_unlink:
        image = await api.get_image(options.image)
        pause_before_unlink(image.full_path, pause)
    await api.move_image(options.image, Path(options.path))
    return options.path


async def run_move_tag(api: Any, options: argparse.Namespace, pause: Pause) -> Any:
    return await api.move_tag(options.current, options.new)


async def run_tag(api: Any, options: argparse.Namespace, pause: Pause) -> Any:
    """Tag every image, one call per image, as a user clicking through them does."""
    ids = await api.get_image_ids(order=("id",))
    for image_id in ids:
        await api.tag_image(image_id, options.tag)
        pause.signal()
    return len(ids)


async def run_read(api: Any, options: argparse.Namespace, pause: Pause) -> Any:
    """Read the library in a loop until the stop file appears; count the reads."""
    reads = 0
    stop = Path(options.stop_file)
    while not stop.exists():
        await api.count_images()
        ids = await api.get_image_ids(order=("-id",), limit=50)
        await api.get_images(ids, tags=True)
        await api.tag_counts()
        reads += 1
        pause.signal()
    return reads


async def run_hold(api: Any, options: argparse.Namespace, pause: Pause) -> Any:
    """Hold the write lock in an edit for a while, then commit the edit."""
    await api.edit_image(options.image, title=options.title)
    return options.title


ACTIONS = {
    "import": run_import,
    "task": run_task,
    "move": run_move,
    "move-tag": run_move_tag,
    "tag": run_tag,
    "read": run_read,
    "hold": run_hold,
}


def parse_arguments(arguments: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=sorted(ACTIONS))
    parser.add_argument("library", type=Path)
    parser.add_argument("--marker", type=Path, help="file written on pausing")
    parser.add_argument("--pause-seconds", type=float, default=KILL_WAIT)
    parser.add_argument("--pause-at-file", type=int, help="pause at this progress")
    parser.add_argument(
        "--pause-before-commit", type=int, help="pause in this write transaction"
    )
    parser.add_argument("--pause-before-unlink", action="store_true")
    parser.add_argument("--location")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--task")
    parser.add_argument("--image", type=int)
    parser.add_argument("--path")
    parser.add_argument("--current")
    parser.add_argument("--new")
    parser.add_argument("--tag")
    parser.add_argument("--title")
    parser.add_argument("--start-file", help="start once this file exists")
    parser.add_argument("--stop-file", help="stop reading once this file exists")
    return parser.parse_args(arguments)


async def main(options: argparse.Namespace) -> dict[str, Any]:
    pause = Pause(options.marker, options.pause_seconds)
    if options.pause_before_commit is not None:
        pause_before_commit(options.pause_before_commit, pause)
    api = await picpocket.load(options.library)
    try:
        if options.start_file is not None:
            # Wait for the other workers, so that their work overlaps.
            while not Path(options.start_file).exists():
                await asyncio.sleep(0.01)
        result = await ACTIONS[options.action](api, options, pause)
    except PicPocketError as error:
        return {"error": type(error).__name__, "message": str(error)}
    finally:
        await api.close()
    return {"result": result}


if __name__ == "__main__":
    outcome = asyncio.run(main(parse_arguments(sys.argv[1:])))
    print(json.dumps(outcome))
