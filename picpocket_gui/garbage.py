"""Collecting Python garbage on the UI thread only.

Python's cyclic garbage collector runs in whichever thread happens to
allocate when a threshold is crossed, often an engine worker thread.
Collecting a cycle that contains a Qt widget there destroys the widget off
the UI thread, which crashes Qt later. So automatic collection is turned
off while the app runs, and a timer on the UI thread collects instead.

Each full collection walks every object the collector tracks. The
modules, classes and Qt wrappers loaded at start made that about 15 ms
of a held UI thread, and up to 40 ms while an import kept the CPUs busy.
They live as long as the app, so they are frozen (gc.freeze) out of the
collector's way when collection moves here.

NOTE: an object alive at that moment is never collected while the
collector runs, even if it becomes garbage later.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

logger = logging.getLogger(__name__)

INTERVAL_MS = 500


class UiThreadCollector(QObject):
    """Turn off automatic garbage collection and collect from a UI-thread timer,
    leaving out the objects alive at start."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._thaw_at_stop = False
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_if_due)

    def start(self) -> None:
        """Stop automatic collection and freeze what is alive; collect on the
        timer instead."""
        self._was_enabled = gc.isenabled()
        gc.disable()
        # Garbage waiting for a collection would be frozen along with the rest.
        gc.collect()
        # A program that froze its own objects keeps them frozen after stop.
        self._thaw_at_stop = gc.get_freeze_count() == 0
        gc.freeze()
        self._timer.start()

    def stop(self) -> None:
        """Unfreeze what start froze, collect once more, and turn automatic
        collection back on if it was on."""
        self._timer.stop()
        if self._thaw_at_stop:
            gc.unfreeze()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def collect_if_due(self) -> None:
        """Collect the oldest generation whose threshold has been crossed."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return
