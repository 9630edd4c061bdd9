"""Shards: a stable spread of source records over 64 numbers, so whole-graph reads go page by page."""

from __future__ import annotations

import hashlib

SHARDS = 64
SHARD_NUMBERS = range(1, SHARDS + 1)


def shard_of(rid: str) -> int:
    """Not 0: FalkorDB 4.16 drops the index entries of the value 0 when it loads a graph from a
    snapshot, and shard 0 read through the index came back empty (tested)."""
    return 1 + int.from_bytes(hashlib.blake2b(rid.encode(), digest_size=4).digest(), "big") % SHARDS
