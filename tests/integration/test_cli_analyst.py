"""`c360 cypher` (read-only, limits, formats) and `c360 export customers`, as real processes
attached to the test store."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.services.resolve import resolve_all
from app.store import Store, cypher
from demo import generate
from loaders.manifest import ingest_directory
from tests.conftest import c360


@pytest.fixture
async def demo_graph(graph: Store, tmp_path: Path) -> Store:
    generate(tmp_path / "demo", 60, seed=9)
    await ingest_directory(graph, tmp_path / "demo")
    await resolve_all(graph)
    return graph


async def test_a_writing_query_is_refused(demo_graph: Store, tmp_path: Path) -> None:
    query = tmp_path / "evil.cypher"
    query.write_text("MATCH (c:Customer) SET c.name = 'x' RETURN count(c) AS n\n", encoding="utf-8")
    done = c360(demo_graph, "cypher", str(query))
    assert done.returncode != 0
    assert "refused" in done.stderr + done.stdout
    untouched = c360(demo_graph, "cypher", "--name", "admin/count_active_customers", "--format", "json")
    assert json.loads(untouched.stdout)[0]["n"] > 0


async def test_formats_params_and_row_limit(demo_graph: Store, tmp_path: Path) -> None:
    query = tmp_path / "names.cypher"
    query.write_text("MATCH (c:Customer) WHERE c.status = $status RETURN c.id AS id ORDER BY id\n", encoding="utf-8")
    everything = c360(
        demo_graph, "cypher", str(query), "--param", "status=active", "--format", "json", "--limit", "100000"
    )
    ids = [row["id"] for row in json.loads(everything.stdout)]
    assert len(ids) > 20 and ids == sorted(ids)
    limited = c360(demo_graph, "cypher", str(query), "--param", "status=active", "--format", "csv", "--limit", "5")
    assert limited.stdout.splitlines()[0] == "id" and len(limited.stdout.splitlines()) == 6
    assert "raise --limit" in limited.stderr
    bad = c360(demo_graph, "cypher", str(query), "--param", "oops")
    assert bad.returncode != 0 and "name=value" in bad.stderr + bad.stdout


async def test_export_customers_csv_and_parquet(demo_graph: Store, tmp_path: Path) -> None:
    count = json.loads(c360(demo_graph, "cypher", "--name", "admin/count_active_customers", "--format", "json").stdout)[
        0
    ]["n"]
    out = tmp_path / "customers.csv"
    done = c360(demo_graph, "export", "customers", "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == count
    assert {"segment", "star_level", "average_monthly_spend"} <= set(rows[0])
    assert "cert_no" not in rows[0] and "phones" not in rows[0]
    parquet = tmp_path / "customers.parquet"
    assert c360(demo_graph, "export", "customers", "--format", "parquet", "--out", str(parquet)).returncode == 0
    import pyarrow.parquet as pq

    table = pq.read_table(parquet)
    assert table.num_rows == count
    assert sorted(table.column("id").to_pylist()) == sorted(r["id"] for r in rows)


def test_demo_data_command_is_deterministic(tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "app.cli",
                "demo-data",
                "--customers",
                "300",
                "--seed",
                "4",
                "--out",
                str(tmp_path / name),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "customer records" in done.stdout
        outputs.append({p.relative_to(tmp_path / name): p.read_bytes() for p in (tmp_path / name).rglob("*.csv")})
    assert outputs[0] == outputs[1] and len(outputs[0]) > 10


async def test_store_stats_counts_each_label(demo_graph: Store) -> None:
    done = c360(demo_graph, "store", "stats")
    assert done.returncode == 0, done.stderr
    counts = {line.split()[0]: int(line.split()[1]) for line in done.stdout.splitlines() if line.strip()}
    customers = await demo_graph.read(cypher("admin/count_active_customers"))
    assert counts["Customer"] >= customers[0]["n"] > 0 and counts["SourceRecord"] > counts["Customer"] // 2


async def test_make_run_loads_the_demo_into_an_empty_graph_once(store: Store, tmp_path: Path) -> None:
    """What `c360 run` does on either backend: demo people into an empty graph, nothing into one
    that holds records (a restarted `make run` keeps the graph it had)."""
    from app import clock
    from app.cli import load_demo_if_empty
    from app.settings import Settings
    from demo.operator import CLOCK_START

    settings = Settings(data_dir=tmp_path, demo_customers=30, demo_seed=5)
    # `c360 run` starts this process's clock at the demo's reference morning; the test gives it back.
    previous = clock.set_clock(clock.SystemClock())
    try:
        await load_demo_if_empty(store, settings)
        assert clock.today() == CLOCK_START.date()
        loaded = (await store.read(cypher("admin/count_source_records")))[0]["n"]
        assert loaded > 30 and (await store.read(cypher("admin/count_active_customers")))[0]["n"] > 0
        await load_demo_if_empty(store, Settings(data_dir=tmp_path / "again", demo_customers=30, demo_seed=6))
        assert (await store.read(cypher("admin/count_source_records")))[0]["n"] == loaded
        assert not (tmp_path / "again" / "demo").exists()
    finally:
        clock.set_clock(previous)
