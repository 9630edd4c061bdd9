"""Service clocks (app/sla.py) under the shipped rules.toml [sla], rule by rule (DOMAIN.md §6-7).

The expected times are written out, so these tests pin the shipped configuration to the operator's
documents: 3 hours for a consultation or a promise within 1 working day, 8 hours for a complaint and
1 hour to tell, 3 hours and 30 or 10 minutes for business by phone and emergencies, 24 hours and
3 months for a churn warning. Times are Beijing time unless a test says otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from app.rules import CalendarRules, CalendarYear, SlaRules, load_rules
from app.sla import Case, CaseEvent, Deadline, SlaState, sla_state
from app.working_calendar import WorkingCalendar

BEIJING = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
CALENDAR = WorkingCalendar(RULES.calendar, BEIJING)
_ids = count(1)


def bj(month: int, day: int, hour: int, minute: int = 0, second: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)


def ev(
    event: str, at: datetime, *, id: str | None = None, employee: str | None = None, reason: str | None = None
) -> CaseEvent:
    return CaseEvent(id or f"ev{next(_ids):04d}", event, at, employee, reason)


def state(
    kind: str,
    opened: datetime,
    events: list[CaseEvent],
    now: datetime,
    calendar: WorkingCalendar = CALENDAR,
    owner: str | None = "emp-first",
) -> SlaState:
    return sla_state(Case("case-1", kind, opened, owner, "hotline"), events, RULES, calendar, now)


def deadline(result: SlaState, name: str) -> Deadline:
    (found,) = [d for d in result.deadlines if d.name == name]
    return found


# Tuesday 10 March 2026, an ordinary working day.
OPENED = bj(3, 10, 10)


class TestConsultation:
    def test_answered_in_time(self) -> None:
        result = state("consultation", OPENED, [ev("answered", bj(3, 10, 12, 59))], now=bj(3, 10, 18))
        assert [d.name for d in result.deadlines] == ["answer"]
        answer = deadline(result, "answer")
        assert answer.due == bj(3, 10, 13) and answer.met_at == bj(3, 10, 12, 59)
        assert not answer.breached and not result.breached and answer.pauses
        assert result.open and result.next_due is None

    def test_answered_on_the_minute_and_one_minute_late(self) -> None:
        on_time = state("consultation", OPENED, [ev("answered", bj(3, 10, 13))], now=bj(3, 10, 18))
        late = state("consultation", OPENED, [ev("answered", bj(3, 10, 13, 1))], now=bj(3, 10, 18))
        assert not on_time.breached
        assert late.breached and deadline(late, "answer").breached

    def test_unanswered_breaches_one_minute_after_the_limit(self) -> None:
        at_due = state("consultation", OPENED, [], now=bj(3, 10, 13))
        after = state("consultation", OPENED, [], now=bj(3, 10, 13, 1))
        assert not at_due.breached and at_due.next_due == bj(3, 10, 13)
        assert after.breached and not after.warning and after.next_due == bj(3, 10, 13)

    def test_the_warning_comes_at_exactly_the_share(self) -> None:
        assert RULES.sla.warning_share == 0.8
        before = state("consultation", OPENED, [], now=bj(3, 10, 12, 23, 59))
        at_share = state("consultation", OPENED, [], now=bj(3, 10, 12, 24))
        assert not before.warning and not deadline(before, "answer").warning
        assert at_share.warning and deadline(at_share, "answer").warning and not at_share.breached

    def test_a_met_deadline_does_not_warn(self) -> None:
        result = state("consultation", OPENED, [ev("answered", bj(3, 10, 12))], now=bj(3, 10, 12, 50))
        assert not result.warning

    def test_a_promise_before_the_three_hour_mark(self) -> None:
        events = [ev("promised", bj(3, 10, 12)), ev("answered", bj(3, 11, 17))]
        result = state("consultation", OPENED, events, now=bj(3, 12, 9))
        answer, promise = deadline(result, "answer"), deadline(result, "new_promise")
        assert answer.met_at == bj(3, 10, 12) and not answer.breached
        assert promise.due == bj(3, 12, 0) and promise.met_at == bj(3, 11, 17)  # end of Wednesday
        assert not result.breached

    def test_a_promise_after_the_three_hour_mark_breaches_the_answer(self) -> None:
        events = [ev("promised", bj(3, 10, 14)), ev("answered", bj(3, 11, 9))]
        result = state("consultation", OPENED, events, now=bj(3, 12, 9))
        assert deadline(result, "answer").breached and deadline(result, "answer").met_at == bj(3, 10, 14)
        assert not deadline(result, "new_promise").breached
        assert result.breached

    def test_a_promise_after_the_answer_sets_no_new_deadline(self) -> None:
        events = [ev("answered", bj(3, 10, 11)), ev("promised", bj(3, 10, 12))]
        result = state("consultation", OPENED, events, now=bj(3, 20, 9))
        assert [d.name for d in result.deadlines] == ["answer"] and not result.breached

    def test_an_unkept_promise_breaches_after_the_next_working_day(self) -> None:
        events = [ev("promised", bj(3, 13, 12))]  # Friday
        opened = bj(3, 13, 10)
        monday_night = state("consultation", opened, events, now=bj(3, 16, 23, 59))
        tuesday = state("consultation", opened, events, now=bj(3, 17, 0, 1))
        assert deadline(monday_night, "new_promise").due == bj(3, 17, 0)
        assert not monday_night.breached and monday_night.warning and monday_night.next_due == bj(3, 17, 0)
        assert tuesday.breached

    def test_a_promise_across_national_day(self) -> None:
        opened, promised = bj(9, 30, 14, year=2025), bj(9, 30, 16, year=2025)
        events = [ev("promised", promised)]
        assert deadline(state("consultation", opened, events, now=promised), "new_promise").due == bj(
            10, 10, 0, year=2025
        )
        assert not state("consultation", opened, events, now=bj(10, 9, 23, year=2025)).breached
        assert state("consultation", opened, events, now=bj(10, 10, 0, 1, year=2025)).breached

    def test_a_promise_across_a_worked_sunday(self) -> None:
        # Saturday 27 September 2025 is off; Sunday the 28th is worked in place of National Day.
        opened = bj(9, 27, 9, year=2025)
        events = [ev("promised", bj(9, 27, 10, year=2025)), ev("answered", bj(9, 29, 9, year=2025))]
        result = state("consultation", opened, events, now=bj(9, 29, 12, year=2025))
        promise = deadline(result, "new_promise")
        assert promise.due == bj(9, 29, 0, year=2025) and promise.breached

    def test_a_promise_before_the_spring_festival_falls_on_the_worked_saturday(self) -> None:
        opened = bj(2, 13, 15)
        result = state("consultation", opened, [ev("promised", bj(2, 13, 17))], now=bj(2, 13, 18))
        assert deadline(result, "new_promise").due == bj(2, 15, 0)

    def test_a_promise_into_an_unknown_year_is_flagged(self) -> None:
        opened = bj(12, 31, 10)
        events = [ev("promised", bj(12, 31, 11))]
        result = state("consultation", opened, events, now=bj(12, 31, 12))
        promise = deadline(result, "new_promise")
        assert result.unknown_calendar and promise.due is None
        assert not promise.breached and not promise.warning and result.next_due is None
        known = WorkingCalendar(
            CalendarRules(years={2027: CalendarYear(holidays=[date(2027, 1, 1)])}),
            BEIJING,
        )
        with_override = state("consultation", opened, events, now=bj(12, 31, 12), calendar=known)
        assert not with_override.unknown_calendar
        assert deadline(with_override, "new_promise").due == bj(1, 5, 0, year=2027)


class TestPauses:
    def test_a_pause_across_the_limit_moves_the_due(self) -> None:
        opened = bj(3, 10, 9)
        events = [ev("paused", bj(3, 10, 15), reason="waiting for the customer's documents")]
        during = state("complaint", opened, events, now=bj(3, 10, 20))
        assert during.paused and during.pause_reason == "waiting for the customer's documents"
        assert deadline(during, "solution").due == bj(3, 10, 22) and not during.breached

        events.append(ev("resumed", bj(3, 11, 10)))
        after = state("complaint", opened, events, now=bj(3, 11, 11))
        assert not after.paused and after.pause_reason is None
        assert deadline(after, "solution").due == bj(3, 11, 12)
        assert not after.breached and after.warning  # 7 of 8 working hours gone
        assert state("complaint", opened, events, now=bj(3, 11, 12, 1)).breached

    def test_a_pause_after_the_due_rescues_nothing(self) -> None:
        events = [ev("paused", bj(3, 10, 18)), ev("resumed", bj(3, 10, 20))]
        result = state("complaint", bj(3, 10, 9), events, now=bj(3, 10, 21))
        assert deadline(result, "solution").due == bj(3, 10, 17) and result.breached

    def test_telling_the_customer_never_pauses(self) -> None:
        events = [
            ev("solved", bj(3, 10, 11)),
            ev("final_answer", bj(3, 10, 12)),
            ev("paused", bj(3, 10, 12, 10), reason="manager away"),
        ]
        result = state("complaint", bj(3, 10, 9), events, now=bj(3, 10, 13, 1))
        tell = deadline(result, "tell_customer")
        assert not tell.pauses and tell.due == bj(3, 10, 13) and tell.breached

    def test_a_pause_ended_by_a_met_deadline_counts_to_the_met_time(self) -> None:
        events = [ev("paused", bj(3, 10, 10)), ev("answered", bj(3, 10, 11))]
        result = state("consultation", bj(3, 10, 9), events, now=bj(3, 10, 14))
        assert deadline(result, "answer").due == bj(3, 10, 13)


class TestComplaint:
    def test_a_final_answer_at_half_past_eleven_at_night_is_told_by_half_past_midnight(self) -> None:
        opened = bj(11, 30, 16)
        events = [ev("solved", bj(11, 30, 23)), ev("final_answer", bj(11, 30, 23, 30))]
        pending = state("complaint", opened, events, now=bj(11, 30, 23, 45))
        tell = deadline(pending, "tell_customer")
        assert tell.due == bj(12, 1, 0, 30) and pending.next_due == bj(12, 1, 0, 30)
        assert not pending.breached
        assert state("complaint", opened, events, now=bj(12, 1, 0, 31)).breached
        told = [*events, ev("customer_told", bj(12, 1, 0, 20))]
        assert not state("complaint", opened, told, now=bj(12, 1, 9)).breached

    def test_solution_within_eight_hours(self) -> None:
        opened = bj(3, 10, 9)
        in_time = state("complaint", opened, [ev("solved", bj(3, 10, 17))], now=bj(3, 10, 18))
        late = state("complaint", opened, [ev("solved", bj(3, 10, 17, 1))], now=bj(3, 10, 18))
        assert deadline(in_time, "solution").due == bj(3, 10, 17) and not in_time.breached
        assert late.breached
        assert [d.name for d in in_time.deadlines] == ["solution"]  # no telling before the final answer

    def test_the_first_person_asked_keeps_the_complaint(self) -> None:
        events = [
            ev("paused", bj(3, 10, 10), employee="emp-second", reason="handed over to emp-second"),
            ev("resumed", bj(3, 10, 11), employee="emp-second"),
            ev("solved", bj(3, 10, 12), employee="emp-second"),
            ev("final_answer", bj(3, 10, 12), employee="emp-third"),
        ]
        result = state("complaint", bj(3, 10, 9), events, now=bj(3, 10, 13), owner="emp-first")
        assert result.owner == "emp-first"

    def test_a_closed_complaint_keeps_its_breach_and_stops_warning(self) -> None:
        events = [ev("solved", bj(3, 10, 18)), ev("closed", bj(3, 10, 18, 5))]
        result = state("complaint", bj(3, 10, 9), events, now=bj(3, 12, 9))
        assert not result.open and result.breached and not result.warning and result.next_due is None

    def test_closed_before_the_due_is_no_breach(self) -> None:
        result = state("complaint", bj(3, 10, 9), [ev("closed", bj(3, 10, 16))], now=bj(3, 12, 9))
        assert not result.open and not result.breached and not result.warning


class TestPhoneAndEmergency:
    @pytest.mark.parametrize(("kind", "minutes"), [("phone_business", 30), ("emergency", 10)])
    def test_done_within_three_hours_and_told_in_time(self, kind: str, minutes: int) -> None:
        opened, done = bj(3, 10, 9), bj(3, 10, 11, 59)
        solved = [ev("solved", done)]
        waiting = state(kind, opened, solved, now=done)
        assert deadline(waiting, "solution").due == bj(3, 10, 12) and not waiting.breached
        assert waiting.next_due == done + timedelta(minutes=minutes)
        told = state(kind, opened, [*solved, ev("customer_told", done + timedelta(minutes=minutes))], now=bj(3, 11, 9))
        assert not told.breached
        late = [*solved, ev("customer_told", done + timedelta(minutes=minutes + 1))]
        assert deadline(state(kind, opened, late, now=bj(3, 11, 9)), "tell_customer").breached

    @pytest.mark.parametrize("kind", ["phone_business", "emergency"])
    def test_not_done_in_three_hours(self, kind: str) -> None:
        assert state(kind, bj(3, 10, 9), [], now=bj(3, 10, 12, 1)).breached
        assert not state(kind, bj(3, 10, 9), [], now=bj(3, 10, 12)).breached


class TestChurnWarning:
    def test_contact_within_a_day(self) -> None:
        opened = bj(3, 10, 9)
        assert not state("churn_warning", opened, [ev("contacted", bj(3, 11, 8, 59))], now=bj(3, 12, 9)).breached
        assert state("churn_warning", opened, [], now=bj(3, 11, 9, 1)).breached
        assert not state("churn_warning", opened, [ev("retained", bj(3, 10, 15))], now=bj(3, 12, 9)).breached

    def test_a_retained_customer_is_followed_up_for_three_months(self) -> None:
        opened = bj(11, 30, 9)
        events = [ev("contacted", bj(11, 30, 10)), ev("retained", bj(11, 30, 11))]
        during = state("churn_warning", opened, events, now=bj(2, 27, 9, year=2027))
        follow_up = deadline(during, "follow_up")
        assert during.open and follow_up.due == bj(2, 28, 11, year=2027) and follow_up.met_at is None
        assert during.next_due == bj(2, 28, 11, year=2027) and not during.breached and not during.warning
        after = state("churn_warning", opened, events, now=bj(2, 28, 11, 1, year=2027))
        assert not after.open and deadline(after, "follow_up").met_at == bj(2, 28, 11, year=2027)
        assert not after.breached and after.next_due is None

    def test_a_lost_customer_closes_the_warning(self) -> None:
        events = [ev("contacted", bj(3, 10, 10)), ev("lost", bj(3, 12, 10))]
        result = state("churn_warning", bj(3, 10, 9), events, now=bj(3, 13, 9))
        assert not result.open and not result.breached and result.next_due is None


class TestEvents:
    def test_order_of_arrival_does_not_matter_and_ties_go_by_id(self) -> None:
        events = [
            ev("paused", bj(3, 10, 10), id="e1"),
            ev("resumed", bj(3, 10, 10), id="e2"),
            ev("answered", bj(3, 10, 12, 30), id="e3"),
        ]
        forward = state("consultation", OPENED, events, now=bj(3, 10, 14))
        backward = state("consultation", OPENED, list(reversed(events)), now=bj(3, 10, 14))
        assert forward == backward
        assert not backward.paused

    def test_events_after_now_are_not_yet_known(self) -> None:
        result = state("consultation", OPENED, [ev("answered", bj(3, 10, 12))], now=bj(3, 10, 11))
        assert deadline(result, "answer").met_at is None

    def test_utc_events_and_now_are_the_same_moments(self) -> None:
        events = [ev("answered", datetime(2026, 3, 10, 4, 59, tzinfo=UTC))]  # 12:59 in Beijing
        result = state("consultation", OPENED, events, now=datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
        assert not result.breached and deadline(result, "answer").due == bj(3, 10, 13)

    def test_a_kind_without_limits_has_no_deadlines(self) -> None:
        rules = RULES.model_copy(update={"sla": SlaRules()})
        result = sla_state(Case("c", "complaint", OPENED, None), [], rules, CALENDAR, bj(3, 20, 9))
        assert result.deadlines == [] and result.open and not result.breached


@pytest.mark.parametrize(
    "sla",
    [
        {"deadlines": {"complaint": {"solution": {"limit": 8, "unit": "hours", "pauses": True, "met_by": ["fixed"]}}}},
        {"deadlines": {"repair": {"solution": {"limit": 8, "unit": "hours", "pauses": True, "met_by": ["solved"]}}}},
        {"deadlines": {"complaint": {"solution": {"limit": 8, "unit": "days", "pauses": True, "met_by": ["solved"]}}}},
        {"deadlines": {"complaint": {"solution": {"limit": 8, "unit": "hours", "met_by": ["solved"]}}}},
        {"deadlines": {"complaint": {"solution": {"limit": 8, "unit": "hours", "pauses": True}}}},
        {"warning_share": 1.5},
    ],
    ids=["unknown event", "unknown kind", "unknown unit", "pauses undeclared", "nothing meets it", "share"],
)
def test_a_wrong_sla_rule_is_refused(sla: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SlaRules.model_validate(sla)
