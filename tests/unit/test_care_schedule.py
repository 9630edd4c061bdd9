"""The VIP care schedule (app/care_schedule.py, DOMAIN.md §6) rule by rule, at fixed days: month ends,
a 29 February birthday, a notice across the National Day holiday and the quiet hours.

The shipped [care] table is pinned against the operator's table first, so the dates below follow from it.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.care_schedule import (
    Announcement,
    CareItem,
    Contact,
    CustomerFacts,
    Trial,
    care_compliance,
    care_due,
)
from app.months import add_months, month_days
from app.rules import Rules, get_rules
from app.working_calendar import working_calendar

RULES = get_rules()
CALENDAR = working_calendar(RULES)
CHINA = timezone(timedelta(hours=8))


def contact(day: date, mode: str, direction: str = "outbound", outcome: str | None = None, hour: int = 10) -> Contact:
    return Contact(
        datetime.combine(day, datetime.min.time(), CHINA) + timedelta(hours=hour),
        "care_visit",
        mode,
        direction,
        outcome,
    )


def card(vip_card: str, since: date | None, *contacts: Contact, **more: object) -> CustomerFacts:
    return CustomerFacts("c1", vip_card, since, contacts=contacts, **more)  # type: ignore[arg-type]


def items(facts: CustomerFacts, today: date, rules: Rules = RULES) -> dict[str, CareItem]:
    found = care_due(facts, rules, CALENDAR, today)
    assert len({item.kind for item in found}) == len(found)
    return {item.kind: item for item in found}


def with_care(**update: object) -> Rules:
    return RULES.model_copy(update={"care": RULES.care.model_copy(update=update)})


def test_the_shipped_table_is_the_operators() -> None:
    table = {
        name: (
            c.first_visit_months,
            c.first_call_days,
            c.visit_every_months,
            c.call_every_months,
            c.new_service_working_days,
            c.new_service_modes,
            c.trial_months,
        )
        for name, c in RULES.care.cards.items()
    }
    assert table == {
        "diamond": (1, 0, 1, 0, 3, ["visit"], 3),
        "gold": (1, 0, 2, 1, 5, ["visit", "call"], 2),
        "silver": (1, 5, 3, 2, 10, ["call", "sms"], 1),
    }
    assert (RULES.care.birthday_reminder_days, RULES.care.unreachable_attempts) == (3, 3)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
    ],
)
def test_a_month_later_stays_in_its_month(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_month_lengths_are_the_calendars_for_every_month_of_every_year() -> None:
    lengths = [(year, month, month_days(year, month)) for year in range(1, 10_000) for month in range(1, 13)]
    assert lengths == [(year, month, monthrange(year, month)[1]) for year, month, _ in lengths]


def test_first_visit_is_due_a_month_after_the_card_at_a_month_end() -> None:
    facts = card("diamond", date(2026, 1, 31))
    first = items(facts, date(2026, 2, 10))["first_visit"]
    assert (first.due, first.overdue, first.modes, first.alternative) == (date(2026, 2, 28), False, ("visit",), None)
    assert items(facts, date(2026, 2, 28))["first_visit"].overdue is False
    assert items(facts, date(2026, 3, 1))["first_visit"].overdue is True
    assert "visit" not in items(facts, date(2026, 3, 1))


def test_a_first_visit_on_the_last_day_is_in_time_and_one_day_later_is_not() -> None:
    since, today = date(2026, 1, 31), date(2026, 4, 1)
    on_time = card("diamond", since, contact(date(2026, 2, 28), "visit"))
    late = card("diamond", since, contact(date(2026, 3, 1), "visit"))
    assert care_compliance(on_time, RULES, CALENDAR, since, today).by_kind["first_visit"] == (1, 1)
    assert care_compliance(late, RULES, CALENDAR, since, today).by_kind["first_visit"] == (1, 0)
    # Once visited, the first visit is done either way and the regular visits count from it.
    assert "first_visit" not in items(late, today)
    assert items(on_time, date(2026, 3, 10))["visit"].due == date(2026, 3, 28)
    assert items(late, date(2026, 3, 10))["visit"].due == date(2026, 4, 1)


def test_silver_a_call_within_five_days_stands_for_the_first_visit() -> None:
    since = date(2026, 3, 10)
    waiting = items(card("silver", since), date(2026, 3, 12))["first_visit"]
    assert waiting.due == date(2026, 4, 10)
    assert waiting.alternative is not None and waiting.alternative.due == date(2026, 3, 15)
    assert items(card("silver", since), date(2026, 3, 16))["first_visit"].alternative is None
    called = card("silver", since, contact(date(2026, 3, 15), "call"))
    assert "first_visit" not in items(called, date(2026, 3, 20))
    assert items(called, date(2026, 3, 20))["visit"].due == date(2026, 6, 10)
    late_call = card("silver", since, contact(date(2026, 3, 16), "call"))
    assert "first_visit" in items(late_call, date(2026, 3, 20))
    assert care_compliance(late_call, RULES, CALENDAR, since, date(2026, 4, 11)).by_kind["first_visit"] == (1, 0)
    assert care_compliance(called, RULES, CALENDAR, since, date(2026, 4, 11)).by_kind["first_visit"] == (1, 1)


def test_gold_calls_monthly_from_the_last_outbound_call_and_inbound_ones_do_not_count() -> None:
    since = date(2025, 6, 1)
    base = [contact(date(2025, 6, 5), "visit"), contact(date(2026, 1, 10), "call")]
    facts = card("gold", since, *base)
    assert items(facts, date(2026, 1, 20))["call"].due == date(2026, 2, 10)
    noise = card(
        "gold",
        since,
        *base,
        contact(date(2026, 1, 20), "call", direction="inbound"),
        contact(date(2026, 1, 21), "call", outcome="no_answer"),
        contact(date(2026, 1, 22), "sms"),
    )
    call = items(noise, date(2026, 2, 11))["call"]
    assert (call.due, call.last_done, call.overdue) == (date(2026, 2, 10), date(2026, 1, 10), True)


def test_a_visit_keeps_the_call_schedule_unless_the_rules_say_otherwise() -> None:
    facts = card("gold", date(2025, 6, 1), contact(date(2025, 6, 5), "visit"), contact(date(2026, 1, 31), "visit"))
    assert items(facts, date(2026, 2, 1))["call"].due == date(2026, 2, 28)
    assert items(facts, date(2026, 2, 1))["visit"].due == date(2026, 3, 31)
    strict = with_care(visit_counts_as_call=False)
    assert items(facts, date(2026, 2, 1), strict)["call"].due == date(2025, 7, 1)


def test_diamond_has_no_call_schedule_and_no_card_has_no_schedule() -> None:
    facts = card("diamond", date(2025, 6, 1), contact(date(2025, 6, 5), "visit"))
    assert "call" not in items(facts, date(2025, 6, 10))
    assert (
        care_due(CustomerFacts("c2", None, None, birth_date=date(1990, 6, 15)), RULES, CALENDAR, date(2026, 6, 14))
        == []
    )


def test_birthday_reminder_three_days_before_and_a_call_on_the_day() -> None:
    facts = card("gold", date(2025, 1, 5), contact(date(2025, 1, 6), "visit"), birth_date=date(1990, 6, 15))
    found = items(facts, date(2026, 6, 1))
    assert (found["birthday_reminder"].due, found["birthday_call"].due) == (date(2026, 6, 12), date(2026, 6, 15))
    assert "60-100 yuan" in found["birthday_reminder"].reason
    assert items(facts, date(2026, 6, 16))["birthday_call"].due == date(2027, 6, 15)
    called = card("gold", date(2025, 1, 5), contact(date(2026, 6, 15), "call"), birth_date=date(1990, 6, 15))
    assert "birthday_call" not in items(called, date(2026, 6, 15))
    assert care_compliance(called, RULES, CALENDAR, date(2026, 1, 1), date(2026, 6, 16)).by_kind["birthday_call"] == (
        1,
        1,
    )
    assert care_compliance(facts, RULES, CALENDAR, date(2026, 1, 1), date(2026, 6, 16)).by_kind["birthday_call"] == (
        1,
        0,
    )


@pytest.mark.parametrize(
    ("leap_rule", "today", "call"),
    [
        ("02-28", date(2026, 2, 1), date(2026, 2, 28)),
        ("03-01", date(2026, 2, 1), date(2026, 3, 1)),
        ("03-01", date(2028, 2, 1), date(2028, 2, 29)),
        ("02-28", date(2026, 3, 1), date(2027, 2, 28)),
    ],
)
def test_a_29_february_birthday_in_a_common_year(leap_rule: str, today: date, call: date) -> None:
    facts = card("silver", None, birth_date=date(2000, 2, 29))
    found = items(facts, today, with_care(leap_day_birthday=leap_rule))
    assert found["birthday_call"].due == call
    assert found["birthday_reminder"].due == call - timedelta(days=3)


ANNOUNCED = date(2025, 9, 29)


@pytest.mark.parametrize(
    ("vip_card", "due"),
    [("diamond", date(2025, 10, 10)), ("gold", date(2025, 10, 13)), ("silver", date(2025, 10, 20))],
)
def test_a_new_service_notice_counts_working_days_across_national_day(vip_card: str, due: date) -> None:
    facts = card(vip_card, date(2025, 1, 1), announcements=(Announcement("5G package", ANNOUNCED),))
    notice = items(facts, due)["new_service_notice"]
    assert (notice.due, notice.overdue, notice.unknown_calendar) == (due, False, False)
    assert items(facts, due + timedelta(days=1))["new_service_notice"].overdue is True


def test_a_notice_is_told_only_by_the_cards_modes() -> None:
    announcements = (Announcement("5G package", ANNOUNCED),)
    gold = card("gold", date(2025, 1, 1), contact(date(2025, 10, 13), "call"), announcements=announcements)
    assert "new_service_notice" not in items(gold, date(2025, 10, 14))
    assert care_compliance(gold, RULES, CALENDAR, ANNOUNCED, date(2025, 10, 14)).by_kind["new_service_notice"] == (1, 1)
    silver = card("silver", date(2025, 1, 1), contact(date(2025, 10, 9), "sms"), announcements=announcements)
    assert "new_service_notice" not in items(silver, date(2025, 10, 14))
    diamond = card("diamond", date(2025, 1, 1), contact(date(2025, 10, 9), "call"), announcements=announcements)
    assert items(diamond, date(2025, 10, 14))["new_service_notice"].overdue is True


def test_a_notice_announced_before_the_card_is_not_owed() -> None:
    announcements = (Announcement("5G package", ANNOUNCED),)
    assert "new_service_notice" not in items(
        card("gold", ANNOUNCED + timedelta(days=1), announcements=announcements), ANNOUNCED
    )
    assert "new_service_notice" in items(card("gold", ANNOUNCED, announcements=announcements), ANNOUNCED)


def test_a_notice_in_a_year_no_calendar_knows_is_flagged() -> None:
    facts = card("gold", date(2030, 1, 1), announcements=(Announcement("6G", date(2031, 3, 2)),))
    notice = items(facts, date(2031, 3, 3))["new_service_notice"]
    assert (notice.due, notice.unknown_calendar, notice.overdue) == (None, True, False)


@pytest.mark.parametrize(
    ("vip_card", "started", "ends"),
    [
        ("diamond", date(2025, 11, 30), date(2026, 2, 28)),
        ("gold", date(2025, 12, 31), date(2026, 2, 28)),
        ("silver", date(2026, 1, 31), date(2026, 2, 28)),
    ],
)
def test_a_free_trial_ends_at_a_month_end(vip_card: str, started: date, ends: date) -> None:
    facts = card(vip_card, date(2025, 1, 1), trials=(Trial("video ring", started),))
    trial = items(facts, date(2026, 2, 28))["trial_end"]
    assert (trial.due, trial.overdue) == (ends, False)
    assert items(facts, date(2026, 3, 1))["trial_end"].overdue is True
    ended = card(vip_card, date(2025, 1, 1), trials=(Trial("video ring", started, ends),))
    assert "trial_end" not in items(ended, date(2026, 3, 1))
    assert care_compliance(ended, RULES, CALENDAR, started, date(2026, 3, 1)).by_kind["trial_end"] == (1, 1)


TODAY = date(2026, 5, 6)


def test_an_unreachable_customer_is_tried_again_an_hour_later() -> None:
    facts = CustomerFacts(
        "c3",
        contacts=(
            contact(TODAY, "call", outcome="no_answer", hour=9),
            contact(TODAY, "call", outcome="no_answer", hour=10),
        ),
    )
    retry = items(facts, TODAY)["retry_unreachable"]
    assert retry.at == datetime(2026, 5, 6, 11, 0, tzinfo=CHINA)
    assert (retry.due, retry.overdue, retry.modes) == (TODAY, False, ("call",))
    assert "2 of 3" in retry.reason


def test_no_retry_after_three_tries_or_an_answer_or_on_another_day() -> None:
    three = CustomerFacts(
        "c3", contacts=tuple(contact(TODAY, "call", outcome="no_answer", hour=h) for h in (9, 11, 13))
    )
    assert items(three, TODAY) == {}
    answered = CustomerFacts(
        "c3",
        contacts=(
            contact(TODAY, "call", outcome="no_answer", hour=9),
            contact(TODAY, "call", outcome="resolved", hour=11),
        ),
    )
    assert items(answered, TODAY) == {}
    assert (
        items(CustomerFacts("c3", contacts=(contact(TODAY, "call", outcome="no_answer"),)), TODAY + timedelta(days=1))
        == {}
    )
    assert care_compliance(three, RULES, CALENDAR, TODAY, TODAY + timedelta(days=1)).by_kind == {
        "retry_unreachable": (1, 1)
    }


def test_a_retry_never_lands_in_the_quiet_hours() -> None:
    late = CustomerFacts("c3", contacts=(contact(TODAY, "call", outcome="no_answer", hour=21),))
    retry = items(late, TODAY)["retry_unreachable"]
    assert (retry.at, retry.overdue) == (None, True)
    early = CustomerFacts("c3", contacts=(contact(TODAY, "call", outcome="no_answer", hour=6),))
    assert items(early, TODAY)["retry_unreachable"].at == datetime(2026, 5, 6, 8, 0, tzinfo=CHINA)
    missed = care_compliance(late, RULES, CALENDAR, TODAY, TODAY + timedelta(days=1))
    assert (missed.due, missed.met) == (1, 0)


def test_compliance_counts_each_missed_period_of_a_long_silence() -> None:
    facts = card("diamond", date(2026, 1, 15), contact(date(2026, 2, 10), "visit"), contact(date(2026, 3, 20), "visit"))
    result = care_compliance(facts, RULES, CALENDAR, date(2026, 1, 1), date(2026, 5, 1))
    # First visit by 02-15 met; visits due 03-10 (missed, came 03-20), 04-10 (met by 03-20), 04-20 (missed).
    assert result.by_kind == {"first_visit": (1, 1), "visit": (3, 1)}
    assert (result.due, result.met) == (4, 2)


def test_the_care_kinds_are_the_vocabularys() -> None:
    """The GraphQL enum comes from app/vocabulary.py; the schedule's own type must name the same work."""
    from typing import get_args

    from app.care_schedule import CareKind
    from app.lifecycle import StageName
    from app.vocabulary import CARE_ITEM_KINDS, LIFECYCLE_STAGES

    assert get_args(CareKind) == CARE_ITEM_KINDS
    assert get_args(StageName) == LIFECYCLE_STAGES


MODES = ("visit", "call", "sms", "email", "in_person")
days = st.dates(date(2024, 1, 1), date(2027, 12, 31))


@st.composite
def care_facts(draw: st.DrawFn) -> tuple[CustomerFacts, date]:
    today = draw(days)
    made = draw(
        st.lists(
            st.tuples(
                days,
                st.sampled_from(MODES),
                st.sampled_from(["outbound", "inbound"]),
                st.sampled_from([None, "no_answer", "reached"]),
                st.integers(0, 23),
            ),
            max_size=8,
        )
    )
    todays = draw(st.lists(st.sampled_from([None, "no_answer"]), max_size=3))
    contacts = [contact(d, m, direction, outcome, hour) for d, m, direction, outcome, hour in made]
    contacts += [contact(today, "call", "outbound", outcome, 9 + k) for k, outcome in enumerate(todays)]
    facts = CustomerFacts(
        "c1",
        draw(st.sampled_from([None, *RULES.care.cards])),
        draw(st.none() | days),
        birth_date=draw(
            st.none() | st.sampled_from([date(1988, 2, 29)]) | st.dates(date(1950, 1, 1), date(2005, 12, 31))
        ),
        contacts=tuple(contacts),
        announcements=tuple(Announcement(f"a{k}", d) for k, d in enumerate(draw(st.lists(days, max_size=2)))),
        trials=tuple(Trial(f"t{k}", d) for k, d in enumerate(draw(st.lists(days, max_size=2)))),
    )
    return facts, today


@settings(max_examples=400, deadline=None)
@given(care_facts(), st.integers(-40, 400))
def test_care_due_by_a_day_is_the_whole_schedule_cut_at_that_day(case: tuple[CustomerFacts, date], ahead: int) -> None:
    facts, today = case
    until = today + timedelta(days=ahead)
    whole = care_due(facts, RULES, CALENDAR, today)
    assert care_due(facts, RULES, CALENDAR, today, until) == [i for i in whole if i.due is None or i.due <= until]
