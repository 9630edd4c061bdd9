"""The GraphQL service standards: a customer's open cases with their clocks, the care it is owed, its
churn warnings and lifecycle stage; an employee's due work; the SLA breach report. Thin over
app/services/service_view, due_work and sla_report: every deadline is computed when it is read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, overload

import strawberry

from app import clock
from app.access import Forbidden
from app.care_schedule import CareItem as CareResult
from app.errors import BadInput, NotFoundError
from app.services.due_work import DueItem as DueResult
from app.services.due_work import due_work
from app.services.service_view import CustomerService as ServiceResult
from app.services.service_view import OpenCase, is_open_item
from app.services.sla_report import breach_report
from schema.context import Info
from schema.enums import CareItemKind, CaseEventKind, CaseKind, Channel, ContactMode, DueWorkKind, LifecycleStage
from schema.loaders import now_or_later
from schema.pagination import DUE_WORK, SLA_BREACHES, Connection, in_memory, window
from schema.scalars import DateTime


@strawberry.type(description="One deadline of a case (DOMAIN.md §6): when it falls, whether it was met in time.")
class SlaDeadline:
    name: str = strawberry.field(
        description="What is due: answer, new_promise, solution, tell_customer, contact, follow_up."
    )
    due_at: DateTime | None = strawberry.field(
        description="When; null when it falls in a year no working calendar knows."
    )
    met_at: DateTime | None = strawberry.field(description="When the work was done, if it was.")
    breached: bool = strawberry.field(description="Done after it was due, or not done and now past it.")
    warning: bool = strawberry.field(description="Not done and the configured share of the limit has run.")
    pauses: bool = strawberry.field(description="Whether its clock stops while the case is paused.")


@strawberry.type(description="Something that happened to a case.")
class CaseHappening:
    id: strawberry.ID = strawberry.field(description="The event's record id.")
    event: CaseEventKind = strawberry.field(description="What happened.")
    at: DateTime = strawberry.field(description="When.")
    employee_id: strawberry.ID | None = strawberry.field(description="Who did it.")
    reason: str | None = strawberry.field(description="Why (a pause's reason, a note).")


@strawberry.type(description="Work with a service time limit (工单): its clocks computed as of the request.")
class ServiceCase:
    id: strawberry.ID = strawberry.field(description="The case's record id.")
    kind: CaseKind = strawberry.field(description="What kind of work it is.")
    channel: Channel | None = strawberry.field(description="Where it came in.")
    opened_at: DateTime = strawberry.field(description="When it was opened.")
    owner_id: strawberry.ID | None = strawberry.field(description="The first person asked (首问负责制), who owns it.")
    summary: str | None = strawberry.field(description="What it is about.")
    open: bool = strawberry.field(description="Not yet closed.")
    paused: bool = strawberry.field(description="Its work clocks are stopped.")
    pause_reason: str | None = strawberry.field(description="Why they are stopped.")
    warning: bool = strawberry.field(description="A deadline is near (the configured share of its limit has run).")
    breached: bool = strawberry.field(description="A deadline was missed.")
    next_due_at: DateTime | None = strawberry.field(description="The earliest deadline not yet met.")
    unknown_calendar: bool = strawberry.field(
        description="A working-day deadline falls in a year no working calendar knows: flagged, not guessed."
    )
    deadlines: list[SlaDeadline] = strawberry.field(description="Each deadline of the case.")
    events: list[CaseHappening] = strawberry.field(description="What happened to it, in time order.")
    customer_id: strawberry.ID | None = strawberry.field(description="The customer it is for.")


@strawberry.type(description="Care a VIP card holder is owed (大客户关怀, DOMAIN.md §6).")
class CareItem:
    kind: CareItemKind = strawberry.field(description="What the work is.")
    due: date | None = strawberry.field(description="The last day it is on time.")
    planned_at: DateTime | None = strawberry.field(description="A retry's planned moment, outside 22:00-08:00.")
    modes: list[ContactMode] = strawberry.field(description="How it may be done.")
    reason: str = strawberry.field(description="Why it is owed, in words.")
    last_done: date | None = strawberry.field(description="When such work was last done.")
    overdue: bool = strawberry.field(description="Its day has passed.")
    alternative_modes: list[ContactMode] | None = strawberry.field(description="Other work that does instead.")
    alternative_due: date | None = strawberry.field(description="By when the other work does.")
    unknown_calendar: bool = strawberry.field(description="Its working days fall in a year no calendar knows.")


@strawberry.type(description="A churn warning (流失预警, DOMAIN.md §7) with its evidence.")
class ChurnWarning:
    rule: str = strawberry.field(description="The configured rule that fired.")
    evidence: str = strawberry.field(description="What in the data fired it, in words.")
    since_day: date = strawberry.field(description="The day since which it stands.")


@strawberry.type(description="Where the customer is in its life (客户生命周期) and why.")
class Lifecycle:
    stage: LifecycleStage = strawberry.field(description="Joining, growth, maturity or decline.")
    reasons: list[str] = strawberry.field(description="The rule's findings, in words.")


@strawberry.type(description="The customer's open service items as of the request, the same on every channel.")
class CustomerService:
    open_cases: list[ServiceCase] = strawberry.field(
        description="Its cases with work still owed (a deadline not met, or paused), the next due first."
    )
    care: list[CareItem] = strawberry.field(
        description="The VIP care it is owed; birthdays only to a caller who sees its birth date in full."
    )
    churn_warnings: list[ChurnWarning] = strawberry.field(description="Its churn warnings, in the rules' order.")
    lifecycle: Lifecycle = strawberry.field(description="Its lifecycle stage.")


BIRTHDAY = ("birthday_reminder", "birthday_call")


@overload
def _at(moment: datetime) -> DateTime: ...
@overload
def _at(moment: datetime | None) -> DateTime | None: ...


def _at(moment: datetime | None) -> DateTime | None:
    return DateTime(clock.instant(moment)) if moment is not None else None


def service_case(found: OpenCase) -> ServiceCase:
    state = found.state
    return ServiceCase(
        id=strawberry.ID(found.case.id),
        kind=found.case.kind,
        channel=found.case.channel,
        opened_at=_at(found.case.opened_at),
        owner_id=strawberry.ID(found.case.owner) if found.case.owner else None,
        summary=found.summary,
        open=state.open,
        paused=state.paused,
        pause_reason=state.pause_reason,
        warning=state.warning,
        breached=state.breached,
        next_due_at=_at(state.next_due),
        unknown_calendar=state.unknown_calendar,
        deadlines=[
            SlaDeadline(
                name=d.name,
                due_at=_at(d.due),
                met_at=_at(d.met_at),
                breached=d.breached,
                warning=d.warning,
                pauses=d.pauses,
            )
            for d in state.deadlines
        ],
        events=[
            CaseHappening(
                id=strawberry.ID(e.id),
                event=e.event,
                at=_at(e.at),
                employee_id=strawberry.ID(e.employee) if e.employee else None,
                reason=e.reason,
            )
            for e in sorted(found.events, key=lambda e: (e.at, e.id))
        ],
        customer_id=strawberry.ID(found.customer_id) if found.customer_id else None,
    )


def care_item(item: CareResult) -> CareItem:
    other = item.alternative
    return CareItem(
        kind=item.kind,
        due=item.due,
        planned_at=_at(item.at),
        modes=list(item.modes),
        reason=item.reason,
        last_done=item.last_done,
        overdue=item.overdue,
        alternative_modes=list(other.modes) if other else None,
        alternative_due=other.due if other else None,
        unknown_calendar=item.unknown_calendar,
    )


def reads_birth_date(info: Info, customer_id: str | None, day: date | None) -> bool:
    """A birthday item tells the birth date: shown (and audited) only where the caller reads the
    customer's birth date in full."""
    if customer_id is None or day is None:
        return False
    try:
        return info.context.caller.show("birth_date", day.isoformat(), customer_id) == day.isoformat()
    except Forbidden:
        return False


def customer_service(info: Info, service: ServiceResult) -> CustomerService:
    """The birth date is asked for (and its full read audited) only when a birthday item would show it."""
    care = service.care
    if any(i.kind in BIRTHDAY for i in care) and not reads_birth_date(
        info, service.customer_id, service.facts.birth_date
    ):
        care = tuple(i for i in care if i.kind not in BIRTHDAY)
    return CustomerService(
        open_cases=[service_case(c) for c in service.cases if is_open_item(c.state)],
        care=[care_item(i) for i in care],
        churn_warnings=[ChurnWarning(rule=w.rule, evidence=w.evidence, since_day=w.since) for w in service.churn],
        lifecycle=Lifecycle(stage=service.stage.stage, reasons=list(service.stage.reasons)),
    )


@strawberry.type(description="One piece of an employee's due work (三订): care, a birthday, a retry or an open case.")
class DueItem:
    kind: DueWorkKind = strawberry.field(description="Care work, or a case with work owed.")
    customer_id: strawberry.ID | None = strawberry.field(description="The customer the work is for.")
    due: date | None = strawberry.field(description="The day a care item is due.")
    due_at: DateTime | None = strawberry.field(description="When a case's next deadline or a retry falls.")
    late: bool = strawberry.field(description="Overdue care or a breached case: listed first.")
    warning: bool = strawberry.field(description="A case's deadline is near.")
    reason: str = strawberry.field(description="What and why, in words.")
    # Built only when asked for: a day plan's page is mostly read for its lines.
    found: strawberry.Private[DueResult]

    @strawberry.field(description="The care item, for care work.")
    def care(self) -> CareItem | None:
        return care_item(self.found.care) if self.found.care else None

    @strawberry.field(description="The case, for case work.")
    def case(self) -> ServiceCase | None:
        return service_case(self.found.case) if self.found.case else None


def due_item(item: DueResult) -> DueItem:
    return DueItem(
        kind=item.kind,
        customer_id=strawberry.ID(item.customer_id) if item.customer_id else None,
        due=item.due_day,
        due_at=_at(item.due_at),
        late=item.late,
        warning=item.warning,
        reason=item.reason,
        found=item,
    )


# The longest stretch one request plans or reports on.
DUE_WORK_DAYS = 31
REPORT_DAYS = 92


def load_service(info: Info, customer_id: str) -> CustomerService:
    """At once when the customer's view primed it, else an awaitable (schema.loaders.now_or_later)."""

    def build(found: ServiceResult | None) -> CustomerService:
        if found is None:
            raise NotFoundError(f"no customer with id {customer_id!r}")
        return customer_service(info, found)

    return now_or_later(info.context.loaders.service, customer_id, build)


def _due_keys(item: DueResult) -> tuple[int, str, str, str, str]:
    """The service's order (late first, then when due) as a cursor's keys; the case breaks ties."""
    not_late, when, customer, kind = item.order()
    return (int(not_late), clock.instant(when), customer, kind, item.case.case.id if item.case else "")


@strawberry.type(description="Breaches of one channel and case kind in the report's period.")
class SlaRate:
    channel: Channel | None = strawberry.field(description="Where the cases came in.")
    kind: CaseKind = strawberry.field(description="Their kind.")
    cases: int = strawberry.field(description="Cases opened in the period.")
    breached: int = strawberry.field(description="Of them, with a deadline missed.")
    warning: int = strawberry.field(description="Of them, open with a deadline near.")
    open: int = strawberry.field(description="Of them, still open.")
    rate: float = strawberry.field(description="breached / cases, 4 decimals.")


@strawberry.type(description="The SLA breach report (服务时限) for managers: clocks as of the request.")
class SlaBreachReport:
    rates: list[SlaRate] = strawberry.field(description="By channel and kind.")
    breached_cases: strawberry.Private[list[ServiceCase]]

    @strawberry.field(description="The breached cases, newest first.")
    def breaches(
        self, first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None
    ) -> Connection[ServiceCase]:
        page = window(first, after, last, before)
        return in_memory(
            SLA_BREACHES,
            self.breached_cases,
            lambda c: (str(c.opened_at), str(c.id)),
            lambda c: c,
            page,
            descending=True,
        )


@strawberry.type
class ServiceQuery:
    @strawberry.field(
        description="An employee's due work from one day to another (at most 31): VIP care, birthdays, unreachable "
        "customers to try again and open cases on their customers or owned by them, late work first. An account "
        "manager reads their own (employee left out); a service manager anyone's."
    )
    async def due_work(
        self,
        info: Info,
        from_: Annotated[
            date, strawberry.argument(name="from", description="The first day (the operator's calendar).")
        ],
        to: Annotated[date, strawberry.argument(description="The last day, included.")],
        employee: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DueItem]:
        caller = info.context.caller
        caller.require("due_work")
        whose = str(employee) if employee else caller.employee
        if not whose:
            raise BadInput("give employee: this key is bound to no employee", [("employee", "required")])
        if whose != caller.employee:
            caller.require("team_work")
        if to < from_ or (to - from_).days >= DUE_WORK_DAYS:
            raise BadInput(f"from must not be after to, at most {DUE_WORK_DAYS} days", [("to", "out of range")])
        page = window(first, after, last, before)
        found = await due_work(info.context.store, info.context.rules, whose, from_, to)
        # Only the page's items become GraphQL objects: a plan of hundreds is paged before it is built.
        items = [i for i in found if i.kind not in BIRTHDAY or reads_birth_date(info, i.customer_id, i.due_day)]
        return in_memory(DUE_WORK, items, _due_keys, due_item, page)

    @strawberry.field(
        description="The SLA breach report for cases opened from one moment to another (at most 92 days), of one "
        "local network if given: rates by channel and kind, and the breached cases."
    )
    async def sla_breach_report(
        self,
        info: Info,
        from_: Annotated[DateTime, strawberry.argument(name="from", description="Cases opened from this moment.")],
        to: Annotated[DateTime, strawberry.argument(description="Up to this moment, excluded.")],
        local_network: str | None = None,
    ) -> SlaBreachReport:
        info.context.caller.require("sla_report")
        start, end = clock.parse(from_), clock.parse(to)
        if end <= start or (end - start).days > REPORT_DAYS:
            raise BadInput(f"from must be before to, at most {REPORT_DAYS} days", [("to", "out of range")])
        report = await breach_report(info.context.store, info.context.rules, start, end, local_network)
        return SlaBreachReport(
            rates=[
                SlaRate(
                    channel=r.channel,
                    kind=r.kind,
                    cases=r.cases,
                    breached=r.breached,
                    warning=r.warning,
                    open=r.open,
                    rate=r.rate,
                )
                for r in report.rates
            ],
            breached_cases=[service_case(c) for c in report.breaches],
        )
