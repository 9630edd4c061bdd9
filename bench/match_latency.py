"""match(record) latency against a large resolved graph, and the product's own batch resolution time.

    python bench/match_latency.py --demo /tmp/c360-1mrec --data-dir /tmp/c360-match [--probes 500]
        [--backend embedded|neo4j]

Loads every customers file of the demo directory into a fresh store of either backend (timed), resolves
them all with `resolve_all` as `c360 resolve` does (timed: read from the graph, link, write
customers back), then asks match() for probes built from demo records with noise of their own
(a dropped certificate, a changed phone), sequentially, and reports p50/p95/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_records import iter_customer_rows  # noqa: E402
from measure import machine, measured  # noqa: E402
from stores import BACKENDS, bench_store, peak_mb  # noqa: E402

from app.services.matching import Matcher  # noqa: E402

# What a channel knows of a person it asks about: every matching field of a customer record.
PROBE_FIELDS = (
    "name",
    "cert_type",
    "cert_no",
    "phones",
    "email",
    "address",
    "birth_date",
    "gender",
    "local_network",
    "segment",
)
from app.services.resolve import resolve_all  # noqa: E402
from app.store import Store, cypher  # noqa: E402
from loaders.ingest import ingest_file  # noqa: E402
from loaders.manifest import read_manifest  # noqa: E402

COUNT = cypher("admin/count_active_customers")


def probes(directory: Path, count: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    sample = [row for k, row in enumerate(iter_customer_rows(directory)) if k % 997 == 0][:count]
    out = []
    for row in sample:
        probe = {k: row.get(k, "") for k in PROBE_FIELDS}
        if rng.random() < 0.3:
            probe["cert_type"], probe["cert_no"] = "", ""
        elif rng.random() < 0.3:
            probe["phones"] = f"13{rng.randrange(10**9):09d}"
        out.append(probe)
    return out


async def run(directory: Path, data_dir: Path, count: int, skip_load: bool, backend: str) -> dict[str, object]:
    async with bench_store(backend, data_dir) as (store, pid):
        result = await measure(store, directory, count, skip_load)
        result["store_peak_rss_mb"] = peak_mb(pid)
        return {"backend": backend, "server": store.server_agent, **result}


async def measure(store: Store, directory: Path, count: int, skip_load: bool) -> dict[str, object]:
    result: dict[str, object] = {"machine": machine()}
    if not skip_load:
        with measured() as load:
            rows = 0
            for entry in read_manifest(directory):
                if entry.kind == "customers":
                    rows += (
                        await ingest_file(store, entry.source, entry.kind, entry.path, encoding=entry.encoding)
                    ).read
        result["ingest"] = {"records": rows, "seconds": load.seconds, "records_per_s": round(rows / load.seconds)}
        with measured() as resolved:
            report = await resolve_all(store)
        result["resolve_all"] = {
            "seconds": resolved.seconds,
            "peak_rss_mb": resolved.peak_rss_mb,
            "phases_seconds": report.timings,
            "customers": report.customers_written,
        }
    result["active_customers"] = (await store.read(COUNT))[0]["n"]
    matcher = Matcher(store)
    await matcher.refresh()
    timings = []
    found = 0
    for probe in probes(directory, count):
        started = time.perf_counter()
        answer = await matcher.match(probe)
        timings.append((time.perf_counter() - started) * 1000)
        found += bool(answer)
    cuts = statistics.quantiles(timings, n=100)
    result["match"] = {
        "probes": len(timings),
        "with_an_answer": found,
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(timings), 2),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/c360-match"))
    parser.add_argument("--probes", type=int, default=500)
    parser.add_argument("--skip-load", action="store_true", help="The graph is loaded and resolved already.")
    parser.add_argument("--backend", choices=BACKENDS, default="embedded")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.demo, args.data_dir, args.probes, args.skip_load, args.backend)), indent=2))


if __name__ == "__main__":
    main()
