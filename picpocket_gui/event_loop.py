"""The qasync event loop that serves Qt and the engine on one thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import qasync
from PySide6.QtCore import QCoreApplication


def new_event_loop(application: QCoreApplication) -> qasync.QEventLoop:
    """Return the app's event loop, with a plain thread pool as executor.

    qasync's own default executor runs work on QThreads; the standard pool
    serves `asyncio.to_thread` in the engine without tying threads to Qt.
    """
    loop = qasync.QEventLoop(application)
    loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="picpocket-worker"))
    return loop
