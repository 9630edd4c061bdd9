"""A forbidden field nulls only itself (issue 18, point 5), and a source record's undeclared keys are
masked (point 2), through the real ASGI app on both stores.

The refusals are derived, not listed: each role's "denied" personal fields in app/config/access.toml
(with the table an account manager gets outside their own customers), and each capability that names a
field of the customer (``source_records`` guards ``sourceRecords``) for the roles without it. Every
refusal is asked beside the fields the role may read: the answer is 200, the customer is there, the
refused field is null with a FORBIDDEN error whose path names it, and the rest is answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import app.api_keys
from app.access import DECLARED_PLAIN, FREE_TEXT, AccessPolicy, Role, access_policy, apply_mask
from app.services.incremental import resolve_records
from app.store import Store
from loaders.ingest import ingest_file
from schema.root import build_schema
from tests.conftest import api_client, record_input
from tests.integration.test_ingest import CUSTOMER_HEADER, write_csv
from tests.integration.test_masking_matrix import FIELDS, MANAGER, PEOPLE, World, build, camel

POLICY = access_policy()
CUSTOMER_TYPE = build_schema().as_str().split("type Customer implements Node {", 1)[1].split("}", 1)[0]
CUSTOMER_FIELDS = set(re.findall(r"^\s+(\w+)", CUSTOMER_TYPE, re.M))
# A role that denies phones: none in access.toml does, but one may; the agent's table with phones denied.
PHONES_DENIED = "phones_denied"
# A capability whose name is a customer field guards that field (the rest guard operations).
GUARDED = {
    capability: camel(capability)
    for role in POLICY.roles.values()
    for capability in role.capabilities
    if camel(capability) in CUSTOMER_FIELDS
}
SELECTION = {"sourceRecords": "sourceRecords { nodes { id } }", "mergeHistory": "mergeHistory { nodes { id } }"}


def with_phones_denied() -> AccessPolicy:
    agent = POLICY.roles["agent"]
    role = agent.model_copy(update={"personal": {**agent.personal, "phone": "denied"}})
    return POLICY.model_copy(
        update={
            "roles": {**POLICY.roles, PHONES_DENIED: role},
            "rate_limits": {**POLICY.rate_limits, PHONES_DENIED: POLICY.rate_limits["agent"]},
        }
    )


@dataclass(frozen=True)
class Case:
    """``role`` reads customer ``c`` (a source id of the matrix's people); ``field`` is refused."""

    role: str
    c: str
    field: str
    table: Role

    @property
    def path(self) -> tuple[Any, ...]:
        return (
            ("customer", "subscriptions", "nodes", 0, "serviceNumber")
            if self.field == "serviceNumber"
            else ("customer", self.field)
        )


def refusals(policy: AccessPolicy) -> list[Case]:
    cases = []
    for name, role in sorted(policy.roles.items()):
        # An account manager's own customer is c1 (by their table), c2 is another's (by the agent's).
        tables = [("c1", role)]
        if role.outside_own_customers:
            tables.append(("c2", policy.roles[role.outside_own_customers]))
        for c, table in tables:
            for personal, visibility in sorted(table.personal.items()):
                if visibility == "denied":
                    cases.append(Case(name, c, FIELDS[personal][1], table))
                    if personal == "phone":
                        cases.append(Case(name, c, "serviceNumber", table))
            cases += [
                Case(name, c, field, table) for cap, field in sorted(GUARDED.items()) if cap not in role.capabilities
            ]
    return cases


CASES = refusals(with_phones_denied())


def test_the_refusals_are_derived_from_access_toml() -> None:
    """The derivation finds what the issue names (so an empty or broken one cannot pass unseen)."""
    assert GUARDED == {"source_records": "sourceRecords", "merge_history": "mergeHistory"}
    found = {(c.role, c.c, c.field) for c in CASES}
    assert {
        ("hotline", "c1", "sourceRecords"),
        ("hotline", "c1", "mergeHistory"),
        ("web_hall", "c1", "birthDate"),
        ("agent", "c1", "email"),
        ("account_manager", "c2", "birthDate"),
        (PHONES_DENIED, "c1", "phones"),
        (PHONES_DENIED, "c1", "serviceNumber"),
    } <= found
    assert not any(c.role in ("admin", "steward") for c in CASES)


def query_for(case: Case) -> str:
    """The refused field beside everything else the case's table lets the role read."""
    readable = [graphql for personal, (_, graphql) in FIELDS.items() if case.table.personal[personal] != "denied"]
    wanted = ["id", "name", "localNetwork", *readable, "tier { starLevel }"]
    phones_shown = case.table.personal["phone"] != "denied"
    subscriptions = (
        "subscriptions { nodes { id productType"
        + (" serviceNumber" if case.field == "serviceNumber" or phones_shown else "")
        + " } }"
    )
    refused = SELECTION.get(case.field, case.field if case.field != "serviceNumber" else "")
    return "query($id: ID!) { customer(id: $id) { " + " ".join([*wanted, subscriptions, refused]) + " } }"


async def ask(world: World, case: Case, client: Any) -> tuple[int, dict[str, Any]]:
    query = query_for(case)
    answer = await client.post("/graphql", json={"query": query, "variables": {"id": world.customer[case.c]}})
    return answer.status_code, answer.json()


def problems_of(case: Case, status: int, body: dict[str, Any]) -> list[str]:
    cell = f"[{case.role} reads {case.c}, {case.field} refused]"
    customer = (body.get("data") or {}).get("customer")
    if status != 200 or not customer or not customer.get("id"):
        return [f"{cell} answered {status}: {str(body)[:400]}"]
    problems = []
    refused = [e for e in body.get("errors") or [] if tuple(e.get("path") or ()) == case.path]
    if not refused or refused[0].get("extensions", {}).get("code") != "FORBIDDEN":
        problems.append(f"{cell} no FORBIDDEN at {case.path}: {body.get('errors')}")
    others = [e for e in body.get("errors") or [] if tuple(e.get("path") or ()) != case.path]
    if others:
        problems.append(f"{cell} other errors: {others}")
    where: Any = customer
    for step in case.path[1:]:
        where = where[step] if where is not None else None
    if where is not None:
        problems.append(f"{cell} the refused field is {where!r}")
    person = PEOPLE[case.c]
    for personal, (key, graphql) in FIELDS.items():
        if case.table.personal[personal] != "denied" and person.get(key) and not customer.get(graphql):
            problems.append(f"{cell} {graphql} is missing beside the refusal: {customer.get(graphql)!r}")
    if not customer.get("name") or not customer.get("tier") or not customer.get("subscriptions"):
        problems.append(f"{cell} the rest of the customer is missing: {customer}")
    return problems


async def test_a_forbidden_field_nulls_only_itself(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(store, tmp_path)
    # The phones-denied role is served by the real app: only the policy that names the key's role grows.
    monkeypatch.setattr(app.api_keys, "access_policy", with_phones_denied)
    problems: list[str] = []
    for case in CASES:
        employee = MANAGER if case.role == "account_manager" else None
        async with api_client(store, case.role, f"refusal-{case.role}-{case.field}", employee) as client:
            problems += problems_of(case, *await ask(world, case, client))
    assert not problems, "\n".join(problems)


EXTRA_PHONE = "13955556666"
RECORDS = "query($id: ID!) { customer(id: $id) { id sourceRecords { nodes { id fields } } } }"


async def test_a_source_records_undeclared_key_is_masked_as_free_text(store: Store, tmp_path: Path) -> None:
    """Deny by default: an extra column of a source file is all stars to the analyst, whose personal
    fields are masked; declared plain keys stay in clear; a role that sees everything in full sees it."""
    world = await build(store, tmp_path)
    person = PEOPLE["c2"]
    record = {
        **{k: "" for k in CUSTOMER_HEADER},
        "source_id": "extra-1",
        "name": person["name"],
        "cert_type": person["cert_type"],
        "cert_no": person["cert_no"],
        "local_network": "0591",
        "segment": "individual",
        "backup_contact": f"tel {EXTRA_PHONE}",
        "callback_number": EXTRA_PHONE,
    }
    header = [*CUSTOMER_HEADER, "backup_contact", "callback_number"]
    await ingest_file(store, "partner", "customers", write_csv(tmp_path / "extra.csv", header, [record]))
    record_id = "partner:customers:extra-1"
    [placed] = await resolve_records(store, [record_id])
    customer_id = placed.customer_id
    assert customer_id == world.customer["c2"], "the record joins the customer with its certificate"

    async with api_client(store, "analyst", "extra-analyst") as analyst:
        answer = await analyst.post("/graphql", json={"query": RECORDS, "variables": {"id": customer_id}})
    assert answer.status_code == 200 and EXTRA_PHONE not in answer.text, answer.text
    records = answer.json()["data"]["customer"]["sourceRecords"]["nodes"]
    fields = next(r["fields"] for r in records if r["id"] == record_id)
    assert fields["backup_contact"] == apply_mask(FREE_TEXT, f"tel {EXTRA_PHONE}") == "*" * len(f"tel {EXTRA_PHONE}")
    assert fields["callback_number"] == "*" * len(EXTRA_PHONE)
    assert {"name", "local_network", "segment", "source_id", "cert_type"} <= DECLARED_PLAIN
    assert fields["name"] == person["name"] and fields["local_network"] == "0591" and fields["source_id"] == "extra-1"

    async with api_client(store, "admin", "extra-admin") as admin:
        answer = await admin.post("/graphql", json={"query": RECORDS, "variables": {"id": customer_id}})
    records = answer.json()["data"]["customer"]["sourceRecords"]["nodes"]
    fields = next(r["fields"] for r in records if r["id"] == record_id)
    assert fields["backup_contact"] == f"tel {EXTRA_PHONE}" and fields["callback_number"] == EXTRA_PHONE


SUBMITTERS = sorted(
    name
    for name, role in POLICY.roles.items()
    if "submit_record" in role.capabilities and "denied" in role.personal.values() and not role.outside_own_customers
)
SUBMIT_AS_ROLE = """mutation($r: CustomerRecordInput!, $ch: Channel) {
  submitCustomerRecord(record: $r, channel: $ch) {
  recordId decision explanation customer { id name } userErrors { message } } }"""


@pytest.mark.parametrize("role", SUBMITTERS)
async def test_a_submission_giving_denied_fields_is_answered_whole(store: Store, tmp_path: Path, role: str) -> None:
    """A channel may submit a field it may not read (web hall a birth date, an agent an e-mail): the
    answer, its explanation and its customer, is not refused for it; the denied values are not in it."""
    assert SUBMITTERS, "some channel submits records and is denied a personal field"
    world = await build(store, tmp_path)
    person = PEOPLE["c2"]
    record = {k: v for k, v in person.items() if k != "account_manager_id"} | {"local_network": "0591"}
    record |= {"segment": "individual", "source_id": f"sub-{role}"}
    channel = None if POLICY.roles[role].channel else "SERVICE_HALL"
    async with api_client(store, role, f"submit-{role}") as client:
        answer = await client.post(
            "/graphql", json={"query": SUBMIT_AS_ROLE, "variables": {"r": record_input(record), "ch": channel}}
        )
    body = answer.json()
    assert answer.status_code == 200 and not body.get("errors"), body
    result = body["data"]["submitCustomerRecord"]
    assert result["customer"]["id"] == world.customer["c2"] and result["explanation"] is not None
    for personal, visibility in POLICY.roles[role].personal.items():
        key = FIELDS[personal][0]
        if visibility == "denied":
            assert str(person[key]) not in answer.text, f"{role} is shown the {personal} it may not read"
