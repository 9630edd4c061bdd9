"""The embedded store heals itself: the app watches the FalkorDB server it started and starts it again
when it dies (a kill, or FalkorDB's own crash on a long key, docs/operations.md), answering 503 and
STORE_UNAVAILABLE at once meanwhile and the same data afterwards, with no manual restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from app.api.app import create_app
from app.api_keys import ApiKey, KeyRing, hash_key
from app.errors import StoreUnavailable
from app.settings import Settings
from app.store import cypher
from app.store.embedded import EmbeddedStore
from tests.conftest import counted, cypher_of_tests, short_tmpdir

ADMIN = "supervision-admin-key"
PUT = cypher("contract/put_probe")
GET = cypher("contract/get_probe")
SOURCE_RECORD = cypher_of_tests("source_record_of_id.falkordb")
SEARCH = """query($text: String!) { searchCustomers(text: $text) { nodes { id name localNetwork } } }"""
PEOPLE = "source_id,name,phones,local_network,segment\nS1,欧阳守护,13900001111,0591,individual\n"


async def resolved_people(data_dir: Path, tmp_path: Path) -> None:
    """Customers written by a second store attached to the app's server, as a `c360 load` would."""
    from app.services.resolve import resolve_all
    from loaders.ingest import ingest_file

    path = tmp_path / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8")
    async with counted(EmbeddedStore(data_dir, graph_name="c360_sup")) as store:
        assert not store.server.owned
        await ingest_file(store, "crm", "customers", path)
        await resolve_all(store)


@contextlib.asynccontextmanager
async def served_app(data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The real app opening its own embedded store in its lifespan, as `c360 serve` does."""
    keys = KeyRing([ApiKey("sup-admin", "admin", hash_key(ADMIN), exempt_from_rate_limits=True)])
    app = create_app(settings=Settings(data_dir=data_dir, graph_name="c360_sup"), keyring=keys)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers={"Authorization": f"Bearer {ADMIN}"}
        ) as admin:
            yield admin


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    return (await client.post("/graphql", json={"query": query, "variables": variables})).json()


def server_pid(data_dir: Path) -> int:
    return int((data_dir / "falkordb.pid").read_text().strip())


def servers_on(data_dir: Path) -> list[int]:
    """Live servers working in this data directory (redis-server changes into its --dir, and rewrites
    its command line, so the working directory is what names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.readlink(entry / "cwd") == str(data_dir) and (entry / "stat").read_text().split()[2] != "Z":
                    found.append(int(entry.name))
    return found


async def until_healthy(client: httpx.AsyncClient, seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while (health := await client.get("/healthz")).status_code != 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return health


async def test_killed_server_is_restarted_with_its_data_while_requests_fail_fast(tmp_path: Path) -> None:
    data = short_tmpdir("c360v-")
    async with served_app(data) as admin:
        await resolved_people(data, tmp_path)
        before = await gql(admin, SEARCH, text="欧阳守护")
        assert [c["localNetwork"] for c in before["data"]["searchCustomers"]["nodes"]] == ["0591"], before
        first = server_pid(data)

        os.kill(first, signal.SIGKILL)
        while first in servers_on(data):
            await asyncio.sleep(0.01)
        started = time.monotonic()
        health = await admin.get("/healthz")
        answer = await gql(admin, SEARCH, text="欧阳守护")
        assert time.monotonic() - started < 2, "requests must fail fast while the server is down"
        assert health.status_code == 503 and health.json()["status"] == "unavailable", health.json()
        assert answer["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE", answer

        # Many requests at once while it restarts: each fails fast or is served, and one server starts.
        answers = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            burst = await asyncio.gather(*(gql(admin, SEARCH, text="欧阳守护") for _ in range(16)))
            answers += burst
            if all("errors" not in a for a in burst):
                break
        codes = {a["errors"][0]["extensions"]["code"] for a in answers if "errors" in a}
        assert codes <= {"STORE_UNAVAILABLE"}, codes
        assert (await until_healthy(admin)).status_code == 200
        assert await gql(admin, SEARCH, text="欧阳守护") == before
        assert servers_on(data) == [server_pid(data)] and server_pid(data) != first


async def test_a_store_that_crashes_on_a_long_key_comes_back_with_its_data() -> None:
    """FalkorDB 4.16 segfaults in its unique-constraint check on a key longer than 4,096 bytes
    (docs/operations.md); input limits keep such keys out, and if one gets through anyway, the store
    restarts on its own. Whether or not this FalkorDB still crashes, the data is there afterwards."""
    store = counted(EmbeddedStore(short_tmpdir("c360w-"), graph_name="c360_sup", watch_every=0.2))
    await store.start()
    try:
        await store.setup_schema()
        await store.write(PUT, {"rows": [{"id": "kept", "value": 1, "tags": []}]})
        pid = store.server.process.pid  # type: ignore[union-attr]
        with contextlib.suppress(StoreUnavailable):
            await store.write(SOURCE_RECORD, {"id": "x" * 5000})
        deadline = time.monotonic() + 60
        while not (await store.health()).ok:
            assert time.monotonic() < deadline, (await store.health()).detail
            await asyncio.sleep(0.1)
        assert [r["value"] for r in await store.read(GET, {"ids": ["kept"]})] == [1]
        crashed = store.server.restarts == 1
        assert crashed == (store.server.process.pid != pid)  # type: ignore[union-attr]
        assert [r["id"] for r in await store.write(SOURCE_RECORD, {"id": "y" * 100})] == ["y" * 100]
    finally:
        await store.close()
