"""Full collections paused for bulk work; young ones kept when the store leaves reference cycles."""

from __future__ import annotations

import gc
import weakref

from app.cyclic_gc import YOUNG_THRESHOLD, cyclic_gc_paused


class Node:
    def __init__(self) -> None:
        self.me = self


def a_dropped_cycle() -> weakref.ref[Node]:
    return weakref.ref(Node())


def grow(count: int) -> list[list[int]]:
    """New containers kept alive: what counts towards a young collection."""
    return [[i] for i in range(count)]


def test_young_collections_free_a_dropped_cycle_while_full_ones_stay_paused() -> None:
    before = gc.get_threshold()
    with cyclic_gc_paused(keep_young=True):
        assert gc.get_threshold()[2] > 10**8
        cycle = a_dropped_cycle()
        held = grow(YOUNG_THRESHOLD * 2)
        assert cycle() is None
    assert gc.get_threshold() == before and gc.isenabled()
    del held


def test_without_young_collections_a_dropped_cycle_stays_until_the_end() -> None:
    with cyclic_gc_paused():
        cycle = a_dropped_cycle()
        held = grow(YOUNG_THRESHOLD * 2)
        assert cycle() is not None
    assert gc.isenabled()
    gc.collect()
    assert cycle() is None
    del held


def test_a_nested_pause_leaves_the_outer_one_as_it_was() -> None:
    before = gc.get_threshold()
    with cyclic_gc_paused(keep_young=True):
        outer = gc.get_threshold()
        with cyclic_gc_paused(keep_young=True):
            pass
        assert gc.get_threshold() == outer != before
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_threshold() == before
