"""Neo4j is a server of its own, so c360 must live with it being away: down when the API starts,
restarted while the API runs, refusing our credentials. Each case against a real Neo4j started
here (tools/neo4j) that the test stops and starts again on the same port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from app.api.app import create_app
from app.api_keys import KeyRing
from app.errors import StoreStartError, StoreUnavailable
from app.store import cypher, open_store
from app.store.migrations import CURRENT_VERSION, migrate
from app.store.neo4j_backend import Neo4jStore
from tests.conftest import NEO4J_VARIABLES, cypher_of_tests, neo4j_settings
from tests.integration.test_api_basics import free_port
from tools.neo4j.server import Neo4jServer

KEY = "faults-admin-key"
PUT = cypher("contract/put_probe")
GET = cypher("contract/get_probe")
SEARCH = '{ searchCustomers(text: "张三") { edges { node { id } } } }'


@pytest.fixture
def server() -> Iterator[Neo4jServer]:
    """A Neo4j of this test's own, on a fixed port, keeping its files across a restart."""
    home = Path(tempfile.mkdtemp(prefix="c360-n4f-"))
    server = Neo4jServer(home=home, port=free_port(), heap="1g", pagecache="64m")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


@contextlib.asynccontextmanager
async def served_app(server: Neo4jServer, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, opening its own store in its lifespan as `c360 serve` does, for ``server``'s
    port whether or not the server is up yet."""
    environment = {"NEO4J_URI": f"bolt://127.0.0.1:{server.port}", "NEO4J_PASSWORD": server.password}
    settings = neo4j_settings(environment, data_dir=data_dir, neo4j_retry_seconds=1.0, neo4j_connect_timeout=2.0)
    app = create_app(settings=settings, keyring=KeyRing.holding(KEY, "faults", "admin", exempt_from_rate_limits=True))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers={"Authorization": f"Bearer {KEY}"}
        ) as client:
            yield client


async def until_healthy(client: httpx.AsyncClient, seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        health = await client.get("/healthz")
        if health.status_code == 200 or time.monotonic() > deadline:
            return health
        await asyncio.sleep(0.5)


async def assert_unavailable_fast(client: httpx.AsyncClient) -> None:
    started = time.monotonic()
    health = await client.get("/healthz")
    assert time.monotonic() - started < 3, "/healthz must not wait for the driver's retries"
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    assert "not answering" in health.json()["detail"]
    started = time.monotonic()
    answer = (await client.post("/graphql", json={"query": SEARCH})).json()
    assert time.monotonic() - started < 10, "a request must fail fast while Neo4j is away"
    assert answer["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"
    assert "Neo4j at bolt://127.0.0.1:" in answer["errors"][0]["message"]


async def test_down_at_start_up_serves_503_then_recovers(server: Neo4jServer, tmp_path: Path) -> None:
    async with served_app(server, tmp_path) as client:
        await assert_unavailable_fast(client)
        server.start()
        health = await until_healthy(client)
        assert health.status_code == 200 and health.json()["server"] == f"Neo4j/{server.version}"
        answer = (await client.post("/graphql", json={"query": SEARCH})).json()
        assert answer == {"data": {"searchCustomers": {"edges": []}}}


async def test_a_graph_of_an_earlier_release_found_after_start_up_is_refused_until_migrated(
    server: Neo4jServer, tmp_path: Path
) -> None:
    """Neo4j comes back holding data of release 0.1.0 (no schema version): the API, started while it
    was away, answers 503 SCHEMA_VERSION_MISMATCH on /graphql and /healthz until `c360 store migrate`
    has run, then serves without a restart."""
    server.start()
    settings = neo4j_settings({"NEO4J_URI": server.uri, "NEO4J_PASSWORD": server.password})
    async with open_store(settings) as old:
        await old.write(PUT, {"rows": [{"id": "of-0.1.0", "value": 1, "tags": []}]})
        await old.write(cypher_of_tests("drop_schema_version"))
    server.stop()
    async with served_app(server, tmp_path) as client:
        await assert_unavailable_fast(client)
        server.start()
        deadline = time.monotonic() + 60
        while "schema version 0" not in (health := await client.get("/healthz")).json()["detail"]:
            assert time.monotonic() < deadline, health.json()
            await asyncio.sleep(0.5)
        assert health.status_code == 503
        refused = await client.post("/graphql", json={"query": SEARCH})
        assert refused.status_code == 503
        assert refused.json()["errors"][0]["extensions"]["code"] == "SCHEMA_VERSION_MISMATCH"
        async with open_store(settings) as store:
            assert [m.number for m in await migrate(store)] == list(range(1, CURRENT_VERSION + 1))
        assert (await until_healthy(client)).status_code == 200
        assert (await client.post("/graphql", json={"query": SEARCH})).json() == {
            "data": {"searchCustomers": {"edges": []}}
        }


async def test_restarted_while_the_api_runs(server: Neo4jServer, tmp_path: Path) -> None:
    server.start()
    async with served_app(server, tmp_path) as client:
        assert (await until_healthy(client)).status_code == 200
        assert "errors" not in (await client.post("/graphql", json={"query": SEARCH})).json()
        server.stop()
        await assert_unavailable_fast(client)
        server.start()
        assert (await until_healthy(client)).status_code == 200
        assert (await client.post("/graphql", json={"query": SEARCH})).json() == {
            "data": {"searchCustomers": {"edges": []}}
        }


async def test_refused_credentials_are_named(neo4j_environment: dict[str, str]) -> None:
    wrong = neo4j_settings({**neo4j_environment, "NEO4J_PASSWORD": "not-the-password"})
    store = open_store(wrong)
    with pytest.raises(StoreStartError) as info:
        await store.start()
    await store.close()
    assert "refused the credentials of user 'neo4j'" in str(info.value)
    env = {**cli_environment_for(neo4j_environment), "NEO4J_PASSWORD": "not-the-password"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "store", "health"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "refused the credentials of user 'neo4j'" in done.stderr, done.stderr


async def test_store_health_names_the_server_and_its_version(neo4j_environment: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "store", "health"],
        env=cli_environment_for(neo4j_environment),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "backend=neo4j server=Neo4j/5.26." in done.stdout and "ok=True" in done.stdout


async def test_a_server_that_is_down_is_a_clear_error_for_commands() -> None:
    store = Neo4jStore(f"bolt://127.0.0.1:{free_port()}", "neo4j", "whatever-pass", connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        await store.start()
    await store.close()
    assert time.monotonic() - started < 10
    assert "cannot reach Neo4j at bolt://127.0.0.1:" in str(info.value)


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "localhost:7687", "ftp://127.0.0.1:7687"])
def test_a_uri_that_is_not_bolt_is_named(uri: str) -> None:
    with pytest.raises(StoreStartError) as info:
        Neo4jStore(uri, "neo4j", "whatever-pass")
    assert "is not a Neo4j URI: use bolt://" in str(info.value)


async def test_routing_uris_are_accepted_and_reads_see_the_writes_before_them(
    neo4j_environment: dict[str, str],
) -> None:
    """neo4j:// asks the server for a routing table (a single Community server answers one too);
    the bookmark manager carries each write's bookmark to the next session's reads."""
    routed = neo4j_environment["NEO4J_URI"].replace("bolt://", "neo4j://")
    store = open_store(neo4j_settings({**neo4j_environment, "NEO4J_URI": routed}))
    await store.start()
    try:
        await store.write(PUT, {"rows": [{"id": "routed", "value": 1, "tags": []}]})
        assert await store._bookmarks.get_bookmarks()  # type: ignore[attr-defined]
        assert (await store.read(GET, {"ids": ["routed"]}))[0]["value"] == 1
    finally:
        await store.clear()
        await store.close()
    Neo4jStore("neo4j+s://cluster.example.org:7687", "neo4j", "whatever-pass")


def cli_environment_for(environment: dict[str, str]) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in NEO4J_VARIABLES}, **environment}
