"""Running engine coroutines from Qt slots without losing them or their errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

logger = logging.getLogger(__name__)

_running: set[asyncio.Task[Any]] = set()
_error_handlers: list[Callable[[str, BaseException], None]] = []


def spawn(coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
    """Start `coroutine` on the running loop and keep it alive until it ends.

    `name` describes the user's request, as in "tag 3 images": an error
    is logged with it and passed to every handler from `on_error`.
    """
    task = asyncio.get_event_loop().create_task(coroutine, name=name)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def on_error(handler: Callable[[str, BaseException], None]) -> Callable[[], None]:
    """Call `handler(name, error)` when a spawned coroutine fails.

    Return a function that unregisters the handler.
    """
    _error_handlers.append(handler)
    return lambda: _error_handlers.remove(handler) if handler in _error_handlers else None


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    error = task.exception()
    if error is None:
        return
    logger.error("Failed to %s", task.get_name(), exc_info=error)
    for handler in list(_error_handlers):
        handler(task.get_name(), error)
