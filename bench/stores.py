"""The store a benchmark runs on, either backend, each given the machine the way production would.

embedded: the FalkorDB server started in ``data_dir``. neo4j: a Neo4j Community server from
tools/neo4j with its files in ``data_dir/neo4j`` (kept, so ``--skip-load`` reuses a loaded graph),
a 4 GB heap and a page cache large enough for a million-customer graph.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.store import Store  # noqa: E402
from app.store.embedded import EmbeddedStore  # noqa: E402
from app.store.neo4j_backend import Neo4jStore  # noqa: E402
from tools.neo4j.server import Neo4jServer  # noqa: E402

BACKENDS = ("embedded", "neo4j")


@contextlib.asynccontextmanager
async def bench_store(
    backend: str, data_dir: Path, *, pool_size: int = 8, heap: str = "4g", pagecache: str = "4g"
) -> AsyncIterator[tuple[Store, int]]:
    """The started store with its schema, and the process id of its server (for its memory)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if backend == "embedded":
        # A loaded graph of 1M records takes about 40 s to read back at start-up.
        store: Store = EmbeddedStore(data_dir, graph_name="bench", pool_size=pool_size, start_timeout=300)
        await store.start()
        try:
            await store.setup_schema()
            yield store, store.server.process.pid if store.server.process is not None else 0
        finally:
            await store.close()
        return
    with Neo4jServer(home=data_dir / "neo4j", heap=heap, pagecache=pagecache) as server:
        store = Neo4jStore(server.uri, server.user, server.password, pool_size=pool_size, query_timeout_ms=600_000)
        await store.start()
        try:
            await store.setup_schema()
            yield store, server.pid
        finally:
            await store.close()


def peak_mb(pid: int) -> float | None:
    """A running process's high-water mark of resident memory (VmHWM)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None
