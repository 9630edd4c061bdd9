"""The service standards' speed targets (issue 20), against real `c360 serve` processes on one demo graph:

    python bench/service_standards.py --data-dir /tmp/c360-service --customers 20000 \
        --before /tmp/c360-before [--pairs 2] [--requests 300]

1. dueWork for an account manager with 400 customers: p50/p99 of one request at a time (a day's plan
   and a week's), the demo graph's busiest manager given 400 card holders as their primary manager
   (bench-only edges, written before the servers start).
2. The customer view with the tier's explanation and the open items (Customer.service) against the
   view of the release before the issue (``--before``: a worktree of it, e.g. `git worktree add
   /tmp/c360-before 1c80227`), read first (no kept answers on either side), in alternating pairs on
   the same graph, as a ratio of requests per second.

The server is pinned to core 0 (its embedded store with it, unless ``--store-cpus`` says where) and
the client to core 1; the clock starts at the demo's reference morning on both, so both see the same day.

With ``--interleaved`` the view is also compared with both servers up at once, each on its own copy of the
graph and both on core 0, one request to each in turn (which goes first alternating): a slow spell of
this shared machine, which moves a server's CPU per request by half in the pairs, falls on both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import api_load  # noqa: E402
from api_load import env_for, stop  # noqa: E402
from measure import cpu_seconds, machine  # noqa: E402

from app.api_keys import add_key  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BEFORE_VIEW = (
    "query($id: ID!) { customer(id: $id) { id name segment localNetwork "
    "tier { starLevel averageMonthlySpend vipCard tags entitlements } "
    "accountManagers { role employee { id name } } contacts(first: 10) { totalCount nodes { id kind at } } } }"
)
VIEW = BEFORE_VIEW.replace(
    "tier { starLevel averageMonthlySpend vipCard tags entitlements }",
    "tier { starLevel averageMonthlySpend vipCard tags entitlements reason months { month amount } "
    "nextLevel { starLevel spendGap near text } } "
    "service { openCases { id kind nextDueAt breached warning deadlines { name dueAt breached } } "
    "care { kind due overdue } churnWarnings { rule evidence } lifecycle { stage } }",
)
DUE = (
    "query($employee: ID, $from: Date!, $to: Date!) { dueWork(employee: $employee, from: $from, to: $to, "
    "first: 100) { totalCount nodes { kind customerId due dueAt late reason } } }"
)
GIVE_CUSTOMERS = """
MATCH (e:Employee {id: $employee})
MATCH (c:Customer {status: 'active'}) WHERE c.vip_card IS NOT NULL
WITH e, c ORDER BY c.id LIMIT $n
OPTIONAL MATCH (c)-[old:MANAGED_BY {role: 'A'}]->(:Employee)
DELETE old
MERGE (c)-[:MANAGED_BY {role: 'A'}]->(e)
RETURN count(c) AS given
"""


def serve(
    cwd: Path, data_dir: Path, keys: Path, port: int, clock_start: str, store_cpus: str | None = None
) -> subprocess.Popen[bytes]:
    """A server of the tree ``cwd`` keeping no answers, its clock at the demo's morning. Its embedded
    store is its child and so shares its core, unless ``store_cpus`` moves the store's server there."""
    proc = api_load.serve(data_dir, keys, port, cwd, C360_VIEW_CACHE_SIZE="0", C360_CLOCK_START=clock_start)
    if store_cpus:
        pid = (data_dir / "falkordb.pid").read_text().strip()
        subprocess.run(["taskset", "-a", "-p", "-c", store_cpus, pid], check=True, stdout=subprocess.DEVNULL)
    return proc


def timed(port: int, key: str, query: str, variables: list[dict[str, str]]) -> list[float]:
    """Milliseconds of each request, one at a time; an answer with errors stops the benchmark."""
    out = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}) as client:
        for v in variables:
            started = time.perf_counter()
            answer = client.post("/graphql", json={"query": query, "variables": v}, timeout=30).json()
            out.append((time.perf_counter() - started) * 1000)
            if answer.get("errors"):
                raise SystemExit(f"{query[:60]}... answered {answer['errors'][:1]}")
    return out


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "requests": len(ms),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "per_s": round(1000 * len(ms) / sum(ms), 1),
    }


def summary_with_cpu(api_pid: int, data_dir: Path, run: Callable[[], list[float]]) -> dict[str, float]:
    """The summary of ``run``'s requests with the CPU milliseconds a request took in the API process and
    in its embedded store's server: where a view's time goes, beside how long it took."""
    store_pid = int((data_dir / "falkordb.pid").read_text().strip())
    api, store = cpu_seconds(api_pid), cpu_seconds(store_pid)
    ms = run()
    out = summary(ms)
    out["api_cpu_ms"] = round((cpu_seconds(api_pid) - api) * 1000 / len(ms), 2)
    out["store_cpu_ms"] = round((cpu_seconds(store_pid) - store) * 1000 / len(ms), 2)
    return out


async def prepare(data_dir: Path, customers: int) -> tuple[list[str], str, str]:
    """The demo loaded (once), the busiest manager given 400 card holders; customer ids to read."""
    from app import clock
    from app.store import CypherQuery
    from app.store.embedded import EmbeddedStore
    from demo.operator import reference_clock

    demo = data_dir / "demo"
    if not (data_dir / "loaded.json").exists():
        subprocess.run(
            [PYTHON, "-m", "app.cli", "demo-data", "--customers", str(customers), "--out", str(demo)], check=True
        )
        start = reference_clock(demo)
        assert start is not None
        env = env_for(data_dir, data_dir / "keys.toml", C360_CLOCK_START=start.isoformat())
        subprocess.run([PYTHON, "-m", "app.cli", "load", str(demo)], env=env, check=True, cwd=ROOT)
    start = reference_clock(demo)
    assert start is not None
    clock.start_at(start)
    store = EmbeddedStore(data_dir, graph_name="c360", pool_size=4)
    await store.start()
    try:
        rows = await store.read(
            CypherQuery(
                "bench/busiest",
                "MATCH (c:Customer)-[:MANAGED_BY {role: 'A'}]->(e:Employee) RETURN e.id AS id, count(c) AS n "
                "ORDER BY n DESC, id LIMIT 1",
            )
        )
        manager = rows[0]["id"]
        given = await store.write(CypherQuery("bench/give", GIVE_CUSTOMERS), {"employee": manager, "n": 400})
        ids = await store.read(
            CypherQuery(
                "bench/ids",
                "MATCH (c:Customer {status: 'active'})-[:MANAGED_BY]->(:Employee) RETURN DISTINCT c.id AS id "
                "ORDER BY id LIMIT 400",
            )
        )
        (data_dir / "loaded.json").write_text(json.dumps({"customers": customers, "manager": manager}))
        print(f"manager {manager} given {given[0]['given']} card holders", flush=True)
    finally:
        await store.close()
    return [r["id"] for r in ids], manager, start.isoformat()


def due_pairs(
    args: argparse.Namespace, data_dir: Path, keys: Path, key: str, manager: str, clock_start: str
) -> list[dict[str, object]]:
    """A day's dueWork served by this tree and by ``--due-before``, alternating which goes first."""
    day = clock_start[:10]
    plan = [{"employee": manager, "from": day, "to": day}]
    pairs: list[dict[str, object]] = []
    for n in range(args.pairs):
        order = [("before", args.due_before.resolve()), ("now", ROOT)]
        if n % 2:
            order.reverse()
        pair: dict[str, object] = {}
        for name, cwd in order:
            proc = serve(cwd, data_dir, keys, args.port, clock_start, args.store_cpus)
            try:
                timed(args.port, key, DUE, plan * 20)  # warm-up
                pair[name] = summary(timed(args.port, key, DUE, plan * args.requests))
            finally:
                stop(proc)
        pairs.append(pair)
        print(json.dumps({"due_work": pair}), flush=True)
    return pairs


def twin_of(data_dir: Path) -> Path:
    """A copy of the (stopped) graph's directory for the other server, made anew each run."""
    twin = data_dir.with_name(data_dir.name + "-twin")
    shutil.rmtree(twin, ignore_errors=True)
    shutil.copytree(data_dir, twin, ignore=shutil.ignore_patterns("*.sock", "*.pid", "*.lock", "audit.log*"))
    return twin


def interleaved(
    args: argparse.Namespace, data_dir: Path, keys: Path, key: str, views: list[dict[str, str]], clock_start: str
) -> dict[str, object]:
    """Both servers up at once, one request to each in turn; per chunk of the run and over all of it."""
    twin = twin_of(data_dir)
    sides = {
        "now": (serve(ROOT, data_dir, keys, args.port, clock_start), data_dir, VIEW, args.port),
        "before": (
            serve(args.before.resolve(), twin, keys, args.port + 1, clock_start),
            twin,
            BEFORE_VIEW,
            args.port + 1,
        ),
    }
    clients = {
        name: httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"})
        for name, (_, _, _, port) in sides.items()
    }
    try:
        for _, _, query, port in sides.values():
            timed(port, key, query, views[:50])  # warm-up
        store_pids = {name: int((d / "falkordb.pid").read_text().strip()) for name, (_, d, _, _) in sides.items()}
        cpu0 = {name: (cpu_seconds(p.pid), cpu_seconds(store_pids[name])) for name, (p, _, _, _) in sides.items()}
        ms: dict[str, list[float]] = {"now": [], "before": []}
        for n, v in enumerate(views * args.pairs):
            for name in ("now", "before") if n % 2 else ("before", "now"):
                started = time.perf_counter()
                answer = clients[name].post("/graphql", json={"query": sides[name][2], "variables": v}, timeout=30)
                ms[name].append((time.perf_counter() - started) * 1000)
                if answer.json().get("errors"):
                    raise SystemExit(f"{name} answered {answer.json()['errors'][:1]}")
        out: dict[str, object] = {}
        for name, (proc, _, _, _) in sides.items():
            api, store = cpu0[name]
            side = summary(ms[name])
            side["api_cpu_ms"] = round((cpu_seconds(proc.pid) - api) * 1000 / len(ms[name]), 2)
            side["store_cpu_ms"] = round((cpu_seconds(store_pids[name]) - store) * 1000 / len(ms[name]), 2)
            out[name] = side
        chunk = len(views)
        out["ratio"] = round(out["now"]["per_s"] / out["before"]["per_s"], 3)  # type: ignore[index]
        out["chunk_ratios"] = [
            round(sum(ms["before"][i : i + chunk]) / sum(ms["now"][i : i + chunk]), 3)
            for i in range(0, len(ms["now"]), chunk)
        ]
        return out
    finally:
        for client in clients.values():
            client.close()
        for proc, _, _, _ in sides.values():
            stop(proc)
        shutil.rmtree(twin, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--before", type=Path, required=True, help="A worktree of the release before the issue.")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--port", type=int, default=8910)
    parser.add_argument(
        "--due-before", type=Path, help="A worktree of an earlier commit: dueWork in alternating pairs against it."
    )
    parser.add_argument(
        "--interleaved",
        action="store_true",
        help="Also compare the view with both servers up at once, a request to each in turn (--pairs rounds).",
    )
    parser.add_argument(
        "--store-cpus",
        help="Move the embedded store's server to these cores (taskset list, e.g. 1); by default it shares "
        "the API server's core 0.",
    )
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    ids, manager, clock_start = asyncio.run(prepare(data_dir, args.customers))
    keys = data_dir / "bench_keys.toml"
    keys.unlink(missing_ok=True)
    key = add_key(keys, "bench", "admin", None, exempt_from_rate_limits=True)
    day = clock_start[:10]
    week_end = (date.fromisoformat(day) + timedelta(days=6)).isoformat()
    results: dict[str, object] = {
        "machine": machine(),
        "customers": args.customers,
        "manager": manager,
        "placement": f"API server on core 0, its store on cores {args.store_cpus or '0'}, the client on core 1",
    }

    proc = serve(ROOT, data_dir, keys, args.port, clock_start, args.store_cpus)
    try:
        timed(args.port, key, DUE, [{"employee": manager, "from": day, "to": day}] * 20)  # warm-up
        results["due_work_day"] = summary(
            timed(args.port, key, DUE, [{"employee": manager, "from": day, "to": day}] * args.requests)
        )
        results["due_work_week"] = summary(
            timed(args.port, key, DUE, [{"employee": manager, "from": day, "to": week_end}] * args.requests)
        )
    finally:
        stop(proc)

    if args.due_before:
        results["due_work_pairs"] = due_pairs(args, data_dir, keys, key, manager, clock_start)

    views = [{"id": i} for i in ids][: args.requests]
    pairs = []
    for n in range(args.pairs):
        order = [("before", args.before.resolve(), BEFORE_VIEW), ("now", ROOT, VIEW)]
        if n % 2:
            order.reverse()
        pair = {}
        for name, cwd, query in order:
            proc = serve(cwd, data_dir, keys, args.port, clock_start, args.store_cpus)
            try:
                timed(args.port, key, query, views[:50])  # warm-up
                pair[name] = summary_with_cpu(proc.pid, data_dir, partial(timed, args.port, key, query, views))
            finally:
                stop(proc)
        pair["ratio"] = round(pair["now"]["per_s"] / pair["before"]["per_s"], 3)  # type: ignore[index]
        pairs.append(pair)
        print(json.dumps(pair), flush=True)
    results["view_pairs"] = pairs
    if args.interleaved:
        results["view_interleaved"] = interleaved(args, data_dir, keys, key, views, clock_start)
        print(json.dumps({"view_interleaved": results["view_interleaved"]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
