"""Shared fixtures: every test of the store runs twice, on a real embedded FalkorDB and on a real
Neo4j Community server, both started for the session (Neo4j by tools/neo4j, unless NEO4J_URI
names a server of your own)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest
from hypothesis import settings as hypothesis_settings

if TYPE_CHECKING:
    import httpx

    from loaders.ingest import IngestSummary

from app import clock
from app.settings import Settings
from app.store import Store, open_store
from app.store.embedded import EmbeddedStore
from app.store.neo4j_backend import Neo4jStore
from app.store.queries import CypherQuery, expand
from tools.neo4j.server import Neo4jServer

# No deadline per example: speed is the benchmarks' to check (bench/), and a loaded machine made examples
# of correct code miss hypothesis's 200 ms.
hypothesis_settings.register_profile("c360", deadline=None)
hypothesis_settings.load_profile("c360")

NEO4J_VARIABLES = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")
StoreT = TypeVar("StoreT", bound=Store)
# The session's store of each backend, whose counts of queries run say which Cypher files ran where.
SESSION_STORES: dict[str, Store] = {}

BACKENDS = ["embedded", "neo4j"]


# Half an hour before a month's end in China: the edge that time-dependent rules get wrong.
FIXED_NOW = datetime(2026, 11, 30, 23, 30, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture
def fixed_clock() -> Iterator[clock.FixedClock]:
    """The one injectable clock, fixed (advance it with ``.advance``); restored afterwards."""
    fixed = clock.FixedClock(FIXED_NOW)
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


def short_tmpdir(prefix: str) -> Path:
    """Unix socket paths must stay under 108 bytes, so store data goes under /tmp, not pytest's deep tmp_path."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture(scope="session")
async def embedded_store() -> AsyncIterator[EmbeddedStore]:
    store = EmbeddedStore(short_tmpdir("c360t-"), graph_name="c360_test", pool_size=8)
    await store.start()
    await store.setup_schema()
    SESSION_STORES[store.backend] = store
    yield store
    await store.close()


@pytest.fixture(scope="session")
def neo4j_environment() -> Iterator[dict[str, str]]:
    """NEO4J_* of a server for this session: the one NEO4J_URI names, or one started here."""
    if os.environ.get("NEO4J_URI"):
        yield {name: os.environ[name] for name in NEO4J_VARIABLES if name in os.environ}
        return
    with Neo4jServer() as server:
        yield server.environment()


@pytest.fixture(scope="session")
async def neo4j_store(neo4j_environment: dict[str, str]) -> AsyncIterator[Store]:
    store = open_store(neo4j_settings(neo4j_environment))
    await store.start()
    await store.setup_schema()
    SESSION_STORES[store.backend] = store
    yield store
    await store.close()


def neo4j_settings(environment: dict[str, str], **overrides: object) -> Settings:
    values = {
        "neo4j_uri": environment["NEO4J_URI"],
        "neo4j_user": environment.get("NEO4J_USER", "neo4j"),
        "neo4j_password": environment.get("NEO4J_PASSWORD", ""),
        "neo4j_database": environment.get("NEO4J_DATABASE", "neo4j"),
    }
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Store:
    """The session's store of one backend; every test that uses it runs on both."""
    fixture = "embedded_store" if request.param == "embedded" else "neo4j_store"
    return request.getfixturevalue(fixture)


@pytest.fixture
async def store(backend: Store) -> AsyncIterator[Store]:
    """Each use runs once per backend, on an empty graph."""
    await backend.clear()
    yield backend


@pytest.fixture
def graph(store: Store) -> Store:
    """The same as ``store``: the older name most domain tests use."""
    return store


def cli_environment(store: Store) -> dict[str, str]:
    """The environment of a `c360` process that attaches to the same store as ``store``."""
    env = {k: v for k, v in os.environ.items() if k not in NEO4J_VARIABLES}
    if isinstance(store, EmbeddedStore):
        return {**env, "C360_DATA_DIR": str(store.server.data_dir), "C360_GRAPH_NAME": store.graph_name}
    return {**env, **cast(Neo4jStore, store).environment()}


def c360(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    """A real `c360` process attached to the same store as ``store`` (either backend)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=cli_environment(store),
        capture_output=True,
        text=True,
        timeout=180,
    )


async def ingest_created(store: Store, source: str, kind: str, path: Path) -> IngestSummary:
    """``ingest_file``, holding that rows new to the graph went through the kind's CREATE statement: a
    CREATE batch that fails falls back to the kind's upsert (as a race with another writer does), which
    would hide a statement broken on one store behind tests that pass."""
    from app.services.source_records import CREATE_NEW, UPSERT
    from loaders.ingest import ingest_file

    before = store.stats.by_query.get(UPSERT[kind].name, 0)
    summary = await ingest_file(store, source, kind, path)
    if kind in CREATE_NEW and summary.created and not summary.changed:
        assert store.stats.by_query.get(UPSERT[kind].name, 0) == before, f"{kind}: new rows fell back to the upsert"
    return summary


def rewrite(path: Path, encoding: str, change: Callable[[dict[str, str]], bool]) -> int:
    """Apply ``change`` to the rows of a source file in place; it says whether it changed the row."""
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    changed = sum(1 for row in rows if change(row))
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return changed


async def load_demo(store: Store, directory: Path, people: int, seed: int) -> Path:
    """Demo source files for ``people`` people, ingested and resolved: a small real graph."""
    from app.services.resolve import resolve_all
    from demo import generate
    from loaders.manifest import ingest_directory

    generate(directory, people, seed=seed)
    await ingest_directory(store, directory)
    await resolve_all(store)
    return directory


def api_client(
    store: Store,
    role: str = "admin",
    name: str = "test",
    employee: str | None = None,
    settings: Settings | None = None,
) -> httpx.AsyncClient:
    """An in-process client of the real ASGI app, authenticated with a key of ``role`` (bound to
    ``employee`` if given), with the app's ``settings`` if given. The key is exempt from rate limits:
    tests of other things send bursts."""
    import httpx

    from app.api.app import create_app
    from app.api_keys import KeyRing

    key = f"test-key-{role}-{name}"
    keyring = KeyRing.holding(key, name, role, employee, exempt_from_rate_limits=True)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(store=store, settings=settings, keyring=keyring)),
        base_url="http://t",
        headers={"Authorization": f"Bearer {key}"},
    )


def record_input(fields: dict[str, Any]) -> dict[str, Any]:
    """A customer record in the source format's names, as the API's CustomerRecordInput: camelCase
    keys, a closed vocabulary's word as its enum member."""
    from app.customer import BY_KEY
    from schema.enums import member_name
    from schema.payloads import camel

    shown: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "phones" and isinstance(value, str):
            value = [phone for phone in value.split(";") if phone.strip()]
        attribute = BY_KEY.get(key)
        enum = attribute is not None and attribute.enum and isinstance(value, str) and value
        shown[camel(key)] = member_name(value) if enum else value
    return shown


# ------------------------------------------------------------------ every Cypher file runs on its backends

DIALECT_OF = {"falkordb": "embedded", "falkordb_unique": "embedded", "neo4j": "neo4j"}


def backends_of(name: str) -> set[str]:
    """Which backends must run a Cypher file: its own for a per-backend file, both for a shared one."""
    last = name.rsplit("/", 1)[-1]
    dialect = last.rsplit(".", 1)[-1] if "." in last else (last if name.startswith("schema/") else "")
    return {DIALECT_OF[dialect]} if dialect in DIALECT_OF else set(BACKENDS)


TEST_CYPHER = Path(__file__).resolve().parent / "cypher"


def cypher_of_tests(name: str) -> CypherQuery:
    """A statement only the tests run (tests/cypher/<name>.cypher), named ``tests/<name>``."""
    path = TEST_CYPHER / f"{name}.cypher"
    return CypherQuery(name=f"tests/{name}", text=expand(path.read_text(encoding="utf-8")))


def cypher_files_run_by_none(ran: dict[str, set[str]]) -> list[str]:
    from app.store.queries import file_names

    names = file_names() | {f"tests/{p.stem}" for p in TEST_CYPHER.glob("*.cypher")}
    return sorted(
        f"{name} on {backend}" for name in names for backend in backends_of(name) if name not in ran.get(backend, set())
    )


def pytest_configure(config: pytest.Config) -> None:
    """`c360` processes the tests start, and stores the tests open themselves, leave the names of the
    queries they ran here when they close their store."""
    os.environ.setdefault("C360_QUERY_COUNTS_DIR", tempfile.mkdtemp(prefix="c360-queries-"))
    # A `c360` process a test starts on a directory of its own stops its store when it exits, as
    # before the store keeper; tests/integration/test_store_keeper.py switches the keeper on.
    os.environ.setdefault("C360_STORE_KEEP_SECONDS", "0")


def counted(store: StoreT) -> StoreT:
    """A store a test builds itself: its queries count towards the check below."""
    store.counts_dir = Path(os.environ["C360_QUERY_COUNTS_DIR"])
    return store


def queries_run() -> dict[str, set[str]]:
    ran: dict[str, set[str]] = {backend: set(store.stats.by_query) for backend, store in SESSION_STORES.items()}
    for path in Path(os.environ["C360_QUERY_COUNTS_DIR"]).glob("*.json"):
        counts = json.loads(path.read_text(encoding="utf-8"))
        ran.setdefault(counts["backend"], set()).update(counts["queries"])
    return ran


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With C360_CYPHER_COVERAGE=1 (`make test` sets it: the whole suite), fail the run when a Cypher
    file was not executed on a backend that must run it."""
    if os.environ.get("C360_CYPHER_COVERAGE") != "1" or exitstatus != 0:
        return
    ran = queries_run()
    missing = cypher_files_run_by_none(ran)
    if missing:
        print("\nCypher files no test ran on a backend that must run them:\n  " + "\n  ".join(missing))
        session.exitstatus = 1
