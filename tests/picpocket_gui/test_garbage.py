"""Tests for collecting garbage on the UI thread."""

from __future__ import annotations

import gc

from picpocket_gui.garbage import UiThreadCollector


def test_collector_frozen_between_start_and_stop(qapp):
    # Frozen objects are skipped by every collection, which keeps a full
    # collection on the UI thread short.
    collector = UiThreadCollector()
    gc.unfreeze()
    tracked = len(gc.get_objects())

    collector.start()
    frozen = gc.get_freeze_count()
    collector.stop()

    assert frozen >= tracked // 2
    assert gc.get_freeze_count() == 0
