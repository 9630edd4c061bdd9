"""A week of channel traffic on a loaded demo (DOMAIN.md §1, §3 rule 2, §8): opportunities captured,
routed, claimed, returned, re-dispatched, won and lost, with their call-backs and survey answers;
consents, planned and unplanned marketing touches (some refused, some made anyway and flagged) and
service calls; suspected duplicates confirmed or denied at a hall desk. Each step goes through the
service the API calls, on the fixed clock of the week before the demo's reference morning, so that on
that morning the operations centre's board, the inboxes, the work lists, the violations and the
contact checks all have something to show. Deterministic: the same demo gives the same traffic."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from app import clock
from app.errors import C360Error
from app.rules import Rules
from app.services import contact_confirmation as confirmation
from app.services import contact_planning as planning
from app.services import opportunities as hand_off
from app.services.channel_writes import ContactInput, record_touch, submit_customer_record
from app.store import Store, cypher
from demo.operator import reference_clock

STAFF = cypher("demo/staff")
CUSTOMERS = cypher("demo/traffic_customers")
# How much of each story the week tells (a story per customer picked).
OPPORTUNITY_STORIES = 36
CONSENTED = 24
WALK_INS = 12
CALLER = "demo-traffic"
# Customers read to pick the stories' from (account managers have a few in a hundred).
CUSTOMERS_READ = 2000


@dataclass(slots=True)
class Staff:
    by_role: dict[tuple[str, str], list[str]]

    def one(self, role: str, network: str, n: int = 0) -> str | None:
        found = self.by_role.get((role, network)) or []
        return found[n % len(found)] if found else None


class Week:
    """The clock of the week before the reference morning: each story's step sets it."""

    def __init__(self, reference: datetime) -> None:
        self.morning = reference.astimezone(clock.operator_zone())
        self.fixed = clock.FixedClock(self.morning)

    def at(self, days_before: int, hour: int, minute: int = 0) -> datetime:
        day = (self.morning - timedelta(days=days_before)).date()
        moment = datetime.combine(day, time(hour, minute), clock.operator_zone())
        self.fixed = clock.FixedClock(moment)
        clock.set_clock(self.fixed)
        return moment


async def _step(counts: Counter[str], name: str, action: Awaitable[Any]) -> Any:
    """One step of a story; a refusal is counted as the answer it is (the demo shows refusals too)."""
    try:
        found = await action
    except C360Error as exc:
        counts[f"{name} refused: {type(exc).__name__}"] += 1
        return None
    counts[name] += 1
    return found


async def channel_week(store: Store, rules: Rules, demo: Path, seed: int = 360) -> dict[str, int]:
    """Run the week's traffic; returns how many of each step happened (and were refused)."""
    reference = reference_clock(demo)
    if reference is None:
        raise C360Error(f"{demo} has no reference day (reference.json): not a demo directory")
    rng = random.Random(f"{seed}:traffic")
    staff = Staff({})
    for row in await store.read(STAFF, {}):
        staff.by_role.setdefault((row["role"], row["network"]), []).append(row["id"])
        if row["core"]:
            staff.by_role.setdefault(("core_agent", row["network"]), []).append(row["id"])
    customers = await store.read(CUSTOMERS, {"limit": CUSTOMERS_READ})
    rng.shuffle(customers)
    managed = [c for c in customers if c["manager"]]
    unmanaged = [c for c in customers if not c["manager"]]
    told = {str(c["id"]) for c in managed[: OPPORTUNITY_STORIES // 6 * 5] + unmanaged[: OPPORTUNITY_STORIES // 6]}
    rest = [c for c in customers if str(c["id"]) not in told]
    week = Week(reference)
    previous = clock.set_clock(week.fixed)
    counts: Counter[str] = Counter()
    try:
        await _opportunities(store, rules, staff, managed, unmanaged, week, counts)
        await _contacts(store, rules, staff, rest[:CONSENTED], week, counts)
        await _walk_ins(store, rules, staff, rest[CONSENTED:], week, counts)
    finally:
        clock.set_clock(previous)
    return dict(sorted(counts.items()))


def _actor(channel: str, employee: str | None) -> hand_off.Actor:
    return hand_off.Actor(channel, employee, f"{CALLER}:{channel}")


async def _opportunities(
    store: Store,
    rules: Rules,
    staff: Staff,
    managed: list[dict[str, Any]],
    unmanaged: list[dict[str, Any]],
    week: Week,
    counts: Counter[str],
) -> None:
    """Six stories, in turn: claimed and won (a call-back, half of them made with a survey answer);
    returned, re-dispatched to a core agent and lost; left unclaimed with a core agent (escalated);
    captured on the web with no customer (the operations centre's queue); sold in the hall itself (a
    follow-up call-back); claimed and then left to stall."""
    pools = {True: iter(unmanaged), False: iter(managed)}
    for n in range(OPPORTUNITY_STORIES):
        story = n % 6
        customer = next(pools[story == 2], None)
        if customer is None:
            continue
        network = str(customer["network"])
        hall = _actor("service_hall", staff.one("hall_staff", network, n))
        ops = _actor("operations_centre", staff.one("operations", network, n))
        days = 10 if story == 5 else 6 - n % 3
        week.at(days, 10, n % 50)
        capture = hand_off.Capture(
            kind="opportunity" if story % 2 == 0 else "lead",
            need="purchase" if story != 1 else "change",
            customer_id=None if story == 3 else str(customer["id"]),
            product=("全家享套餐", "千兆宽带", "天翼云盘", "商务专线", "5G升级包", "IPTV")[story],
            contact_person=str(customer["name"]),
            completed_by_channel=story == 4,
            note="captured in the week's demo traffic",
        )
        capturing = hall if story != 3 else _actor("web_hall", None)
        if story == 2:
            capturing = _actor("hotline", staff.one("hotline_agent", network, n))
        found = await _step(counts, "opportunity captured", hand_off.capture(store, rules, capture, capturing))
        if found is None:
            continue
        opportunity = str(found)
        # The account manager acting today (A, or B while A is on leave) is the one it was routed to.
        routed = (await hand_off.read_opportunities(store, rules, [opportunity]))[0].opportunity.get("routed_to")
        manager = _actor("account_manager", routed)
        if story == 0:
            week.at(days, 11)
            await _step(counts, "claimed", hand_off.claim(store, rules, opportunity, manager))
            week.at(days - 2, 15)
            await _step(counts, "won", hand_off.close(store, rules, opportunity, True, "signed", manager))
            if n % 12 == 0:
                await _call_back(store, rules, opportunity, manager, week, days - 3, counts)
        elif story == 1:
            week.at(days, 14)
            reason = "the customer wants a line at a new address outside my area"
            await _step(counts, "returned", hand_off.return_to_centre(store, rules, opportunity, reason, manager))
            agent = staff.one("core_agent", network, n)
            if agent is None:
                continue
            week.at(days - 1, 9, 30)
            await _step(
                counts,
                "dispatched",
                hand_off.dispatch(store, rules, opportunity, agent, "the network's core agent covers it", ops),
            )
            seller = _actor("agent", agent)
            week.at(days - 1, 11)
            await _step(counts, "claimed", hand_off.claim(store, rules, opportunity, seller))
            week.at(days - 2, 16)
            await _step(counts, "lost", hand_off.close(store, rules, opportunity, False, "price", seller))
        elif story == 5:
            week.at(days, 16)
            await _step(counts, "claimed", hand_off.claim(store, rules, opportunity, manager))


async def _call_back(
    store: Store, rules: Rules, opportunity: str, seller: hand_off.Actor, week: Week, days: int, counts: Counter[str]
) -> None:
    due = [c for c in await hand_off.call_backs(store, rules, seller.employee, False) if c.opportunity == opportunity]
    if not due:
        return
    week.at(days, 10)
    answer = hand_off.CallBackDone("call-back after the sale", "resolved", "satisfied")
    call_back = str(due[0].call_back["id"])
    await _step(counts, "call-back made", hand_off.complete_call_back(store, call_back, answer, seller, False))


async def _contacts(
    store: Store, rules: Rules, staff: Staff, customers: list[dict[str, Any]], week: Week, counts: Counter[str]
) -> None:
    """Consents signed at the hall (one withdrawn later), an agent's marketing calls planned on the work
    list and made, the hall's plan for the same week refused, a second call the same day made anyway
    (flagged), a night call refused at planning, and service calls that no rule holds back."""
    for n, customer in enumerate(customers):
        network, customer_id = str(customer["network"]), str(customer["id"])
        clerk = staff.one("hall_staff", network, n)
        agent = staff.one("agent", network, n)
        week.at(6, 10, n)
        consent = planning.ConsentInput(
            customer_id, True, "signed_form", f"form HT-{n:04d}", "service_hall", employee_id=clerk
        )
        await _step(counts, "consent", planning.record_consent(store, rules, consent, CALLER))
        if n % 8 == 7:
            week.at(4, 10)
            withdrawn = planning.ConsentInput(
                customer_id, False, "recorded_call", f"call REC-{n:04d}", "hotline", mode="call"
            )
            await _step(counts, "opt-out", planning.record_consent(store, rules, withdrawn, CALLER))
        week.at(5, 9)
        call_at = week.at(5, 9) + timedelta(days=2, hours=2)
        plan = planning.PlanInput(customer_id, "agent", "marketing", call_at, "call", agent, "5G upgrade offer")
        outcome = await _plan(store, rules, plan, counts)
        hall_plan = planning.PlanInput(customer_id, "service_hall", "marketing", call_at + timedelta(days=1))
        await _plan(store, rules, hall_plan, counts)
        if n % 6 == 0:
            night_at = (call_at + timedelta(days=1)).replace(hour=22, minute=30)
            night = planning.PlanInput(customer_id, "agent", "marketing", night_at)
            await _plan(store, rules, night, counts)
        if outcome is None or outcome.plan is None:
            continue
        plan_id = str(outcome.plan["id"])
        week.at(3, 11)
        made = _call(customer_id, "agent", "purchase", call_at, "5G upgrade offer", agent, "marketing", plan_id=plan_id)
        await _step(counts, "marketing call", record_touch(store, rules, made, CALLER))
        if n % 4 == 1:
            again = _call(
                customer_id, "agent", "purchase", call_at + timedelta(hours=3), "follow-up", agent, "marketing"
            )
            flagged = await _step(counts, "marketing call", record_touch(store, rules, again, CALLER))
            if flagged is not None and flagged.violations:
                counts["violation recorded"] += 1
        service = _call(
            customer_id,
            "hotline",
            "fault_report",
            call_at + timedelta(hours=4),
            "broadband fault: engineer booked",
            staff.one("hotline_agent", network, n),
            "service",
            satisfaction=("satisfied", "very_satisfied", "neutral")[n % 3],
        )
        await _step(counts, "service call", record_touch(store, rules, service, CALLER))


def _call(
    customer_id: str,
    channel: str,
    kind: str,
    at: datetime,
    summary: str,
    employee: str | None,
    purpose: str,
    *,
    plan_id: str | None = None,
    satisfaction: str | None = None,
) -> ContactInput:
    """An outbound call that reached the customer."""
    return ContactInput(
        customer_id,
        channel,
        kind,
        clock.instant(at),
        summary,
        "resolved",
        employee,
        mode="call",
        direction="outbound",
        purpose=purpose,
        satisfaction=satisfaction,
        plan_id=plan_id,
    )


async def _plan(
    store: Store, rules: Rules, plan: planning.PlanInput, counts: Counter[str]
) -> planning.PlanOutcome | None:
    """A touch put on the work list, or refused with the first rule it would break."""
    outcome: planning.PlanOutcome | None = await _step(
        counts, "plan asked", planning.plan_contact(store, rules, plan, CALLER)
    )
    if outcome is not None:
        counts["planned" if outcome.plan else f"plan refused: {outcome.permission.reasons[0].rule}"] += 1
    return outcome


async def _walk_ins(
    store: Store, rules: Rules, staff: Staff, customers: list[dict[str, Any]], week: Week, counts: Counter[str]
) -> None:
    """A hall clerk keys in a walk-in customer with a slip in the certificate number: resolution
    suspects the existing customer and asks for review. Days later the customer is back at a desk with the
    certificate; the clerk confirms (or, for every third, the customer says it is not them)."""
    for n, customer in enumerate(customers[:WALK_INS]):
        existing = customer["record"]
        if not existing or not existing.get("cert_no") or not existing.get("phones"):
            continue
        network = str(customer["network"])
        week.at(5, 15, n)
        fields = {
            "source_id": f"WALKIN{n:04d}",
            "name": existing["name"],
            "cert_type": "resident_id",
            "cert_no": _slip(str(existing["cert_no"])),
            "phones": ";".join(existing.get("phones") or []),
            "local_network": network,
            "segment": "individual",
            "address": "",
        }
        decision = await _step(counts, "walk-in", submit_customer_record(store, "service_hall", fields))
        if decision is None or decision[0].decision != "review":
            counts[f"walk-in {decision[0].decision if decision else 'refused'}"] += 1
            continue
        week.at(2, 10, n)
        pending = (await confirmation.pending_duplicates(store, rules, [str(customer["id"])]))[0]
        if not pending:
            continue
        submission = confirmation.Submission(
            customer=str(customer["id"]),
            candidate=pending[0].candidate,
            certificate_type=str(existing.get("cert_type") or "resident_id"),
            certificate_number=str(existing["cert_no"]),
            service_password="passed",
            same_person=n % 3 != 2,
            channel="service_hall",
            employee=staff.one("hall_staff", network, n) or "",
        )
        await _step(counts, "checked at the desk", confirmation.confirm_at_contact(store, rules, submission))


def _slip(number: str) -> str:
    """The certificate number with its last character mistyped: its check fails, the ingest sets it
    aside, and the record joins the customer holding the valid number only through a review."""
    return number[:-1] + ("1" if number[-1] == "0" else "0")
