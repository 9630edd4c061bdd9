"""`c360 resolve --changed` (issue 22, item 2) places only the customer records ingested or changed
since the last run, on both backends, and from the real CLI on files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.errors import BadInput
from app.services.changed_resolution import resolve_since_last_run
from app.services.matching import NoModelError
from app.services.resolve import resolve_all
from app.store import Store
from tests.conftest import NEO4J_VARIABLES, api_client
from tests.integration.test_holdings_on_ingest import ingest
from tests.integration.test_holdings_on_reresolution import person
from tests.integration.test_ingest import CUSTOMER_HEADER, write_csv
from tests.integration.test_steward_api import crosswalk, gql

FIRST = [
    person("c1", "张伟", "35010219850302101", "13800000001"),
    person("c2", "李娜", "35010219900415202", "13800000002"),
    person("c3", "王芳", "35010219780823303", "13800000003"),
]
# Zhang again from another file, and Li moved house.
LATER = [
    person("c4", "张伟", "35010219850302101", "13800000001"),
    {**FIRST[1], "address": "福州市鼓楼区五四路100号"},
]


async def test_only_the_records_changed_since_the_last_run_are_placed(graph: Store, tmp_path: Path) -> None:
    await ingest(graph, tmp_path, "customers", FIRST, "-first")
    await resolve_all(graph)
    ids = await crosswalk(graph)
    await ingest(graph, tmp_path, "customers", LATER, "-later")

    run = await resolve_since_last_run(graph)
    assert sorted(d.record_id for d in run.decisions) == ["crm:customers:c2", "crm:customers:c4"]
    after = await crosswalk(graph)
    assert after["crm:customers:c4"] == ids["crm:customers:c1"]
    assert {k: after[k] for k in ids} == ids
    async with api_client(graph, "admin") as client:
        answer = await gql(client, "query($id: ID!) { customer(id: $id) { address } }", id=ids["crm:customers:c2"])
    assert answer["data"]["customer"]["address"] == "福州市鼓楼区五四路100号"
    assert run.summary["records"] == 2

    await ingest(graph, tmp_path, "customers", FIRST[:1], "-unchanged")  # the same row again: no change
    again = await resolve_since_last_run(graph)
    assert again.decisions == [], "records placed by the last run, or not changed, were placed again"
    assert again.since > run.since


async def test_more_changes_than_the_limit_are_left_to_a_batch_run(graph: Store, tmp_path: Path) -> None:
    await ingest(graph, tmp_path, "customers", FIRST, "-first")
    await resolve_all(graph)
    await ingest(graph, tmp_path, "customers", LATER, "-later")
    with pytest.raises(BadInput, match="2 customer records changed since .* run `c360 resolve`"):
        await resolve_since_last_run(graph, limit=1)
    assert len((await resolve_since_last_run(graph, limit=2)).decisions) == 2, "the refusal placed some"


async def test_before_any_run_it_asks_for_a_batch_run(graph: Store, tmp_path: Path) -> None:
    await ingest(graph, tmp_path, "customers", FIRST, "-first")
    with pytest.raises(NoModelError, match="run `c360 resolve` once"):
        await resolve_since_last_run(graph)


def test_the_cli_places_the_records_of_files_ingested_without_resolution(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in NEO4J_VARIABLES}
    env.update(C360_DATA_DIR=str(tmp_path / "data"), C360_STORE_KEEP_SECONDS="0")

    def c360(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = write_csv(tmp_path / "first.csv", CUSTOMER_HEADER, FIRST)
    later = write_csv(tmp_path / "later.csv", CUSTOMER_HEADER, LATER)
    c360("ingest", str(first), "--source", "crm", "--kind", "customers", "--no-resolve")
    c360("resolve")
    c360("ingest", str(later), "--source", "crm", "--kind", "customers", "--no-resolve")
    summary = json.loads(c360("resolve", "--changed"))
    assert (summary["mode"], summary["records"]) == ("changed", 2)
    assert summary["changed_since"].endswith("+08:00")
    assert json.loads(c360("resolve", "--changed"))["records"] == 0
