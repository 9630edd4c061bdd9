"""The customer view's reads, batched: one store round trip per request for the common view.

The root field says which parts of the view its selection reads (:class:`ViewParts`);
the customer loader then fetches the customers and those parts in one Cypher query and
primes the per-part loaders with them. A part nobody announced (a filtered contact page,
source records) is fetched by its own loader, which still batches over customers, so the
round trips stay a fixed small number whatever the sizes of the lists.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader

from app import clock
from app.errors import NotFoundError
from app.rules import Rules
from app.services.merges import merge_histories
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
    """The first month whose bills count towards today's star level."""
    return months_back(clock.now().date(), rules.tiers.months)


K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


def held(loader: DataLoader[K, T], key: K) -> tuple[bool, T | None]:
    """Whether the loader already holds a value for ``key`` (loaded or primed, without error), and it."""
    future = loader.cache_map.get(key)
    if future is not None and future.done() and not future.cancelled() and future.exception() is None:
        return True, future.result()
    return False, None


def now_or_later(loader: DataLoader[K, T], key: K, build: Callable[[T], R]) -> R:
    """``build`` of the loader's value: at once when the loader already holds it (primed by the
    customer query), else an awaitable of it. graphql-core awaits what needs awaiting, and a
    resolver that returns a plain value costs it far less than a coroutine does; the cast
    hides the awaitable from type checkers and from strawberry, which reads the annotation."""
    found, value = held(loader, key)
    if found:
        return build(cast(T, value))

    async def later() -> R:
        built: Any = build(await loader.load(key))
        return await built if inspect.isawaitable(built) else built
    return cast(R, later())


@dataclass(frozen=True, slots=True)
class ViewParts:
    """The parts of the customer view a request will read, beyond the customer node itself."""

    holdings: bool = False
    relations: bool = False
    spend: bool = False
    contact_pages: frozenset[int] = frozenset()

    def __or__(self, other: "ViewParts") -> "ViewParts":
        return ViewParts(self.holdings or other.holdings, self.relations or other.relations,
                         self.spend or other.spend, self.contact_pages | other.contact_pages)

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
    lists = {"manager": relations.managers, "member_of": relations.member_of, "member": relations.members,
             "household": relations.households}
    for row in rows:
        lists[row["link"]].append({**(row["other"] or {}), "role": row["role"], "key_person": row["key_person"],
                                   "title": row["title"]})
    return relations


def _spend(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Billed amount per month; several accounts' bills of one month add up."""
    spend: dict[str, float] = {}
    for row in rows:
        spend[row["month"]] = spend.get(row["month"], 0.0) + float(row["amount"])
    return spend


class CustomerLoaders:
    """Per-request loaders; build a new one for every request so nothing leaks between callers."""

    def __init__(self, store: Store, rules: Rules) -> None:
        self.store = store
        self.rules = rules
        self.customer = DataLoader(self._customers)
        self.holdings = DataLoader(self._holdings)
        self.contacts = DataLoader(self._contacts, cache_key_fn=lambda page: page)
        self.relations = DataLoader(self._relations)
        self.spend = DataLoader(self._spend)
        self.source_records = DataLoader(self._source_records)
        self.merge_history = DataLoader(self._merge_history)
        self.parts = ViewParts()

    def want(self, parts: ViewParts) -> None:
        """Announce what the request will read; call before loading the customers it concerns."""
        self.parts = self.parts | parts

    async def _customers(self, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        parts = self.parts
        if not parts:
            rows = await self.store.read(CUSTOMERS_BY_IDS, {"ids": list(ids)})
            found = {row["wanted"]: row["customer"] for row in rows}
            return [found.get(i) for i in ids]
        since = spend_since(self.rules)
        rows = await self.store.read(CUSTOMER_VIEWS, {"ids": list(ids), "parts": parts.names(), "since": since,
                                                      "contacts_first": max(parts.contact_pages, default=0)})
        for row in rows:
            self._prime(row, parts)
        found = {row["wanted"]: row["customer"] for row in rows}
        return [found.get(i) for i in ids]

    def _prime(self, row: dict[str, Any], parts: ViewParts) -> None:
        """Hand each part of a customer's row to its loader, as that loader would have read it."""
        live = row["customer"]["id"]
        if parts.holdings:
            self.holdings.prime(live, _holdings(row["holdings"]))
        if parts.relations:
            self.relations.prime(live, _relations(row["relations"]))
        if parts.spend:
            self.spend.prime(live, _spend(row["bills"]))
        for size in parts.contact_pages:
            self.contacts.prime(ContactPage(live, size), (row["contact_total"], row["contacts"][:size + 1]))

    async def _holdings(self, ids: Sequence[str]) -> list[Holdings]:
        rows = await self.store.read(HOLDINGS, {"ids": list(ids)})
        return [_holdings(group) for group in _by_customer(rows, ids)]

    async def _contacts(self, pages: Sequence[ContactPage]) -> list[tuple[int, list[dict[str, Any]]]]:
        params = [{"key": k, "id": p.customer_id, "first": p.first, "channel": p.channel, "kind": p.kind, "since": p.since,
                   "until": p.until, "before_at": p.before_at, "before_id": p.before_id} for k, p in enumerate(pages)]
        rows = await self.store.read(CONTACTS, {"pages": params})
        by_key = {row["key"]: (row["total"], row["contacts"]) for row in rows}
        return [by_key.get(k, (0, [])) for k in range(len(pages))]

    async def _relations(self, ids: Sequence[str]) -> list[Relations]:
        rows = await self.store.read(RELATIONS, {"ids": list(ids)})
        return [_relations(group) for group in _by_customer(rows, ids)]

    async def _spend(self, ids: Sequence[str]) -> list[dict[str, float]]:
        since = spend_since(self.rules)
        rows = await self.store.read(SPEND, {"ids": list(ids), "since": since})
        return [_spend(group) for group in _by_customer(rows, ids)]

    async def _source_records(self, ids: Sequence[str]) -> list[list[dict[str, Any]]]:
        rows = await self.store.read(SOURCE_RECORDS, {"ids": list(ids)})
        return _by_customer(rows, ids)

    async def _merge_history(self, ids: Sequence[str]) -> list[list[dict[str, Any]]]:
        return await merge_histories(self.store, ids)

    async def tier(self, customer: dict[str, Any]) -> Tier:
        return self._tier(customer, await self.spend.load(customer["id"]),
                          await self.relations.load(customer["id"]))

    def tier_now_or_later(self, customer: dict[str, Any], build: Callable[[Tier], R]) -> R:
        """As :func:`now_or_later`, for the tier, which needs both spend and relations."""
        return now_or_later(self.spend, customer["id"], lambda spend: now_or_later(
            self.relations, customer["id"], lambda relations: build(self._tier(customer, spend, relations))))

    def _tier(self, customer: dict[str, Any], spend: dict[str, float], relations: Relations) -> Tier:
        average = average_monthly_spend(spend, self.rules.tiers.months)
        star = star_level(average, self.rules)
        tags = sorted({"organisation_key_person" for m in relations.member_of if m.get("key_person")}
                      | ({"vip"} if customer.get("vip_card") else set())
                      | ({"organisation"} if customer.get("is_organisation") else set()))
        return Tier(star, round(average, 2), tags, entitlements(star, customer.get("vip_card"), tags, self.rules))

    async def require(self, customer_id: str) -> dict[str, Any]:
        customer = await self.customer.load(customer_id)
        if customer is None:
            raise NotFoundError(f"no customer with id {customer_id!r}")
        return customer


async def find_by_certificate(store: Store, cert_no: str) -> list[str]:
    return [row["id"] for row in await store.read(BY_CERTIFICATE, {"cert_no": cert_no})]


async def find_by_service_number(store: Store, service_no: str) -> list[str]:
    return [row["id"] for row in await store.read(BY_SERVICE_NUMBER, {"service_no": service_no})]
