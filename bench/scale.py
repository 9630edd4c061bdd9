"""Issue 22's scale table: `c360 load` of demos of growing size against Splink on the same customer
records, each with its wall time, the peak of all its processes' memory together (store, workers and
checking processes included; proportional set sizes, so pages a fork shares count once) and rows a
second, so the growth from one size to the next is visible.

    python bench/scale.py --demo /work/demo100k --demo /work/demo1m [--backend neo4j]

Each load goes into a fresh store (the embedded one, or a fresh Neo4j server with ``--neo4j-heap`` and
``--neo4j-pagecache``); Splink runs in a process of its own after it, measured the same way.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_records import truth as demo_truth  # noqa: E402
from measure import ProcessesMemory, machine  # noqa: E402
from product_path import exported_clusters  # noqa: E402

from app.resolution.evaluation import score_clusters  # noqa: E402
from tools.neo4j.server import Neo4jServer  # noqa: E402

SPLINK = """
import json, sys, time
sys.path.insert(0, {bench!r})
from peer_splink import raw_demo_splink
started = time.perf_counter()
clusters, info = raw_demo_splink({demo!r})
seconds = time.perf_counter() - started
result = {{"seconds": seconds, "clustering_seconds": float(info["clustered"]), "clusters": clusters}}
json.dump(result, open({out!r}, "w"))
"""


def rows_in(demo: Path) -> int:
    """Data rows of every file the manifest names."""
    total = 0
    for entry in json.loads((demo / "manifest.json").read_text()):
        with (demo / entry["path"]).open(encoding=entry.get("encoding", "utf-8"), newline="") as handle:
            total += sum(1 for _ in csv.reader(handle)) - 1
    return total


def c360_load(demo: Path, backend: str, heap: str, pagecache: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="c360-scale-", dir="/tmp") as folder, ExitStack() as servers:
        data = Path(folder) / "store"
        env = {**os.environ, "C360_DATA_DIR": str(data), "C360_LOG_LEVEL": "WARNING", "COLUMNS": "200"}
        server: Neo4jServer | None = None
        with ProcessesMemory(marker=str(data)) as memory:
            if backend == "neo4j":
                server = servers.enter_context(Neo4jServer(Path(folder) / "neo4j", heap=heap, pagecache=pagecache))
                env.update(server.environment())
            started = time.perf_counter()
            command = [sys.executable, "-m", "app.cli", "load", str(demo)]
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - started
        if done.returncode != 0:
            server_output = server.recent_output() if server is not None else ""
            kept = _keep_logs(Path(folder), done.stdout + "\n" + done.stderr, server_output)
            raise SystemExit(f"c360 load failed (logs kept in {kept}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        clusters = exported_clusters(env, Path(folder), stop_store=backend == "embedded")
    return {
        "seconds": round(seconds, 1),
        "peak_mb_all_processes": memory.peak_mb,
        "peak_mb_by_process": memory.by_process_mb,
        "clusters": clusters,
    }


def _keep_logs(folder: Path, output: str, server_output: str) -> Path:
    """A failed load's own output, the Neo4j server's last lines and the logs folders in the run's folder
    (Neo4j's debug.log, which said "No space left on device"), copied out before the folder is removed."""
    kept = Path(tempfile.mkdtemp(prefix="c360-scale-failed-", dir="/tmp"))
    (kept / "c360-load.txt").write_text(output, encoding="utf-8")
    (kept / "neo4j-output.txt").write_text(server_output, encoding="utf-8")
    for logs in folder.glob("*/logs"):
        shutil.copytree(logs, kept / logs.parent.name, dirs_exist_ok=True)
    return kept


def splink(demo: Path, memory_limit: str = "") -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="c360-splink-", dir="/tmp") as folder:
        out = Path(folder) / "splink.json"
        code = SPLINK.format(bench=str(Path(__file__).resolve().parent), demo=str(demo), out=str(out))
        with ProcessesMemory() as memory:
            env = {**os.environ, "SPLINK_MEMORY_LIMIT": memory_limit}
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
        result = json.loads(out.read_text())
    return {**result, "peak_mb_all_processes": memory.peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, action="append", required=True, help="A demo directory (repeatable).")
    parser.add_argument("--backend", choices=("embedded", "neo4j"), default="embedded")
    parser.add_argument("--neo4j-heap", default="4g")
    parser.add_argument("--neo4j-pagecache", default="2g")
    parser.add_argument("--no-splink", action="store_true", help="Only the loads.")
    parser.add_argument("--splink-memory-limit", default="", help="DuckDB's memory_limit for Splink, e.g. 10GB.")
    args = parser.parse_args()
    table = []
    for demo in args.demo:
        truth = demo_truth(demo)
        rows = rows_in(demo)
        ours = c360_load(demo, args.backend, args.neo4j_heap, args.neo4j_pagecache)
        clusters = ours.pop("clusters")
        assert isinstance(clusters, dict)
        row: dict[str, object] = {
            "demo": str(demo),
            "customer_records": len(truth),
            "rows": rows,
            "backend": args.backend,
            "c360_load": {
                **ours,
                "rows_per_second": round(rows / float(ours["seconds"])),  # type: ignore[arg-type]
                **score_clusters({k: clusters.get(k, f"lost:{k}") for k in truth}, truth).as_dict(),
            },
        }
        if not args.no_splink:
            peer = splink(demo, args.splink_memory_limit)
            peer_clusters = peer.pop("clusters")
            row["splink"] = {
                **{k: round(v, 1) if isinstance(v, float) else v for k, v in peer.items()},
                **score_clusters(peer_clusters, truth).as_dict(),  # type: ignore[arg-type]
            }
            row["ratio_load_to_splink"] = round(float(ours["seconds"]) / float(peer["seconds"]), 2)  # type: ignore[arg-type]
        table.append(row)
        print(json.dumps(row, default=str), flush=True)
    print(json.dumps({"machine": machine(), "runs": len(table)}))


if __name__ == "__main__":
    main()
