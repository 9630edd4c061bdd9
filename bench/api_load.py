"""API throughput and latency over loopback with wrk, against a real `c360 serve` on the demo graph.

    python bench/api_load.py --data-dir /tmp/c360-api --customers 20000 [--duration 10]

The server (uvicorn, one worker, with its embedded store) is pinned to core 0 and wrk to core 1.
Measured in the same run: the `{ __typename }` ceiling; the full customer view read again while
its customers are unchanged (kept answers, app/services/kept_answers.py, after one warm-up pass
over the customers) and read first (a server keeping no answers: every view goes to the store);
each at 50, 10 and 1 connections and at about 1,000 requests/s; a customer with hundreds of
contacts; strawberry's parser/validation caches off; and the raw store time of the view's Cypher
and of the version check (the data's floors).
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

from app.api_keys import add_key  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
VIEW = (
    "query($id: ID!) { customer(id: $id) { id version name certificateNumber phones email address segment "
    "localNetwork tier { starLevel vipCard entitlements } accountManagers { role employee { id name } } "
    "accounts { nodes { id accountType subscriptions { nodes { serviceNumber productType } } } } "
    "offerings { nodes { code isBundle subscriptions { nodes { serviceNumber } } } } "
    "contacts(first: 20) { totalCount edges { node { id channel kind at } } } "
    "memberOf { nodes { customerId keyPerson } } members { nodes { customerId } } } }"
)
LARGE = VIEW.replace("contacts(first: 20)", "contacts(first: 100)")
TYPENAME = "{ __typename }"


def env_for(data_dir: Path, keys: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "C360_DATA_DIR": str(data_dir),
        "C360_API_KEYS_FILE": str(keys),
        "C360_LOG_LEVEL": "WARNING",
        "C360_DEMO_CUSTOMERS": "0",
        **extra,
    }
    env.pop("NEO4J_URI", None)
    return env


def serve(data_dir: Path, keys: Path, port: int, cwd: Path = ROOT, **extra: str) -> subprocess.Popen[bytes]:
    """``cwd``: the tree whose code serves (another release's worktree, to compare with)."""
    proc = subprocess.Popen(
        ["taskset", "-c", "0", PYTHON, "-m", "app.cli", "serve", "--port", str(port)],
        env=env_for(data_dir, keys, **extra),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
%s
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  local body = '{"query":' .. query .. ',"variables":{"id":"' .. id .. '"}}'
  return wrk.format("POST", "/graphql", {["Content-Type"]="application/json",
                    ["Authorization"]="Bearer %s"}, body)
end
"""


def wrk(
    port: int, key: str, query: str, ids: list[str], seconds: int, connections: int, pause_ms: int = 0
) -> dict[str, float]:
    """``pause_ms``: each connection waits between 0 and twice that long (at random, so that the
    connections do not fire together) after an answer before its next request, to hold a rate
    (wrk has no rate option; latency is counted from the request's sending)."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    pause = f"delay = function() return math.random(0, {2 * pause_ms}) end" if pause_ms else ""
    script.write_text(LUA % (",".join(json.dumps(i) for i in ids), json.dumps(json.dumps(query)), pause, key))
    done = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/graphql",
        ],
        capture_output=True,
        text=True,
    )
    out = done.stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": round(rps),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


async def raw_store_p50(data_dir: Path, ids: list[str]) -> dict[str, dict[str, float]]:
    """The view's own Cypher (one query: customer, holdings, relations, spend, 21 newest contacts)
    and the version check of a kept answer, straight on the store, one request at a time: what
    GraphQL adds is measured against these."""
    from app.rules import get_rules
    from app.services.customer_view import ViewParts
    from app.store.embedded import EmbeddedStore
    from schema.loaders import CustomerLoaders, CustomerVersions

    def summary(timings: list[float]) -> dict[str, float]:
        return {
            "p50_ms": round(statistics.median(timings), 3),
            "p99_ms": round(statistics.quantiles(timings, n=100)[98], 3),
        }

    store = EmbeddedStore(data_dir)
    await store.start()
    try:
        view, check = [], []
        before = store.stats.round_trips
        for customer_id in ids * 3:
            loaders = CustomerLoaders(store, get_rules())
            loaders.want(ViewParts(holdings=True, relations=True, tier=True, contact_pages=frozenset({20})))
            started = time.perf_counter()
            await loaders.require(customer_id)
            view.append((time.perf_counter() - started) * 1000)
        trips = (store.stats.round_trips - before) / len(view)
        versions = CustomerVersions(store)
        for customer_id in ids * 3:
            started = time.perf_counter()
            await versions.stamp([customer_id])
            check.append((time.perf_counter() - started) * 1000)
        return {"view": {**summary(view), "round_trips_per_view": trips}, "version_check": summary(check)}
    finally:
        await store.close()


async def customer_ids(data_dir: Path, count: int) -> tuple[list[str], str]:
    """``count`` customers for the view cases, and one more, outside them, for the large list."""
    from app.store import cypher
    from app.store.embedded import EmbeddedStore

    store = EmbeddedStore(data_dir)
    await store.start()
    try:
        rows = await store.read(cypher("export/customers_page"), {"after": "", "page": count + 1, "columns": []})
        ids = [r["id"] for r in rows]
        return ids[:count], ids[count]
    finally:
        await store.close()


async def top_up_contacts(port: int, key: str, customer_id: str, how_many: int) -> None:
    """Bring the customer to ``how_many`` contacts, so every run measures the same list."""
    query = (
        "mutation($c: ContactRecordInput!) { recordContact(contact: $c) { customer { id } userErrors { message } } }"
    )
    count = "query($id: ID!) { customer(id: $id) { contacts(first: 1) { totalCount } } }"
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as client:
        answer = await client.post("/graphql", json={"query": count, "variables": {"id": customer_id}})
        have = answer.json()["data"]["customer"]["contacts"]["totalCount"]
        if have > how_many:
            raise SystemExit(f"{customer_id} already has {have} contacts; start from a fresh --data-dir")
        for k in range(have, how_many):
            written = await client.post(
                "/graphql",
                json={
                    "query": query,
                    "variables": {
                        "c": {
                            "customerId": customer_id,
                            "kind": "QUERY",
                            "channel": "HOTLINE",
                            "summary": f"load test {k}",
                        }
                    },
                },
            )
            body = written.json()
            if body.get("errors") or body["data"]["recordContact"]["userErrors"]:
                raise SystemExit(f"a contact for the large list was refused: {body}")


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
        subprocess.run(
            [PYTHON, "-m", "app.cli", "demo-data", "--customers", str(args.customers), "--out", str(data_dir / "demo")],
            cwd=ROOT,
            check=True,
            env=env_for(data_dir, keys),
        )
        subprocess.run(
            [PYTHON, "-m", "app.cli", "load", str(data_dir / "demo")], cwd=ROOT, check=True, env=env_for(data_dir, keys)
        )
    keys.unlink(missing_ok=True)
    key = add_key(keys, "bench", "admin", exempt_from_rate_limits=True)
    ids, large_id = asyncio.run(customer_ids(data_dir, 500))
    result: dict[str, object] = {
        "machine": machine(),
        "workers": 1,
        "connections": args.connections,
        "duration_s": args.duration,
    }
    seconds, many = args.duration, args.connections
    # About 1,000 requests/s: 40 connections, each pausing 40 ms on average after an answer.
    steady = {"connections": 40, "pause_ms": 40}

    def view_cases(label: str) -> None:
        result[f"{label}_view"] = wrk(args.port, key, VIEW, ids, seconds, many)
        result[f"{label}_view_10_connections"] = wrk(args.port, key, VIEW, ids, seconds, 10)
        result[f"{label}_view_1_connection"] = wrk(args.port, key, VIEW, ids, seconds, 1)
        result[f"{label}_view_about_1000_per_s"] = wrk(args.port, key, VIEW, ids, seconds, **steady)
        result[f"{label}_large_list_100_of_300_contacts"] = wrk(args.port, key, LARGE, [large_id], seconds, many)

    proc = serve(data_dir, keys, args.port)
    try:
        asyncio.run(top_up_contacts(args.port, key, large_id, 300))
        result["typename_ceiling"] = wrk(args.port, key, TYPENAME, ids, seconds, many)
        wrk(args.port, key, VIEW, ids, 3, 10)  # warm-up: every customer's answer kept
        wrk(args.port, key, LARGE, [large_id], 1, 1)
        view_cases("repeated")
    finally:
        stop(proc)
    proc = serve(data_dir, keys, args.port, C360_VIEW_CACHE_SIZE="0")
    try:
        view_cases("first")
    finally:
        stop(proc)
    proc = serve(data_dir, keys, args.port, C360_GRAPHQL_CACHES="false")
    try:
        result["typename_parser_caches_off"] = wrk(args.port, key, TYPENAME, ids, seconds, many)
        wrk(args.port, key, VIEW, ids, 3, 10)
        result["repeated_view_parser_caches_off"] = wrk(args.port, key, VIEW, ids, seconds, many)
    finally:
        stop(proc)
    # The same placement as the server: this process and the store it starts on core 0.
    os.sched_setaffinity(0, {0})
    result["raw_store"] = asyncio.run(raw_store_p50(data_dir, ids[:100]))
    ceiling = result["typename_ceiling"]["requests_per_s"]  # type: ignore[index]
    raw = result["raw_store"]["view"]["p50_ms"]  # type: ignore[index]
    result["ratios"] = {
        f"{label}_view_over_ceiling_throughput": round(result[f"{label}_view"]["requests_per_s"] / ceiling, 3)
        for label in ("repeated", "first")
    }  # type: ignore[index]
    result["ratios"].update(
        {
            f"{label}_view_p50_1_connection_over_raw_view_cypher_p50": round(  # type: ignore[attr-defined]
                result[f"{label}_view_1_connection"]["p50_ms"] / raw, 2
            )
            for label in ("repeated", "first")
        }
    )  # type: ignore[index]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
