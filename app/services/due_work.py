"""An employee's due work over some days (三订: plan): the care their customers are owed, birthdays,
unreachable customers to try again, and the open cases on their customers or owned by them (the first
person asked), breaches first. A backup manager (B) has work on a colleague's customers only on the
days of the colleague's leave (DOMAIN.md §5)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from app import clock
from app.care_schedule import CareItem
from app.rules import Rules
from app.services.service_view import OpenCase, closing_events, is_open_item, open_case, read_care
from app.store import Store, cypher

OWNED_CASES = cypher("service/cases_owned_by")
CASE = "case"


@dataclass(frozen=True, slots=True)
class DueItem:
    customer_id: str | None
    # app/vocabulary.DUE_WORK_KINDS: a care item's kind, or "case".
    kind: str
    # When the work is due: a care item's day, a case's next deadline or a retry's planned moment.
    due_day: date | None
    due_at: datetime | None
    # Overdue care or a breached case.
    late: bool
    warning: bool
    reason: str
    care: CareItem | None = None
    case: OpenCase | None = None

    def order(self) -> tuple[bool, datetime, str, str]:
        """Late work first, then by when it is due (a day's work at its start), then by customer."""
        when = self.due_at or (datetime.combine(self.due_day, time(), clock.operator_zone()) if self.due_day else None)
        return (not self.late, when or datetime.max.replace(tzinfo=UTC), self.customer_id or "", self.kind)


def _acting_days(role: str, leaves: Sequence[tuple[str, str]], start: date, end: date) -> list[tuple[date, date]]:
    if role == "A":
        return [(start, end)]
    spans = [(max(start, date.fromisoformat(a)), min(end, date.fromisoformat(b))) for a, b in leaves]
    return [(a, b) for a, b in spans if a <= b]


def _care_item(customer_id: str, item: CareItem) -> DueItem:
    return DueItem(customer_id, item.kind, item.due, item.at, item.overdue, False, item.reason, care=item)


def _case_item(found: OpenCase) -> DueItem:
    state = found.state
    unmet = ", ".join(d.name for d in state.deadlines if d.met_at is None) or "none"
    reason = f"{found.case.kind} opened {clock.render(clock.instant(found.case.opened_at))}; open deadlines: {unmet}"
    if state.paused:
        reason += f"; paused ({state.pause_reason or 'no reason given'})"
    if state.unknown_calendar:
        reason += "; a working-day deadline falls in a year no calendar knows"
    return DueItem(found.customer_id, CASE, None, state.next_due, state.breached, state.warning, reason, case=found)


async def due_work(store: Store, rules: Rules, employee: str, start: date, end: date) -> list[DueItem]:
    """The work due from ``start`` to ``end`` (both days in), and everything late before it."""
    standings, owned = await asyncio.gather(
        read_care(store, employee, start, end, rules),
        store.read(OWNED_CASES, {"employee": employee, "closing": closing_events(rules)}),
    )
    items: list[DueItem] = []
    seen: set[str] = set()
    for service in standings:
        spans = _acting_days(service.role, service.leaves, start, end)
        for care in service.care:
            day = max(care.due, start) if care.due else start
            if (care.due is None or care.due <= end) and any(a <= day <= b for a, b in spans):
                items.append(_care_item(service.customer_id, care))
        for found in service.cases:
            if is_open_item(found.state):
                items.append(_case_item(found))
                seen.add(found.case.id)
    now = clock.now()
    for row in owned:
        if row["case"]["id"] not in seen:
            found = open_case(row, row["customer_id"], rules, now)
            if is_open_item(found.state):
                items.append(_case_item(found))
    return sorted(items, key=DueItem.order)
