"""A case's service clocks (DOMAIN.md §6-7): its deadlines, pauses, warnings and breaches, computed
from its events by one pure function, so the API at read time and the recompute step that writes
derived properties for analysts can never disagree, and a changed rule or calendar is a re-run.

The limits are rules.toml [sla] data. Replies the customer waits for (telling them the result) never
pause and are not held back by the quiet hours: a complaint's final answer at 23:30 is told by 00:30.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import clock
from app.months import add_months
from app.rules import Rules, SlaDeadline
from app.working_calendar import UnknownCalendarYear, WorkingCalendar

CLOSED = "closed"
PAUSED = "paused"
RESUMED = "resumed"
OPENED = "opened"


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    opened_at: datetime
    # The first person asked (首问负责制): the owner for good, whoever handles later events.
    owner: str | None
    channel: str | None = None


@dataclass(frozen=True)
class CaseEvent:
    id: str
    event: str
    at: datetime
    employee: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Deadline:
    name: str
    # None when it falls in a year no working calendar knows (SlaState.unknown_calendar).
    due: datetime | None
    met_at: datetime | None
    breached: bool
    warning: bool
    pauses: bool


@dataclass(frozen=True)
class SlaState:
    open: bool
    owner: str | None
    deadlines: list[Deadline]
    paused: bool
    pause_reason: str | None
    warning: bool
    breached: bool
    next_due: datetime | None
    unknown_calendar: bool


@dataclass(frozen=True)
class _Pause:
    start: datetime
    end: datetime | None
    reason: str | None


def sla_state(
    case: Case, events: Sequence[CaseEvent], rules: Rules, calendar: WorkingCalendar, now: datetime
) -> SlaState:
    """The case's clocks as of ``now``. Events later than ``now`` are not yet known, so the state at
    a past moment can be recomputed as it was; the rest are taken in time order (then by id), however
    they arrived. A kind without [sla] deadlines has none."""
    now = clock.aware(now)
    timeline = sorted(
        (event for event in events if clock.aware(event.at) <= now),
        key=lambda event: (clock.aware(event.at), event.id),
    )
    closed_at = _closed_at(case, timeline, rules, calendar, now)
    as_of = closed_at or now
    pauses = _pauses(timeline)
    deadlines: list[Deadline] = []
    unknown_calendar = False
    for name, limit in rules.sla.deadlines.get(case.kind, {}).items():
        start = _start(case, timeline, limit)
        if start is None:
            continue
        start_at, after = start
        met_at = next((clock.aware(e.at) for e in after if e.event in limit.met_by), None)
        try:
            base_due = _due(start_at, limit, calendar)
        except UnknownCalendarYear:
            unknown_calendar = True
            deadlines.append(Deadline(name, None, met_at, False, False, limit.pauses))
            continue
        if limit.period:
            ended = base_due <= as_of
            deadlines.append(Deadline(name, base_due, base_due if ended else None, False, False, limit.pauses))
            continue
        due = _extended(base_due, start_at, pauses, met_at or as_of) if limit.pauses else base_due
        breached = (met_at or as_of) > due
        worked = (as_of - start_at) - (due - base_due)
        warning = met_at is None and not breached and worked >= (base_due - start_at) * rules.sla.warning_share
        deadlines.append(Deadline(name, due, met_at, breached, warning, limit.pauses))

    is_open = closed_at is None
    pending = pauses[-1] if pauses and pauses[-1].end is None and is_open else None
    unmet = [d.due for d in deadlines if d.met_at is None and d.due is not None]
    return SlaState(
        open=is_open,
        owner=case.owner,
        deadlines=deadlines,
        paused=pending is not None,
        pause_reason=pending.reason if pending else None,
        warning=is_open and any(d.warning for d in deadlines),
        breached=any(d.breached for d in deadlines),
        next_due=min(unmet) if is_open and unmet else None,
        unknown_calendar=unknown_calendar,
    )


def _closed_at(
    case: Case, timeline: list[CaseEvent], rules: Rules, calendar: WorkingCalendar, now: datetime
) -> datetime | None:
    """The first closing event, or the end of a period (a retained customer's follow-up) that has run
    out, whichever came first."""
    closers = {CLOSED, *rules.sla.closing_events.get(case.kind, [])}
    ends = [clock.aware(e.at) for e in timeline if e.event in closers][:1]
    for limit in rules.sla.deadlines.get(case.kind, {}).values():
        start = _start(case, timeline, limit) if limit.period else None
        if start is not None:
            try:
                end = _due(start[0], limit, calendar)
            except UnknownCalendarYear:
                continue
            if end <= now:
                ends.append(end)
    return min(ends, default=None)


def _start(case: Case, timeline: list[CaseEvent], limit: SlaDeadline) -> tuple[datetime, list[CaseEvent]] | None:
    """When the clock starts and the events after it; None while its start has not happened, or when
    an ``unless_after`` event made it needless (an answer before any promise)."""
    if limit.starts == OPENED:
        return clock.aware(case.opened_at), timeline
    index = next((i for i, e in enumerate(timeline) if e.event == limit.starts), None)
    if index is None or any(e.event in limit.unless_after for e in timeline[:index]):
        return None
    return clock.aware(timeline[index].at), timeline[index + 1 :]


def _due(start: datetime, limit: SlaDeadline, calendar: WorkingCalendar) -> datetime:
    if limit.unit == "minutes":
        return start + timedelta(minutes=limit.limit)
    if limit.unit == "hours":
        return start + timedelta(hours=limit.limit)
    if limit.unit == "working_days":
        return calendar.end_of_working_days(start, limit.limit)
    return add_months(start.astimezone(calendar.zone), limit.limit)


def _pauses(timeline: list[CaseEvent]) -> list[_Pause]:
    """Each paused-to-resumed stretch; a second ``paused`` while paused and a stray ``resumed`` change
    nothing. The last one is open (end None) while the case is still paused."""
    stretches: list[_Pause] = []
    opened: CaseEvent | None = None
    for event in timeline:
        if event.event == PAUSED and opened is None:
            opened = event
        elif event.event == RESUMED and opened is not None:
            stretches.append(_Pause(clock.aware(opened.at), clock.aware(event.at), opened.reason))
            opened = None
    if opened is not None:
        stretches.append(_Pause(clock.aware(opened.at), None, opened.reason))
    return stretches


def _extended(due: datetime, start: datetime, pauses: list[_Pause], stop: datetime) -> datetime:
    """``due`` pushed back by the paused time between the clock's start and ``stop`` (when it was met,
    or now); a pause that begins after the due, when the breach has happened, pushes nothing."""
    for pause in pauses:
        begin, end = max(pause.start, start), min(pause.end or stop, stop)
        if end <= begin:
            continue
        if begin >= due:
            break
        due += end - begin
    return due
