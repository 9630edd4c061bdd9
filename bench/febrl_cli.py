"""FEBRL4 the way a user loads it: a CSV through `c360 ingest`, `c360 resolve`, `c360 export
crosswalk`, real processes on a fresh embedded store; scored against the truth beside Splink in the
same run. Unlike bench/febrl.py (the linker in-process on pre-cleaned fields) the file carries FEBRL's
raw values, birth dates that are not dates included: the path that used to drop 69 rows.

    python bench/febrl_cli.py
"""

from __future__ import annotations

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

from peer_splink import febrl4_frame, febrl4_splink  # noqa: E402

from app.resolution.evaluation import score_clusters  # noqa: E402

COLUMNS = ["source_id", "name", "cert_type", "cert_no", "birth_date", "address", "local_network", "segment"]


def _date(raw: str) -> str:
    """FEBRL's YYYYMMDD as ISO when it has eight digits; anything else as given (c360 sets it aside)."""
    return f"{raw[:4]}-{raw[4:6]}-{raw[6:8]}" if len(raw) == 8 and raw.isdigit() else raw


def write_file(path: Path) -> dict[str, str]:
    df, _ = febrl4_frame()
    truth = {}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for r in df.itertuples():
            address = f"{r.street_number} {r.address_1} {r.address_2} {r.suburb} {r.postcode}".strip()
            name = f"{r.given_name} {r.surname}".strip()
            writer.writerow(
                [r.unique_id, name, "other", r.soc_sec_id, _date(r.date_of_birth), address, "au", "individual"]
            )
            truth[f"febrl:customers:{r.unique_id}"] = r.unique_id.split("-")[1]
    return truth


def c360(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, check=False
    )


def c360_cli() -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="c360-febrl-", dir="/tmp") as data:
        folder = Path(data)
        truth = write_file(folder / "febrl4.csv")
        env = {**os.environ, "C360_DATA_DIR": str(folder / "store"), "C360_DEMO_CUSTOMERS": "0"}
        started = time.perf_counter()
        ingest = c360(env, "ingest", str(folder / "febrl4.csv"), "--source", "febrl", "--kind", "customers")
        resolve = c360(env, "resolve")
        export = c360(env, "export", "crosswalk", "--out", str(folder / "crosswalk.csv"))
        seconds = time.perf_counter() - started
        for step in (ingest, resolve, export):
            if step.returncode != 0:
                raise SystemExit(f"{step.args}: {step.stdout}\n{step.stderr}")
        with (folder / "crosswalk.csv").open(encoding="utf-8") as handle:
            assignment = {f"{r['source']}:customers:{r['source_id']}": r["customer_id"] for r in csv.DictReader(handle)}
        rejects = folder / "febrl4.csv.rejects.csv"
        rejected_lines = len(rejects.read_text(encoding="utf-8").splitlines()) - 1 if rejects.exists() else 0
        return {
            "records_in_file": len(truth),
            "records_loaded": len(assignment),
            "rejects_file_lines": rejected_lines,
            "ingest_says": (ingest.stdout + ingest.stderr).strip().splitlines()[-3:],
            "seconds_ingest_resolve_export": round(seconds, 1),
            **score_clusters({k: assignment.get(k, f"dropped:{k}") for k in truth}, truth).as_dict(),
        }


if __name__ == "__main__":
    ours = c360_cli()
    started = time.perf_counter()
    peer = febrl4_splink()
    print(
        json.dumps(
            {"c360_cli": ours, "splink": peer, "splink_wall_seconds": round(time.perf_counter() - started, 1)},
            indent=2,
            default=str,
        )
    )
