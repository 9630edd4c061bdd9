"""Golden customers with segment and tier, streamed page by page for BI tools."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from app import clock
from app.customer import EXPORTED
from app.rules import Rules, get_rules
from app.store import Store, cypher
from app.tiers import average_monthly_spend, months_back, star_level

PAGE = cypher("export/customers_page")
SPEND = cypher("view/spend_by_customers")
COUNT = cypher("admin/count_active_customers")
COLUMNS = ("id", *EXPORTED, "average_monthly_spend", "star_level", "created_at", "updated_at")


async def count_customers(store: Store) -> int:
    return int((await store.read(COUNT))[0]["n"])


async def customer_pages(
    store: Store, *, page: int = 5000, rules: Rules | None = None, progress: Callable[[int], None] | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Only the attributes the customer declaration exports, never personal ones: a BI extract must
    not become a copy of the customer base."""
    rules = rules or get_rules()
    since = months_back(clock.today(), rules.tiers.months)
    after = ""
    while True:
        rows = [
            {**dict(zip(EXPORTED, row.pop("values"))), **row}
            for row in await store.read(PAGE, {"after": after, "page": page, "columns": EXPORTED})
        ]
        if not rows:
            return
        monthly: dict[str, dict[str, float]] = {}
        for row in await store.read(SPEND, {"ids": [r["id"] for r in rows], "since": since}):
            monthly.setdefault(row["id"], {})[row["month"]] = float(row["amount"])
        out = []
        for row in rows:
            average = average_monthly_spend(monthly.get(row["id"], {}), rules.tiers.months)
            out.append(
                {
                    **{k: row.get(k) for k in COLUMNS if k in row},
                    "average_monthly_spend": round(average, 2),
                    "star_level": star_level(average, rules),
                }
            )
        yield [{k: r.get(k) for k in COLUMNS} for r in out]
        if progress:
            progress(len(rows))
        after = rows[-1]["id"]
