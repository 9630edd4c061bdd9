"""Shared fixtures: every test talks to a real embedded FalkorDB started for the session,
and to Neo4j too when NEO4J_URI names one (otherwise those cases are skipped, saying why)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
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
