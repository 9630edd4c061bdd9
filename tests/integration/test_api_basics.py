"""The ASGI app's health and GraphQL endpoints, in-process and as the real `c360 run` server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from app.api.app import create_app
from app.store import Store
from app.store.embedded import EmbeddedStore
from tests.conftest import api_client, short_tmpdir


def client_for(store: Store) -> httpx.AsyncClient:
    return api_client(store)


async def test_graphql_needs_a_known_key(store: Store) -> None:
    app = create_app(store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        missing = await client.post("/graphql", json={"query": "{ __typename }"})
        assert missing.status_code == 401
        assert missing.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        wrong = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401 and "unknown API key" in wrong.json()["errors"][0]["message"]
        ide = await client.get("/graphql", headers={"Accept": "text/html"})
        assert ide.status_code == 200 and "graphiql" in ide.text.lower()


async def test_healthz_and_typename(store: Store) -> None:
    async with client_for(store) as client:
        health = await client.get("/healthz")
        assert health.status_code == 200 and health.json()["backend"] == store.backend
        product = {"embedded": "FalkorDB/", "neo4j": "Neo4j/"}[store.backend]
        assert health.json()["server"].startswith(product) and health.json()["server"][len(product)].isdigit()
        answer = await client.post("/graphql", json={"query": "{ __typename store { backend ok } }"})
        assert answer.json() == {"data": {"__typename": "Query", "store": {"backend": store.backend, "ok": True}}}


async def test_dead_store_turns_healthz_503_and_queries_fail_clearly() -> None:
    store = EmbeddedStore(short_tmpdir("c360h-"), socket_timeout=2)
    await store.start()
    try:
        async with client_for(store) as client:
            store.server.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
            store.server.process.wait()  # type: ignore[union-attr]
            health = await client.get("/healthz")
            assert health.status_code == 503 and health.json()["status"] == "unavailable"
            started = time.monotonic()
            answer = await client.post("/graphql", json={"query": "{ store { ok } }"})
            assert time.monotonic() - started < 5
            assert answer.json()["data"]["store"]["ok"] is False
    finally:
        await store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_c360_run_serves_and_stops_store_on_ctrl_c() -> None:
    data = short_tmpdir("c360r-")
    port = free_port()
    env = {**os.environ, "C360_DATA_DIR": str(data), "C360_DEMO_CUSTOMERS": "0"}
    env.pop("NEO4J_URI", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("c360 run did not answer /healthz within 120 s")
        key = (data / "local-admin.key").read_text().strip()
        answer = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert answer.json() == {"data": {"__typename": "Query"}}
        assert httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}).status_code == 401
        pid = int((data / "falkordb.pid").read_text())
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=30)[0]
        assert proc.returncode == 0, output
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert "embedded store stopped" in output
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_start_up_moves_its_objects_out_of_the_collectors_reach(embedded_store: EmbeddedStore) -> None:
    import gc

    app = create_app(store=embedded_store)
    gc.unfreeze()
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
