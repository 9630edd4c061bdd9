"""A first load into an empty graph goes through the store's bulk path (loaders/first_load.py: GRAPH.BULK
on the embedded store, large UNWIND transactions on Neo4j) and must leave the very graph that the
Cypher statements leave: same nodes, same properties, same relationships, same summaries and rejects
files, and the same customers after resolution."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

import loaders.first_load as first_load
from app import clock
from app.errors import HelperProcessEnded, InterruptedLoad, NotBulkable, StoreError
from app.rules import get_rules
from app.services import customer_derivation
from app.services import resolve as resolve_service
from app.services.resolve import resolve_all
from app.services.service_recompute import recompute
from app.services.tier_history import record_levels
from app.store import Store
from app.store.base import EdgeBlock, NodeBlock
from app.store.embedded import EmbeddedStore
from app.store.neo4j_backend import INDEX_NAMES, Neo4jStore
from demo import generate
from demo.operator import CLOCK_START
from loaders.checking_process import CheckingProcessFailed, LoadChecking
from loaders.first_load import FirstLoadGraph
from loaders.formats import SourceFileError
from loaders.ingest import IngestSummary
from loaders.load import demo_if_empty, load_directory
from loaders.manifest import read_manifest
from tests.conftest import NEO4J_VARIABLES, c360, cypher_of_tests, rewrite

ALL_NODES = cypher_of_tests("all_nodes")
ALL_RELATIONSHIPS = cypher_of_tests("all_relationships")
SOURCE_RECORD = cypher_of_tests("source_record_properties")


async def missing_indexes(store: Store) -> set[str]:
    """The schema's lookup indexes Neo4j lacks (a first load drops them and builds them at its end);
    none on the embedded store, which keeps its indexes through a load."""
    if not isinstance(store, Neo4jStore):
        return set()
    return set(store._lookup_indexes()) - {row["name"] for row in await store.read(INDEX_NAMES)}


def _key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _untimed(row: dict[str, Any]) -> dict[str, Any]:
    """A resolution run's summary without how long its steps took and its id without its salt (the
    things two runs differ in)."""
    if row["labels"] == ["ResolutionRun"]:
        summary = orjson.loads(row["properties"]["summary"])
        summary.pop("timings_seconds")
        at = row["properties"]["id"].rsplit("-", 1)[0]
        return {**row, "properties": {**row["properties"], "summary": summary, "id": at}}
    return row


async def graph_of(store: Store) -> tuple[list[bytes], list[bytes]]:
    """Every node and relationship, each as sorted JSON, the lists sorted: comparable whole."""
    nodes = sorted(_key(_untimed(row)) for row in await store.read(ALL_NODES))
    relationships = sorted(_key(row) for row in await store.read(ALL_RELATIONSHIPS))
    return nodes, relationships


def outcome(summaries: list[IngestSummary], directory: Path) -> list[Any]:
    """What a user sees of the files: every summary (but its time, and the ids a load by statements
    lists and one in bulk only counts) and every rejects and warnings file."""
    shown = [{k: v for k, v in asdict(s).items() if k not in ("seconds", "changed_ids")} for s in summaries]
    files = sorted(
        (str(p.relative_to(directory)), p.read_text(encoding="utf-8"))
        for p in directory.rglob("*.csv")
        if p.name.endswith((".rejects.csv", ".warnings.csv"))
    )
    return [shown, files]


@pytest.fixture
def demo_clock() -> Iterator[clock.FixedClock]:
    """The demo's morning, fixed, so two loads stamp the same times."""
    fixed = clock.FixedClock(CLOCK_START)
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


@pytest.fixture
def demo_files(tmp_path: Path) -> Path:
    """A small demo, with an offering first named late and then renamed (the bulk path has sent the
    offering by then), a contact that names only a service number two subscriptions share, and its
    employees files upside down."""
    directory = tmp_path / "demo"
    generate(directory, 400, seed=22)
    seen: dict[str, int] = {}

    def rename(row: dict[str, str]) -> bool:
        if row["offering_code"] != "M58":
            return False
        seen["M58"] = seen.get("M58", 0) + 1
        row["offering_name"] = {1: "", 5: "M58 first name", 40: "M58 renamed"}.get(seen["M58"], "")
        return True

    assert rewrite(directory / "crm" / "subscriptions.csv", "utf-8", rename) > 40
    contacts = directory / "hall" / "contacts.csv"
    numbered = {"done": False}

    def by_number(row: dict[str, str]) -> bool:
        if numbered["done"]:
            return False
        numbered["done"] = True
        row["customer_source_id"], row["service_no"] = "", first_service_no(directory)
        return True

    rewrite(contacts, "utf-8", by_number)
    for employees in directory.glob("*/employees.csv"):
        # Backups listed after the employees they cover: linked once each file is in.
        header, *rows = employees.read_bytes().splitlines(keepends=True)
        employees.write_bytes(header + b"".join(reversed(rows)))
    return directory


def first_service_no(directory: Path) -> str:
    lines = (directory / "crm" / "subscriptions.csv").read_text(encoding="utf-8").splitlines()
    return lines[1].split(",")[3]


async def test_a_first_load_in_bulk_leaves_the_graph_the_statements_leave(
    store: Store, demo_files: Path, demo_clock: clock.FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(first_load, "NODES_PER_CALL", 700)
    monkeypatch.setattr(first_load, "CUSTOMERS_PER_CALL", 111)
    monkeypatch.setattr("app.store.neo4j_backend.BULK_ROWS", 300)
    monkeypatch.setattr("app.services.resolve.WRITE_BATCH", 37)
    monkeypatch.setattr("loaders.node_index.FOLD_AT", 5)  # accounts, record ids and numbers folded into runs
    # The bulk run derives its customers in two other processes, 50 clusters an answer; the statements here.
    asked: list[Path] = []
    read_answer = customer_derivation._read_answer

    def counted(path: Path) -> Any:
        asked.append(path)
        return read_answer(path)

    monkeypatch.setattr(customer_derivation, "_read_answer", counted)
    monkeypatch.setattr(customer_derivation, "_cores", lambda: 2)
    monkeypatch.setattr(customer_derivation, "APART_FROM", 1)
    monkeypatch.setattr(customer_derivation, "RANGE", 50)
    await store.clear()
    before = store.stats.by_query.get("bulk", 0)
    statements = dict(store.stats.by_query)
    summaries, report = await load_directory(store, demo_files, batch_size=7)
    calls = store.stats.by_query.get("bulk", 0) - before
    assert calls > 5
    ran = {name: n - statements.get(name, 0) for name, n in store.stats.by_query.items()}
    # The first resolution went into the bulk load (but contacts found by number, by their statement).
    assert ran.get("resolve/write_customers", 0) == ran.get("resolve/attach_accounts", 0) == 0
    assert ran.get("resolve/customer_records", 0) == 0
    assert ran["resolve/attach_contacts_by_number"] >= 1
    assert report.customers_written > 300
    assert not await missing_indexes(store)
    # The star levels went in with the customers: the recompute after the load leaves them.
    assert report.levels is not None and report.levels.customers == report.customers_written
    recorded = store.stats.by_query.get("tiers/record_levels", 0)
    done = await recompute(store, get_rules(), levels=report.levels)
    assert store.stats.by_query.get("tiers/record_levels", 0) == recorded
    assert done.tiers.customers == done.tiers.changed == report.customers_written
    in_bulk = await graph_of(store), outcome(summaries, demo_files)
    assert (await record_levels(store, get_rules())).changed == 0

    assert len(asked) == -(-report.summary["customers"] // 50) > 5
    monkeypatch.setattr(customer_derivation, "APART_FROM", 10**9)
    await store.clear()
    summaries, _ = await load_directory(store, demo_files, batch_size=7, bulk=False)
    assert len(asked) == -(-report.summary["customers"] // 50)
    assert store.stats.by_query.get("bulk", 0) - before == calls
    assert (await recompute(store, get_rules())).tiers.changed == report.customers_written
    by_statements = await graph_of(store), outcome(summaries, demo_files)
    # A batch run by statements deriving apart finds every customer as the one before derived it here.
    monkeypatch.setattr(customer_derivation, "APART_FROM", 1)
    demo_clock.advance(timedelta(minutes=1))
    again = await resolve_all(store)
    assert len(asked) > -(-report.summary["customers"] // 50)
    assert (again.customers_written, again.customers_unchanged) == (0, report.customers_written)

    nodes, relationships = by_statements[0]
    assert len(nodes) > 5000 and len(relationships) > 5000
    labels = {orjson.loads(n)["labels"][0] for n in nodes}
    assert {"Offering", "Channel", "Employee", "Leave", "CaseEvent", "Customer"} <= labels
    assert {orjson.loads(r)["type"] for r in relationships} >= {
        "ABOUT",
        "BACKED_UP_BY",
        "LEAVE_OF",
        "EVENT_OF",
        "ON_OFFERING",
        "BILLED_TO",
        "POINTS_OF",
        "HANDLED_BY",
        "CLAIMED_BY",
        "RECORD_OF",
        "HAS_ACCOUNT",
        "OWNS",
        "HAD_CONTACT",
        "HAS_OPPORTUNITY",
        "HAS_CASE",
        "MANAGED_BY",
        "MEMBER_OF",
    }
    assert any(b'"role":"B"' in r for r in relationships)
    levels = [orjson.loads(n)["properties"] for n in nodes if b'"TierChange"' in n]
    assert len(levels) == report.customers_written
    assert {level["to_star"] for level in levels} >= {1, 2, 3, 4}, "levels of every kind are compared"
    assert any("points" in level["reason"] for level in levels) or any("notable" in level["reason"] for level in levels)
    assert any(b'"M58 renamed"' in n for n in nodes)
    assert in_bulk[1] == by_statements[1]
    assert in_bulk[0][0] == nodes
    assert in_bulk[0][1] == relationships


async def test_levels_a_first_load_wrote_are_worked_out_again_by_a_recompute_on_a_later_day(
    store: Store, tmp_path: Path, demo_clock: clock.FixedClock
) -> None:
    generate(tmp_path / "demo", 60, seed=5)
    await store.clear()
    _, report = await load_directory(store, tmp_path / "demo")
    assert report.levels is not None and report.levels.as_of == clock.today()
    recorded = store.stats.by_query.get("tiers/record_levels", 0)
    demo_clock.advance(timedelta(days=31))
    done = await recompute(store, get_rules(), levels=report.levels)
    assert store.stats.by_query.get("tiers/record_levels", 0) > recorded
    assert done.tiers.customers == report.customers_written
    days = await store.read(cypher_of_tests("star_days"))
    assert [row["as_of"] for row in days] == [clock.today().isoformat()]


async def test_a_graph_holding_records_is_loaded_by_statements(
    store: Store, demo_files: Path, demo_clock: clock.FixedClock
) -> None:
    await store.clear()
    await load_directory(store, demo_files)
    demo_clock.advance(timedelta(hours=1))
    assert await store.begin_bulk_load() is None
    before = store.stats.by_query.get("bulk", 0)
    summaries, _ = await load_directory(store, demo_files)
    assert store.stats.by_query.get("bulk", 0) == before
    assert sum(s.unchanged for s in summaries) == sum(s.read - s.rejected for s in summaries) > 0


def fail_customer_batch(monkeypatch: pytest.MonkeyPatch, failing: int, error: Exception) -> dict[str, int]:
    """A first resolution in bulk writing batches of 100 customers, each sent at once, until batch
    ``failing`` raises ``error``; the count of batches tried is returned."""
    write = first_load.BulkCustomerWrites.write
    written = {"batches": 0}

    async def fail(self: first_load.BulkCustomerWrites, customers: list[Any], now: str) -> None:
        written["batches"] += 1
        if written["batches"] == failing:
            raise error
        await write(self, customers, now)
        await self.graph.flush()

    monkeypatch.setattr(first_load.BulkCustomerWrites, "write", fail)
    monkeypatch.setattr("app.services.resolve.WRITE_BATCH", 100)
    return written


@pytest.mark.parametrize("met_in", ["ingest", "resolution"])
async def test_a_load_the_bulk_path_cannot_carry_is_loaded_by_statements(
    store: Store,
    demo_files: Path,
    demo_clock: None,
    monkeypatch: pytest.MonkeyPatch,
    met_in: str,
) -> None:
    """Met half-way (some calls sent), in the files or in the first resolution after them: the graph is
    emptied, and the files loaded and resolved the ordinary way."""
    await store.clear()
    await load_directory(store, demo_files, bulk=False)
    expected = await graph_of(store)

    monkeypatch.setattr(first_load, "NODES_PER_CALL", 700)
    refused = NotBulkable("a value the test says cannot go")
    if met_in == "resolution":
        written = fail_customer_batch(monkeypatch, 2, refused)
    else:
        add = FirstLoadGraph.add

        def refuse_points(self: FirstLoadGraph, kind: str, rows: list[Any], now: str, *encoded: Any) -> None:
            if kind == "points":
                raise refused
            add(self, kind, rows, now, *encoded)

        monkeypatch.setattr(FirstLoadGraph, "add", refuse_points)
    await store.clear()
    before = store.stats.by_query.get("bulk", 0)
    await load_directory(store, demo_files)
    assert store.stats.by_query.get("bulk", 0) > before
    assert met_in == "ingest" or written["batches"] == 2
    assert await graph_of(store) == expected


async def test_every_value_type_goes_in_bulk_as_cypher_would_write_it(store: Store) -> None:
    first = await store.begin_bulk_load()
    assert first is not None
    values = {
        "id": "t:customers:1",
        "name": '福州 "Wang" \\ Li\n😀',
        "count": -(2**40),
        "amount": 12.5,
        "flag": False,
        "phones": ["13900000001", "0591-8765432"],
        "numbers": [1, 2],
    }
    await store.create_in_bulk(
        [
            NodeBlock("SourceRecord", list(values), [values], {"version": 1}),
            NodeBlock("SourceRecord", ["id", "name"], [["t:customers:2", None]]),
        ],
        [
            EdgeBlock("SAME_AS", [(first, first + 1)]),
            EdgeBlock("RECORD_OF", [(first + 1, first)], ["why", "at", "rank"], [['{"a": "说明"}', None, 2]]),
        ],
    )
    await store.end_bulk_load()
    row = (await store.read(SOURCE_RECORD, {"id": "t:customers:1"}))[0]["props"]
    assert row == {**values, "version": 1}
    other = (await store.read(SOURCE_RECORD, {"id": "t:customers:2"}))[0]["props"]
    assert other == {"id": "t:customers:2"}
    relationships = [orjson.loads(r) for r in (await graph_of(store))[1]]
    assert sorted((r["type"], r["from_id"], r["to_id"], r["properties"]) for r in relationships) == [
        ("RECORD_OF", "t:customers:2", "t:customers:1", {"why": '{"a": "说明"}', "rank": 2}),
        ("SAME_AS", "t:customers:1", "t:customers:2", {}),
    ]
    await store.clear()
    assert await store.begin_bulk_load() is not None
    if isinstance(store, EmbeddedStore):
        with pytest.raises(NotBulkable, match="NUL"):
            await store.create_in_bulk([NodeBlock("SourceRecord", ["id"], [["a\x00b"]])], [])
    else:
        # Neo4j stores a NUL as its statements would: in bulk too.
        await store.create_in_bulk([NodeBlock("SourceRecord", ["id"], [["a\x00b"]])], [])
        await store.end_bulk_load()
        assert await store.read(SOURCE_RECORD, {"id": "a\x00b"})


async def test_a_call_whose_nodes_cannot_be_encoded_fails_where_its_answer_would(store: Store) -> None:
    """Nodes are encoded before the call ahead of them is answered (FirstLoadGraph.send); a value that
    cannot go in bulk fails the next call, as the store's failure would, so nothing is sent after it
    with the internal ids out of step."""
    if store.bulk_encoder() is None:
        pytest.skip("only a store whose nodes are encoded ahead (Neo4j stores a NUL in bulk too)")
    await store.clear()
    first = await store.begin_bulk_load()
    assert first is not None
    graph = FirstLoadGraph(store, first)
    graph._add(NodeBlock("SourceRecord", ["id"], [["a\x00b"]]))
    await graph.send()
    graph._add(NodeBlock("SourceRecord", ["id"], [["t:customers:after"]]))
    with pytest.raises(NotBulkable, match="NUL"):
        await graph.send()
    await graph.abandon()
    assert await store.read(SOURCE_RECORD, {"id": "t:customers:after"}) == []
    await store.clear()


async def test_an_interrupted_first_load_is_refused_until_the_graph_is_reset(
    store: Store, demo_files: Path, tmp_path: Path
) -> None:
    await store.begin_bulk_load()
    await store.create_in_bulk([NodeBlock("SourceRecord", ["id"], [["crm:customers:X1"]])], [])
    with pytest.raises(InterruptedLoad, match="store reset"):
        await load_directory(store, demo_files)
    copy = tmp_path / "copy"
    shutil.copytree(demo_files, copy)
    refused = c360(store, "load", str(copy))
    assert refused.returncode != 0 and "was interrupted" in refused.stderr + refused.stdout
    assert c360(store, "store", "reset", "--yes").returncode == 0
    loaded = c360(store, "load", str(copy))
    assert loaded.returncode == 0, loaded.stderr
    assert "bulk path" in loaded.stdout


async def test_of_two_first_loads_begun_at_once_on_neo4j_one_goes_on(neo4j_store: Neo4jStore) -> None:
    """Two processes loading the same empty graph: the second is refused before it writes anything
    (on the embedded store the server runs one statement at a time)."""
    await neo4j_store.clear()
    other = Neo4jStore(neo4j_store.uri, neo4j_store.user, neo4j_store.password, neo4j_store.database)
    await other.start()
    try:
        begun = await asyncio.gather(neo4j_store.begin_bulk_load(), other.begin_bulk_load(), return_exceptions=True)
    finally:
        await other.close()
    assert sorted(type(b).__name__ for b in begun) == ["StoreError", "int"], begun
    assert "another first load" in str(next(b for b in begun if isinstance(b, StoreError)))
    await neo4j_store.clear()
    assert not await missing_indexes(neo4j_store)


async def test_a_reset_after_a_killed_first_load_leaves_the_graph_its_indexes(store: Store) -> None:
    """On Neo4j a first load drops its lookup indexes until it ends; a load killed before that leaves a
    graph without them, and the reset the refusal asks for builds them again (from another process)."""
    await store.begin_bulk_load()
    await store.create_in_bulk([NodeBlock("SourceRecord", ["id"], [["crm:customers:X1"]])], [])
    assert bool(await missing_indexes(store)) == isinstance(store, Neo4jStore)
    assert c360(store, "store", "reset", "--yes").returncode == 0
    assert not await missing_indexes(store)
    assert [n["labels"] for n in map(orjson.loads, (await graph_of(store))[0])] == [["SchemaVersion"]]


async def test_a_first_load_that_fails_leaves_the_graph_empty_and_says_why(
    store: Store, demo_files: Path, demo_clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(first_load, "NODES_PER_CALL", 700)
    add = FirstLoadGraph.add

    def break_on_points(self: FirstLoadGraph, kind: str, rows: list[Any], now: str, *encoded: Any) -> None:
        if kind == "points":
            raise OSError("the disk the test says is gone")
        add(self, kind, rows, now, *encoded)

    monkeypatch.setattr(FirstLoadGraph, "add", break_on_points)
    await store.clear()
    before = store.stats.by_query.get("bulk", 0)
    with pytest.raises(OSError, match="disk"):
        await load_directory(store, demo_files)
    assert store.stats.by_query.get("bulk", 0) > before
    nodes = [orjson.loads(n) for n in (await graph_of(store))[0]]
    assert [n["labels"] for n in nodes] == [["SchemaVersion"]]
    assert not await missing_indexes(store)
    await store.refuse_interrupted_bulk_load()


async def test_a_first_load_that_fails_says_why_when_the_graph_cannot_be_emptied_either(
    store: Store, demo_files: Path, demo_clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that failed the load (Neo4j after a critical error) fails the clean-up too: the error the
    user sees is the load's, and the graph is refused until reset, as after any interrupted load."""
    add, clear = FirstLoadGraph.add, store.clear
    broken: list[str] = []

    def break_on_points(self: FirstLoadGraph, kind: str, rows: list[Any], now: str, *encoded: Any) -> None:
        if kind == "points":
            broken.append(kind)
            raise OSError("the disk the test says is gone")
        add(self, kind, rows, now, *encoded)

    async def gone_once_broken(batch: int = 20_000) -> int:
        if broken:
            raise StoreError("the database needs to be restarted")
        return await clear(batch)

    await store.clear()
    monkeypatch.setattr(FirstLoadGraph, "add", break_on_points)
    with monkeypatch.context() as patched:
        patched.setattr(store, "clear", gone_once_broken)
        with pytest.raises(OSError, match="disk"):
            await load_directory(store, demo_files)
    assert broken
    with pytest.raises(InterruptedLoad):
        await store.refuse_interrupted_bulk_load()
    await store.clear()


async def test_a_first_load_whose_resolution_fails_leaves_the_graph_empty(
    store: Store, demo_files: Path, demo_clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Customers of the first batches are in the graph when a later one fails: all of it goes."""
    written = fail_customer_batch(monkeypatch, 3, OSError("the disk the test says is gone"))
    await store.clear()
    with pytest.raises(OSError, match="disk"):
        await load_directory(store, demo_files)
    assert written["batches"] == 3
    nodes = [orjson.loads(n) for n in (await graph_of(store))[0]]
    assert [n["labels"] for n in nodes] == [["SchemaVersion"]]
    await store.refuse_interrupted_bulk_load()


def _killed(start: int, end: int) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _failing(start: int, end: int) -> None:
    raise ValueError(f"a cluster of range {start}-{end} could not be derived")


class _NeedsTwo(Exception):
    """An error that pickles but does not unpickle from its arguments."""

    def __init__(self, what: str, at: int) -> None:
        super().__init__(f"{what} at {at}")


def _failing_oddly(start: int, end: int) -> None:
    raise _NeedsTwo("a cluster could not be derived", start)


@pytest.mark.parametrize(
    ("at_the_third", "raised", "message"),
    [
        (_killed, HelperProcessEnded, "deriving the customers"),
        (_failing, ValueError, "range 100-150 could not"),
        (_failing_oddly, RuntimeError, "_NeedsTwo: a cluster could not be derived at 100"),
    ],
    ids=["killed", "failing", "failing-with-an-error-that-does-not-unpickle"],
)
async def test_a_first_load_whose_deriving_fails_raises_and_leaves_the_graph_empty(
    store: Store,
    demo_files: Path,
    demo_clock: None,
    monkeypatch: pytest.MonkeyPatch,
    at_the_third: Callable[[int, int], None],
    raised: type[Exception],
    message: str,
) -> None:
    """The process deriving customers apart is killed at its third answer, or the range fails to
    derive: the run fails as its own error (a process that ended, or the range's failure) instead of
    waiting, and the customers already written go with the rest."""
    answer = customer_derivation.Deriving.answer

    def third(self: customer_derivation.Deriving, inputs: customer_derivation.RangeInputs) -> Any:
        if inputs.start == 100:
            at_the_third(inputs.start, inputs.start + len(inputs.clusters))
        return answer(self, inputs)

    monkeypatch.setattr(customer_derivation.Deriving, "answer", third)
    monkeypatch.setattr(customer_derivation, "_cores", lambda: 2)
    monkeypatch.setattr(customer_derivation, "APART_FROM", 1)
    monkeypatch.setattr(customer_derivation, "RANGE", 50)
    monkeypatch.setattr("app.services.resolve.WRITE_BATCH", 37)
    await store.clear()
    with pytest.raises(raised, match=message):
        await load_directory(store, demo_files)
    nodes = [orjson.loads(n) for n in (await graph_of(store))[0]]
    assert [n["labels"] for n in nodes] == [["SchemaVersion"]]
    await store.refuse_interrupted_bulk_load()


@pytest.mark.parametrize("gone", ["ended before the run needed them", "never forked"])
async def test_a_run_whose_deriving_processes_are_gone_derives_its_customers_itself(
    store: Store,
    demo_files: Path,
    demo_clock: clock.FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    gone: str,
) -> None:
    """Forked as a run begins, a deriving process may be gone by the time the clusters are known (killed
    while the run read and linked), or the fork may fail: the run derives its customers itself, the same
    ones, rather than failing at its end."""
    monkeypatch.setattr(customer_derivation, "_cores", lambda: 2)
    monkeypatch.setattr(customer_derivation, "APART_FROM", 1)
    monkeypatch.setattr(customer_derivation, "RANGE", 50)
    await store.clear()
    _, report = await load_directory(store, demo_files)
    answers: list[Path] = []
    read_answer = customer_derivation._read_answer
    monkeypatch.setattr(customer_derivation, "_read_answer", lambda path: answers.append(path) or read_answer(path))
    demo_clock.advance(timedelta(minutes=1))
    if gone == "never forked":

        def refused(self: customer_derivation._DerivingProcess, folder: str) -> None:
            raise HelperProcessEnded("no process could be forked to derive the customers: [Errno 11]")

        monkeypatch.setattr(customer_derivation._DerivingProcess, "__init__", refused)
        again = await resolve_all(store)
        assert "derives its customers in its own process" in caplog.text
    else:
        async with customer_derivation.DerivingProcesses() as apart:
            assert len(apart.processes) == 2
            apart.processes[1].process.kill()
            apart.processes[1].process.join()
            again = await resolve_all(store, apart=apart)
            assert not apart.processes
        assert "ended before the run needed it" in caplog.text
    assert (again.customers_written, again.customers_unchanged) == (0, report.customers_written)
    assert answers == []


async def test_the_demo_is_loaded_anew_over_an_interrupted_first_load(store: Store, tmp_path: Path) -> None:
    await store.clear()
    await store.begin_bulk_load()
    await store.create_in_bulk([NodeBlock("SourceRecord", ["id"], [["crm:customers:X1"]])], [])
    directory = await demo_if_empty(store, tmp_path / "demo", 30, 7)
    assert directory is not None and (directory / "manifest.json").exists()
    assert (await graph_of(store))[0] == [n for n in (await graph_of(store))[0] if b"SchemaVersion" in n]


def _checking_processes(parent: int | None = None) -> list[int]:
    """The children of ``parent`` (this process) that check a first load's rows (loaders/checking_process.py)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            command = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if lines.get("PPid", "").strip() == str(parent or os.getpid()) and b"loaders.checking_process" in command:
            found.append(int(status.parent.name))
    return found


@pytest.fixture
def flawed_demo_files(demo_files: Path) -> Path:
    """The small demo with rows the checks refuse or set aside: a bill of an account no file has, a
    bill whose id repeats, a birth date after the fixed clock's day (before the wall clock's), a contact
    handled by an employee no file has, and a line that no encoding reads."""
    bills = {"done": 0}

    def break_bills(row: dict[str, str]) -> bool:
        bills["done"] += 1
        if bills["done"] == 3:
            row["account_source_id"] = "CA_NOWHERE"
            return True
        if bills["done"] == 5:
            row["source_id"] = "CB00000001"
            return True
        return False

    assert rewrite(demo_files / "crm" / "bills.csv", "utf-8", break_bills) == 2
    born = (CLOCK_START + timedelta(days=5)).date().isoformat()
    assert born < date.today().isoformat()
    customers = {"done": False}

    def unborn(row: dict[str, str]) -> bool:
        if customers["done"] or not row["birth_date"]:
            return False
        customers["done"] = True
        row["birth_date"] = born
        return True

    assert rewrite(demo_files / "web" / "customers.csv", "utf-8", unborn) == 1
    handled = {"done": False}

    def by_nobody(row: dict[str, str]) -> bool:
        if handled["done"] or not row["employee_id"] or not row["customer_source_id"]:
            return False
        handled["done"] = True
        row["employee_id"] = "HE_NOBODY"
        return True

    assert rewrite(demo_files / "am_app" / "contacts.csv", "utf-8", by_nobody) == 1
    contacts = demo_files / "hotline" / "contacts.csv"
    lines = contacts.read_bytes().splitlines(keepends=True)
    contacts.write_bytes(b"".join(lines[:4]) + b"\xff\xff broken line\n" + b"".join(lines[4:]))
    return demo_files


async def test_rows_a_first_load_refuses_or_sets_aside_are_the_statements_own(
    store: Store, flawed_demo_files: Path, demo_clock: None
) -> None:
    """Checked in the second process as of this one's (fixed) clock, with the same rejects files,
    summaries and graph as the statements' checks in this process."""
    await store.clear()
    before = store.stats.by_query.get("bulk", 0)
    summaries, report = await load_directory(store, flawed_demo_files, batch_size=7)
    await recompute(store, get_rules(), levels=report.levels)
    assert store.stats.by_query.get("bulk", 0) > before
    assert not _checking_processes()
    in_bulk = await graph_of(store), outcome(summaries, flawed_demo_files)
    await store.clear()
    summaries, _ = await load_directory(store, flawed_demo_files, batch_size=7, bulk=False)
    await recompute(store, get_rules())
    by_statements = await graph_of(store), outcome(summaries, flawed_demo_files)
    assert in_bulk == by_statements

    rejects = {name: text for name, text in in_bulk[1][1] if name.endswith(".rejects.csv")}
    bills = rejects["crm/bills.csv.rejects.csv"]
    assert "CA_NOWHERE" in bills and "does not exist" in bills
    assert "'CB00000001' appears twice in this file" in bills
    assert "is not a plausible birth date" in rejects["web/customers.csv.rejects.csv"]
    assert ",field,employee_id," in rejects["am_app/contacts.csv.rejects.csv"]
    assert "5,,row,(row),bytes do not decode as utf-8" in rejects["hotline/contacts.csv.rejects.csv"]
    shown = {(s["source"], s["kind"]): s for s in in_bulk[1][0]}
    assert shown[("crm", "bills")]["rejected"] == 2
    assert shown[("web", "customers")]["quarantined"] == 1
    assert shown[("hotline", "contacts")]["rejected"] == 1


async def test_files_added_ahead_find_the_records_the_manifests_order_gives_them(
    store: Store, demo_files: Path, demo_clock: None
) -> None:
    """A first load adds employees and customers ahead of the other files (adding_order), but never past
    a file that names them or that they name: with the account-manager app's contacts listed before its
    customers and its employees after them, the contacts are refused and the managers set aside as by
    statements, which load in the manifest's order; the summaries come in that order too."""
    manifest = demo_files / "manifest.json"
    entries = orjson.loads(manifest.read_bytes())

    def at(kind: str) -> int:
        return next(n for n, entry in enumerate(entries) if (entry["source"], entry["kind"]) == ("am_app", kind))

    entries.insert(at("customers"), entries.pop(at("contacts")))
    entries.insert(at("customers") + 1, entries.pop(at("employees")))
    manifest.write_bytes(orjson.dumps(entries))
    await store.clear()
    summaries, report = await load_directory(store, demo_files, batch_size=7)
    assert report.customers_written > 300
    await recompute(store, get_rules(), levels=report.levels)
    in_bulk = await graph_of(store), outcome(summaries, demo_files)
    await store.clear()
    summaries, _ = await load_directory(store, demo_files, batch_size=7, bulk=False)
    await recompute(store, get_rules())
    assert in_bulk == (await graph_of(store), outcome(summaries, demo_files))

    assert [(s.source, s.kind) for s in summaries] == [(e["source"], e["kind"]) for e in entries]
    shown = {(s.source, s.kind): s for s in summaries}
    assert shown[("am_app", "contacts")].rejected > 0
    assert shown[("am_app", "customers")].quarantined > 0
    rejects = (demo_files / "am_app" / "customers.csv.rejects.csv").read_text(encoding="utf-8")
    assert ",field,account_manager_id," in rejects and "does not exist" in rejects


async def test_a_first_load_without_customers_links_none_and_leaves_no_process(
    store: Store, demo_files: Path, demo_clock: None
) -> None:
    """The linking process is forked at the start of every first load; with no customers file it links
    nothing, and the graph is the one the statements make."""
    manifest = demo_files / "manifest.json"
    entries = [entry for entry in orjson.loads(manifest.read_bytes()) if entry["kind"] == "employees"]
    assert entries
    manifest.write_bytes(orjson.dumps(entries))
    await store.clear()
    summaries, report = await load_directory(store, demo_files, batch_size=7)
    assert (report.summary["records"], report.customers_written) == (0, 0)
    assert sum(s.created for s in summaries) > 0
    assert not multiprocessing.active_children()
    in_bulk = await graph_of(store)
    await store.clear()
    await load_directory(store, demo_files, batch_size=7, bulk=False)
    assert in_bulk == await graph_of(store)


async def test_a_link_that_outlasts_the_files_is_waited_for(
    store: Store, demo_files: Path, demo_clock: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A first load links in the process that normalised its records, beside its files, and the link may
    outlast them: the run derives its customers once the link has ended, the same as when it ends first."""
    files_done = tmp_path / "files-done"  # seen by the linking process, forked before the files are read
    link = resolve_service.Linker.resolve

    def outlasting(self: Any, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + 120
        while not files_done.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the run begins meanwhile
        return link(self, *args, **kwargs)

    await store.clear()
    _, first = await load_directory(store, demo_files, batch_size=7)
    expected = await graph_of(store)
    await store.clear()
    monkeypatch.setattr(resolve_service.Linker, "resolve", outlasting)
    _, report = await load_directory(store, demo_files, batch_size=7, on_ingested=lambda _: files_done.touch())
    assert files_done.exists()
    assert (report.summary["records"], report.customers_written) == (first.summary["records"], first.customers_written)
    assert await graph_of(store) == expected


async def test_two_checking_processes_answer_as_one_does(flawed_demo_files: Path, demo_clock: None) -> None:
    """Files taken ahead by a second process, with the ids of files the other one checked: the same
    rows accepted, refused and set aside, batch by batch, and the same rejects files, as one process
    taking every file in the manifest's order."""
    entries = read_manifest(flawed_demo_files)

    async def checked(processes: int) -> tuple[list[Any], dict[str, str], dict[int, int]]:
        answers: list[Any] = []
        async with LoadChecking(entries, 7, processes=processes) as checking:
            for number in range(len(entries)):
                async for answer in checking.checked(number):
                    answers.append(asdict(answer) if isinstance(answer, IngestSummary) else answer[:2])
            placement = checking.placement
        written = {
            str(path.relative_to(flawed_demo_files)): path.read_text(encoding="utf-8")
            for path in sorted(flawed_demo_files.rglob("*.csv.*.csv"))
        }
        return answers, written, placement

    one, one_written, _ = await checked(1)
    two, two_written, placement = await checked(2)
    assert two == one
    assert two_written == one_written and "crm/bills.csv.rejects.csv" in two_written
    assert set(placement.values()) == {0, 1}
    checking = LoadChecking(entries, 7)
    crossed = [
        (number, earlier)
        for number in range(len(entries))
        for earlier in checking.referenced[number]
        if placement[earlier] != placement[number]
    ]
    assert crossed, placement


async def test_source_records_checked_ahead_are_stamped_when_this_process_adds_them(
    store: Store, demo_files: Path, demo_clock: clock.FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Encoded by a checking process, maybe long before (points are checked while the bills are added),
    a batch's source records still carry the time the load adds the batch, as the Cypher path stamps a
    batch when it writes it."""
    add = FirstLoadGraph.add
    later = CLOCK_START + timedelta(hours=1)

    def an_hour_on_at_the_bills(self: FirstLoadGraph, kind: str, rows: list[Any], now: str, *encoded: Any) -> None:
        add(self, kind, rows, now, *encoded)
        if kind == "bills" and demo_clock.now() < later:
            demo_clock.advance(later - demo_clock.now())

    await store.clear()
    monkeypatch.setattr(FirstLoadGraph, "add", an_hour_on_at_the_bills)
    await load_directory(store, demo_files, batch_size=7)
    points = [
        row["properties"]
        for row in await store.read(ALL_NODES)
        if row["labels"] == ["SourceRecord"] and row["properties"].get("kind") == "points"
    ]
    assert len(points) > 7
    assert {(p["loaded_at"], p["changed_at"]) for p in points} == {(clock.instant(later),) * 2}


async def test_a_file_the_checking_process_cannot_read_fails_the_first_load_naming_it(
    store: Store, demo_files: Path, demo_clock: None
) -> None:
    """Read in the second process, a file in another encoding than the manifest's stops the load with
    the reader's own message, the graph is left empty and the process is gone."""
    customers = demo_files / "crm" / "customers.csv"
    customers.write_bytes(customers.read_text(encoding="utf-8").encode("gb18030"))
    await store.clear()
    with pytest.raises(SourceFileError, match=r"crm/customers\.csv: line 2 does not decode as utf-8.*gb18030"):
        await load_directory(store, demo_files)
    assert not _checking_processes()
    nodes = [orjson.loads(n) for n in (await graph_of(store))[0]]
    assert [n["labels"] for n in nodes] == [["SchemaVersion"]]


def test_ctrl_c_during_a_first_load_ends_both_processes_quietly(tmp_path: Path) -> None:
    """Ctrl-C reaches the load and its checking process together (one process group): the load stops,
    ends the checking process, empties the graph and exits 130; no traceback, no process left."""
    demo = tmp_path / "demo"
    generate(demo, 3000, seed=5)
    data = Path(tempfile.mkdtemp(prefix="c360-int-", dir="/tmp"))  # a short path for the store's socket
    env = {k: v for k, v in os.environ.items() if k not in NEO4J_VARIABLES}
    env.update(C360_DATA_DIR=str(data), C360_STORE_KEEP_SECONDS="0")
    try:
        load = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "load", str(demo)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 60
        while not _checking_processes(load.pid) and load.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        checker = _checking_processes(load.pid)
        assert checker, "no checking process was seen while the load ran"
        os.killpg(load.pid, signal.SIGINT)
        output, _ = load.communicate(timeout=60)
        assert load.returncode == 130, output
        assert "Traceback" not in output.decode()
        assert not Path(f"/proc/{checker[0]}").exists()
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "load", str(demo)], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "bulk path" in done.stdout
    finally:
        shutil.rmtree(data, ignore_errors=True)


async def test_a_checking_process_that_dies_fails_the_first_load_as_its_own_error(
    store: Store, demo_files: Path, demo_clock: None
) -> None:
    """Killed mid-load (the kernel's out-of-memory killer, say): the load fails at once naming the
    process, not a file, and the graph is left empty."""
    await store.clear()
    loading = asyncio.create_task(load_directory(store, demo_files, batch_size=7))
    deadline = time.monotonic() + 60
    while not (found := _checking_processes()) and not loading.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert found, "no checking process was seen while the load ran"
    os.kill(found[0], signal.SIGKILL)
    with pytest.raises(CheckingProcessFailed, match=r"the process checking the load's rows ended \(exit code -9\)"):
        await asyncio.wait_for(loading, 60)
    nodes = [orjson.loads(n) for n in (await graph_of(store))[0]]
    assert [n["labels"] for n in nodes] == [["SchemaVersion"]]
