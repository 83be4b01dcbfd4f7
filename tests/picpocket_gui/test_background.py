"""Tests for running engine coroutines from Qt slots."""

import asyncio

from picpocket_gui import background


async def test_spawn_reports_errors():
    reported = []
    forget = background.on_error(lambda name, error: reported.append((name, str(error))))

    async def fail():
        raise ValueError("bad rating 9")

    task = background.spawn(fail(), name="rate 1 image")
    await asyncio.wait([task])
    await asyncio.sleep(0)
    forget()
    assert ("rate 1 image", "bad rating 9") in reported


async def test_forgotten_handler_not_called():
    reported = []
    forget = background.on_error(lambda name, error: reported.append(name))
    forget()

    async def fail():
        raise ValueError("bad rating 9")

    task = background.spawn(fail(), name="rate 1 image")
    await asyncio.wait([task])
    await asyncio.sleep(0)
    assert reported == []


async def test_spawn_returns_result():
    async def answer():
        return 42

    assert await background.spawn(answer(), name="answer") == 42
