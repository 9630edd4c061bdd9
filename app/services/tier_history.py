"""Recording star levels and their history: the API computes a level when it is read, so it is always
as of today; this step writes it onto the customer for analysts' Cypher and keeps each change with its
reason. Run by `c360 recompute` after bills, points or flags arrive (`c360 load`, `c360 ingest` run it) and
each day, since a month's turn moves every window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app import clock
from app.rules import Rules
from app.services.customer_export import active_customer_ids, active_customers_by_ids
from app.services.customer_view import (
    TIER_ATTRIBUTES,
    Relations,
    TierInputs,
    read_customers,
    read_tier_inputs,
    tier_facts,
)
from app.services.in_flight import in_flight
from app.store import Store, cypher
from app.tiers import star_as_of

RECORD = cypher("tiers/record_levels")
HISTORY = cypher("tiers/history_of_customers")


@dataclass(slots=True)
class Recorded:
    customers: int = 0
    changed: int = 0
    # Set by a first load in bulk, which works every customer's level out as of this day.
    as_of: date | None = None


def level_row(customer: dict[str, Any], inputs: TierInputs, rules: Rules, today: date) -> dict[str, Any]:
    """What tiers/record_levels writes of one customer; a first load in bulk writes the same
    (loaders/first_levels.py)."""
    level = star_as_of(tier_facts(customer, inputs, Relations()), rules, today)
    return {"id": customer["id"], "star": level.star, "reason": level.reason, "average": round(level.average, 2)}


async def _record(
    store: Store, customers: Sequence[dict[str, Any]], inputs: Sequence[TierInputs], rules: Rules, counts: Recorded
) -> None:
    today = clock.today()
    rows = [level_row(customer, found, rules, today) for customer, found in zip(customers, inputs)]
    result = await store.write(RECORD, {"rows": rows, "at": clock.now_iso(), "as_of": today.isoformat()})
    counts.customers += len(rows)
    counts.changed += sum(int(row["changed"]) for row in result)


async def record_levels(
    store: Store,
    rules: Rules,
    *,
    ids: Sequence[str] | None = None,
    page: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> Recorded:
    """Every active customer's level (or those of ``ids``), as of the operator's today, a few pages in
    flight: a page's customers and its bills are read side by side."""
    counts = Recorded()

    async def named(chunk: Sequence[str]) -> None:
        found = [c for c in await read_customers(store, chunk) if c is not None]
        live = list({c["id"]: c for c in found if c.get("status") == "active"}.values())
        if live:
            inputs = await read_tier_inputs(store, [c["id"] for c in live], rules)
            await _record(store, live, inputs, rules, counts)

    async def every(chunk: Sequence[str]) -> None:
        rows, inputs = await asyncio.gather(
            active_customers_by_ids(store, chunk, TIER_ATTRIBUTES), read_tier_inputs(store, chunk, rules)
        )
        by_id = dict(zip(chunk, inputs))
        customers = [{"id": r["id"], **dict(zip(TIER_ATTRIBUTES, r["values"]))} for r in rows]
        if customers:
            await _record(store, customers, [by_id[c["id"]] for c in customers], rules, counts)
        if progress:
            progress(len(customers))

    chosen = list(ids) if ids is not None else await active_customer_ids(store)
    chunks = [chosen[start : start + page] for start in range(0, len(chosen), page)]
    if ids is not None:
        # Named customers may share a survivor: one page at a time keeps two writes of it apart.
        await in_flight(chunks, named, at_once=1)
    else:
        await in_flight(chunks, every)
    return counts


async def tier_histories(store: Store, ids: Sequence[str], first: int) -> list[list[dict[str, Any]]]:
    """Each customer's level changes, newest first."""
    rows = await store.read(HISTORY, {"ids": list(ids), "first": first})
    found = {row["id"]: row["changes"] for row in rows}
    return [found.get(i, []) for i in ids]
