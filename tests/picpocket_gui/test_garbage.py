"""Tests for collecting garbage on the UI thread."""

from __future__ import annotations

import gc
import weakref

from picpocket_gui.garbage import UiThreadCollector


class Node:
    """An object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


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


def test_collector_frees_cycles_before_freezing(qapp):
    collector = UiThreadCollector()
    gc.unfreeze()
    node = Node()
    node.other = node
    alive = weakref.ref(node)
    del node

    collector.start()
    freed = alive() is None
    collector.stop()

    assert freed


def test_collector_keeps_program_freeze(qapp):
    gc.unfreeze()
    gc.freeze()
    frozen_by_program = gc.get_freeze_count()
    collector = UiThreadCollector()

    collector.start()
    collector.stop()

    assert gc.get_freeze_count() >= frozen_by_program
    gc.unfreeze()
