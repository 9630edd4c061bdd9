"""Global object identification through the served API (issue 19): node(id:) and nodes(ids:) answer
what each type's own query answers, a merged customer's id answers the survivor, and each type keeps
its own checks; on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client, load_demo
from tests.integration.test_steward_api import crafted_pair, crosswalk, gql

CUSTOMER = """query($id: ID!) { customer(id: $id) { id globalId name version redirectedFrom } }"""
NODE = """query($id: ID!) { node(id: $id) { globalId
  ... on Customer { id name version redirectedFrom }
  ... on MatchCandidate { id status probability }
  ... on MergeEvent { id kind survivorId absorbedId survivor { id } } } }"""
NODES = """query($ids: [ID!]!) { nodes(ids: $ids) { globalId ... on Customer { id } } }"""
DECISIONS = "{ stewardDecisions(first: 5) { totalCount nodes { id globalId } } }"
DECISION = """query($id: ID!) { node(id: $id) { globalId ... on StewardDecision { kind status } } }"""
QUEUE = "{ reviewQueue(first: 1) { nodes { id globalId } } }"


@pytest.fixture
async def loaded(graph: Store, tmp_path: Path) -> Store:
    """A demo with a pair crafted to go to review."""
    await ingest_file(graph, "probe", "customers", crafted_pair(tmp_path))
    await load_demo(graph, tmp_path / "demo", 120, seed=5)
    return graph


APPROVE = """mutation($id: ID!) { approveCandidate(id: $id) {
  result { eventId survivorId absorbedId survivor { id globalId } } userErrors { code message } } }"""


async def test_node_answers_what_each_query_answers(loaded: Store) -> None:
    async with api_client(loaded, "steward") as steward, api_client(loaded, "hotline") as hotline:
        [candidate] = (await gql(steward, QUEUE))["data"]["reviewQueue"]["nodes"]
        assert candidate["globalId"] == f"MatchCandidate:{candidate['id']}"
        node = (await gql(steward, NODE, id=candidate["globalId"]))["data"]["node"]
        assert node["id"] == candidate["id"] and node["status"] == "PENDING"
        refused = await gql(hotline, NODE, id=candidate["globalId"])
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused["data"] is None

        approved = (await gql(steward, APPROVE, id=candidate["id"]))["data"]["approveCandidate"]
        assert approved["userErrors"] == [], approved
        result = approved["result"]
        survivor, absorbed = result["survivorId"], result["absorbedId"]
        assert result["survivor"] == {"id": survivor, "globalId": f"Customer:{survivor}"}

        decisions = await gql(steward, DECISIONS)
        [decision] = decisions["data"]["stewardDecisions"]["nodes"]
        assert decisions["data"]["stewardDecisions"]["totalCount"] == 1
        again = (await gql(steward, DECISION, id=decision["globalId"]))["data"]["node"]
        assert again == {"globalId": f"StewardDecision:{decision['id']}", "kind": "MUST", "status": "STANDING"}
        assert (await gql(hotline, DECISION, id=decision["globalId"]))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        event = (await gql(steward, NODE, id=f"MergeEvent:{result['eventId']}"))["data"]["node"]
        assert (event["kind"], event["survivorId"], event["absorbedId"]) == ("MERGE", survivor, absorbed)
        assert event["survivor"] == {"id": survivor}

        for caller in (steward, hotline):
            direct = (await gql(caller, CUSTOMER, id=absorbed))["data"]["customer"]
            through_node = (await gql(caller, NODE, id=f"Customer:{absorbed}"))["data"]["node"]
            assert direct["id"] == through_node["id"] == survivor
            assert through_node["redirectedFrom"] == absorbed == direct["redirectedFrom"]
            assert {k: through_node[k] for k in direct} == direct


async def test_nodes_keep_order_and_null_only_the_missing(loaded: Store) -> None:
    hit = {"id": min((await crosswalk(loaded)).values())}
    async with api_client(loaded, "hotline") as hotline:
        ids = [f"Customer:{hit['id']}", "Customer:CNOSUCHCUSTOMER", f"Customer:{hit['id']}"]
        answer = await gql(hotline, NODES, ids=ids)
        assert answer["data"]["nodes"] == [
            {"globalId": ids[0], "id": hit["id"]},
            None,
            {"globalId": ids[0], "id": hit["id"]},
        ]
        [error] = answer["errors"]
        assert error["path"] == ["nodes", 1] and error["extensions"]["code"] == "NOT_FOUND"
        for bad in ("C58FB7", "Account:A1", "Customer:"):
            refused = await gql(hotline, NODE, id=bad)
            assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (bad, refused)
            assert "not a global id" in refused["errors"][0]["message"]
