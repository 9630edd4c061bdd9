"""The VIP care schedule (DOMAIN.md §6): what an account manager owes a card holder, and when.

Pure functions of one customer's facts, the rules and a day, so the day plan, the customer view and the
analysts' compliance figures cannot disagree. Care is what the operator does: only outbound contacts
count, and an unanswered call is no contact. Every limit is in the [care] rules, per card.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from app import clock
from app.months import add_months
from app.rules import CardCare, Rules
from app.working_calendar import UnknownCalendarYear, WorkingCalendar

CareKind = Literal[
    "first_visit",
    "visit",
    "call",
    "birthday_reminder",
    "birthday_call",
    "new_service_notice",
    "trial_end",
    "retry_unreachable",
]
NO_ANSWER = "no_answer"


@dataclass(frozen=True, slots=True)
class Contact:
    at: datetime
    kind: str
    # None for a record from before contacts said how and who started them: it is no care contact.
    mode: str | None = None
    direction: str | None = None
    outcome: str | None = None
    employee: str | None = None
    service_no: str | None = None
    # The number the customer called, on usage-derived records (a competitor's hotline).
    called_number: str | None = None
    # The operator's day of ``at``, worked out once: the schedule asks for it many times.
    day: date = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "day", self.at.astimezone(clock.operator_zone()).date())


@dataclass(frozen=True, slots=True)
class Subscription:
    service_no: str
    product_type: str
    status: str
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """A new service or reward card holders are to be told of."""

    name: str
    announced: date


@dataclass(frozen=True, slots=True)
class Trial:
    """A free trial of a new service the customer is on."""

    name: str
    started: date
    ended: date | None = None


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the care schedule, lifecycle stage and churn warnings read of one customer: one shape, so
    the store is asked once and the three answers rest on the same facts."""

    customer_id: str
    vip_card: str | None = None
    vip_card_since: date | None = None
    birth_date: date | None = None
    account_manager: str | None = None
    contacts: tuple[Contact, ...] = ()
    announcements: tuple[Announcement, ...] = ()
    trials: tuple[Trial, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    accounts_opened: tuple[date, ...] = ()
    # The customer's billed spend by month ("YYYY-MM"), summed over its accounts; a month missing had no bill.
    monthly_spend: Mapping[str, float] = field(default_factory=dict)
    # The care done, worked out once (the schedule asks for it by mode many times): (day, mode) of each
    # outbound contact that reached the customer and is no usage record, by day.
    care_done: tuple[tuple[date, str | None], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        done = sorted(
            (
                (c.day, c.mode)
                for c in self.contacts
                if c.direction == "outbound" and c.outcome != NO_ANSWER and not c.called_number
            ),
            key=lambda done: done[0],
        )
        object.__setattr__(self, "care_done", tuple(done))


@dataclass(frozen=True, slots=True)
class Alternative:
    """Other work that does instead, by an earlier day (silver: a call within days of the card)."""

    modes: tuple[str, ...]
    due: date


@dataclass(frozen=True, slots=True)
class CareItem:
    kind: CareKind
    # The last day the work is on time; None only when no calendar knows the year to count working days in.
    due: date | None
    # The contact modes that do the work; empty for the manager's own reminder or a trial to end.
    modes: tuple[str, ...]
    reason: str
    last_done: date | None = None
    overdue: bool = False
    # A retry's planned moment, outside the quiet hours.
    at: datetime | None = None
    alternative: Alternative | None = None
    unknown_calendar: bool = False


@dataclass(frozen=True, slots=True)
class Compliance:
    """Care work that fell due in a period and how much of it was done on time, in total and by kind."""

    due: int
    met: int
    by_kind: Mapping[str, tuple[int, int]]


def birthday_in(birth: date, year: int, rules: Rules) -> date:
    if (birth.month, birth.day) == (2, 29) and not gregorian.isleap(year):
        month, day = map(int, rules.care.leap_day_birthday.split("-"))
        return date(year, month, day)
    return birth.replace(year=year)


def _care_days(facts: CustomerFacts, modes: Iterable[str], since: date | None) -> list[date]:
    """Days of outbound contacts in ``modes`` that reached the customer, in order; a usage record (the
    customer's own call to some number, ``called_number``) is no care."""
    wanted = set(modes)
    return [day for day, mode in facts.care_done if mode in wanted and (since is None or day >= since)]


def _call_modes(rules: Rules) -> tuple[str, ...]:
    return ("call", "visit") if rules.care.visit_counts_as_call else ("call",)


def _first_visit_done(facts: CustomerFacts, card: CardCare, rules: Rules) -> bool:
    since = facts.vip_card_since
    if since is None or _care_days(facts, ("visit",), since):
        return True
    calls = _care_days(facts, _call_modes(rules), since)
    return bool(card.first_call_days and calls and calls[0] <= since + timedelta(days=card.first_call_days))


def _regular(
    kind: CareKind, modes: tuple[str, ...], every: int, facts: CustomerFacts, today: date, until: date
) -> CareItem | None:
    if not every:
        return None
    done = _care_days(facts, modes, facts.vip_card_since)
    last = done[-1] if done else None
    base = last or facts.vip_card_since
    what = "visit" if kind == "visit" else "call"
    if base is None:
        if today > until:
            return None
        return CareItem(kind, today, modes, f"a {what} every {every} month(s) by the card; none on record", None)
    due = add_months(base, every)
    if due > until:
        return None
    since = f"the last {what} on {last}" if last else f"the card on {base}"
    reason = f"a {what} every {every} month(s) by the {facts.vip_card} card, counted from {since}"
    return CareItem(kind, due, modes, reason, last, today > due)


def _first_visit(facts: CustomerFacts, card: CardCare, rules: Rules, today: date, until: date) -> CareItem | None:
    since = facts.vip_card_since
    assert since is not None
    due = add_months(since, card.first_visit_months)
    if due > until:
        return None
    alternative = None
    reason = f"first visit within {card.first_visit_months} month(s) of the {facts.vip_card} card made on {since}"
    if card.first_call_days:
        call_due = since + timedelta(days=card.first_call_days)
        reason += f", or a call by {call_due} ({card.first_call_days} days) instead"
        if today <= call_due:
            alternative = Alternative(_call_modes(rules), call_due)
    return CareItem("first_visit", due, ("visit",), reason, None, today > due, alternative=alternative)


def _birthday(facts: CustomerFacts, card: CardCare, rules: Rules, today: date, until: date) -> list[CareItem]:
    if facts.birth_date is None:
        return []
    birthday = birthday_in(facts.birth_date, today.year, rules)
    if birthday < today:
        birthday = birthday_in(facts.birth_date, today.year + 1, rules)
    days = rules.care.birthday_reminder_days
    reminder = birthday - timedelta(days=days)
    if reminder > until or birthday in _care_days(facts, _call_modes(rules), birthday):
        return []
    gift = f", gift {card.birthday_gift}" if card.birthday_gift else ""
    items = [CareItem("birthday_reminder", reminder, (), f"birthday on {birthday} in {days} days{gift}")]
    if birthday <= until:
        items.append(CareItem("birthday_call", birthday, ("call",), f"birthday call on the day, {birthday}"))
    return items


def _notice_due(announced: date, card: CardCare, calendar: WorkingCalendar) -> date | None:
    try:
        return calendar.add_working_days(announced, card.new_service_working_days)
    except UnknownCalendarYear:
        return None


def _notices(
    facts: CustomerFacts, card: CardCare, calendar: WorkingCalendar, today: date, until: date
) -> list[CareItem]:
    items = []
    modes = tuple(card.new_service_modes)
    for announcement in facts.announcements:
        if facts.vip_card_since and announcement.announced < facts.vip_card_since:
            continue
        if _care_days(facts, modes, announcement.announced):
            continue
        due = _notice_due(announcement.announced, card, calendar)
        if due is not None and due > until:
            continue
        reason = (
            f"tell of {announcement.name} (announced {announcement.announced}) within "
            f"{card.new_service_working_days} working days by {' or '.join(modes)}"
        )
        overdue = due is not None and today > due
        items.append(CareItem("new_service_notice", due, modes, reason, None, overdue, unknown_calendar=due is None))
    return items


def _trials(facts: CustomerFacts, card: CardCare, today: date, until: date) -> list[CareItem]:
    items = []
    for trial in facts.trials:
        if trial.ended is not None:
            continue
        due = add_months(trial.started, card.trial_months)
        if due > until:
            continue
        reason = f"free trial of {trial.name} from {trial.started} ends by {due} ({card.trial_months} month(s))"
        items.append(CareItem("trial_end", due, (), reason, None, today > due))
    return items


def _unanswered_today(facts: CustomerFacts, day: date) -> list[Contact]:
    """The day's outbound calls when its last one went unanswered: the customer is still unreachable."""
    calls = sorted(
        (c for c in facts.contacts if c.direction == "outbound" and c.mode == "call" and c.day == day),
        key=lambda c: c.at,
    )
    return calls if calls and calls[-1].outcome == NO_ANSWER else []


def _retry(facts: CustomerFacts, rules: Rules, calendar: WorkingCalendar, today: date) -> CareItem | None:
    calls = _unanswered_today(facts, today)
    attempts = rules.care.unreachable_attempts
    if not calls or len(calls) >= attempts:
        return None
    last = calls[-1].at.astimezone(calendar.zone)
    planned = calendar.quiet_hours.next_outside(last + timedelta(minutes=rules.care.retry_gap_minutes))
    at = planned if planned.date() == today else None
    reason = f"unreachable: {len(calls)} of {attempts} tries today, the last at {last:%H:%M}"
    if at is None:
        reason += "; no time left before the quiet hours"
    return CareItem("retry_unreachable", today, ("call",), reason, today, at is None, at=at)


def care_due(
    facts: CustomerFacts, rules: Rules, calendar: WorkingCalendar, today: date, until: date = date.max
) -> list[CareItem]:
    """The open care work of one customer as of ``today``: each recurring contact's next due day (late ones
    flagged), the coming birthday, untold announcements, trials to end and today's retries. Only work due
    by ``until`` (or on no day a calendar knows): a day plan builds no words for next year's birthday."""
    items: list[CareItem] = []
    retry = _retry(facts, rules, calendar, today) if today <= until else None
    if retry is not None:
        items.append(retry)
    card = rules.care.cards.get(facts.vip_card) if facts.vip_card else None
    if card is None:
        return items
    if not _first_visit_done(facts, card, rules):
        first = _first_visit(facts, card, rules, today, until)
        items.extend([first] if first else [])
    else:
        visit = _regular("visit", ("visit",), card.visit_every_months, facts, today, until)
        items.extend([visit] if visit else [])
    call = _regular("call", _call_modes(rules), card.call_every_months, facts, today, until)
    items.extend([call] if call else [])
    items.extend(_birthday(facts, card, rules, today, until))
    items.extend(_notices(facts, card, calendar, today, until))
    items.extend(_trials(facts, card, today, until))
    return sorted(items, key=lambda item: (item.due or date.max, item.kind))


def _periods(start: date, done: list[date], every: int, until: date) -> Iterator[tuple[date, bool]]:
    """Each due day of a recurring contact before ``until`` and whether a contact met it: a met period
    restarts from its contact, a missed one from its due day, so a long silence counts each missed period."""
    base = start
    while True:
        due = add_months(base, every)
        if due >= until:
            return
        following = next((day for day in done if day > base), None)
        met = following is not None and following <= due
        yield due, met
        base = following if met and following is not None else due


def care_compliance(
    facts: CustomerFacts, rules: Rules, calendar: WorkingCalendar, since: date, today: date
) -> Compliance:
    """The care work that fell due from ``since`` up to (not including) ``today``, and how much was done in
    time; work due today can still be done, and a notice in a year no calendar knows is left uncounted."""
    counts: dict[str, list[int]] = {}

    def count(kind: str, due: date, met: bool) -> None:
        if since <= due < today:
            tally = counts.setdefault(kind, [0, 0])
            tally[0] += 1
            tally[1] += int(met)

    card = rules.care.cards.get(facts.vip_card) if facts.vip_card else None
    if card is not None:
        _card_compliance(facts, card, rules, calendar, since, today, count)
    for day in sorted({c.day for c in facts.contacts if c.direction == "outbound" and c.outcome == NO_ANSWER}):
        calls = _unanswered_today(facts, day)
        count("retry_unreachable", day, not calls or len(calls) >= rules.care.unreachable_attempts)
    return Compliance(
        sum(due for due, _ in counts.values()),
        sum(met for _, met in counts.values()),
        {kind: (due, met) for kind, (due, met) in sorted(counts.items())},
    )


def _card_compliance(
    facts: CustomerFacts,
    card: CardCare,
    rules: Rules,
    calendar: WorkingCalendar,
    since: date,
    today: date,
    count: Callable[[str, date, bool], None],
) -> None:
    card_since = facts.vip_card_since
    visits = _care_days(facts, ("visit",), card_since)
    calls = _care_days(facts, _call_modes(rules), card_since)
    if card_since is not None:
        first_due = add_months(card_since, card.first_visit_months)
        in_time = _first_in_time(visits, calls, card, card_since)
        count("first_visit", first_due, in_time)
        visit_start = visits[0] if visits and visits[0] <= first_due else card_since if in_time else first_due
    else:
        visit_start = max([day for day in visits if day < since], default=since)
    if card.visit_every_months:
        for due, met in _periods(visit_start, visits, card.visit_every_months, today):
            count("visit", due, met)
    if card.call_every_months:
        call_start = card_since or max([day for day in calls if day < since], default=since)
        for due, met in _periods(call_start, calls, card.call_every_months, today):
            count("call", due, met)
    if facts.birth_date is not None:
        for year in range(since.year, today.year + 1):
            birthday = birthday_in(facts.birth_date, year, rules)
            if card_since is None or birthday >= card_since:
                count("birthday_call", birthday, birthday in calls)
    modes = tuple(card.new_service_modes)
    for announcement in facts.announcements:
        notice_due = _notice_due(announcement.announced, card, calendar)
        if notice_due is not None and (card_since is None or announcement.announced >= card_since):
            told = _care_days(facts, modes, announcement.announced)
            count("new_service_notice", notice_due, bool(told) and told[0] <= notice_due)
    for trial in facts.trials:
        due = add_months(trial.started, card.trial_months)
        count("trial_end", due, trial.ended is not None and trial.ended <= due)


def _first_in_time(visits: list[date], calls: list[date], card: CardCare, card_since: date) -> bool:
    if visits and visits[0] <= add_months(card_since, card.first_visit_months):
        return True
    return bool(card.first_call_days and calls and calls[0] <= card_since + timedelta(days=card.first_call_days))
