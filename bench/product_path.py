"""Files to a resolved, queryable graph (issue 22's headline): `c360 load` of a freshly generated demo
as a real process on a fresh embedded store, timed, against Splink (DuckDB) clustering the same
customer records on their raw fields in the same run (bench/peer_splink.raw_demo_splink).

    python bench/product_path.py --customers 100000 [--demo /tmp/demo-100k] [--statements] [--neo4j]

``--demo`` keeps the generated files there (generated when absent) instead of in a temporary
directory. ``--neo4j`` also loads the files into a fresh Neo4j Community server (tools/neo4j, its
own heap and page cache; a new server for each load). The peak memory figures are each process's
high-water mark: `c360 load`'s, and its store's (the keeper's FalkorDB server or Neo4j's JVM, read
from /proc before it is stopped).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_records import truth as demo_truth  # noqa: E402
from measure import machine  # noqa: E402
from peer_splink import raw_demo_splink  # noqa: E402

from app.resolution.evaluation import score_clusters  # noqa: E402
from tools.neo4j.server import Neo4jServer  # noqa: E402


def peak_mb(pid: int) -> float:
    """VmHWM of a running process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def exported_clusters(env: dict[str, str], folder: Path, stop_store: bool) -> dict[str, str]:
    """Each customer record's customer, from `c360 export crosswalk` of the loaded store; the embedded
    store stopped after it when ``stop_store``."""
    import csv

    crosswalk = folder / "crosswalk.csv"
    command = [sys.executable, "-m", "app.cli", "export", "crosswalk", "--out", str(crosswalk)]
    subprocess.run(command, env=env, check=True, capture_output=True)
    if stop_store:
        subprocess.run([sys.executable, "-m", "app.cli", "store", "stop"], env=env, check=True, capture_output=True)
    with crosswalk.open(encoding="utf-8") as handle:
        return {f"{r['source']}:customers:{r['source_id']}": r["customer_id"] for r in csv.DictReader(handle)}


def c360_load(demo: Path, bulk: bool = True, neo4j: tuple[str, str] | None = None) -> dict[str, object]:
    """``neo4j``: (heap, page cache) of a fresh Neo4j server to load into, else the embedded store."""
    with tempfile.TemporaryDirectory(prefix="c360-load-", dir="/tmp") as folder, ExitStack() as servers:
        data = Path(folder) / "store"
        env = {**os.environ, "C360_DATA_DIR": str(data), "C360_LOG_LEVEL": "WARNING", "COLUMNS": "200"}
        server = None
        if neo4j is not None:
            server = servers.enter_context(Neo4jServer(Path(folder) / "neo4j", heap=neo4j[0], pagecache=neo4j[1]))
            env.update(server.environment())
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "maxrss_kb=%M", sys.executable, "-m", "app.cli", "load", str(demo)]
            + ([] if bulk else ["--no-bulk"]),
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"c360 load failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        store_mb = peak_mb(server.pid if server else int((data / "falkordb.pid").read_text()))
        clusters = exported_clusters(env, Path(folder), stop_store=server is None)
    found = re.search(r"maxrss_kb=(\d+)", done.stderr)
    return {
        "seconds": round(seconds, 1),
        "load_peak_mb": round(int(found.group(1)) / 1024, 1) if found else None,
        "store_peak_mb": store_mb,
        "output_tail": done.stdout.splitlines()[-40:],
        "clusters": clusters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--demo", type=Path, help="Keep the demo files here (generated when absent).")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="Also time `c360 load --no-bulk` (a first load by statements).",
    )
    parser.add_argument("--neo4j", action="store_true", help="Also load into a fresh Neo4j server (each way).")
    parser.add_argument("--neo4j-heap", default="4g")
    parser.add_argument("--neo4j-pagecache", default="2g")
    args = parser.parse_args()
    neo4j = (args.neo4j_heap, args.neo4j_pagecache)
    with tempfile.TemporaryDirectory(prefix="c360-demo-", dir="/tmp") as folder:
        demo = args.demo or Path(folder) / "demo"
        if not (demo / "manifest.json").exists():
            subprocess.run(
                [sys.executable, "-m", "app.cli", "demo-data", "--customers", str(args.customers)]
                + ["--seed", str(args.seed), "--out", str(demo)],
                check=True,
                capture_output=True,
            )
        truth = demo_truth(demo)
        ours = c360_load(demo)
        by_statements = c360_load(demo, bulk=False) if args.statements else None
        on_neo4j = c360_load(demo, neo4j=neo4j) if args.neo4j else None
        on_neo4j_by_statements = c360_load(demo, bulk=False, neo4j=neo4j) if args.neo4j and args.statements else None
        started = time.perf_counter()
        peer_clusters, peer = raw_demo_splink(demo)
        peer_seconds = time.perf_counter() - started
        clusters = ours.pop("clusters")
        assert isinstance(clusters, dict)
        result = {
            "machine": machine(),
            "customer_records": len(truth),
            "c360_load": {**ours, **score_clusters({k: clusters.get(k, f"lost:{k}") for k in truth}, truth).as_dict()},
            "splink": {
                "seconds": round(peer_seconds, 1),
                "clustering_seconds": round(float(peer["clustered"]), 1),
                **score_clusters(peer_clusters, truth).as_dict(),
            },
            "ratio_load_to_splink": round(float(ours["seconds"]) / peer_seconds, 2),  # type: ignore[arg-type]
        }
        if by_statements is not None:
            same = by_statements.pop("clusters") == clusters
            result["c360_load_by_statements"] = {**by_statements, "same_crosswalk_as_bulk": same}
            result["ratio_statements_to_splink"] = round(float(by_statements["seconds"]) / peer_seconds, 2)  # type: ignore[arg-type]
        for name, run in (("neo4j", on_neo4j), ("neo4j_by_statements", on_neo4j_by_statements)):
            if run is not None:
                same = run.pop("clusters") == clusters
                result[f"c360_load_{name}"] = {**run, "same_crosswalk_as_embedded_bulk": same}
                result[f"ratio_{name}_to_splink"] = round(float(run["seconds"]) / peer_seconds, 2)  # type: ignore[arg-type]
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
