"""Every personal value through every path as every role (issue 18, point 2), on both stores.

The matrix is generated: roles from app/config/access.toml, personal fields from the customer
declaration (app.customer), paths listed once below. Hand-built customers are read through the real
ASGI app; each cell says what the role's table says: the stored value where full, the field's mask
where masked, FORBIDDEN beside the rest of the answer where denied or where the role may not take the
path at all; and the raw JSON text of every answer is searched for each clear value the role may not
see, so no path (an explanation, an error message, a raw source field) shows one by the side door.
Account managers are bound to an employee: their own customers by their table, others by the agent's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.access import Caller, Role, access_policy, mask
from app.customer import BY_KEY, PERSONAL_BY_KEY, PERSONAL_FIELDS
from app.ids import record_id
from app.services.resolve import resolve_all
from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client, record_input
from tests.integration.test_ingest import CUSTOMER_HEADER, resident_id, write_csv
from tests.integration.test_steward_api import crosswalk, gql

POLICY = access_policy()
ROLES = sorted(POLICY.roles)
MANAGER = record_id("crm", "employees", "E1")
EMPLOYEE_HEADER = ["source_id", "name", "role", "local_network", "backup_id"]
SUBSCRIPTION_HEADER = ["source_id", "customer_source_id", "service_no", "product_type", "status"]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


# personal field -> (golden attribute key, GraphQL field of the customer view)
FIELDS = {personal: (key, camel(BY_KEY[key].graphql or key)) for key, personal in PERSONAL_BY_KEY.items()}
assert set(FIELDS) == set(PERSONAL_FIELDS)

ZHEN_ID = resident_id("35010219800101777")
PEOPLE: dict[str, dict[str, str]] = {
    # Managed by E1 (backup E2): the account manager's own customer.
    "c1": {
        "name": "王小明",
        "cert_type": "resident_id",
        "cert_no": resident_id("11010119900307123"),
        "phones": "13912345678",
        "email": "wang.xm@example.com",
        "address": "福建省福州市鼓楼区五四路100号",
        "birth_date": "1990-03-07",
        "account_manager_id": "E1",
    },
    # Managed by E3: outside the account manager's scope.
    "c2": {
        "name": "李华",
        "cert_type": "passport",
        "cert_no": "E98765432",
        "phones": "13787654321",
        "email": "li.hua@example.org",
        "address": "北京市朝阳区建国路88号",
        "birth_date": "1975-11-30",
        "account_manager_id": "E3",
    },
    # One resident id, two names: a pair for review.
    "c3": {
        "name": "甄测试",
        "cert_type": "resident_id",
        "cert_no": ZHEN_ID,
        "phones": "13300007771",
        "email": "zhen.cs@example.net",
        "address": "福建省厦门市思明区湖滨南路1号",
        "birth_date": "1980-01-01",
    },
    "c4": {
        "name": "欧阳某某",
        "cert_type": "resident_id",
        "cert_no": ZHEN_ID,
        "phones": "13300007772",
        "email": "oy.mm@example.net",
        "address": "福建省泉州市丰泽区田安路2号",
        "birth_date": "1980-01-01",
    },
}
# A web-hall record of c1 offering another phone: held on c1, listed for stewards.
HELD_PHONE = "13611112222"


def clear_values(source_id: str) -> dict[str, list[str]]:
    person = PEOPLE[source_id]
    values = {personal: [person[key]] for personal, (key, _) in FIELDS.items() if person.get(key)}
    if source_id == "c1":
        values["phone"].append(HELD_PHONE)
    return values


@dataclass
class World:
    store: Store
    customer: dict[str, str]  # source id -> customer id
    candidate: str | None

    def owner(self, customer_id: str) -> str:
        return next(s for s, c in self.customer.items() if c == customer_id)


async def build(store: Store, tmp_path: Path) -> World:
    employees = [
        {"source_id": "E1", "name": "陈经理", "role": "account_manager", "local_network": "0591", "backup_id": "E2"},
        {"source_id": "E2", "name": "林经理", "role": "account_manager", "local_network": "0591", "backup_id": ""},
        {"source_id": "E3", "name": "黄经理", "role": "account_manager", "local_network": "0591", "backup_id": ""},
    ]
    await ingest_file(store, "crm", "employees", write_csv(tmp_path / "employees.csv", EMPLOYEE_HEADER, employees))
    rows = [
        {**{k: "" for k in CUSTOMER_HEADER}, "source_id": s, "local_network": "0591", "segment": "individual", **p}
        for s, p in PEOPLE.items()
    ]
    await ingest_file(store, "crm", "customers", write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows))
    web = [{**rows[0], "source_id": "w1", "phones": HELD_PHONE, "account_manager_id": ""}]
    await ingest_file(store, "web", "customers", write_csv(tmp_path / "web.csv", CUSTOMER_HEADER, web))
    subscriptions = [
        {"source_id": f"S{s}", "customer_source_id": s, "service_no": p["phones"], "product_type": "mobile"}
        | {"status": "active"}
        for s, p in PEOPLE.items()
        if s in ("c1", "c2")
    ]
    await resolve_all(store)
    path = write_csv(tmp_path / "subscriptions.csv", SUBSCRIPTION_HEADER, subscriptions)
    await ingest_file(store, "crm", "subscriptions", path)
    walk = await crosswalk(store)
    customer = {s: walk[f"crm:customers:{s}"] for s in PEOPLE}
    async with api_client(store, "admin") as admin:
        queue = await gql(admin, "{ reviewQueue(first: 20) { nodes { id } } }")
    candidates = queue["data"]["reviewQueue"]["nodes"]
    return World(store, customer, candidates[0]["id"] if candidates else None)


def role_for(role: str, customer_id: str, world: World) -> Role:
    """The table that governs ``role``'s view of a customer: account managers are E1, who manages c1."""
    caller = Caller("matrix", role, POLICY.roles[role], employee=MANAGER)
    if POLICY.roles[role].outside_own_customers:
        caller.acting_for = frozenset({world.customer["c1"]})
    return caller.role_for(customer_id)


VIEW = "id " + " ".join(g for _, g in FIELDS.values()) + " subscriptions { nodes { serviceNumber productType } }"


@dataclass(frozen=True)
class Path_:
    """One way to a customer's personal values: the request for customer ``c`` (a source id), the
    capability it needs (None: any role), and where the answer's customer views or raw records are."""

    name: str
    capability: str | None
    request: Callable[[World, str, str], tuple[str, dict[str, Any]]]
    views: Callable[[dict[str, Any]], list[dict[str, Any]]] = lambda data: []
    records: Callable[[dict[str, Any]], list[tuple[str | None, dict[str, Any]]]] = lambda data: []


def _record_input(c: str) -> dict[str, Any]:
    p = PEOPLE[c]
    return {"name": p["name"], "cert_type": p["cert_type"], "cert_no": p["cert_no"], "phones": [p["phones"]]}


def _channel(role: str) -> dict[str, Any]:
    return {} if POLICY.roles[role].channel else {"channel": "SERVICE_HALL"}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


PATHS = [
    Path_(
        "customer",
        None,
        lambda w, c, role: ("query($id: ID!) { customer(id: $id) { " + VIEW + " } }", {"id": w.customer[c]}),
        lambda d: _list(d.get("customer")),
    ),
    Path_(
        "customer_again_kept",
        None,
        lambda w, c, role: ("query($id: ID!) { customer(id: $id) { " + VIEW + " } }", {"id": w.customer[c]}),
        lambda d: _list(d.get("customer")),
    ),
    Path_(
        "search_hits",
        None,
        lambda w, c, role: (
            "query($t: String!) { searchCustomers(text: $t, first: 10) { edges { node { " + VIEW + " } } } }",
            {"t": PEOPLE[c]["name"]},
        ),
        lambda d: [e["node"] for e in ((d.get("searchCustomers") or {}).get("edges") or []) if e.get("node")],
    ),
    Path_(
        "by_certificate",
        None,
        lambda w, c, role: (
            "query($t: CertificateType!, $n: String!) { customerByCertificate(type: $t, number: $n) { " + VIEW + " } }",
            {"t": PEOPLE[c]["cert_type"].upper(), "n": PEOPLE[c]["cert_no"]},
        ),
        lambda d: _list(d.get("customerByCertificate")),
    ),
    Path_(
        "by_service_number",
        None,
        lambda w, c, role: (
            "query($n: String!) { customerByServiceNumber(number: $n) { " + VIEW + " } }",
            {"n": PEOPLE[c]["phones"]},
        ),
        lambda d: _list(d.get("customerByServiceNumber")),
    ),
    Path_(
        "match",
        "match",
        lambda w, c, role: (
            "query($r: CustomerRecordInput!) { match(record: $r) { explanation customer { " + VIEW + " } } }",
            {"r": record_input(_record_input(c))},
        ),
        lambda d: [m["customer"] for m in d.get("match") or [] if m.get("customer")],
    ),
    Path_(
        "source_records",
        "source_records",
        lambda w, c, role: (
            "query($id: ID!) { customer(id: $id) { id sourceRecords { nodes { id fields why } } } }",
            {"id": w.customer[c]},
        ),
        records=lambda d: [
            ((d.get("customer") or {}).get("id"), r["fields"])
            for r in ((d.get("customer") or {}).get("sourceRecords") or {}).get("nodes") or []
        ],
    ),
    Path_(
        "merge_history",
        "merge_history",
        lambda w, c, role: (
            "query($id: ID!) { customer(id: $id) { id mergeHistory { nodes { id explanation } } } }",
            {"id": w.customer[c]},
        ),
    ),
    Path_(
        "match_candidate",
        "review",
        lambda w, c, role: (
            "query($id: ID!) { matchCandidate(id: $id) { left { customerId fields } right { customerId fields } "
            "comparisons { field left right } explanation } }",
            {"id": w.candidate},
        ),
        records=lambda d: [
            (side["customerId"], side["fields"])
            for side in ((d.get("matchCandidate") or {}).get(k) for k in ("left", "right"))
            if side
        ],
    ),
    Path_(
        "held_contact_changes",
        "review",
        lambda w, c, role: (
            "{ heldContactChanges(first: 50) { nodes { customerId attribute values } } }",
            {},
        ),
        records=lambda d: [
            (h["customerId"], {h["attribute"]: h["values"]})
            for h in ((d.get("heldContactChanges") or {}).get("nodes") or [])
        ],
    ),
    Path_(
        "record_contact",
        "record_contact",
        lambda w, c, role: (
            "mutation($c: ContactRecordInput!) { recordContact(contact: $c) { customer { " + VIEW + " } } }",
            {"c": {"customerId": w.customer[c], "kind": "QUERY", **_channel(role)}},
        ),
        lambda d: _list((d.get("recordContact") or {}).get("customer")),
    ),
    Path_(
        "submit_customer_record",
        "submit_record",
        lambda w, c, role: (
            "mutation($r: CustomerRecordInput!, $ch: Channel) { submitCustomerRecord(record: $r, channel: $ch) { "
            "explanation customer { " + VIEW + " } } }",
            {
                "r": record_input(
                    {k: v for k, v in PEOPLE[c].items() if k != "account_manager_id"}
                    | {"local_network": "0591", "segment": "individual"}
                ),
                "ch": _channel(role).get("channel"),
            },
        ),
        lambda d: [s["customer"] for s in _list(d.get("submitCustomerRecord")) if s.get("customer")],
    ),
    Path_(
        "not_found_error",
        None,
        lambda w, c, role: (
            "query($t: CertificateType!, $n: String!) { customerByCertificate(type: $t, number: $n) { id } }",
            {"t": "RESIDENT_ID", "n": resident_id("35010220000101" + ("991" if c == "c1" else "992"))},
        ),
    ),
]


def check_view(view: dict[str, Any], table: Role, errors: list[dict[str, Any]], cell: str) -> list[str]:
    """Each personal field of one customer view as the table says; the problems found."""
    owner = view["_owner"]
    person, problems = PEOPLE[owner], []
    for personal, (key, graphql) in FIELDS.items():
        visibility, value, shown = table.personal[personal], person.get(key), view.get(graphql)
        if not value:
            continue
        kind = person["cert_type"] if personal == "certificate" else None
        if visibility == "denied":
            refused = [e for e in errors if e.get("path", [""])[-1] == graphql]
            if shown or not refused or refused[0]["extensions"]["code"] != "FORBIDDEN":
                problems.append(f"{cell} {personal}: denied but shown {shown!r} / errors {refused}")
            continue
        expected = value if visibility == "full" else mask(personal, value, kind)
        if expected not in _list(shown):
            problems.append(f"{cell} {personal}: {visibility}, expected {expected!r}, shown {shown!r}")
    phone = table.personal["phone"]
    for sub in (view.get("subscriptions") or {}).get("nodes") or []:
        number = person["phones"]
        expected = number if phone == "full" else mask("phone", number)
        if phone != "denied" and sub["serviceNumber"] != expected:
            problems.append(f"{cell} serviceNumber: {phone}, expected {expected!r}, shown {sub['serviceNumber']!r}")
    return problems


def check_record(fields: dict[str, Any], owner: str, table: Role, cell: str) -> list[str]:
    """Each personal key of a raw record (or a held change) as the table says."""
    problems = []
    for key, value in fields.items():
        personal = PERSONAL_BY_KEY.get(key)
        if personal is None or not value:
            continue
        kind = fields.get("cert_type") if personal == "certificate" else None
        clear = clear_values(owner)[personal]
        visibility = table.personal[personal]
        expected = set(clear) if visibility == "full" else {mask(personal, v, kind) for v in clear}
        for shown in _list(value):
            if shown not in expected:
                problems.append(
                    f"{cell} raw {key} of {owner}: {visibility}, expected one of {expected}, shown {shown!r}"
                )
    return problems


async def read_cell(client: Any, world: World, role: str, path: Path_, c: str) -> list[str]:
    query, variables = path.request(world, c, role)
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body, text = response.json(), response.text
    data, errors = body.get("data") or {}, body.get("errors") or []
    cell = f"[{role} {path.name} {c}]"
    problems: list[str] = []
    if response.status_code >= 500:
        return [f"{cell} answered {response.status_code}: {text[:300]}"]
    may = path.capability is None or path.capability in POLICY.roles[role].capabilities
    scoped = role_for(role, world.customer[c], world) is not POLICY.roles[role]
    if not may or (scoped and path.name in ("record_contact", "submit_customer_record")):
        if not any(e.get("extensions", {}).get("code") == "FORBIDDEN" for e in errors):
            problems.append(f"{cell} may not take this path, yet no FORBIDDEN: {text[:300]}")
    else:
        for view in path.views(data):
            owner = world.owner(view["id"]) if view.get("id") in world.customer.values() else None
            if owner is None:
                continue
            table = role_for(role, view["id"], world)
            problems += check_view({**view, "_owner": owner}, table, errors, cell)
        for customer_id, fields in path.records(data):
            owner = world.owner(customer_id) if customer_id in world.customer.values() else None
            if owner is not None:
                problems += check_record(fields, owner, role_for(role, str(customer_id), world), cell)
        unexpected = [e for e in errors if e.get("extensions", {}).get("code") not in ("FORBIDDEN", "NOT_FOUND")]
        if unexpected:
            problems.append(f"{cell} errors {unexpected}")
    for owner, customer_id in world.customer.items():
        table = role_for(role, customer_id, world)
        for personal, values in clear_values(owner).items():
            if table.personal[personal] != "full":
                problems += [
                    f"{cell} the clear {personal} of {owner} ({v}) is in the answer" for v in values if v in text
                ]
    return problems


async def test_every_personal_value_through_every_path_as_every_role(store: Store, tmp_path: Path) -> None:
    world = await build(store, tmp_path)
    assert world.candidate is not None, "the pair with one resident id and two names waits for review"
    problems: list[str] = []
    cells = 0
    for role in ROLES:
        async with api_client(store, role, f"matrix-{role}", MANAGER if role == "account_manager" else None) as client:
            for path in PATHS:
                for c in ("c1", "c2") if path.name not in ("match_candidate", "held_contact_changes") else ("c3",):
                    problems += await read_cell(client, world, role, path, c)
                    cells += 1
    assert cells == len(ROLES) * (2 * len(PATHS) - 2)
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("role", ["admin", "steward"])
async def test_every_full_read_is_audited_on_every_path(store: Store, tmp_path: Path, role: str) -> None:
    """Views (a kept answer too), source records, candidates and held changes: each full read is a line of the
    audit file naming the caller, the customer and the fields."""
    world = await build(store, tmp_path)
    audit = Path("var/audit.log")
    for path in PATHS:
        if path.capability and path.capability not in POLICY.roles[role].capabilities:
            continue
        name = f"audit-{role}-{path.name}-{id(world)}"
        before = audit.read_text(encoding="utf-8").count("\n") if audit.exists() else 0
        c = "c3" if path.name in ("match_candidate", "held_contact_changes") else "c1"
        async with api_client(store, role, name) as client:
            query, variables = path.request(world, c, role)
            await client.post("/graphql", json={"query": query, "variables": variables})
        lines = [line for line in audit.read_text(encoding="utf-8").splitlines()[before:] if f"caller={name} " in line]
        if path.name in ("merge_history", "not_found_error"):
            continue
        owner = "c1" if c == "c1" else None
        assert lines, f"{path.name}: no audit line"
        if owner:
            assert any(f"customer={world.customer[owner]} " in line for line in lines), (path.name, lines)
