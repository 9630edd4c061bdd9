"""Whom an employee acts for today (DOMAIN.md section 5): an account manager their own customers (as
their A), and as B a colleague's customers only while that colleague is on leave. Read per request,
not kept: a leave starts and ends with the calendar, which bumps no customer's version."""

from __future__ import annotations

from app import clock
from app.store import Store, cypher

ACTING_FOR = cypher("access/acting_for")


async def customers_acted_for(store: Store, employee: str | None) -> frozenset[str]:
    """The live customer ids; none for a key bound to no employee."""
    if not employee:
        return frozenset()
    rows = await store.read(ACTING_FOR, {"employee": employee, "today": clock.today().isoformat()})
    return frozenset(str(row["id"]) for row in rows)
