"""Every list pages to its end without looping (issue 18: reviewQueue sorted by score listed 125
items, 113 distinct, once scores tied): on data where most items tie on their sort key, each list,
in each sort, paged with several page sizes through the real API on both stores, lists every item
exactly once, the same set as one big page; a cursor of another list or sort, or one the API did
not give out, is BAD_USER_INPUT."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from app.store import Store
from tests.conftest import api_client, cypher_of_tests

TIES = cypher_of_tests("paging_ties")
TIMELINE = "C-TIMELINE"
# 0.1 + 0.2 is 0.30000000000000004: FalkorDB returns it rounded to 15 digits, which is what looped.
SCORES = [0.1 + 0.2, 0.95, 0.873245, 0.7]
TIMES = ["2026-11-01T00:00:00.000Z", "2026-11-02T08:30:00.000Z", "2026-11-03T23:59:59.999Z"]
NAME = "张伟"


def fixture_rows() -> dict[str, Any]:
    candidates = [
        {
            "id": f"MC-{k:03d}",
            "status": "pending",
            "probability": SCORES[k % len(SCORES)],
            "created_at": TIMES[k % len(TIMES)],
            "left_record": f"crm:customers:L{k}",
            "right_record": f"web:customers:R{k}",
            "department": "data_stewards",
        }
        for k in range(53)
    ]
    decisions = [
        {
            "id": f"SD-{k:03d}",
            "kind": "cannot_link",
            "left": f"crm:customers:L{k}",
            "right": f"web:customers:R{k}",
            "decided_by": "steward",
            "decided_at": TIMES[k % 2],
            "why": "rejected",
            "status": "standing",
        }
        for k in range(31)
    ]
    held = []
    for k in range(19):
        offers = {"phones": [{"record": f"agent:customers:H{k}", "source": "agent", "value": [f"1390000{k:04d}"]}]}
        if k % 3 == 0:
            offers["email"] = [
                {"record": f"agent:customers:H{k}", "source": "agent", "value": [f"h{k}@example.cn"]},
                {"record": f"web:customers:H{k}", "source": "web", "value": [f"w{k}@example.cn"]},
            ]
        held.append(
            {
                "id": f"C-HELD-{k:03d}",
                "status": "active",
                "version": 1,
                "name": f"持有{k}",
                "held_contact_changes": json.dumps(offers, ensure_ascii=False, sort_keys=True),
            }
        )
    namesakes = [
        {"id": f"C-ZW-{k:03d}", "status": "active", "version": 1, "name": NAME, "name_pinyin": "zhangwei"}
        for k in range(41)
    ]
    timeline = {"id": TIMELINE, "status": "active", "version": 1, "name": "时间线"}
    contacts = [
        {"id": f"CT-{k:03d}", "channel": "hotline", "kind": "query", "at": TIMES[k % len(TIMES)]} for k in range(37)
    ]
    return {
        "candidates": candidates,
        "decisions": decisions,
        "customers": [*held, *namesakes, timeline],
        "timeline": TIMELINE,
        "contacts": contacts,
    }


@pytest.fixture
async def tied(store: Store) -> Store:
    await store.write(TIES, fixture_rows())
    return store


# Each list: its query (taking $first and $after), where its connection is in the answer, and the
# number of items fixture_rows() gives it.
LISTS = {
    "reviewQueue by score": (
        """query($first: Int!, $after: String) { reviewQueue(sort: SCORE, first: $first, after: $after) {
        edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }""",
        ("reviewQueue",),
        53,
    ),
    "reviewQueue by age": (
        """query($first: Int!, $after: String) { reviewQueue(sort: AGE, first: $first, after: $after) {
        edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }""",
        ("reviewQueue",),
        53,
    ),
    "stewardDecisions": (
        """query($first: Int!, $after: String) { stewardDecisions(first: $first, after: $after) {
        edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }""",
        ("stewardDecisions",),
        31,
    ),
    "heldContactChanges": (
        """query($first: Int!, $after: String) { heldContactChanges(first: $first, after: $after) {
        edges { cursor node { customerId attribute recordId } } nodes { customerId attribute recordId }
        pageInfo { hasNextPage endCursor } } }""",
        ("heldContactChanges",),
        19 + 2 * 7,
    ),
    "searchCustomers": (
        """query($first: Int!, $after: String) { searchCustomers(text: "张伟", first: $first, after: $after) {
        edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }""",
        ("searchCustomers",),
        41,
    ),
    "contacts": (
        """query($first: Int!, $after: String) { customer(id: "C-TIMELINE") {
        contacts(first: $first, after: $after) {
        edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } } }""",
        ("customer", "contacts"),
        37,
    ),
}


def item(node: dict[str, Any]) -> str:
    return node.get("id") or f"{node['customerId']}/{node['attribute']}/{node['recordId']}"


async def connection(client: httpx.AsyncClient, name: str, first: int, after: str | None) -> dict[str, Any]:
    query, path, _ = LISTS[name]
    answer = (
        await client.post("/graphql", json={"query": query, "variables": {"first": first, "after": after}})
    ).json()
    assert "errors" not in answer, answer
    found = answer["data"]
    for step in path:
        found = found[step]
    return found


async def paged(client: httpx.AsyncClient, name: str, first: int) -> list[str]:
    items: list[str] = []
    after = None
    for _ in range(200):
        page = await connection(client, name, first, after)
        assert [item(e["node"]) for e in page["edges"]] == [item(n) for n in page["nodes"]]
        assert len(page["nodes"]) <= first
        items += [item(n) for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return items
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    raise AssertionError(f"{name} did not end after 200 pages of {first}: {len(items)} items listed")


@pytest.mark.parametrize("name", list(LISTS))
async def test_every_list_pages_to_its_end_each_item_once(tied: Store, name: str) -> None:
    async with api_client(tied, "admin", "pager") as client:
        whole = [item(n) for n in (await connection(client, name, 100, None))["nodes"]]
        assert len(whole) == len(set(whole)) == LISTS[name][2], whole
        for first in (1, 2, 3, 7, 10):
            listed = await paged(client, name, first)
            assert listed == whole, (first, len(listed), len(set(listed)))


def foreign(cursor: str, **change: Any) -> str:
    parts = json.loads(base64.urlsafe_b64decode(cursor))
    if "list" in change:
        parts[0] = change["list"]
    if "sort" in change:
        parts[1] = change["sort"]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


async def test_foreign_and_malformed_cursors_are_bad_input(tied: Store) -> None:
    async with api_client(tied, "admin", "pager") as client:
        by_score = (await connection(client, "reviewQueue by score", 2, None))["pageInfo"]["endCursor"]
        decisions = (await connection(client, "stewardDecisions", 2, None))["pageInfo"]["endCursor"]
        contacts = (await connection(client, "contacts", 2, None))["pageInfo"]["endCursor"]
        tries = {
            "reviewQueue by age": [by_score, decisions],
            "reviewQueue by score": [decisions, foreign(by_score, sort="age"), "not a cursor", "", "%%%", "bnVsbA=="],
            "searchCustomers": [contacts, foreign(contacts, list="searchCustomers")],
            "contacts": [by_score, foreign(by_score, list="contacts", sort="newest")],
            "heldContactChanges": [decisions, base64.urlsafe_b64encode(b"[1,2,3]").decode()],
            "stewardDecisions": [contacts, "\u00e9\u00e9"],
        }
        for name, cursors in tries.items():
            query, path, _ = LISTS[name]
            for cursor in cursors:
                response = await client.post(
                    "/graphql", json={"query": query, "variables": {"first": 2, "after": cursor}}
                )
                answer = response.json()
                assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (name, cursor, answer)
        wrong_sort = await client.post(
            "/graphql", json={"query": LISTS["reviewQueue by age"][0], "variables": {"first": 2, "after": by_score}}
        )
        assert (
            "reviewQueue sorted by score, not of reviewQueue sorted by age" in wrong_sort.json()["errors"][0]["message"]
        )
