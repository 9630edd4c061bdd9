"""The customer view's reads, each batched over many customers: the customer with the parts of its
view a request announced (:class:`ViewParts`) in one round trip, and each part on its own.

The GraphQL side (schema/loaders) puts DataLoaders over these, so the round trips per request stay
a fixed small number whatever the sizes of the lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app import clock
from app.rules import Rules
from app.store import Store, cypher
from app.tiers import average_monthly_spend, entitlements, months_back, star_level

CUSTOMERS_BY_IDS = cypher("view/customers_by_ids")
CUSTOMER_VIEWS = cypher("view/customer_views")
BY_CERTIFICATE = cypher("view/customers_by_certificate")
BY_SERVICE_NUMBER = cypher("view/customers_by_service_number")
HOLDINGS = cypher("view/holdings_by_customers")
CONTACTS = cypher("view/contacts_by_customers")
RELATIONS = cypher("view/relations_by_customers")
SPEND = cypher("view/spend_by_customers")
SOURCE_RECORDS = cypher("view/source_records_by_customers")


def spend_since(rules: Rules) -> str:
    """The first month whose bills count towards today's star level; months turn at the operator's
    midnight (C360_TIME_ZONE), not UTC's."""
    return months_back(clock.today(), rules.tiers.months)


@dataclass(frozen=True, slots=True)
class ViewParts:
    """The parts of the customer view a request will read, beyond the customer node itself."""

    holdings: bool = False
    relations: bool = False
    spend: bool = False
    contact_pages: frozenset[int] = frozenset()

    def __or__(self, other: ViewParts) -> ViewParts:
        return ViewParts(
            self.holdings or other.holdings,
            self.relations or other.relations,
            self.spend or other.spend,
            self.contact_pages | other.contact_pages,
        )

    def names(self) -> list[str]:
        return [name for name in ("holdings", "relations", "spend") if getattr(self, name)]

    def __bool__(self) -> bool:
        return self.holdings or self.relations or self.spend or bool(self.contact_pages)


@dataclass(frozen=True, slots=True)
class ContactPage:
    customer_id: str
    first: int
    channel: str | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None
    before_at: str | None = None
    before_id: str | None = None


@dataclass(slots=True)
class Holdings:
    accounts: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    opportunities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Relations:
    managers: list[dict[str, Any]] = field(default_factory=list)
    member_of: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    households: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Tier:
    star: int
    average_spend: float
    tags: list[str]
    entitlements: list[str]


def _by_customer(rows: list[dict[str, Any]], ids: Sequence[str]) -> list[list[dict[str, Any]]]:
    """A batched query's rows split by their ``id`` column, in the order of ``ids``."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["id"]].append(row)
    return [grouped[i] for i in ids]


def _holdings(rows: list[dict[str, Any]]) -> Holdings:
    holdings = Holdings()
    for row in rows:
        if row["item"] == "account":
            holdings.accounts.append(row["props"])
        elif row["item"] == "opportunity":
            holdings.opportunities.append({**row["props"], "claimed_by": row["offering"]})
        else:
            holdings.subscriptions.append({**row["props"], "account_id": row["account"], "offering": row["offering"]})
    holdings.accounts.sort(key=lambda a: a["id"])
    holdings.subscriptions.sort(key=lambda s: s["id"])
    holdings.opportunities.sort(key=lambda o: (o.get("captured_at") or "", o["id"]), reverse=True)
    return holdings


def _relations(rows: list[dict[str, Any]]) -> Relations:
    relations = Relations()
    lists = {
        "manager": relations.managers,
        "member_of": relations.member_of,
        "member": relations.members,
        "household": relations.households,
    }
    for row in rows:
        lists[row["link"]].append(
            {**(row["other"] or {}), "role": row["role"], "key_person": row["key_person"], "title": row["title"]}
        )
    return relations


def _spend(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Billed amount per month; several accounts' bills of one month add up."""
    spend: dict[str, float] = {}
    for row in rows:
        spend[row["month"]] = spend.get(row["month"], 0.0) + float(row["amount"])
    return spend


async def read_customers(store: Store, ids: Sequence[str]) -> list[dict[str, Any] | None]:
    """The live customer of each id (a merged id answers its survivor), None where there is none."""
    rows = await store.read(CUSTOMERS_BY_IDS, {"ids": list(ids)})
    found = {row["wanted"]: row["customer"] for row in rows}
    return [found.get(i) for i in ids]


@dataclass(slots=True)
class CustomerView:
    """A customer with the parts of its view a request announced, read in one round trip."""

    customer: dict[str, Any]
    holdings: Holdings | None
    relations: Relations | None
    spend: dict[str, float] | None
    contact_total: int
    contacts: list[dict[str, Any]]


async def read_views(store: Store, ids: Sequence[str], parts: ViewParts, rules: Rules) -> dict[str, CustomerView]:
    """By id asked for; ids without a customer are absent."""
    rows = await store.read(
        CUSTOMER_VIEWS,
        {
            "ids": list(ids),
            "parts": parts.names(),
            "since": spend_since(rules),
            "contacts_first": max(parts.contact_pages, default=0),
        },
    )
    return {
        row["wanted"]: CustomerView(
            row["customer"],
            _holdings(row["holdings"]) if parts.holdings else None,
            _relations(row["relations"]) if parts.relations else None,
            _spend(row["bills"]) if parts.spend else None,
            row["contact_total"],
            row["contacts"],
        )
        for row in rows
    }


async def read_holdings(store: Store, ids: Sequence[str]) -> list[Holdings]:
    rows = await store.read(HOLDINGS, {"ids": list(ids)})
    return [_holdings(group) for group in _by_customer(rows, ids)]


async def read_contacts(store: Store, pages: Sequence[ContactPage]) -> list[tuple[int, list[dict[str, Any]]]]:
    """Each page's total and rows (one more than the page when there is a next one)."""
    params = [
        {
            "key": k,
            "id": p.customer_id,
            "first": p.first,
            "channel": p.channel,
            "kind": p.kind,
            "since": p.since,
            "until": p.until,
            "before_at": p.before_at,
            "before_id": p.before_id,
        }
        for k, p in enumerate(pages)
    ]
    rows = await store.read(CONTACTS, {"pages": params})
    by_key = {row["key"]: (row["total"], row["contacts"]) for row in rows}
    return [by_key.get(k, (0, [])) for k in range(len(pages))]


async def read_relations(store: Store, ids: Sequence[str]) -> list[Relations]:
    rows = await store.read(RELATIONS, {"ids": list(ids)})
    return [_relations(group) for group in _by_customer(rows, ids)]


async def read_spend(store: Store, ids: Sequence[str], rules: Rules) -> list[dict[str, float]]:
    rows = await store.read(SPEND, {"ids": list(ids), "since": spend_since(rules)})
    return [_spend(group) for group in _by_customer(rows, ids)]


async def read_source_records(store: Store, ids: Sequence[str]) -> list[list[dict[str, Any]]]:
    rows = await store.read(SOURCE_RECORDS, {"ids": list(ids)})
    return _by_customer(rows, ids)


def tier_of(customer: dict[str, Any], spend: dict[str, float], relations: Relations, rules: Rules) -> Tier:
    average = average_monthly_spend(spend, rules.tiers.months)
    star = star_level(average, rules)
    tags = sorted(
        {"organisation_key_person" for m in relations.member_of if m.get("key_person")}
        | ({"vip"} if customer.get("vip_card") else set())
        | ({"organisation"} if customer.get("is_organisation") else set())
    )
    return Tier(star, round(average, 2), tags, entitlements(star, customer.get("vip_card"), tags, rules))


async def find_by_certificate(store: Store, cert_no: str) -> list[str]:
    return [row["id"] for row in await store.read(BY_CERTIFICATE, {"cert_no": cert_no})]


async def find_by_service_number(store: Store, service_no: str) -> list[str]:
    return [row["id"] for row in await store.read(BY_SERVICE_NUMBER, {"service_no": service_no})]
