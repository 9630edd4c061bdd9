"""The CLI path against Splink (issue 22): a demo's customers files through real `c360` processes on a
fresh embedded store, one `c360 ingest` per file, one `c360 resolve`, one `c360 export crosswalk`, timed
end to end, beside Splink (DuckDB) clustering the same records on their raw fields in the same run.
Both are scored against the demo's truth.

    python bench/cli_path.py --customers 6500 [--runs 2] [--keep 900]

``--keep 0`` runs the commands as before the store keeper (each command starts the store and stops
it); the default leaves it running between commands, as `c360` now does.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_records import truth as demo_truth  # noqa: E402
from measure import machine  # noqa: E402
from peer_splink import raw_demo_splink  # noqa: E402

from app.resolution.evaluation import score_clusters  # noqa: E402
from loaders.manifest import read_manifest  # noqa: E402


def c360(env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done


def cli_job(demo: Path, keep: str) -> dict[str, object]:
    """The job on a fresh store; the seconds of each command and of the whole."""
    with tempfile.TemporaryDirectory(prefix="c360-cli-", dir="/tmp") as folder:
        data = Path(folder) / "store"
        env = {**os.environ, "C360_DATA_DIR": str(data), "C360_STORE_KEEP_SECONDS": keep}
        steps: list[tuple[str, float]] = []
        files = [e for e in read_manifest(demo) if e.kind == "customers"]
        for entry in files:
            seconds, _ = c360(
                env,
                "ingest",
                str(entry.path),
                "--source",
                entry.source,
                "--kind",
                "customers",
                "--encoding",
                entry.encoding,
                "--no-resolve",
            )
            steps.append((f"ingest {entry.source}", seconds))
        seconds, _ = c360(env, "resolve")
        steps.append(("resolve", seconds))
        crosswalk = Path(folder) / "crosswalk.csv"
        seconds, _ = c360(env, "export", "crosswalk", "--out", str(crosswalk))
        steps.append(("export crosswalk", seconds))
        total = sum(s for _, s in steps)
        stop_seconds, _ = c360(env, "store", "stop")
        with crosswalk.open(encoding="utf-8") as handle:
            clusters = {f"{r['source']}:customers:{r['source_id']}": r["customer_id"] for r in csv.DictReader(handle)}
    return {
        "files": len(files),
        "seconds": round(total, 2),
        "steps": {name: round(s, 2) for name, s in steps},
        "store_stop_seconds": round(stop_seconds, 2),
        "clusters": clusters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=6500, help="Demo people (6,500 give about 15,000 records).")
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--keep", default="900", help="C360_STORE_KEEP_SECONDS for the commands.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c360-cli-demo-", dir="/tmp") as folder:
        demo = Path(folder) / "demo"
        subprocess.run(
            [sys.executable, "-m", "app.cli", "demo-data", "--customers", str(args.customers), "--seed", str(args.seed)]
            + ["--out", str(demo)],
            check=True,
            capture_output=True,
        )
        truth = demo_truth(demo)
        runs = []
        for _ in range(args.runs):
            ours = cli_job(demo, args.keep)
            started = time.perf_counter()
            peer_clusters, peer = raw_demo_splink(demo)
            peer_seconds = time.perf_counter() - started  # files read, clustered
            clusters = ours.pop("clusters")
            assert isinstance(clusters, dict)
            runs.append(
                {
                    "c360_cli": {
                        **ours,
                        **score_clusters({k: clusters.get(k, f"dropped:{k}") for k in truth}, truth).as_dict(),
                    },
                    "splink": {
                        "seconds": round(peer_seconds, 2),
                        "clustering_seconds": round(float(peer["clustered"]), 2),
                        **score_clusters(peer_clusters, truth).as_dict(),
                    },
                    "ratio_c360_to_splink": round(float(ours["seconds"]) / peer_seconds, 2),  # type: ignore[arg-type]
                }
            )
    print(
        json.dumps(
            {"machine": machine(), "records": len(truth), "keep": args.keep, "runs": runs}, indent=2, default=str
        )
    )


if __name__ == "__main__":
    main()
