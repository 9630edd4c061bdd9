"""Shared fixtures: every test talks to a real embedded FalkorDB started for the session,
and to Neo4j too when NEO4J_URI names one (otherwise those cases are skipped, saying why)."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from app.settings import Settings
from app.store import Store, cypher, open_store
from app.store.embedded import EmbeddedStore

CLEAR_GRAPH = cypher("admin/clear_graph")
NEO4J_SKIP = "NEO4J_URI is not set: no Neo4j server can be installed on this machine, so the Neo4j contract cases are skipped"


def short_tmpdir(prefix: str) -> Path:
    """Unix socket paths must stay under 108 bytes, so store data goes under /tmp, not pytest's deep tmp_path."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture(scope="session")
async def embedded_store() -> AsyncIterator[EmbeddedStore]:
    store = EmbeddedStore(short_tmpdir("c360t-"), graph_name="c360_test", pool_size=8)
    await store.start()
    await store.setup_schema()
    yield store
    await store.close()


@pytest.fixture(scope="session")
async def neo4j_store() -> AsyncIterator[Store]:
    if not os.environ.get("NEO4J_URI"):
        pytest.skip(NEO4J_SKIP)
    store = open_store(Settings())
    await store.start()
    await store.setup_schema()
    yield store
    await store.close()


@pytest.fixture(params=["embedded", "neo4j"])
def backend(request: pytest.FixtureRequest) -> Store:
    fixture = "embedded_store" if request.param == "embedded" else "neo4j_store"
    return request.getfixturevalue(fixture)


@pytest.fixture
async def store(backend: Store) -> AsyncIterator[Store]:
    """Each use runs once per backend, on an empty graph."""
    await backend.write(CLEAR_GRAPH)
    yield backend


@pytest.fixture
async def graph(embedded_store: EmbeddedStore) -> AsyncIterator[EmbeddedStore]:
    """The embedded store alone, emptied: for tests of domain code rather than the backend contract."""
    await embedded_store.write(CLEAR_GRAPH)
    yield embedded_store


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
    from loaders.demo_data import generate
    from loaders.manifest import ingest_directory

    generate(directory, people, seed=seed)
    await ingest_directory(store, directory)
    await resolve_all(store)
    return directory


def api_client(store: Store, role: str = "admin", name: str = "test") -> "httpx.AsyncClient":
    """An in-process client of the real ASGI app, authenticated with a key of ``role``."""
    import httpx

    from app.access import KeyRing, hash_key
    from app.api.app import create_app

    key = f"test-key-{role}-{name}"
    keyring = KeyRing({hash_key(key): (name, role)})
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(store=store, keyring=keyring)),
                             base_url="http://t", headers={"Authorization": f"Bearer {key}"})
