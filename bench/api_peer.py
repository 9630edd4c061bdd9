"""c360 beside a peer: the Neo4j GraphQL Library serving the same customer view from the same Neo4j.

    .venv/bin/python bench/api_peer.py --customers 2000 --duration 3
    .venv/bin/python bench/api_peer.py --customers 20000            # 10 s per case

One run: a real Neo4j (tools/neo4j, built with Maven on first use); the demo operator
(`c360 demo-data`) loaded into it by `c360 load`; then three servers on that one graph: `c360 serve`
read first (C360_VIEW_CACHE_SIZE=0: every view goes to Neo4j), `c360 serve` read again (kept
answers, after one pass over the customers) and the peer (`node server.js` in
bench/peer_neo4j_graphql/: @neo4j/graphql on Apollo Server). Before anything is measured, both c360
servers and the peer answer every one of the 500 customers and the answers are compared field by
field; the run stops with the differences when they disagree. Then each server gets the same wrk
load as bench/api_load.py (its Lua rotation over the same 500 customer ids, an admin key) at 10
connections and at 1 connection, --duration seconds each, after a warm-up; the servers take turns
(--rounds rounds, each server first in one of them, so that a busy moment of the machine does not
land on one server only) and the median of the rounds is reported. Placement as in api_load.py:
the API servers and the store (here the Neo4j JVM, all its threads) on core 0, wrk on core 1
(--store-cpus moves Neo4j).

The graph is kept in --data-dir/neo4j with a note of what was loaded; a later run with the same
--customers and --seed reuses it instead of loading again (--fresh forces a new load). Figures
are printed and written to bench/results/api_peer-<time>.json, with ratios c360/peer (requests/s:
above 1 is c360 faster; p50, p99: below 1 is c360 faster).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api_load import VIEW, stop, wrk  # noqa: E402
from measure import machine  # noqa: E402

from app.api_keys import add_key  # noqa: E402
from app.rules import get_rules  # noqa: E402
from app.services.customer_view import tier_params  # noqa: E402
from app.tiers import rule_set_for, spend_star  # noqa: E402
from tools.neo4j.server import Neo4jServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT / "bench" / "peer_neo4j_graphql"
RESULTS = ROOT / "bench" / "results"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
SERVER_CPUS = "0"  # api_load.py's placement: the API server on core 0, wrk on core 1
CASES = {"10_connections": 10, "1_connection": 1}


def peer_view(since: str, months: int) -> str:
    """What VIEW (bench/api_load.py) reads, in the peer's generated schema: the customer's fields,
    the bills behind the star level (same month window as c360's), managers with their role,
    accounts with the subscriptions billed to them, subscriptions with their offering (c360 groups
    these into offerings), the 20 newest contacts and their total, organisation links (c360's
    memberOf leaves household links out) and members."""
    return (
        "query($id: ID!) { customers(where: {id: {eq: $id}}) { id version name certificateNumber phones email "
        "address segment localNetwork vipCard "
        f'averageMonthlySpend(since: "{since}", months: {months}) '
        "accountManagersConnection { edges { properties { role } node { id name } } } "
        "accounts { id accountType subscriptions { serviceNumber productType } } "
        "subscriptions { serviceNumber offering { id } } "
        "contactsConnection(first: 20, sort: [{node: {at: DESC}}, {node: {id: DESC}}]) "
        "{ totalCount edges { node { id channel kind at } } } "
        'memberOfConnection(where: {NOT: {node: {segment: {eq: "household"}}}}) '
        "{ edges { properties { keyPerson } node { id } } } "
        "members { id } } }"
    )


# ---------------------------------------------------------------------------------------------
# The graph


def run_logged(command: list[str], env: dict[str, str], log: Path, what: str) -> None:
    """Run a c360 command with its output in ``log``; on failure stop with its own last words."""
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        errors = [line for line in lines if "error" in line.lower()]
        raise SystemExit(
            f"{what} failed (exit {done.returncode}); full output in {log}\n" + "\n".join((errors or lines)[-15:])
        )


def loaded_note(customers: int, seed: int) -> dict[str, int]:
    return {"customers": customers, "seed": seed}


def load_graph(server: Neo4jServer, data_dir: Path, customers: int, seed: int) -> float:
    """Demo data into the server's graph; seconds taken (0 when the graph was loaded before)."""
    marker = data_dir / "loaded.json"
    wanted = loaded_note(customers, seed)
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"reusing the graph in {server.home} ({customers} customers, seed {seed})", flush=True)
        return 0.0
    env = {**os.environ, **server.environment(), "C360_DATA_DIR": str(data_dir / "c360"), "C360_LOG_LEVEL": "WARNING"}
    demo = data_dir / f"demo-{customers}-{seed}"
    if not (demo / "manifest.json").exists():
        run_logged(
            [
                PYTHON,
                "-m",
                "app.cli",
                "demo-data",
                "--customers",
                str(customers),
                "--seed",
                str(seed),
                "--out",
                str(demo),
            ],
            env,
            data_dir / "demo-data.log",
            "c360 demo-data",
        )
    print(f"loading {demo} into Neo4j {server.version} ...", flush=True)
    started = time.perf_counter()
    run_logged([PYTHON, "-m", "app.cli", "load", str(demo)], env, data_dir / "load.log", "c360 load on Neo4j")
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps(wanted))
    print(f"loaded in {seconds:.0f} s", flush=True)
    return round(seconds, 1)


async def first_customer_ids(server: Neo4jServer, count: int) -> list[str]:
    """The ``count`` first active customers in id order: the ids bench/api_load.py takes."""
    from app.store import cypher
    from app.store.neo4j_backend import Neo4jStore

    env = server.environment()
    store = Neo4jStore(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"], env["NEO4J_DATABASE"])
    await store.start()
    try:
        rows = await store.read(cypher("export/customers_page"), {"after": "", "page": count, "columns": []})
        return [row["id"] for row in rows]
    finally:
        await store.close()


def launcher_pid() -> int:
    """The Neo4j JVM: the child of this process that runs the launcher."""
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"c360.neo4j.Neo4jLauncher" in cmdline:
                return int(child)
    raise RuntimeError("the Neo4j process is not a child of this one")


# ---------------------------------------------------------------------------------------------
# The servers


def wait_until_answering(proc: subprocess.Popen[bytes], url: str, log: Path, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"{what} exited ({proc.returncode}) before answering; its output ({log}):\n"
                + log.read_text(errors="replace")[-3000:]
            )
        try:
            if url.endswith("/healthz"):
                answered = httpx.get(url, timeout=2).status_code == 200
            else:
                answered = httpx.post(url, json={"query": "{ __typename }"}, timeout=2).status_code == 200
            if answered:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"{what} did not answer at {url} within {timeout:.0f} s; its output is in {log}")


def start_c360(
    server: Neo4jServer, data_dir: Path, keys: Path, port: int, label: str, log_level: str, **extra: str
) -> subprocess.Popen[bytes]:
    """`c360 serve` on the Neo4j graph, with its own data directory (its audit.log). (bench/api_load.py's
    serve() cannot be reused: its environment drops NEO4J_URI on purpose, to measure the embedded store.)"""
    env = {
        **os.environ,
        **server.environment(),
        "C360_DATA_DIR": str(data_dir / label),
        "C360_API_KEYS_FILE": str(keys),
        "C360_LOG_LEVEL": log_level,
        "C360_DEMO_CUSTOMERS": "0",
        **extra,
    }
    log = data_dir / f"{label}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPUS, PYTHON, "-m", "app.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_until_answering(proc, f"http://127.0.0.1:{port}/healthz", log, "c360 serve")
    return proc


def start_peer(server: Neo4jServer, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **server.environment(), "PORT": str(port)}
    log = data_dir / "peer.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPUS, "node", "server.js"], env=env, cwd=PEER, stdout=out, stderr=subprocess.STDOUT
        )
    wait_until_answering(proc, f"http://127.0.0.1:{port}/graphql", log, "the peer (node server.js)")
    return proc


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the rounds (and the errors' sum)."""
    return {
        "requests_per_s": round(statistics.median(r["requests_per_s"] for r in runs)),
        "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
        "non_2xx": sum(int(r["non_2xx"]) for r in runs),
    }


def peak_rss_mb(proc: subprocess.Popen[bytes]) -> float | None:
    """The server's own high-water mark (taskset execs it, so the pid is the server's)."""
    try:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except FileNotFoundError:
        pass
    return None


def ensure_peer_installed() -> str:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on the PATH (the peer needs Node.js 20 or later)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        raise SystemExit(f"node {version}: @neo4j/graphql 7 needs Node.js 20 or later")
    if not (PEER / "node_modules" / "@neo4j" / "graphql").is_dir():
        print("npm ci in bench/peer_neo4j_graphql (the versions pinned in package-lock.json) ...", flush=True)
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"npm ci failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return version


def peer_packages() -> dict[str, str]:
    lock = json.loads((PEER / "package-lock.json").read_text())
    wanted = json.loads((PEER / "package.json").read_text())["dependencies"]
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in wanted}


# ---------------------------------------------------------------------------------------------
# Same answers?


def c360_summary(view: dict[str, Any]) -> dict[str, Any]:
    offerings = view["offerings"]
    return {
        "name": view["name"],
        "version": view["version"],
        "certificateNumber": view["certificateNumber"],
        "phones": view["phones"],
        "email": view["email"],
        "address": view["address"],
        "segment": view["segment"],
        "localNetwork": view["localNetwork"],
        "vipCard": view["tier"]["vipCard"],
        "starLevel": view["tier"]["starLevel"],
        "managers": sorted((m["role"], m["employee"]["id"]) for m in view["accountManagers"]),
        "accounts": sorted(
            (a["id"], a["accountType"], sorted(s["serviceNumber"] for s in a["subscriptions"]))
            for a in view["accounts"]
        ),
        "offerings": sorted((o["code"], sorted(s["serviceNumber"] for s in o["subscriptions"])) for o in offerings),
        "bundles": sorted(o["code"] for o in offerings if o["isBundle"]),
        "contactTotal": view["contacts"]["totalCount"],
        "contacts": [e["node"]["id"] for e in view["contacts"]["edges"]],
        "memberOf": sorted((m["customerId"], m["keyPerson"]) for m in view["memberOf"]),
        "members": sorted(m["customerId"] for m in view["members"]),
    }


def peer_summary(view: dict[str, Any]) -> dict[str, Any]:
    rules = get_rules()
    grouped: dict[str, list[str]] = {}
    for subscription in view["subscriptions"]:
        for offering in subscription["offering"]:
            grouped.setdefault(offering["id"], []).append(subscription["serviceNumber"])
    return {
        "name": view["name"],
        "version": view["version"],
        "certificateNumber": view["certificateNumber"],
        "phones": view["phones"] or [],
        "email": view["email"],
        "address": view["address"],
        "segment": view["segment"],
        "localNetwork": view["localNetwork"],
        "vipCard": view["vipCard"],
        # The star level from the bills the peer summed, by c360's own rule (app/tiers.py).
        "starLevel": spend_star(round(view["averageMonthlySpend"] or 0.0, 6), None, rule_set_for(None, rules)[1]),
        "managers": sorted(
            (e["properties"]["role"], e["node"]["id"]) for e in view["accountManagersConnection"]["edges"]
        ),
        "accounts": sorted(
            (a["id"], a["accountType"], sorted(s["serviceNumber"] for s in a["subscriptions"]))
            for a in view["accounts"]
        ),
        "offerings": sorted((code, sorted(numbers)) for code, numbers in grouped.items()),
        "bundles": sorted(code for code, numbers in grouped.items() if len(numbers) > 1),
        "contactTotal": view["contactsConnection"]["totalCount"],
        "contacts": [e["node"]["id"] for e in view["contactsConnection"]["edges"]],
        "memberOf": sorted(
            (e["node"]["id"], bool(e["properties"]["keyPerson"])) for e in view["memberOfConnection"]["edges"]
        ),
        "members": sorted(m["id"] for m in view["members"]),
    }


def fetch_all(port: int, query: str, ids: list[str], key: str | None = None) -> dict[str, Any]:
    """Every customer's answer, one request at a time (also a full pass for kept answers)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    answers: dict[str, Any] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
        for customer_id in ids:
            answer = client.post("/graphql", json={"query": query, "variables": {"id": customer_id}})
            answers[customer_id] = (
                answer.json()
                if answer.status_code == 200
                else {"status": answer.status_code, "body": answer.text[:500]}
            )
    return answers


def compare(c360: dict[str, Any], peer: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for customer_id, ours in c360.items():
        theirs = peer[customer_id]
        if ours.get("errors") or not (ours.get("data") or {}).get("customer"):
            problems.append(f"{customer_id}: c360 answered {json.dumps(ours, ensure_ascii=False)[:300]}")
            continue
        found = (theirs.get("data") or {}).get("customers") or []
        if theirs.get("errors") or len(found) != 1:
            problems.append(f"{customer_id}: the peer answered {json.dumps(theirs, ensure_ascii=False)[:300]}")
            continue
        a, b = c360_summary(ours["data"]["customer"]), peer_summary(found[0])
        for field in a:
            if a[field] != b[field]:
                problems.append(f"{customer_id} {field}: c360 {a[field]!r}, peer {b[field]!r}")
    return problems


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/c360-peer"))
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured case")
    parser.add_argument("--ids", type=int, default=500, help="customers in the request rotation")
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        help="c360 read first; c360 read again gets the next port, the peer the one after",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="each case this many times, the servers taking turns; the median is reported",
    )
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument(
        "--store-cpus",
        default=SERVER_CPUS,
        help="cores for the Neo4j JVM while measuring (default: the servers' core, as the "
        "embedded store in api_load.py; empty: not pinned)",
    )
    parser.add_argument(
        "--c360-log-level",
        default="WARNING",
        help="C360_LOG_LEVEL of the c360 servers (api_load.py's WARNING by default; c360 logs "
        "Neo4j's notifications at WARNING, see 'neo4j_notifications_logged' in the results)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop a kept graph and load again")
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not on the PATH" + (" (apt-get install -y wrk)" if tool == "wrk" else ""))
    node_version = ensure_peer_installed()
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = data_dir / "loaded.json"
    if args.fresh or not marker.exists() or json.loads(marker.read_text()) != loaded_note(args.customers, args.seed):
        shutil.rmtree(data_dir / "neo4j", ignore_errors=True)  # load into an empty graph
        marker.unlink(missing_ok=True)
    ports = {"c360_read_first": args.port, "c360_read_again": args.port + 1, "peer_neo4j_graphql": args.port + 2}
    rules = get_rules()
    since, months = tier_params(rules)["since"], rules.tiers.months
    peer_query = peer_view(since, months)
    queries = {"c360_read_first": VIEW, "c360_read_again": VIEW, "peer_neo4j_graphql": peer_query}

    print("starting Neo4j (tools/neo4j) ...", flush=True)
    server = Neo4jServer(home=data_dir / "neo4j", heap=args.heap, pagecache=args.pagecache)
    server.start()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        load_seconds = load_graph(server, data_dir, args.customers, args.seed)
        ids = asyncio.run(first_customer_ids(server, args.ids))
        if len(ids) < args.ids:
            raise SystemExit(f"the graph has {len(ids)} active customers; --ids asks for {args.ids}")
        if args.store_cpus:
            subprocess.run(
                ["taskset", "-a", "-p", "-c", args.store_cpus, str(launcher_pid())],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        keys = data_dir / "bench_keys.toml"
        keys.unlink(missing_ok=True)
        key = add_key(keys, "bench", "admin", exempt_from_rate_limits=True)
        result: dict[str, Any] = {
            "machine": machine(),
            "node": node_version,
            "neo4j": server.version,
            "peer_packages": peer_packages(),
            "customers": args.customers,
            "seed": args.seed,
            "ids": len(ids),
            "duration_s": args.duration,
            "rounds": args.rounds,
            "load_s": load_seconds or None,
            "neo4j_heap": args.heap,
            "neo4j_pagecache": args.pagecache,
            "c360_log_level": args.c360_log_level,
            "placement": f"API servers on core {SERVER_CPUS}, Neo4j on cores {args.store_cpus or 'any'}, wrk on core 1",
            "spend_window_since": since,
        }

        # All three servers stay up (an idle one costs nothing) so that their runs can alternate.
        procs["peer_neo4j_graphql"] = start_peer(server, data_dir, ports["peer_neo4j_graphql"])
        procs["c360_read_first"] = start_c360(
            server,
            data_dir,
            keys,
            ports["c360_read_first"],
            "c360_read_first",
            args.c360_log_level,
            C360_VIEW_CACHE_SIZE="0",
        )
        procs["c360_read_again"] = start_c360(
            server, data_dir, keys, ports["c360_read_again"], "c360_read_again", args.c360_log_level
        )
        print(f"comparing c360's and the peer's answers for {len(ids)} customers ...", flush=True)
        theirs = fetch_all(ports["peer_neo4j_graphql"], peer_query, ids)
        problems = compare(fetch_all(ports["c360_read_first"], VIEW, ids, key), theirs)
        # The same pass on the server that keeps answers: each customer's answer is then kept.
        problems += compare(fetch_all(ports["c360_read_again"], VIEW, ids, key), theirs)
        result["check"] = {"customers_compared": len(ids), "differences": len(problems)}
        if problems:
            raise SystemExit(
                "ERROR: c360 and the peer do not answer the same customers the same way; not measured.\n"
                + "\n".join(problems[:20])
                + (f"\n... and {len(problems) - 20} more" if len(problems) > 20 else "")
            )
        print(
            "same answers: name, version, personal fields, star level, managers, accounts and their "
            "subscriptions, offerings, 20 newest contacts and total, organisation links",
            flush=True,
        )

        for label, port in ports.items():  # warm-up, not recorded
            wrk(port, key, queries[label], ids, min(3, args.duration), 10)
        runs: dict[str, dict[str, list[dict[str, float]]]] = {label: {case: [] for case in CASES} for label in ports}
        labels = list(ports)
        for round_no in range(args.rounds):
            order = labels[round_no % 3 :] + labels[: round_no % 3]  # each server first in turn
            for case, connections in CASES.items():
                for label in order:
                    figures = wrk(ports[label], key, queries[label], ids, args.duration, connections)
                    runs[label][case].append(figures)
                    print(f"round {round_no + 1} {label} {case}: {json.dumps(figures)}", flush=True)
        for label in ports:
            result[label] = {case: median_run(runs[label][case]) for case in CASES}
            result[label]["server_peak_rss_mb"] = peak_rss_mb(procs[label])
            if label.startswith("c360"):
                # Full reads of personal data written down, one line each; and the notifications
                # (an unknown relationship type, ...) the Neo4j driver logged as warnings.
                audit = data_dir / label / "audit.log"
                result[label]["audit_log_lines"] = len(audit.read_bytes().splitlines()) if audit.exists() else 0
                result[label]["neo4j_notifications_logged"] = (
                    (data_dir / f"{label}.log").read_text(errors="replace").count("neo4j.notifications")
                )
            result[label]["rounds"] = runs[label]
    finally:
        for proc in procs.values():
            stop(proc)
        server.stop()

    ratios: dict[str, dict[str, float]] = {}
    for label in ("c360_read_first", "c360_read_again"):
        for case in CASES:
            ours, theirs = result[label][case], result["peer_neo4j_graphql"][case]
            ratios[f"{label}_{case}"] = {
                "requests_per_s": round(ours["requests_per_s"] / theirs["requests_per_s"], 2),
                "p50": round(ours["p50_ms"] / theirs["p50_ms"], 2),
                "p99": round(ours["p99_ms"] / theirs["p99_ms"], 2),
            }
    result["ratios_c360_over_peer"] = ratios
    text = json.dumps(result, indent=2)
    print(text)
    logged = sum(result[label]["neo4j_notifications_logged"] for label in ("c360_read_first", "c360_read_again"))
    if logged:
        print(
            f"NOTE: the c360 servers logged {logged} Neo4j notifications as warnings during the run (see their "
            f"logs in {data_dir}); that logging is part of the figures above. --c360-log-level ERROR measures "
            "c360 without it."
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"api_peer-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(text + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
