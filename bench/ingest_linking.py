"""Holdings ingested into a populated, resolved graph: the path where a release that links each holding
to its customer in the same write (and quarantines bad fields) pays for it. Loads a demo directory's
customer files, resolves them, then times the ingest of every other file of the manifest, in order.
Run it once per source tree with PYTHONPATH naming the tree, one at a time, alternating.

    python bench/ingest_linking.py --demo /tmp/demo-20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from bench.stores import bench_store


async def main(demo: Path) -> dict[str, object]:
    from app.services.resolve import resolve_all
    from loaders.ingest import ingest_file
    from loaders.manifest import read_manifest

    entries = read_manifest(demo)
    with tempfile.TemporaryDirectory(prefix="c360-bench-", dir="/tmp") as data:
        async with bench_store("embedded", Path(data)) as (store, _):
            for entry in entries:
                if entry.kind in ("customers", "employees"):
                    await ingest_file(store, entry.source, entry.kind, entry.path, encoding=entry.encoding)
            await resolve_all(store)
            rows, by_kind = 0, {}
            started = time.perf_counter()
            for entry in entries:
                if entry.kind in ("customers", "employees"):
                    continue
                began = time.perf_counter()
                summary = await ingest_file(store, entry.source, entry.kind, entry.path, encoding=entry.encoding)
                rows += summary.read
                seconds, count = by_kind.get(entry.kind, (0.0, 0))
                by_kind[entry.kind] = (seconds + time.perf_counter() - began, count + summary.read)
            seconds = time.perf_counter() - started
            return {
                "holding_rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_second": round(rows / seconds),
                "by_kind_rows_per_second": {k: round(n / s) for k, (s, n) in by_kind.items()},
            }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.demo))))
