"""The customer view's reads, each batched over many customers: the customer with the parts of its
view a request announced (:class:`ViewParts`) in one round trip, and each part on its own.

The GraphQL side (schema/loaders) puts DataLoaders over these, so the round trips per request stay
a fixed small number whatever the sizes of the lists.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any

from app import clock
from app.rules import Rules
from app.services.service_view import CustomerService, ServiceWindow, closing_events, standing
from app.store import CypherQuery, Store, cypher
from app.store.queries import part
from app.tiers import Tier, TierFacts, monthly_spend, points_year, spend_window, tier_as_of

log = logging.getLogger(__name__)
CUSTOMERS_BY_IDS = cypher("view/customers_by_ids")
CUSTOMER_VIEWS = cypher("view/customer_views")
BY_CERTIFICATE = cypher("view/customers_by_certificate")
BY_SERVICE_NUMBER = cypher("view/customers_by_service_number")
HOLDINGS = cypher("view/holdings_by_customers")
CONTACTS = cypher("view/contacts_by_customers")
RELATIONS = cypher("view/relations_by_customers")
TIER_FACTS = cypher("view/tier_facts_by_customers")
SOURCE_RECORDS = cypher("view/source_records_by_customers")


def tier_params(rules: Rules, today: date | None = None) -> dict[str, Any]:
    """The parameters of the tier facts' reads as of ``today`` (by default the operator's today): the
    spend window's months and the points' year, which turn at the operator's midnight (C360_TIME_ZONE),
    not UTC's."""
    today = today or clock.today()
    since, until = spend_window(today, rules)
    return {
        "since": since,
        "until": until,
        "points_year": points_year(today),
        "points_source": rules.tiers.points_source,
    }


@dataclass(frozen=True, slots=True)
class ViewParts:
    """The parts of the customer view a request will read, beyond the customer node itself."""

    holdings: bool = False
    relations: bool = False
    tier: bool = False
    contact_pages: frozenset[int] = frozenset()
    # The service standing (app/services/service_view), its facts read with the view's.
    service: bool = False
    # The pending suspected duplicates (app/services/contact_confirmation): its own read, beside the view's.
    pending_duplicates: bool = False
    # An organisation's members: apart from the other relations, since few views show them.
    members: bool = False

    def __or__(self, other: ViewParts) -> ViewParts:
        return ViewParts(
            self.holdings or other.holdings,
            self.relations or other.relations,
            self.tier or other.tier,
            self.contact_pages | other.contact_pages,
            self.service or other.service,
            self.pending_duplicates or other.pending_duplicates,
            self.members or other.members,
        )

    def statement_parts(self) -> tuple[str, ...]:
        """The subqueries (cypher/fragments/view/) the view's statement needs for these parts, each
        once: holdings, the tier and the service standing share the accounts (with their bills and
        points) and the subscriptions, read whole for holdings and only as far as the others look
        without; the contact page and the service standing share one read of contacts, and the standing
        alone reads only the recent ones."""
        chosen: list[str] = []
        if self.holdings:
            chosen += ["accounts", "held_subscriptions", "opportunities"]
        elif self.tier or self.service:
            chosen += ["account_facts", "subscriptions"]
        if self.relations:
            chosen += ["managers", "member_of"]
        if self.members:
            chosen.append("members")
        if self.contact_pages:
            chosen.append("contacts")
        elif self.service:
            chosen.append("recent_contacts")
        if self.service:
            chosen.append("cases")
        return tuple(chosen)

    def __bool__(self) -> bool:
        return self.holdings or self.relations or self.tier or self.service or self.members or bool(self.contact_pages)


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


@dataclass(frozen=True, slots=True)
class TierInputs:
    """The graph's part of a customer's tier facts: bills of the window by month, last year's points
    from the authoritative source, the brands of active subscriptions."""

    spend: dict[str, float] = field(default_factory=dict)
    points: int = 0
    brands: frozenset[str] = frozenset()


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


def _link(row: dict[str, Any]) -> dict[str, Any]:
    return {**(row["other"] or {}), "role": row["role"], "key_person": row["key_person"], "title": row["title"]}


def _relations(rows: list[dict[str, Any]]) -> Relations:
    relations = Relations()
    lists = {"manager": relations.managers, "member_of": relations.member_of}
    for row in rows:
        if row["link"] in lists:
            lists[row["link"]].append(_link(row))
    return relations


def _members(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_link(row) for row in rows if row["link"] == "member"]


def _tier_inputs(bills: list[dict[str, Any]], points: Any, brands: list[str]) -> TierInputs:
    """Billed amount per month, points and brands."""
    return TierInputs(monthly_spend(bills), int(points or 0), frozenset(brands or ()))


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
    tier: TierInputs | None
    contact_total: int
    contacts: list[dict[str, Any]]
    service: CustomerService | None
    members: list[dict[str, Any]] | None


@lru_cache(maxsize=64)
def _statement(parts: tuple[str, ...]) -> CypherQuery:
    return CUSTOMER_VIEWS.with_parts(tuple(part(f"view/{name}") for name in parts))


def _months(bills: list[dict[str, Any]], since: str, until: str) -> list[dict[str, Any]]:
    return [b for b in bills if since <= b["month"] <= until]


def _brands(subscriptions: list[dict[str, Any]]) -> list[str]:
    """The brands of active subscriptions (the tier's 4-star condition)."""
    props = (s["props"] for s in subscriptions)
    return sorted({p["brand"] for p in props if p.get("status") == "active" and p.get("brand") is not None})


def _recent_contacts(row: dict[str, Any], since: str) -> list[dict[str, Any]]:
    """The contacts since ``since``: read as such (fragments/view/recent_contacts), or those of the
    contact page and the rest beyond it (fragments/view/contacts)."""
    if "recent_contacts" in row:
        recent: list[dict[str, Any]] = row["recent_contacts"]
        return recent
    beyond: list[dict[str, Any]] = row["recent_beyond_page"]
    return [c for c in row["contacts"] if (c.get("at") or "") >= since] + beyond


def _service(
    row: dict[str, Any],
    subscriptions: list[dict[str, Any]],
    bills: list[dict[str, Any]],
    window: ServiceWindow,
    rules: Rules,
    now: datetime,
    today: date,
) -> CustomerService | None:
    """The service standing from the view's parts, in the shape service/customer_facts reads it."""
    facts = {
        "customer": row["customer"],
        "contacts": _recent_contacts(row, window.contacts_since),
        "subscriptions": [s["props"] for s in subscriptions],
        "opened": [a["props"].get("opened_at") for a in row["accounts"]],
        "bills": _months(bills, window.since_month, window.until_month),
        "cases": row["cases"],
    }
    try:
        return standing(facts, rules, now, today)
    except (ValueError, TypeError, KeyError) as exc:
        # A fact the rules cannot read fails the service field alone: its loader, left unprimed, reads
        # the customer again and raises there, not in every field of every customer of the request.
        log.warning("service standing of %s not worked out with its view: %s", row["customer"].get("id"), exc)
        return None


@dataclass(frozen=True, slots=True)
class _ViewDay:
    """What a view's reads take from the rules on an operator day: the same for every view that day."""

    rules: Rules
    today: date
    zone: tzinfo
    tier: dict[str, Any]
    window: ServiceWindow
    closing: list[str]


_view_day: list[_ViewDay] = []


def _day_of(rules: Rules, today: date) -> _ViewDay:
    zone = clock.operator_zone()
    if _view_day and _view_day[0].rules is rules and _view_day[0].today == today and _view_day[0].zone == zone:
        return _view_day[0]
    window = ServiceWindow.as_of(rules, today)
    day = _ViewDay(rules, today, zone, tier_params(rules, today), window, closing_events(rules))
    _view_day[:] = [day]
    return day


async def read_views(store: Store, ids: Sequence[str], parts: ViewParts, rules: Rules) -> dict[str, CustomerView]:
    """By id asked for; ids without a customer are absent. The service standing's facts come in the
    same statement and it is worked out here, as of the same instant for every customer."""
    now = clock.now()
    today = clock.today()
    day = _day_of(rules, today)
    tier, window = day.tier, day.window
    bill_months = [tier["since"], tier["until"]] if parts.tier else []
    bill_months += [window.since_month, window.until_month] if parts.service else []
    rows = await store.read(
        _statement(parts.statement_parts()),
        {
            "ids": list(ids),
            **tier,
            "bills_since": min(bill_months, default=""),
            "bills_until": max(bill_months, default=""),
            # Later than any instant: no contact is read twice when the service standing is not wanted.
            "contacts_since": window.contacts_since if parts.service else "~",
            "contacts_first": max(parts.contact_pages, default=0),
            "closing": day.closing,
        },
    )
    views: dict[str, CustomerView] = {}
    for row in rows:
        subscriptions = row.get("subscriptions", [])
        bills = [b for a in row.get("accounts", ()) for b in a["bills"]]
        views[row["wanted"]] = CustomerView(
            row["customer"],
            _holdings(row["accounts"] + subscriptions + row["opportunities"]) if parts.holdings else None,
            _relations([*row["managers"], *row["member_of"]]) if parts.relations else None,
            _tier_inputs(
                _months(bills, tier["since"], tier["until"]),
                sum(a["points"] or 0 for a in row["accounts"]),
                _brands(subscriptions),
            )
            if parts.tier
            else None,
            row.get("contact_total", 0),
            row.get("contacts", []),
            _service(row, subscriptions, bills, window, rules, now, today) if parts.service else None,
            _members(row["members"]) if parts.members else None,
        )
    return views


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


async def read_members(store: Store, ids: Sequence[str]) -> list[list[dict[str, Any]]]:
    """An organisation's (or a household's) members, by id asked for."""
    rows = await store.read(RELATIONS, {"ids": list(ids)})
    return [_members(group) for group in _by_customer(rows, ids)]


async def read_tier_inputs(store: Store, ids: Sequence[str], rules: Rules) -> list[TierInputs]:
    rows = await store.read(TIER_FACTS, {"ids": list(ids), **tier_params(rules)})
    found = {row["id"]: _tier_inputs(row["bills"], row["points"], row["brands"]) for row in rows}
    return [found.get(i, TierInputs()) for i in ids]


async def read_source_records(store: Store, ids: Sequence[str]) -> list[list[dict[str, Any]]]:
    rows = await store.read(SOURCE_RECORDS, {"ids": list(ids)})
    return _by_customer(rows, ids)


# What a star level reads of the customer node (tier_facts); the rest comes from its accounts and links.
TIER_ATTRIBUTES = ("local_network", "segment", "vip_card", "notable")


def tier_facts(customer: dict[str, Any], inputs: TierInputs, relations: Relations) -> TierFacts:
    return TierFacts(
        monthly_spend=inputs.spend,
        points=inputs.points,
        notable=bool(customer.get("notable")),
        brands=inputs.brands,
        local_network=customer.get("local_network"),
        segment=customer.get("segment"),
        vip_card=customer.get("vip_card") or None,
        key_person=any(m.get("key_person") for m in relations.member_of),
    )


def tier_of(customer: dict[str, Any], inputs: TierInputs, relations: Relations, rules: Rules) -> Tier:
    """The customer's tier as of the operator's today, the same on every channel."""
    return tier_as_of(tier_facts(customer, inputs, relations), rules, clock.today())


async def find_by_certificate(store: Store, cert_no: str) -> list[str]:
    return [row["id"] for row in await store.read(BY_CERTIFICATE, {"cert_no": cert_no})]


async def find_by_service_number(store: Store, service_no: str) -> list[str]:
    return [row["id"] for row in await store.read(BY_SERVICE_NUMBER, {"service_no": service_no})]
