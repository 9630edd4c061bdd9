"""A channel cannot take over a known person's contact details (issue: an agent key changed a
customer's golden e-mail and added phones by submitting the customer's name and certificate).

Through the real GraphQL app on both stores: the agent's record lands and joins the customer, but its
e-mail and phone are held and listed for stewards; the customer view every channel reads keeps the
trusted values, after incremental and batch resolution alike.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from app.services.resolve import resolve_all
from app.store import Store
from demo import generate
from loaders.ingest import ingest_file
from loaders.manifest import ingest_directory
from tests.conftest import api_client, record_input
from tests.identities import resident_id
from tests.integration.test_steward_api import crosswalk

PERSON = {
    "source_id": "P1",
    "name": "柯信任",
    "cert_type": "resident_id",
    "cert_no": resident_id(881),
    "phones": "13300008801",
    "email": "kexinren@example.cn",
    "local_network": "0591",
    "segment": "individual",
}
SUBMIT = """mutation($r: CustomerRecordInput!) { submitCustomerRecord(record: $r) {
  recordId decision customer { id } warnings { field message } userErrors { field message code } } }"""
VIEW = "query($id: ID!) { customer(id: $id) { id email phones } }"
HELD = """query($after: String) { heldContactChanges(first: 50, after: $after) {
  nodes { customerId attribute recordId source values } pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
async def known(graph: Store, tmp_path: Path) -> tuple[Store, str]:
    """The demo, and one person the operator's CRM knows, with a phone and an e-mail."""
    generate(tmp_path / "demo", 60, seed=11)
    await ingest_directory(graph, tmp_path / "demo")
    path = tmp_path / "crm_person.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PERSON))
        writer.writeheader()
        writer.writerow(PERSON)
    await ingest_file(graph, "crm", "customers", path)
    await resolve_all(graph)
    return graph, (await crosswalk(graph))["crm:customers:P1"]


async def gql(client: Any, query: str, **variables: Any) -> dict[str, Any]:
    return (await client.post("/graphql", json={"query": query, "variables": variables})).json()


async def submit(client: Any, row: dict[str, str]) -> dict[str, Any]:
    """A row in the source file's form submitted as CustomerRecordInput; it must be taken whole."""
    fields: dict[str, Any] = {**row, "phones": row["phones"].split(";")}
    if "identity_verified" in fields:
        fields["identity_verified"] = fields["identity_verified"] == "true"
    answer = await gql(client, SUBMIT, r=record_input(fields))
    assert "errors" not in answer, answer
    submitted = answer["data"]["submitCustomerRecord"]
    assert submitted["userErrors"] == [] and submitted["warnings"] == [], answer
    return submitted


async def held_changes(client: Any) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await gql(client, HELD, after=after))["data"]["heldContactChanges"]
        changes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return changes
        after = page["pageInfo"]["endCursor"]


async def test_an_agent_cannot_change_a_known_persons_email_or_add_phones(known: tuple[Store, str]) -> None:
    store, customer = known
    offered = {**PERSON, "source_id": "A-1", "email": "taken@example.cn", "phones": "13300008899"}
    async with api_client(store, "agent") as agent, api_client(store, "admin") as admin:
        before = (await gql(admin, VIEW, id=customer))["data"]["customer"]
        answer = await submit(agent, offered)
        assert answer["customer"]["id"] == customer, answer
        for _ in range(2):
            view = (await gql(admin, VIEW, id=customer))["data"]["customer"]
            assert view["email"] == PERSON["email"] == before["email"]
            assert "13300008899" not in view["phones"]
            mine = [c for c in await held_changes(admin) if c["customerId"] == customer]
            assert {(c["attribute"], c["source"], tuple(c["values"])) for c in mine} == {
                ("email", "api_agent", ("taken@example.cn",)),
                ("phones", "api_agent", ("13300008899",)),
            }
            await resolve_all(store)


async def test_held_changes_are_the_stewards_to_read(known: tuple[Store, str]) -> None:
    store, _ = known
    async with api_client(store, "agent") as agent:
        refused = await gql(agent, HELD, after=None)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_desk_that_verified_the_holder_changes_them_and_a_claim_from_elsewhere_does_not(
    known: tuple[Store, str],
) -> None:
    store, customer = known
    verified = {**PERSON, "source_id": "H-1", "email": "verified@example.cn", "identity_verified": "true"}
    claimed = {**PERSON, "source_id": "T-1", "email": "claimed@example.cn", "identity_verified": "true"}
    async with (
        api_client(store, "hotline") as hotline,
        api_client(store, "service_hall") as hall,
        api_client(store, "admin") as admin,
    ):
        await submit(hotline, claimed)
        assert (await gql(admin, VIEW, id=customer))["data"]["customer"]["email"] == PERSON["email"]
        await submit(hall, verified)
        await resolve_all(store)
        assert (await gql(admin, VIEW, id=customer))["data"]["customer"]["email"] == "verified@example.cn"
        held = [c for c in await held_changes(admin) if c["customerId"] == customer]
        assert [(c["source"], c["values"]) for c in held if c["attribute"] == "email"] == [
            ("api_hotline", ["claimed@example.cn"])
        ]
