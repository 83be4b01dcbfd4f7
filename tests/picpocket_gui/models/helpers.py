"""Test helpers for the models and the grid view: waiting, an API spy, a loader."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from picpocket.database.types import Image
from picpocket_gui.thumbnails.loader import ThumbnailLoader


async def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the loop run until `condition()` is true; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"Condition still false after {timeout} s")
        await asyncio.sleep(0.01)


class ApiSpy:
    """Pass calls to a library, counting get_images() and optionally holding them."""

    def __init__(self, api: Any):
        self._api = api
        self.get_images_calls: list[list[int]] = []
        self.gate: asyncio.Event | None = None
        self.error: Exception | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)

    async def get_images(self, ids: Iterable[int], tags: bool = False) -> list[Image]:
        ids = list(ids)
        self.get_images_calls.append(ids)
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return await self._api.get_images(ids, tags=tags)


class RecordingThumbnailLoader(ThumbnailLoader):
    """The app's thumbnail loader, recording each request it is given."""

    def __init__(self, cache_dir: Path, *, workers: int | None = None):
        super().__init__(cache_dir, workers=workers)
        self.requests: list[tuple[str, int]] = []

    def request(self, image: Image, size: int) -> None:
        self.requests.append((self.key_for(image), size))
        super().request(image, size)
