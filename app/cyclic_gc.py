"""Bulk work with Python's full (oldest-generation) collections paused.

A batch run or a file's ingest makes millions of objects that form no cycles (rows, tuples,
strings); full collections pass over every one still held, and took half the time of reading a
batch run's records back from the store (231,428 records: 13.8 s with them, 6.4 s without).
Reference counting frees the rest as it goes.

Young collections stay off too unless the store's driver leaves reference cycles behind: Neo4j's
session, transaction and result form one per statement and hold the statement's parameters, so a
`c360 load` of the 100,000-person demo without young collections peaked at 5,022 MB instead of
1,534 MB. Young collections cost the embedded store's load about 6 s of 126 and nothing is gained
there, so it keeps them off (docs/benchmarks.md, seventeenth session).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Young collections every 200,000 net new objects: 10,000 cost 7.6 s of the embedded load, this 5.8 s.
YOUNG_THRESHOLD = 200_000
NEVER = 1_000_000_000


@contextmanager
def cyclic_gc_paused(*, keep_young: bool = False) -> Iterator[None]:
    was_enabled = gc.isenabled()
    thresholds = gc.get_threshold()
    if keep_young:
        gc.set_threshold(max(thresholds[0], YOUNG_THRESHOLD), thresholds[1], NEVER)
    else:
        gc.disable()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if was_enabled:
            gc.enable()
