"""`c360 recompute`: the derived service properties analysts' Cypher reads, written by the same pure
functions the API runs when it answers (star levels, case clocks, care done on time). Re-run each
day and whenever the rules or the working calendar change: the last run's rules digest is kept, so a
run says when the rules changed since."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import version
from typing import Any

from app import clock
from app.care_schedule import care_compliance
from app.cyclic_gc import cyclic_gc_paused
from app.months import add_months
from app.rules import Rules
from app.services.customer_export import count_customers
from app.services.in_flight import in_flight
from app.services.service_view import open_case, read_facts
from app.services.tier_history import Recorded, record_levels
from app.store import Store, cypher
from app.working_calendar import working_calendar

CASE_IDS = cypher("service/case_ids")
CASES_BY_IDS = cypher("service/cases_by_ids")
RECORD_CLOCKS = cypher("service/record_case_clocks")
CARD_HOLDERS = cypher("service/card_holders")
RECORD_CARE = cypher("service/record_care_compliance")
RECORD_RUN = cypher("service/record_recompute")
LAST_RUN = cypher("service/last_recompute")
CUSTOMERS_OF_RECORDS = cypher("service/customers_of_records")

# Kinds whose rows can move a derived service property: a star level (bills, points, flags and cards on
# customers, brands of subscriptions), a case's clocks, care done on time (contacts).
RECOMPUTE_KINDS = frozenset({"customers", "subscriptions", "bills", "points", "contacts", "cases", "case_events"})
TIER_KINDS = frozenset({"customers", "subscriptions", "bills", "points"})


@dataclass(slots=True)
class Recomputed:
    tiers: Recorded
    cases: int = 0
    breached: int = 0
    card_holders: int = 0
    rules_changed: bool = False


def rules_digest(rules: Rules) -> str:
    """The rules and the calendar package's version: either changing can move a deadline."""
    text = rules.model_dump_json() + version("chinese-calendar")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def record_case_clocks(store: Store, rules: Rules, digest: str, page: int = 2000) -> tuple[int, int]:
    """A few pages in flight (app/services/in_flight.py): the store reads or writes one while this
    process works out the clocks of another."""
    now = clock.now()
    at = clock.instant(now)
    ids = sorted((await store.read(CASE_IDS))[0]["ids"] or [])
    counted = [0, 0]

    async def clocks(chunk: list[str]) -> None:
        rows = await store.read(CASES_BY_IDS, {"ids": chunk})
        written: list[dict[str, Any]] = []
        for row in rows:
            state = open_case(row, None, rules, now).state
            counted[1] += state.breached
            written.append(
                {
                    "id": row["case"]["id"],
                    "open": state.open,
                    "breached": state.breached,
                    "warning": state.warning,
                    "next_due": clock.instant(state.next_due) if state.next_due else None,
                }
            )
        await store.write(RECORD_CLOCKS, {"rows": written, "at": at, "rules": digest})
        counted[0] += len(rows)

    await in_flight([ids[start : start + page] for start in range(0, len(ids), page)], clocks)
    return counted[0], counted[1]


async def record_care(store: Store, rules: Rules, page: int = 500) -> int:
    """A few pages in flight, as the case clocks."""
    today = clock.today()
    since = add_months(today, -rules.care.compliance_months)
    calendar = working_calendar(rules)
    holders = [0]
    card_holders = sorted((await store.read(CARD_HOLDERS))[0]["ids"] or [])

    async def care(chunk: list[str]) -> None:
        written = []
        for facts in await read_facts(store, chunk, rules, contacts_since=since - timedelta(days=1)):
            if facts is not None:
                done = care_compliance(facts, rules, calendar, since, today)
                written.append({"id": facts.customer_id, "due": done.due, "met": done.met})
        await store.write(RECORD_CARE, {"rows": written, "since": since.isoformat(), "as_of": today.isoformat()})
        holders[0] += len(written)

    await in_flight([card_holders[start : start + page] for start in range(0, len(card_holders), page)], care)
    return holders[0]


async def _levels_hold(store: Store, levels: Recorded) -> bool:
    """A first load's levels stand for today's when they were worked out today for every active customer
    (one a statement made after them, or a day turned since, has them worked out again)."""
    return levels.as_of == clock.today() and levels.customers == await count_customers(store)


async def recompute(
    store: Store,
    rules: Rules,
    progress: Callable[[int], None] | None = None,
    *,
    customers: Sequence[str] | None = None,
    levels: Recorded | None = None,
) -> Recomputed:
    """Star levels of every active customer (or of ``customers`` only), every case's clocks and card
    holder's care. Only a run over every customer notes its rules and time as the last recompute.
    ``levels``: every customer's level already recorded by a first load in bulk, as of its day; on that
    day they are not worked out again.
    Bulk work, so full collections are paused (app/cyclic_gc.py): at the end of `c360 load` the process
    still holds the load's objects, and the collector's passes over them were 20 of the recompute's 34 s."""
    digest = rules_digest(rules)
    before = None
    with cyclic_gc_paused(keep_young=store.leaves_reference_cycles):
        if customers is None:
            before = await store.write(RECORD_RUN, {"rules": digest, "at": clock.now_iso()})
        if customers is None and levels is not None and await _levels_hold(store, levels):
            done = Recomputed(levels)
        else:
            done = Recomputed(await record_levels(store, rules, ids=customers, progress=progress))
        done.cases, done.breached = await record_case_clocks(store, rules, digest)
        done.card_holders = await record_care(store, rules)
    done.rules_changed = bool(before and before[0]["before"] not in (None, digest))
    return done


async def customers_of_records(store: Store, record_ids: Sequence[str], page: int = 10_000) -> list[str]:
    found: set[str] = set()
    for start in range(0, len(record_ids), page):
        rows = await store.read(CUSTOMERS_OF_RECORDS, {"ids": list(record_ids[start : start + page])})
        found.update(row["id"] for row in rows)
    return sorted(found)


async def recompute_after_ingest(store: Store, rules: Rules, kind: str, record_ids: Sequence[str]) -> Recomputed:
    """After a file of ``kind``: the star levels of the customers its written records reach, and every case's
    clocks and card holder's care (far fewer than customers). A thousand bills into a million customers
    then cost a thousand levels, not a million; the daily `c360 recompute` moves everyone to the new day.
    When the rules changed since the last recompute (or there was none), everything is computed anew."""
    last = await store.read(LAST_RUN)
    if not last or last[0]["rules"] != rules_digest(rules):
        return await recompute(store, rules)
    customers = await customers_of_records(store, record_ids) if kind in TIER_KINDS else []
    return await recompute(store, rules, customers=customers)
