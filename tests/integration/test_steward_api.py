"""The steward's merge review through the real GraphQL app on the real embedded graph:
queue, candidate detail, approve, reject, unmerge, split, history, roles and conflicts."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

import pytest

from app.resolution.normalise import resident_id_check_character
from app.services.invariants import check_invariants
from app.services.resolve import resolve_all
from app.store import Store, cypher
from demo import generate
from loaders.ingest import ingest_file
from loaders.manifest import ingest_directory
from tests.conftest import api_client

CROSSWALK = cypher("export/crosswalk")


async def crosswalk(store: Store) -> dict[str, str]:
    from app.store.shards import SHARD_NUMBERS

    mapping = {}
    for shard in SHARD_NUMBERS:
        for row in await store.read(CROSSWALK, {"shard": shard}):
            mapping[f"{row['source']}:customers:{row['source_id']}"] = row["customer_id"]
    return mapping


def crafted_pair(directory: Path) -> Path:
    """Same valid resident id, different names: the policy sends this pair to review."""
    first17 = "35010219800101" + "777"
    cert = first17 + resident_id_check_character(first17)
    path = directory / "web_customers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_id", "name", "cert_type", "cert_no", "phones", "local_network", "segment"])
        writer.writerow(["R1", "甄测试", "resident_id", cert, "13300007771", "0591", "individual"])
        writer.writerow(["R2", "欧阳某某", "resident_id", cert, "13300007772", "0591", "individual"])
    return path


@pytest.fixture
async def loaded(graph: Store, tmp_path: Path) -> Store:
    generate(tmp_path / "demo", 120, seed=5)
    await ingest_directory(graph, tmp_path / "demo")
    await ingest_file(graph, "probe", "customers", crafted_pair(tmp_path))
    await resolve_all(graph)
    return graph


async def gql(client: Any, query: str, **variables: Any) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query, "variables": variables})
    return answer.json()


QUEUE = """query($department: String) { reviewQueue(department: $department, first: 50) {
  candidates { id status probability rule blockingRule department }
  counts { status department candidates } pageInfo { hasNextPage endCursor } } }"""
DETAIL = """query($id: ID!) { matchCandidate(id: $id) {
  candidate { id status } left { id source customerId fields } right { id source customerId fields }
  comparisons { field level weight left right differs } explanation } }"""
APPROVE = "mutation($id: ID!) { approveCandidate(id: $id) { eventId survivor absorbed moved } }"
REJECT = 'mutation($id: ID!) { rejectCandidate(id: $id, note: "different people") { id status decidedBy } }'
UNMERGE = "mutation($id: ID!) { unmerge(eventId: $id) { eventId survivor absorbed moved } }"
HISTORY = (
    "query($id: ID!) { mergeHistory(customerId: $id) { id kind decidedBy survivor absorbed undoneAt movedRecords } }"
)
CUSTOMER_HISTORY = (
    "query($id: ID!) { customer(id: $id) { mergeHistory { id kind decidedBy survivor absorbed undoneAt "
    "movedRecords } } }"
)
CUSTOMER = "query($id: ID!) { customer(id: $id) { id redirectedFrom status name sourceRecords { id } } }"


async def probe_candidate(client: Any) -> dict[str, Any]:
    queue = (await gql(client, QUEUE))["data"]["reviewQueue"]
    matches = [c for c in queue["candidates"] if c["rule"] == "same_certificate_different_name"]
    assert matches, queue
    return matches[0]


async def test_queue_detail_and_counts(loaded: Store) -> None:
    async with api_client(loaded, "steward") as client:
        candidate = await probe_candidate(client)
        assert candidate["status"] == "pending" and candidate["blockingRule"] == "certificate"
        detail = (await gql(client, DETAIL, id=candidate["id"]))["data"]["matchCandidate"]
        names = {detail["left"]["fields"]["name"], detail["right"]["fields"]["name"]}
        assert names == {"甄测试", "欧阳某某"}
        by_field = {c["field"]: c for c in detail["comparisons"]}
        assert by_field["certificate"]["level"] == "exact" and not by_field["certificate"]["differs"]
        assert by_field["name"]["level"] == "different" and by_field["name"]["differs"]
        assert by_field["name"]["weight"] < 0 < by_field["certificate"]["weight"]
        counts = (await gql(client, QUEUE))["data"]["reviewQueue"]["counts"]
        assert sum(c["candidates"] for c in counts if c["status"] == "pending") >= 1


PAGE = """query($sort: String!, $after: String) { reviewQueue(sort: $sort, first: 1, after: $after) {
  candidates { id probability createdAt } pageInfo { hasNextPage endCursor } } }"""


async def pages(client: Any, sort: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        queue = (await gql(client, PAGE, sort=sort, after=after))["data"]["reviewQueue"]
        seen += queue["candidates"]
        if not queue["pageInfo"]["hasNextPage"]:
            return seen
        after = queue["pageInfo"]["endCursor"]
        assert len(seen) < 1000, "the queue pages in a loop"


async def test_the_queue_pages_to_its_end_by_score_and_by_age(loaded: Store) -> None:
    async with api_client(loaded, "steward") as client:
        by_score, by_age = await pages(client, "score"), await pages(client, "age")
    assert by_score and sorted(c["id"] for c in by_score) == sorted(c["id"] for c in by_age)
    assert len({c["id"] for c in by_score}) == len(by_score)
    assert [c["probability"] for c in by_score] == sorted((c["probability"] for c in by_score), reverse=True)
    assert [c["createdAt"] for c in by_age] == sorted(c["createdAt"] for c in by_age)


async def test_only_stewards_review(loaded: Store) -> None:
    async with api_client(loaded, "service_hall") as client:
        answer = await gql(client, QUEUE)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_approve_then_unmerge_restores_the_graph(loaded: Store) -> None:
    before = await crosswalk(loaded)
    async with api_client(loaded, "steward", "wang") as client:
        candidate = await probe_candidate(client)
        merged = (await gql(client, APPROVE, id=candidate["id"]))["data"]["approveCandidate"]
        after_merge = await crosswalk(loaded)
        assert after_merge["probe:customers:R1"] == after_merge["probe:customers:R2"] == merged["survivor"]
        redirected = (await gql(client, CUSTOMER, id=merged["absorbed"]))["data"]["customer"]
        assert redirected["id"] == merged["survivor"] and redirected["redirectedFrom"] == merged["absorbed"]
        history = (await gql(client, HISTORY, id=merged["survivor"]))["data"]["mergeHistory"]
        assert history[0]["kind"] == "merge" and history[0]["decidedBy"] == "wang"
        on_customer = (await gql(client, CUSTOMER_HISTORY, id=merged["absorbed"]))["data"]["customer"]
        assert on_customer["mergeHistory"] == history
    async with api_client(loaded, "service_hall") as hall:
        denied = await gql(hall, CUSTOMER_HISTORY, id=merged["survivor"])
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with api_client(loaded, "steward", "wang") as client:
        assert (await check_invariants(loaded)).ok
        again = await gql(client, APPROVE, id=candidate["id"])
        assert again["errors"][0]["extensions"]["code"] == "CONFLICT"
        undone = (await gql(client, UNMERGE, id=merged["eventId"]))["data"]["unmerge"]
        assert undone["moved"] == merged["moved"]
        assert await crosswalk(loaded) == before
        history = (await gql(client, HISTORY, id=merged["survivor"]))["data"]["mergeHistory"]
        assert any(h["undoneAt"] for h in history)
        assert (await check_invariants(loaded)).ok


async def test_rejected_pair_is_not_proposed_again(loaded: Store) -> None:
    async with api_client(loaded, "steward") as client:
        candidate = await probe_candidate(client)
        rejected = (await gql(client, REJECT, id=candidate["id"]))["data"]["rejectCandidate"]
        assert rejected["status"] == "rejected"
        await resolve_all(loaded)
        queue = (await gql(client, QUEUE))["data"]["reviewQueue"]["candidates"]
        assert candidate["id"] not in [c["id"] for c in queue]


async def test_two_stewards_approving_at_once_one_conflicts(loaded: Store) -> None:
    async with api_client(loaded, "steward", "a") as first, api_client(loaded, "steward", "b") as second:
        candidate = await probe_candidate(first)
        answers = await asyncio.gather(
            gql(first, APPROVE, id=candidate["id"]), gql(second, APPROVE, id=candidate["id"])
        )
    succeeded = [a for a in answers if a.get("data") and a["data"].get("approveCandidate")]
    conflicts = [a for a in answers if a.get("errors") and a["errors"][0]["extensions"]["code"] == "CONFLICT"]
    assert len(succeeded) == 1 and len(conflicts) == 1, answers
    assert (await check_invariants(loaded)).ok
