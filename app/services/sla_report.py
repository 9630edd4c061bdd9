"""The SLA breach report for managers: the cases opened in a period, their clocks as of now by the one
function (app/sla.py), breach and warning rates by channel and kind, and the breached cases."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from app import clock
from app.rules import Rules
from app.services.service_view import OpenCase, open_case
from app.store import Store, cypher

CASES_OPENED = cypher("service/cases_opened_between")


@dataclass(frozen=True, slots=True)
class BreachRate:
    channel: str | None
    kind: str
    cases: int
    breached: int
    warning: int
    open: int

    @property
    def rate(self) -> float:
        return round(self.breached / self.cases, 4) if self.cases else 0.0


@dataclass(frozen=True, slots=True)
class BreachReport:
    rates: list[BreachRate]
    breaches: list[OpenCase]


async def breach_report(
    store: Store, rules: Rules, start: datetime, end: datetime, local_network: str | None = None
) -> BreachReport:
    rows = await store.read(
        CASES_OPENED,
        {"from": clock.instant(start), "to": clock.instant(end), "local_network": local_network},
    )
    now = clock.now()
    cases = [open_case(row, row["customer_id"], rules, now) for row in rows]
    counts: dict[tuple[str | None, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for found in cases:
        count = counts[(found.case.channel, found.case.kind)]
        count[0] += 1
        count[1] += found.state.breached
        count[2] += found.state.warning
        count[3] += found.state.open
    rates = [
        BreachRate(channel, kind, *n)
        for (channel, kind), n in sorted(counts.items(), key=lambda i: (i[0][0] or "", i[0][1]))
    ]
    return BreachReport(rates, [c for c in cases if c.state.breached])
