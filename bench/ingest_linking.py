"""Holdings ingested into a populated, resolved graph (item 1's second half: 20,000 rows a second into
a populated graph): the path a day's delivery takes once the first load is done, by statements, each
holding linked to its customer in the same write and bad fields quarantined. Loads a demo directory's
customer and employee files, resolves them, then times the ingest of every other file of the manifest,
in order, with the CPU this process and the store's server spent on each kind.

    python bench/ingest_linking.py --demo /work/demo100k [--backend neo4j]

To compare two source trees, run it once per tree with PYTHONPATH naming the tree, one at a time,
alternating.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import cpu_seconds, machine  # noqa: E402
from stores import BACKENDS, bench_store, peak_mb  # noqa: E402


async def main(demo: Path, backend: str) -> dict[str, object]:
    from app.services.resolve import resolve_all
    from loaders.ingest import ingest_file
    from loaders.manifest import read_manifest

    entries = read_manifest(demo)
    with tempfile.TemporaryDirectory(prefix="c360-bench-", dir="/tmp") as data:
        async with bench_store(backend, Path(data)) as (store, server_pid):
            for entry in entries:
                if entry.kind in ("customers", "employees"):
                    await ingest_file(store, entry.source, entry.kind, entry.path, encoding=entry.encoding)
            await resolve_all(store)
            # The graph as a day finds it: the resolution's writes already in the store's snapshot.
            await store.compact()
            rows = 0
            by_kind: dict[str, list[float]] = {}
            started = time.perf_counter()
            # As `c360 load` into a populated graph: the store's own rewrites held, one at the end.
            async with store.compaction_deferred():
                for entry in entries:
                    if entry.kind in ("customers", "employees"):
                        continue
                    began, python, server = time.perf_counter(), time.process_time(), cpu_seconds(server_pid)
                    summary = await ingest_file(store, entry.source, entry.kind, entry.path, encoding=entry.encoding)
                    rows += summary.read
                    kind = by_kind.setdefault(entry.kind, [0.0, 0, 0.0, 0.0])
                    kind[0] += time.perf_counter() - began
                    kind[1] += summary.read
                    kind[2] += time.process_time() - python
                    kind[3] += cpu_seconds(server_pid) - server
                seconds = time.perf_counter() - started
            compacting = time.perf_counter() - started - seconds
            return {
                "machine": machine(),
                "backend": backend,
                "demo": str(demo),
                "holding_rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_second": round(rows / seconds),
                "compaction_after_s": round(compacting, 2),
                "by_kind": {
                    name: {
                        "rows": int(n),
                        "seconds": round(s, 2),
                        "rows_per_second": round(n / s),
                        "python_cpu_s": round(py, 2),
                        "server_cpu_s": round(srv, 2),
                    }
                    for name, (s, n, py, srv) in by_kind.items()
                },
                "server_peak_mb": peak_mb(server_pid),
            }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, required=True)
    parser.add_argument("--backend", choices=BACKENDS, default="embedded")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.demo, args.backend))))
