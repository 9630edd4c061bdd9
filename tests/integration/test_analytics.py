"""The analysts' query library (cypher/analytics/): every query runs read-only on demo data and its
numbers equal an independent computation in Python over the demo CSV files, joined to customers
through the exported crosswalk (record -> customer)."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from app.clock import instant_of
from app.resolution.normalise import normalise_service_number as a_service_no
from app.services.resolve import resolve_all
from app.store import Store, cypher
from app.store.shards import SHARD_NUMBERS
from demo import generate
from loaders.manifest import ingest_directory

CROSSWALK = cypher("export/crosswalk")
COUNT_ACTIVE = cypher("admin/count_active_customers")

DUPLICATE_RATE_BY_SOURCE = cypher("analytics/duplicate_rate_by_source")
MERGES_BY_LOCAL_NETWORK = cypher("analytics/merges_by_local_network")
MULTI_CHANNEL_CONTACTS = cypher("analytics/multi_channel_contacts")
REPEATED_COMPLAINTS = cypher("analytics/repeated_complaints")
VIP_CARE_OVERDUE = cypher("analytics/vip_care_overdue")
ORGANISATION_KEY_PERSONS_SPEND = cypher("analytics/organisation_key_persons_spend")
BUNDLE_PENETRATION_BY_SEGMENT = cypher("analytics/bundle_penetration_by_segment")
SPEND_BY_NETWORK_MONTH = cypher("analytics/spend_by_network_month")
CONTACT_VOLUME_BY_CHANNEL_KIND = cypher("analytics/contact_volume_by_channel_kind")
CERTIFICATE_COVERAGE_BY_SOURCE = cypher("analytics/certificate_coverage_by_source")
TOP_SPENDERS = cypher("analytics/top_spenders")
CUSTOMERS_PER_USERS = cypher("analytics/customers_per_users")
# The service standards' queries: their figures are held to the API's in test_service_standards_served.
SERVICE_QUERIES = [
    cypher("analytics/sla_breach_rates"),
    cypher("analytics/care_compliance_by_manager"),
    cypher("analytics/customers_per_manager"),
    cypher("analytics/stars_by_network"),
    # The opportunity hand-off's: held to the API's own steps in test_opportunity_handoff.
    cypher("analytics/opportunity_conversion_by_channel"),
    cypher("analytics/time_to_claim_by_channel"),
    cypher("analytics/contact_violations_by_channel"),
    cypher("analytics/satisfaction_by_channel"),
]

ALL_QUERIES = [
    DUPLICATE_RATE_BY_SOURCE,
    MERGES_BY_LOCAL_NETWORK,
    MULTI_CHANNEL_CONTACTS,
    REPEATED_COMPLAINTS,
    VIP_CARE_OVERDUE,
    ORGANISATION_KEY_PERSONS_SPEND,
    BUNDLE_PENETRATION_BY_SEGMENT,
    SPEND_BY_NETWORK_MONTH,
    CONTACT_VOLUME_BY_CHANNEL_KIND,
    CERTIFICATE_COVERAGE_BY_SOURCE,
    TOP_SPENDERS,
    CUSTOMERS_PER_USERS,
]


def cypher_round(value: float, places: int) -> float:
    """Cypher's round() (half away from zero, never banker's) at ``places`` decimals, as the queries do."""
    scale = 10**places
    return math.floor(value * scale + 0.5) / float(scale)


def ratio(part: int, whole: int) -> float:
    return math.floor(10000.0 * part / whole + 0.5) / 10000.0


# ------------------------------------------------------------------ the independent model


@dataclass
class Contact:
    id: str
    channel: str
    kind: str
    at: str  # a stored instant (UTC, app/clock.py), as the queries compare them
    outcome: str
    owner: str | None  # customer record id, when recorded against a customer
    service_no: str | None


@dataclass
class Demo:
    customer_of: dict[str, str]  # customer record id -> customer id
    records: dict[str, dict[str, str]]  # customer record id -> its CSV row (+ source)
    records_of: dict[str, list[str]] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)  # account id -> owner record
    subscriptions: dict[str, dict[str, str]] = field(default_factory=dict)
    bills: list[dict[str, str]] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    memberships: list[dict[str, str]] = field(default_factory=list)

    def attribute(self, customer: str, name: str) -> str:
        """A customer's attribute from its records, which must agree on it (empty when none gives it)."""
        values = {self.records[r][name] for r in self.records_of[customer]} - {""}
        assert len(values) <= 1, (customer, name, values)
        return next(iter(values), "")

    def customers_of_contact(self, contact: Contact) -> set[str]:
        if contact.owner:
            return {self.customer_of[contact.owner]}
        return {
            self.customer_of[s["owner"]] for s in self.subscriptions.values() if s["service_no"] == contact.service_no
        }

    def contacts_by_customer(self) -> dict[str, list[Contact]]:
        result: dict[str, list[Contact]] = defaultdict(list)
        for contact in self.contacts:
            for customer in self.customers_of_contact(contact):
                result[customer].append(contact)
        return result

    def customer_of_account(self, account: str) -> str:
        return self.customer_of[self.accounts[account]]


def read_csv(directory: Path, entry: dict[str, str]) -> list[dict[str, str]]:
    with (directory / entry["path"]).open(encoding=entry.get("encoding", "utf-8"), newline="") as handle:
        return list(csv.DictReader(handle))


async def build_model(store: Store, directory: Path) -> Demo:
    customer_of: dict[str, str] = {}
    for shard in SHARD_NUMBERS:
        for row in await store.read(CROSSWALK, {"shard": shard}):
            assert row["customer_id"] is not None
            customer_of[f"{row['source']}:customers:{row['source_id']}"] = row["customer_id"]
    demo = Demo(customer_of=customer_of, records={})
    manifest = orjson.loads((directory / "manifest.json").read_bytes())
    for entry in manifest:
        source, kind = entry["source"], entry["kind"]
        rid = lambda local, k=kind, s=source: f"{s}:{k}:{local}"  # noqa: E731
        for row in read_csv(directory, entry):
            if kind == "customers":
                demo.records[rid(row["source_id"])] = dict(row, source=source)
            elif kind == "accounts":
                demo.accounts[rid(row["source_id"])] = rid(row["customer_source_id"], "customers")
            elif kind == "subscriptions":
                demo.subscriptions[rid(row["source_id"])] = {
                    "owner": rid(row["customer_source_id"], "customers"),
                    "service_no": a_service_no(row["service_no"]),
                    "offering": row["offering_code"],
                }
            elif kind == "bills":
                demo.bills.append(
                    {
                        "account": rid(row["account_source_id"], "accounts"),
                        "month": row["month"],
                        "amount": float(row["amount"]),
                    }
                )
            elif kind == "contacts":
                demo.contacts.append(
                    Contact(
                        rid(row["source_id"]),
                        row["channel"],
                        row["kind"],
                        instant_of(row["at"]),
                        row["outcome"],
                        rid(row["customer_source_id"], "customers") if row["customer_source_id"] else None,
                        a_service_no(row["service_no"]) if row["service_no"] else None,
                    )
                )
            elif kind == "organisation_members":
                demo.memberships.append(
                    {
                        "organisation": rid(row["organisation_source_id"], "customers"),
                        "member": rid(row["member_source_id"], "customers"),
                        "key_person": row["key_person"],
                    }
                )
    assert set(demo.records) == set(customer_of), "every demo customer record is loaded and resolved"
    records_of: dict[str, list[str]] = defaultdict(list)
    for record, customer in customer_of.items():
        records_of[customer].append(record)
    demo.records_of = dict(records_of)
    # The queries consider active customers only; right after a batch resolution every customer is.
    assert (await store.read(COUNT_ACTIVE))[0]["n"] == len(demo.records_of)
    return demo


@pytest.fixture(scope="module")
async def demo(backend: Store, tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    """One demo graph per backend for the whole module: the queries only read it."""
    await backend.clear()
    directory = tmp_path_factory.mktemp("analytics")
    generate(directory, 400, seed=21)
    await ingest_directory(backend, directory)
    await resolve_all(backend)
    return backend, directory


@pytest.fixture(scope="module")
async def model(demo: tuple[Store, Path]) -> Demo:
    return await build_model(*demo)


# ------------------------------------------------------------------ the library itself


def test_every_analytics_query_is_documented_and_read_only() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "analysts-library.md").read_text(encoding="utf-8")
    for query in [*ALL_QUERIES, *SERVICE_QUERIES]:
        text = query.text
        assert "// Purpose:" in text and "// Parameters:" in text and "// Columns:" in text, query.name
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//")).upper()
        for word in (
            "CREATE",
            "MERGE",
            "SET ",
            "DELETE",
            "REMOVE",
            "FOREACH",
            "CALL",
            "DATETIME(",
            "DATE(",
            "ELEMENTID",
            "EXISTS {",
            "APOC.",
        ):
            assert word not in body, (query.name, word)
        assert "ORDER BY" in body, query.name
        for parameter in set(part.split()[0].strip(",)") for part in text.split("$")[1:]):
            assert f"${parameter}" in text.split("// Columns:")[0], (query.name, parameter)
        assert f"analytics/{query.name.split('/')[1]}" in docs, query.name


# ------------------------------------------------------------------ one test per query


async def test_duplicate_rate_by_source(demo: tuple[Store, Path], model: Demo) -> None:
    store, _ = demo
    rows = await store.read(DUPLICATE_RATE_BY_SOURCE, {"min_records": 2})
    records: dict[str, int] = defaultdict(int)
    shared: dict[str, int] = defaultdict(int)
    for record, customer in model.customer_of.items():
        source = model.records[record]["source"]
        records[source] += 1
        shared[source] += len(model.records_of[customer]) >= 2
    expected = [
        {"source": s, "records": records[s], "on_shared_customers": shared[s], "rate": ratio(shared[s], records[s])}
        for s in sorted(records)
    ]
    assert rows and rows == expected
    assert any(r["rate"] < 1 for r in rows)


@pytest.mark.parametrize("segment", [None, "individual"])
async def test_merges_by_local_network(demo: tuple[Store, Path], model: Demo, segment: str | None) -> None:
    store, _ = demo
    rows = await store.read(MERGES_BY_LOCAL_NETWORK, {"segment": segment})
    records: dict[str, int] = defaultdict(int)
    customers: dict[str, int] = defaultdict(int)
    for customer, owned in model.records_of.items():
        if segment is not None and model.attribute(customer, "segment") != segment:
            continue
        network = model.attribute(customer, "local_network")
        records[network] += len(owned)
        customers[network] += 1
    expected = [
        {
            "local_network": n,
            "records": records[n],
            "customers": customers[n],
            "reduction": ratio(records[n] - customers[n], records[n]),
        }
        for n in sorted(records)
    ]
    assert len(rows) >= 3 and rows == expected


async def test_customers_per_users(demo: tuple[Store, Path], model: Demo) -> None:
    """The merge-progress metric from the files: each subscription's owner record's customer, counted
    per local network and customer group (public: individual and household)."""
    store, _ = demo
    rows = await store.read(CUSTOMERS_PER_USERS, {"public": ["individual", "household"]})
    users: dict[tuple[str, str], int] = defaultdict(int)
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for subscription in model.subscriptions.values():
        customer = model.customer_of[subscription["owner"]]
        segment = model.attribute(customer, "segment")
        key = (
            model.attribute(customer, "local_network"),
            "public" if segment in ("individual", "household") else "organisation",
        )
        users[key] += 1
        owners[key].add(customer)
    expected = [
        {
            "local_network": network,
            "customer_group": group,
            "customers": len(owners[(network, group)]),
            "users": users[(network, group)],
            "customers_per_user": ratio(len(owners[(network, group)]), users[(network, group)]),
        }
        for network, group in sorted(users)
    ]
    assert {r["customer_group"] for r in rows} == {"public", "organisation"}
    assert rows == expected
    assert all(0 < r["customers_per_user"] <= 1 for r in rows)


async def test_multi_channel_contacts(demo: tuple[Store, Path], model: Demo) -> None:
    store, _ = demo
    since = instant_of("2026-08-01T00:00:00+08:00")
    rows = await store.read(MULTI_CHANNEL_CONTACTS, {"since": since, "min_channels": 2})
    expected = []
    for customer, contacts in model.contacts_by_customer().items():
        recent = {c.id: c for c in contacts if c.at >= since}
        channels = sorted({c.channel for c in recent.values()})
        if len(channels) >= 2:
            expected.append({"customer_id": customer, "channels": channels, "contacts": len(recent)})
    expected.sort(key=lambda r: (-r["contacts"], r["customer_id"]))
    assert len(expected) >= 5
    assert [{k: r[k] for k in ("customer_id", "channels", "contacts")} for r in rows] == expected
    assert all(r["name"] for r in rows)


async def test_repeated_complaints(demo: tuple[Store, Path], model: Demo) -> None:
    store, _ = demo
    since = instant_of("2026-06-01T00:00:00+08:00")
    rows = await store.read(REPEATED_COMPLAINTS, {"kind": "complaint", "since": since, "min_contacts": 2})
    expected = []
    for customer, contacts in model.contacts_by_customer().items():
        complaints = {c.id: c for c in contacts if c.kind == "complaint" and c.at >= since}
        if len(complaints) >= 2:
            expected.append(
                {
                    "customer_id": customer,
                    "contacts": len(complaints),
                    "channels": sorted({c.channel for c in complaints.values()}),
                    "last_at": max(c.at for c in complaints.values()),
                }
            )
    expected.sort(key=lambda r: (-r["contacts"], r["customer_id"]))
    assert len(expected) >= 3
    assert [{k: r[k] for k in ("customer_id", "contacts", "channels", "last_at")} for r in rows] == expected


async def test_vip_care_overdue(demo: tuple[Store, Path], model: Demo) -> None:
    store, _ = demo
    cutoffs = {
        "diamond": instant_of("2026-09-01T00:00:00+08:00"),
        "gold": instant_of("2026-07-01T00:00:00+08:00"),
        "silver": instant_of("2026-08-15T00:00:00+08:00"),
    }
    rows = await store.read(
        VIP_CARE_OVERDUE,
        {
            "kind": "care_visit",
            "diamond_since": cutoffs["diamond"],
            "gold_since": cutoffs["gold"],
            "silver_since": cutoffs["silver"],
        },
    )
    visits: dict[str, list[str]] = defaultdict(list)
    for contact in model.contacts:
        if contact.kind == "care_visit" and contact.owner:
            visits[model.customer_of[contact.owner]].append(contact.at)
    expected = []
    for customer in model.records_of:
        card = model.attribute(customer, "vip_card")
        if not card:
            continue
        last = max(visits[customer], default=None)
        if last is None or last < cutoffs[card]:
            expected.append(
                {
                    "customer_id": customer,
                    "vip_card": card,
                    "local_network": model.attribute(customer, "local_network"),
                    "last_visit": last,
                }
            )
    expected.sort(key=lambda r: (r["vip_card"], r["customer_id"]))
    assert any(r["last_visit"] is None for r in expected) and any(r["last_visit"] for r in expected)
    assert [{k: r[k] for k in ("customer_id", "vip_card", "local_network", "last_visit")} for r in rows] == expected


async def test_organisation_key_persons_spend(demo: tuple[Store, Path], model: Demo) -> None:
    store, _ = demo
    from_month = "2026-08"
    rows = await store.read(ORGANISATION_KEY_PERSONS_SPEND, {"from_month": from_month})
    members: dict[str, set[str]] = defaultdict(set)
    key_persons: dict[str, set[str]] = defaultdict(set)
    for membership in model.memberships:
        organisation = model.customer_of[membership["organisation"]]
        person = model.customer_of[membership["member"]]
        members[organisation].add(person)
        if membership["key_person"] == "true":
            key_persons[organisation].add(person)
    spend: dict[str, float] = defaultdict(float)
    for bill in model.bills:
        if bill["month"] >= from_month:
            spend[model.customer_of_account(bill["account"])] += bill["amount"]
    expected = [
        {
            "organisation_id": o,
            "members": len(members[o]),
            "key_person_ids": sorted(key_persons[o]),
            "spend": cypher_round(spend[o], 2),
        }
        for o in members
    ]
    expected.sort(key=lambda r: (-r["spend"], r["organisation_id"]))
    assert len(expected) >= 5 and any(r["spend"] > 0 for r in expected)
    assert [{k: r[k] for k in ("organisation_id", "members", "key_person_ids", "spend")} for r in rows] == expected
    assert all(len(r["key_persons"]) == len(r["key_person_ids"]) for r in rows)
    assert all(r["local_network"] == model.attribute(r["organisation_id"], "local_network") for r in rows)


async def test_bundle_penetration_by_segment(demo: tuple[Store, Path], model: Demo) -> None:
    store, _ = demo
    rows = await store.read(BUNDLE_PENETRATION_BY_SEGMENT, {"min_subscriptions": 2})
    per_offering: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for subscription in model.subscriptions.values():
        if subscription["offering"]:
            per_offering[model.customer_of[subscription["owner"]]][subscription["offering"]] += 1
    customers: dict[str, int] = defaultdict(int)
    bundled: dict[str, int] = defaultdict(int)
    for customer in model.records_of:
        segment = model.attribute(customer, "segment")
        customers[segment] += 1
        bundled[segment] += any(n >= 2 for n in per_offering[customer].values())
    expected = [
        {"segment": s, "customers": customers[s], "bundled": bundled[s], "share": ratio(bundled[s], customers[s])}
        for s in sorted(customers)
    ]
    assert rows and rows == expected
    assert sum(r["bundled"] for r in rows) > 0


async def test_spend_by_network_month(demo: tuple[Store, Path], model: Demo) -> None:
    store, _ = demo
    rows = await store.read(SPEND_BY_NETWORK_MONTH, {"from_month": "2026-07", "to_month": "2026-09"})
    amount: dict[tuple[str, str], float] = defaultdict(float)
    payers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for bill in model.bills:
        if "2026-07" <= bill["month"] <= "2026-09":
            customer = model.customer_of_account(bill["account"])
            key = (model.attribute(customer, "local_network"), bill["month"])
            amount[key] += bill["amount"]
            payers[key].add(customer)
    expected = [
        {"local_network": n, "month": m, "customers": len(payers[(n, m)]), "amount": cypher_round(amount[(n, m)], 2)}
        for n, m in sorted(amount)
    ]
    assert len(expected) == 15 and rows == expected


async def test_contact_volume_by_channel_kind(demo: tuple[Store, Path], model: Demo) -> None:
    store, _ = demo
    since, until = instant_of("2026-08-01T00:00:00+08:00"), instant_of("2026-10-01T00:00:00+08:00")
    rows = await store.read(CONTACT_VOLUME_BY_CHANNEL_KIND, {"since": since, "until": until, "outcome": "resolved"})
    contacts: dict[tuple[str, str], int] = defaultdict(int)
    resolved: dict[tuple[str, str], int] = defaultdict(int)
    for contact in model.contacts:
        if since <= contact.at < until:
            contacts[(contact.channel, contact.kind)] += 1
            resolved[(contact.channel, contact.kind)] += contact.outcome == "resolved"
    expected = [
        {"channel": c, "kind": k, "contacts": contacts[(c, k)], "with_outcome": resolved[(c, k)]}
        for c, k in sorted(contacts)
    ]
    assert len(expected) >= 10 and rows == expected


@pytest.mark.parametrize("segment", [None, "individual"])
async def test_certificate_coverage_by_source(demo: tuple[Store, Path], model: Demo, segment: str | None) -> None:
    store, _ = demo
    rows = await store.read(CERTIFICATE_COVERAGE_BY_SOURCE, {"segment": segment})
    records: dict[str, int] = defaultdict(int)
    missing: dict[str, int] = defaultdict(int)
    for record in model.customer_of:
        row = model.records[record]
        if segment is not None and row["segment"] != segment:
            continue
        records[row["source"]] += 1
        missing[row["source"]] += not row["cert_no"].strip()
    expected = [
        {"source": s, "records": records[s], "without_certificate": missing[s], "share": ratio(missing[s], records[s])}
        for s in sorted(records)
    ]
    assert len(expected) == 6 and rows == expected
    assert sum(r["without_certificate"] for r in rows) > 0


async def test_top_spenders(demo: tuple[Store, Path], model: Demo) -> None:
    store, _ = demo
    from_month, limit = "2026-08", 7
    rows = await store.read(TOP_SPENDERS, {"from_month": from_month, "limit": limit})
    total: dict[str, float] = defaultdict(float)
    months: dict[str, set[str]] = defaultdict(set)
    for bill in model.bills:
        if bill["month"] >= from_month:
            customer = model.customer_of_account(bill["account"])
            total[customer] += bill["amount"]
            months[customer].add(bill["month"])
    everyone = [
        {
            "customer_id": c,
            "months": len(months[c]),
            "total": cypher_round(total[c], 2),
            "average": math.floor(total[c] * 100 / len(months[c]) + 0.5) / 100.0,
        }
        for c in total
    ]
    everyone.sort(key=lambda r: (-r["average"], r["customer_id"]))
    assert len(everyone) > limit
    assert [{k: r[k] for k in ("customer_id", "months", "total", "average")} for r in rows] == everyone[:limit]
    assert all(r["segment"] == model.attribute(r["customer_id"], "segment") for r in rows)
