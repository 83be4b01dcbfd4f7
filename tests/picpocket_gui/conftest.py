"""Fixtures for the desktop app's tests: a qasync loop and a library of real photos.

Every async test here runs on a qasync event loop, so Qt signals, timers
and engine coroutines are served by one loop as in the app.
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import picpocket  # noqa: E402
from picpocket_gui.event_loop import new_event_loop  # noqa: E402
from picpocket_gui.garbage import UiThreadCollector  # noqa: E402


def _qasync_loop() -> qasync.QEventLoop:
    application = QApplication.instance() or QApplication([])
    # Closing a test's last window must not quit the app and stop the loop.
    application.setQuitOnLastWindowClosed(False)
    return new_event_loop(application)


def pytest_asyncio_loop_factories(config, item):
    """Run this folder's async tests and fixtures on a qasync loop."""
    return {"qasync": _qasync_loop}


@pytest.fixture
async def library(tmp_path: Path, photos: Path) -> AsyncIterator[picpocket.api.PicPocket]:
    """Return an SQLite library with every sample photo imported into "photos"."""
    api = await picpocket.initialize(tmp_path / "library")
    await api.add_location("photos", photos, source=True, destination=True)
    await api.import_location("photos")
    yield api
    await api.close()



@pytest.fixture(scope="package", autouse=True)
def _collect_on_ui_thread(qapp):
    """Collect garbage on the UI thread only, as the app does."""
    collector = UiThreadCollector()
    collector.start()
    yield
    collector.stop()


@pytest.fixture(autouse=True)
def _collect_after_test():
    """Free each test's widgets on the UI thread before the next test starts."""
    yield
    gc.collect()
