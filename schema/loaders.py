"""Per-request DataLoaders over the customer view's batched reads (app/services/customer_view).

The root field says which parts of the view its selection reads (ViewParts); the customer loader
then fetches the customers and those parts in one round trip and primes the per-part loaders
with them. A part nobody announced (a filtered contact page, source records) is fetched by its own
loader, which still batches over customers.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader

from app.errors import NotFoundError
from app.rules import Rules
from app.services import customer_view as view
from app.services.contact_confirmation import pending_duplicates
from app.services.customer_view import ContactPage, Holdings, Relations, ViewParts
from app.services.kept_answers import Stamp, read_versions
from app.services.merges import merge_histories
from app.services.opportunities import hand_offs
from app.services.service_view import read_service
from app.services.tier_history import tier_histories
from app.store import Store
from app.tiers import Tier

# A customer's recorded level changes read whole (a level changes at most once a day).
TIER_HISTORY_READ = 1000
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


class CustomerLoaders:
    """Per-request loaders; build a new one for every request so nothing leaks between callers."""

    def __init__(self, store: Store, rules: Rules) -> None:
        self.store = store
        self.rules = rules
        # Through a weak reference: a loader holding its owner's bound method would make a reference
        # cycle, and the request's every loaded value would wait for Python's cyclic collector.
        owner = weakref.proxy(self)
        self.customer = DataLoader(lambda ids: owner._customers(ids))
        self.holdings = DataLoader(lambda ids: view.read_holdings(store, ids))
        self.contacts = DataLoader(lambda pages: view.read_contacts(store, pages), cache_key_fn=lambda page: page)
        self.relations = DataLoader(lambda ids: view.read_relations(store, ids))
        self.members = DataLoader(lambda ids: view.read_members(store, ids))
        self.tier_inputs = DataLoader(lambda ids: view.read_tier_inputs(store, ids, rules))
        self.source_records = DataLoader(lambda ids: view.read_source_records(store, ids))
        self.merge_history = DataLoader(lambda ids: merge_histories(store, ids))
        self.tier_history = DataLoader(lambda ids: tier_histories(store, ids, TIER_HISTORY_READ))
        self.service = DataLoader(lambda ids: read_service(store, ids, rules))
        self.pending_duplicates = DataLoader(lambda ids: pending_duplicates(store, rules, ids))
        # Opportunities' hand-offs by opportunity id (a customer's page of them in one read).
        self.hand_offs = DataLoader(lambda ids: hand_offs(store, rules, ids))
        self.parts = ViewParts()

    def want(self, parts: ViewParts) -> None:
        """Announce what the request will read; call before loading the customers it concerns."""
        self.parts = self.parts | parts

    async def _customers(self, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        parts = self.parts
        if parts.pending_duplicates:
            self.pending_duplicates.load_many(list(ids))
        if not parts:
            return await view.read_customers(self.store, ids)
        views = await view.read_views(self.store, ids, parts, self.rules)
        for found in views.values():
            self._prime(found, parts)
        return [found.customer if (found := views.get(i)) else None for i in ids]

    def _prime(self, found: view.CustomerView, parts: ViewParts) -> None:
        """Hand each part of a customer's view to its loader, as that loader would have read it."""
        live = found.customer["id"]
        if found.holdings is not None:
            self.holdings.prime(live, found.holdings)
        if found.relations is not None:
            self.relations.prime(live, found.relations)
        if found.tier is not None:
            self.tier_inputs.prime(live, found.tier)
        for size in parts.contact_pages:
            self.contacts.prime(ContactPage(live, size), (found.contact_total, found.contacts[: size + 1]))
        if found.service is not None:
            self.service.prime(live, found.service)
        if found.members is not None:
            self.members.prime(live, found.members)

    async def tier(self, customer: dict[str, Any]) -> Tier:
        return view.tier_of(
            customer, await self.tier_inputs.load(customer["id"]), await self.relations.load(customer["id"]), self.rules
        )

    def tier_now_or_later(self, customer: dict[str, Any], build: Callable[[Tier], R]) -> R:
        """As :func:`now_or_later`, for the tier, which needs both its inputs and relations."""
        return now_or_later(
            self.tier_inputs,
            customer["id"],
            lambda inputs: now_or_later(
                self.relations,
                customer["id"],
                lambda relations: build(view.tier_of(customer, inputs, relations, self.rules)),
            ),
        )

    async def require(self, customer_id: str) -> dict[str, Any]:
        customer = await self.customer.load(customer_id)
        if customer is None:
            raise NotFoundError(f"no customer with id {customer_id!r}")
        return customer


class CustomerVersions:
    """Reads live customer versions, batching the reads of concurrent requests into one query.
    Nothing is remembered between batches: each answer is the store's state after the request arrived."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._loader: DataLoader[str, tuple[str, int] | None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def stamp(self, ids: Sequence[str]) -> Stamp | None:
        """None when a customer asked for does not exist (the query's own error will say so)."""
        loop = asyncio.get_running_loop()
        if self._loader is None or self._loop is not loop:
            self._loader, self._loop = (
                DataLoader(lambda ids: read_versions(self.store, ids), cache=False, loop=loop),
                loop,
            )
        live = await self._loader.load_many(list(ids))
        if any(found is None for found in live):
            return None
        return tuple((wanted, found[0], found[1]) for wanted, found in zip(ids, live) if found is not None)


__all__ = ["CustomerLoaders", "CustomerVersions", "Holdings", "Relations", "held", "now_or_later"]
