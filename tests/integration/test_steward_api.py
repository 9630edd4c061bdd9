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
  nodes { id status probability rule blockingRule department }
  counts { status department candidates } pageInfo { hasNextPage endCursor } } }"""
DETAIL = """query($id: ID!) { matchCandidate(id: $id) {
  candidate { id status } left { id source customerId fields } right { id source customerId fields }
  comparisons { field level weight left right differs } explanation } }"""
USER_ERRORS = "userErrors { field message code }"
APPROVE = (
    "mutation($id: ID!) { approveCandidate(id: $id) { result { eventId survivorId absorbedId moved "
    f"survivor {{ id }} absorbed {{ id }} }} {USER_ERRORS} }} }}"
)
REJECT = (
    'mutation($id: ID!) { rejectCandidate(id: $id, reason: "different people") { '
    f"candidate {{ id status decidedBy }} {USER_ERRORS} }} }}"
)
UNMERGE = (
    "mutation($id: ID!) { unmerge(eventId: $id) { result { eventId survivorId absorbedId moved } "
    f"{USER_ERRORS} }} }}"
)
EVENT_FIELDS = "id kind decidedBy survivorId absorbedId undoneAt movedRecords"
HISTORY = f"query($id: ID!) {{ mergeHistory(customerId: $id) {{ nodes {{ {EVENT_FIELDS} }} }} }}"
CUSTOMER_HISTORY = f"query($id: ID!) {{ customer(id: $id) {{ mergeHistory {{ nodes {{ {EVENT_FIELDS} }} }} }} }}"
CUSTOMER = "query($id: ID!) { customer(id: $id) { id redirectedFrom status name sourceRecords { nodes { id } } } }"


def user_error(answer: dict[str, Any], mutation: str) -> dict[str, Any]:
    """The one refusal a mutation answered as data (its object null), not as a top-level error."""
    assert "errors" not in answer, answer
    payload = answer["data"][mutation]
    assert len(payload["userErrors"]) == 1, payload
    assert all(v is None for k, v in payload.items() if k != "userErrors"), payload
    return payload["userErrors"][0]


def done(answer: dict[str, Any], mutation: str) -> dict[str, Any]:
    """A mutation's payload that was not refused."""
    assert "errors" not in answer, answer
    payload = answer["data"][mutation]
    assert payload["userErrors"] == [], payload
    return payload


async def probe_candidate(client: Any) -> dict[str, Any]:
    queue = (await gql(client, QUEUE))["data"]["reviewQueue"]
    matches = [c for c in queue["nodes"] if c["rule"] == "same_certificate_different_name"]
    assert matches, queue
    return matches[0]


async def test_queue_detail_and_counts(loaded: Store) -> None:
    async with api_client(loaded, "steward") as client:
        candidate = await probe_candidate(client)
        assert candidate["status"] == "PENDING" and candidate["blockingRule"] == "certificate"
        detail = (await gql(client, DETAIL, id=candidate["id"]))["data"]["matchCandidate"]
        names = {detail["left"]["fields"]["name"], detail["right"]["fields"]["name"]}
        assert names == {"甄测试", "欧阳某某"}
        by_field = {c["field"]: c for c in detail["comparisons"]}
        assert by_field["certificate"]["level"] == "exact" and not by_field["certificate"]["differs"]
        assert by_field["name"]["level"] == "different" and by_field["name"]["differs"]
        assert by_field["name"]["weight"] < 0 < by_field["certificate"]["weight"]
        counts = (await gql(client, QUEUE))["data"]["reviewQueue"]["counts"]
        assert sum(c["candidates"] for c in counts if c["status"] == "PENDING") >= 1


PAGE = """query($sort: ReviewSort!, $after: String) { reviewQueue(sort: $sort, first: 1, after: $after) {
  nodes { id probability createdAt } pageInfo { hasNextPage endCursor } } }"""


async def pages(client: Any, sort: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        queue = (await gql(client, PAGE, sort=sort, after=after))["data"]["reviewQueue"]
        seen += queue["nodes"]
        if not queue["pageInfo"]["hasNextPage"]:
            return seen
        after = queue["pageInfo"]["endCursor"]
        assert len(seen) < 1000, "the queue pages in a loop"


async def test_the_queue_pages_to_its_end_by_score_and_by_age(loaded: Store) -> None:
    async with api_client(loaded, "steward") as client:
        by_score, by_age = await pages(client, "SCORE"), await pages(client, "AGE")
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
        merged = done(await gql(client, APPROVE, id=candidate["id"]), "approveCandidate")["result"]
        after_merge = await crosswalk(loaded)
        assert after_merge["probe:customers:R1"] == after_merge["probe:customers:R2"] == merged["survivorId"]
        # The result's customers as they are now: the absorbed id answers the survivor.
        assert merged["survivor"]["id"] == merged["absorbed"]["id"] == merged["survivorId"] != merged["absorbedId"]
        redirected = (await gql(client, CUSTOMER, id=merged["absorbedId"]))["data"]["customer"]
        assert redirected["id"] == merged["survivorId"] and redirected["redirectedFrom"] == merged["absorbedId"]
        history = (await gql(client, HISTORY, id=merged["survivorId"]))["data"]["mergeHistory"]["nodes"]
        assert history[0]["kind"] == "MERGE" and history[0]["decidedBy"] == "wang"
        assert (history[0]["survivorId"], history[0]["absorbedId"]) == (merged["survivorId"], merged["absorbedId"])
        on_customer = (await gql(client, CUSTOMER_HISTORY, id=merged["absorbedId"]))["data"]["customer"]
        assert on_customer["mergeHistory"]["nodes"] == history
    async with api_client(loaded, "service_hall") as hall:
        denied = await gql(hall, CUSTOMER_HISTORY, id=merged["survivorId"])
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with api_client(loaded, "steward", "wang") as client:
        assert (await check_invariants(loaded)).ok
        again = user_error(await gql(client, APPROVE, id=candidate["id"]), "approveCandidate")
        assert again["code"] == "CONFLICT" and f"{candidate['id']!r} is already approved" in again["message"], again
        undone = done(await gql(client, UNMERGE, id=merged["eventId"]), "unmerge")["result"]
        assert undone["moved"] == merged["moved"]
        assert await crosswalk(loaded) == before
        history = (await gql(client, HISTORY, id=merged["survivorId"]))["data"]["mergeHistory"]["nodes"]
        assert any(h["undoneAt"] for h in history)
        assert (await check_invariants(loaded)).ok


async def test_rejected_pair_is_not_proposed_again(loaded: Store) -> None:
    async with api_client(loaded, "steward") as client:
        candidate = await probe_candidate(client)
        rejected = done(await gql(client, REJECT, id=candidate["id"]), "rejectCandidate")["candidate"]
        assert rejected["id"] == candidate["id"] and rejected["status"] == "REJECTED"
        await resolve_all(loaded)
        queue = (await gql(client, QUEUE))["data"]["reviewQueue"]["nodes"]
        assert candidate["id"] not in [c["id"] for c in queue]


async def test_two_stewards_approving_at_once_one_conflicts(loaded: Store) -> None:
    async with api_client(loaded, "steward", "a") as first, api_client(loaded, "steward", "b") as second:
        candidate = await probe_candidate(first)
        answers = await asyncio.gather(
            gql(first, APPROVE, id=candidate["id"]), gql(second, APPROVE, id=candidate["id"])
        )
    assert all("errors" not in a for a in answers), answers
    payloads = [a["data"]["approveCandidate"] for a in answers]
    succeeded = [p for p in payloads if p["result"] and not p["userErrors"]]
    conflicts = [
        p
        for p in payloads
        if p["result"] is None
        and [e["code"] for e in p["userErrors"]] == ["CONFLICT"]
        # Whichever lost names what it found changed: the candidate, or a customer merged meanwhile.
        and ("candidate" in p["userErrors"][0]["message"] or "customer" in p["userErrors"][0]["message"])
    ]
    assert len(succeeded) == 1 and len(conflicts) == 1, answers
    assert (await check_invariants(loaded)).ok
