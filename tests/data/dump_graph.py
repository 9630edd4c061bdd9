"""Write the graph a release leaves after loading a small demo, for the migration tests.

Run it with the code of the release whose graph you want, from a git worktree of that release
(tests/integration/test_migrations.py loads the file this writes and migrates it):

    git worktree add /tmp/c360-prev 0f3551e          # release 0.1.0
    cd /tmp/c360-prev && PYTHONPATH=/tmp/c360-prev /work/main/.venv/bin/python \\
        /work/main/tests/data/dump_graph.py --release 0.1.0 --out /work/main/tests/data/graph_release_0_1_0.json
    cd /work/main && git worktree remove /tmp/c360-prev

It starts an embedded store of its own in a temporary folder, loads `--people` demo people with
that release's loaders (its staff trimmed to the employees the other files name, and their
backups), resolves them, has a steward approve one suspected duplicate (or merges two
customers) so that merge events are in the graph too, and dumps every node (labels sorted, every
property) and every relationship (type, both ends as [first label, id], every property). Only
Cypher written here, never the release's files, so the script runs on any release.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NODES = "MATCH (n) RETURN labels(n) AS labels, properties(n) AS properties"
RELATIONSHIPS = (
    "MATCH (a)-[r]->(b) RETURN type(r) AS type, labels(a) AS from_labels, a.id AS from_id, "
    "labels(b) AS to_labels, b.id AS to_id, properties(r) AS properties"
)


async def dump(people: int, seed: int) -> dict[str, Any]:
    from app import clock
    from app.services.resolve import resolve_all
    from app.store.embedded import EmbeddedStore
    from app.store.queries import CypherQuery
    from loaders.manifest import ingest_directory

    try:  # the demo generator of the release whose code runs this (moved to demo/ after 0.1.0)
        from loaders.demo_data import generate
    except ImportError:
        from demo import generate  # type: ignore[no-redef]

    clock.set_clock(clock.FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)))
    folder = Path(tempfile.mkdtemp(prefix="c360d-", dir="/tmp"))
    store = EmbeddedStore(folder / "store", graph_name="release_dump", pool_size=2)
    await store.start()
    try:
        await store.setup_schema()
        generate(folder / "demo", people, seed=seed)
        trim_staff(folder / "demo")
        await ingest_directory(store, folder / "demo")
        await resolve_all(store)
        await merge_one(store)
        nodes = await store.read(CypherQuery("dump/nodes", NODES))
        relationships = await store.read(CypherQuery("dump/relationships", RELATIONSHIPS))
    finally:
        await store.close()
    node_rows = sorted(
        ({"labels": sorted(n["labels"]), "properties": n["properties"]} for n in nodes),
        key=lambda n: (n["labels"], n["properties"]["id"]),
    )
    rel_rows = sorted(
        (
            {
                "type": r["type"],
                "from": [sorted(r["from_labels"])[0], r["from_id"]],
                "to": [sorted(r["to_labels"])[0], r["to_id"]],
                "properties": r["properties"],
            }
            for r in relationships
        ),
        key=lambda r: (r["type"], r["from"], r["to"], json.dumps(r["properties"], sort_keys=True)),
    )
    return {"nodes": node_rows, "relationships": rel_rows}


def trim_staff(directory: Path) -> None:
    """The demo's staff is a few hundred employees whatever its size: keep those the other files
    name (and their backups), so the fixture stays small and every employee kept has a role."""
    import csv

    entries = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    staff = [e for e in entries if e["kind"] == "employees"]
    others = "\n".join(
        (directory / e["path"]).read_text(encoding=e["encoding"]) for e in entries if e["kind"] != "employees"
    )
    files = {}
    for entry in staff:
        with (directory / entry["path"]).open(encoding=entry["encoding"], newline="") as handle:
            reader = csv.DictReader(handle)
            files[entry["path"]] = (entry["encoding"], list(reader.fieldnames or []), list(reader))
    wanted = {row["source_id"] for _, _, rows in files.values() for row in rows if row["source_id"] in others}
    backups = {
        row["backup_id"]
        for _, _, rows in files.values()
        for row in rows
        if row["source_id"] in wanted and row.get("backup_id")
    }
    for path, (encoding, fields, rows) in files.items():
        with (directory / path).open("w", encoding=encoding, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(row for row in rows if row["source_id"] in wanted | backups)


async def merge_one(store: Any) -> None:
    """One steward decision: approve the first suspected duplicate, or merge two customers."""
    from app.services.merges import Merges
    from app.store.queries import CypherQuery

    pending = await store.read(
        CypherQuery(
            "dump/pending", "MATCH (m:MatchCandidate {status: 'pending'}) RETURN m.id AS id ORDER BY id LIMIT 1"
        )
    )
    merges = Merges(store)
    if pending:
        from app.services.merge_review import MergeReview

        await MergeReview(store, merges).approve(pending[0]["id"], decided_by="steward:dump")
        return
    two = await store.read(
        CypherQuery(
            "dump/two",
            "MATCH (c:Customer {status: 'active'}) WHERE NOT c:Organisation RETURN c.id AS id ORDER BY id LIMIT 2",
        )
    )
    await merges.merge(two[0]["id"], two[1]["id"], decided_by="steward:dump")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", required=True, help="the release's version, such as 0.1.0")
    parser.add_argument("--people", type=int, default=8)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    graph = asyncio.run(dump(args.people, args.seed))
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    head = {
        "release": args.release,
        "commit": commit,
        "made_by": f"tests/data/dump_graph.py --release {args.release} --people {args.people} --seed {args.seed}",
    }
    # One node or relationship a line: a new dump reads as a diff.
    lines = ["{" + json.dumps(head, ensure_ascii=False)[1:-1] + ","]
    for key, rows in graph.items():
        lines.append(f'"{key}": [')
        lines.append(",\n".join(json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows))
        lines.append("]," if key == "nodes" else "]")
    lines.append("}")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"{len(graph['nodes'])} nodes, {len(graph['relationships'])} relationships in {args.out} "
        f"({args.out.stat().st_size // 1024} KB)"
    )


if __name__ == "__main__":
    main()
