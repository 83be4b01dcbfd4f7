"""Tests for the event loop that runs Qt and the engine together."""

import asyncio
import sys
import threading

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_emit_keeps_references():
    # PySide6 6.12.0 lost a reference to True per emit, aborting Python 3.11.
    emitter = _Emitter()
    emitter.fired.connect(lambda value: None)
    before = sys.getrefcount(True)
    for _ in range(1000):
        emitter.fired.emit(True)
    # Other code may take a reference or two meanwhile; losing one per emit
    # would show as a drop of about a thousand.
    assert sys.getrefcount(True) >= before - 10


async def test_calls_from_threads_arrive():
    loop = asyncio.get_running_loop()
    received: list[int] = []
    done = loop.create_future()

    def worker() -> None:
        for number in range(500):
            loop.call_soon_threadsafe(received.append, number)
        loop.call_soon_threadsafe(done.set_result, True)

    threading.Thread(target=worker).start()
    await asyncio.wait_for(done, 5)
    assert received == list(range(500))


async def test_to_thread_runs_off_loop_thread():
    name = await asyncio.to_thread(lambda: threading.current_thread().name)
    assert name.startswith("picpocket-worker")
