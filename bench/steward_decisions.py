"""Batch resolution from the graph with stored steward decisions, against the release before them.

Loads a demo directory into a fresh embedded store, resolves it, splits one record off each of
``--splits`` multi-record customers through the steward service (each split stores about three
decisions on a release that keeps them; the release before only moves the records), then times
``resolve_all`` ``--runs`` times. Run it once per source tree with PYTHONPATH naming the tree, one
at a time, alternating (bench/README or docs/benchmarks.md give the commands); it prints JSON.

    python bench/steward_decisions.py --demo var/bench/demo-20000 --splits 350 --runs 2
    python bench/steward_decisions.py --demo /tmp/c360-1mcrm --splits 430 --runs 1 --min-records 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.stores import bench_store


async def main(demo: Path, splits: int, runs: int, min_records: int = 3) -> dict[str, object]:
    from app.services.merges import Merges
    from app.services.resolve import resolve_all
    from app.store import cypher
    from app.store.shards import SHARD_NUMBERS
    from loaders.manifest import ingest_directory

    crosswalk = cypher("export/crosswalk")
    with tempfile.TemporaryDirectory(prefix="c360-bench-", dir="/tmp") as data:
        async with bench_store("embedded", Path(data)) as (store, _):
            await ingest_directory(store, demo)
            first = await resolve_all(store)
            members: dict[str, list[str]] = defaultdict(list)
            for shard in SHARD_NUMBERS:
                for row in await store.read(crosswalk, {"shard": shard}):
                    members[row["customer_id"]].append(f"{row['source']}:customers:{row['source_id']}")
            merges = Merges(store)
            done = 0
            for customer, records in sorted(members.items()):
                if done >= splits:
                    break
                if len(records) >= min_records:
                    await merges.split(customer, [sorted(records)[-1]], decided_by="bench")
                    done += 1
            timings = []
            for _ in range(runs):
                start = time.perf_counter()
                report = await resolve_all(store)
                timings.append(round(time.perf_counter() - start, 2))
            return {
                "records": first.summary["records"],
                "customers_first_run": first.summary["customers"],
                "customers_last_run": report.summary["customers"],
                "splits": done,
                "decisions": report.summary.get("steward_decisions"),
                "resolve_seconds": timings,
                "best_seconds": min(timings),
                "first_run_phases": first.summary.get("timings_seconds"),
                "last_run_phases": report.summary.get("timings_seconds"),
            }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, required=True)
    parser.add_argument("--splits", type=int, default=350)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--min-records",
        type=int,
        default=3,
        help="Split customers of at least this many records (2 for one source's file: its duplicates are pairs).",
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.demo, args.splits, args.runs, args.min_records))))
