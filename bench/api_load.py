"""API throughput and latency over loopback with wrk, against a real `c360 serve` on the demo graph.

    python bench/api_load.py --data-dir /tmp/c360-api --customers 20000 [--duration 10]

The server (uvicorn, one worker, with its embedded store) is pinned to core 0 and wrk to core 1.
Measured in the same run: the `{ __typename }` ceiling, the full customer view, a customer with
hundreds of contacts, the same with strawberry's parser/validation caches off, and the raw store
time of the view's Cypher (the data's floor).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import machine  # noqa: E402

from app.access import add_key  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
VIEW = ("query($id: ID!) { customer(id: $id) { id version name certificateNumber phones email address segment "
        "localNetwork tier { starLevel vipCard entitlements } accountManagers { role employee { id name } } "
        "accounts { id accountType subscriptions { serviceNumber productType } } "
        "offerings { code isBundle subscriptions { serviceNumber } } "
        "contacts(first: 20) { totalCount edges { node { id channel kind at } } } "
        "memberOf { customerId keyPerson } members { customerId } } }")
LARGE = VIEW.replace("contacts(first: 20)", "contacts(first: 100)")
TYPENAME = "{ __typename }"


def env_for(data_dir: Path, keys: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "C360_DATA_DIR": str(data_dir), "C360_API_KEYS_FILE": str(keys), "C360_LOG_LEVEL": "WARNING",
           "C360_DEMO_CUSTOMERS": "0", **extra}
    env.pop("NEO4J_URI", None)
    return env


def serve(data_dir: Path, keys: Path, port: int, **extra: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["taskset", "-c", "0", PYTHON, "-m", "app.cli", "serve", "--port", str(port)],
                            env=env_for(data_dir, keys, **extra), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


LUA = """
local ids = {%s}
local query = %s
local n = 0
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  local body = '{"query":' .. query .. ',"variables":{"id":"' .. id .. '"}}'
  return wrk.format("POST", "/graphql", {["Content-Type"]="application/json",
                    ["Authorization"]="Bearer %s"}, body)
end
"""


def wrk(port: int, key: str, query: str, ids: list[str], seconds: int, connections: int) -> dict[str, float]:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(LUA % (",".join(json.dumps(i) for i in ids), json.dumps(json.dumps(query)), key))
    done = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                           "-s", str(script), f"http://127.0.0.1:{port}/graphql"], capture_output=True, text=True)
    out = done.stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_s": round(rps), "p50_ms": latency("50"), "p99_ms": latency("99"),
            "non_2xx": int(errors.group(1)) if errors else 0}


async def raw_store_p50(data_dir: Path, ids: list[str]) -> dict[str, float]:
    """The view's own Cypher (one query: customer, holdings, relations, spend, 21 newest contacts),
    straight on the store, one request at a time: what GraphQL adds is measured against this."""
    from app.rules import get_rules
    from app.services.customer_view import CustomerLoaders, ViewParts
    from app.store.embedded import EmbeddedStore

    store = EmbeddedStore(data_dir)
    await store.start()
    try:
        timings = []
        before = store.stats.round_trips
        for customer_id in ids * 3:
            loaders = CustomerLoaders(store, get_rules())
            loaders.want(ViewParts(holdings=True, relations=True, spend=True, contact_pages=frozenset({20})))
            started = time.perf_counter()
            await loaders.require(customer_id)
            timings.append((time.perf_counter() - started) * 1000)
        return {"p50_ms": round(statistics.median(timings), 2),
                "p99_ms": round(statistics.quantiles(timings, n=100)[98], 2),
                "round_trips_per_view": (store.stats.round_trips - before) / len(timings)}
    finally:
        await store.close()


async def customer_ids(data_dir: Path, count: int) -> tuple[list[str], str]:
    """``count`` customers for the view cases, and one more, outside them, for the large list."""
    from app.store import cypher
    from app.store.embedded import EmbeddedStore

    store = EmbeddedStore(data_dir)
    await store.start()
    try:
        rows = await store.read(cypher("export/customers_page"), {"after": "", "page": count + 1})
        ids = [r["id"] for r in rows]
        return ids[:count], ids[count]
    finally:
        await store.close()


async def top_up_contacts(port: int, key: str, customer_id: str, how_many: int) -> None:
    """Bring the customer to ``how_many`` contacts, so every run measures the same list."""
    query = "mutation($c: ContactRecordInput!) { recordContact(contact: $c) { id } }"
    count = "query($id: ID!) { customer(id: $id) { contacts(first: 1) { totalCount } } }"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                 headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        answer = await client.post("/graphql", json={"query": count, "variables": {"id": customer_id}})
        have = answer.json()["data"]["customer"]["contacts"]["totalCount"]
        if have > how_many:
            raise SystemExit(f"{customer_id} already has {have} contacts; start from a fresh --data-dir")
        for k in range(have, how_many):
            await client.post("/graphql", json={"query": query, "variables": {"c": {
                "customerId": customer_id, "kind": "query", "channel": "hotline", "summary": f"load test {k}"}}})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/c360-api"))
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    data_dir: Path = args.data_dir
    keys = data_dir / "bench_keys.toml"
    if not (data_dir / "demo" / "manifest.json").exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([PYTHON, "-m", "app.cli", "demo-data", "--customers", str(args.customers), "--out",
                        str(data_dir / "demo")], cwd=ROOT, check=True, env=env_for(data_dir, keys))
        subprocess.run([PYTHON, "-m", "app.cli", "load", str(data_dir / "demo")], cwd=ROOT, check=True,
                       env=env_for(data_dir, keys))
    keys.unlink(missing_ok=True)
    key = add_key(keys, "bench", "admin")
    ids, large_id = asyncio.run(customer_ids(data_dir, 500))
    result: dict[str, object] = {"machine": machine(), "workers": 1, "connections": args.connections,
                                 "duration_s": args.duration}
    proc = serve(data_dir, keys, args.port)
    try:
        asyncio.run(top_up_contacts(args.port, key, large_id, 300))
        result["typename_ceiling"] = wrk(args.port, key, TYPENAME, ids, args.duration, args.connections)
        result["full_view"] = wrk(args.port, key, VIEW, ids, args.duration, args.connections)
        result["full_view_10_connections"] = wrk(args.port, key, VIEW, ids, args.duration, 10)
        result["full_view_1_connection"] = wrk(args.port, key, VIEW, ids, args.duration, 1)
        result["large_list_100_of_300_contacts"] = wrk(args.port, key, LARGE, [large_id], args.duration,
                                                       args.connections)
    finally:
        stop(proc)
    proc = serve(data_dir, keys, args.port, C360_GRAPHQL_CACHES="false")
    try:
        result["typename_caches_off"] = wrk(args.port, key, TYPENAME, ids, args.duration, args.connections)
        result["full_view_caches_off"] = wrk(args.port, key, VIEW, ids, args.duration, args.connections)
    finally:
        stop(proc)
    result["raw_store_view"] = asyncio.run(raw_store_p50(data_dir, ids[:100]))
    view, ceiling, raw = result["full_view"], result["typename_ceiling"], result["raw_store_view"]
    result["ratios"] = {
        "view_over_ceiling_throughput": round(view["requests_per_s"] / ceiling["requests_per_s"], 3),  # type: ignore[index]
        "graphql_overhead_p50_1_connection": round(
            result["full_view_1_connection"]["p50_ms"] / raw["p50_ms"], 2),  # type: ignore[index]
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
