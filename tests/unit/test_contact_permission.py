"""No repeated disturbance (app/contact_permission.py) under the shipped rules.toml [contact_rules] and
[calendar] quiet_hours, rule by rule, at fixed instants: 1 marketing touch a day, 2 in any 7 days, 4
in any 30 (Beijing calendar days), 22:00-08:00 Beijing quiet, opt-outs, consent required, one channel
planning a customer a week; service never held back. Times are Beijing time unless a test says not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from app.contact_permission import Ask, Consent, Permission, Touch, permission
from app.rules import ContactRules, load_rules
from app.working_calendar import QuietHours

BEIJING = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
CAPS = RULES.contact_rules
QUIET = QuietHours(RULES.calendar.quiet_hours[0], RULES.calendar.quiet_hours[1], BEIJING)
# Consent to all marketing, given long before every test's moment.
GRANTED = [Consent(datetime(2026, 1, 5, 10, tzinfo=BEIJING), True)]


def bj(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def marketing(at: datetime, channel: str = "agent", planned: bool = False, **extra: str | None) -> Touch:
    return Touch(at, channel, extra.pop("purpose", "marketing"), extra.pop("direction", "outbound"), planned)


def ask(
    at: datetime,
    touches: list[Touch] = [],  # noqa: B006 - never changed
    consents: list[Consent] = GRANTED,
    channel: str = "agent",
    purpose: str = "marketing",
    mode: str | None = "call",
    planning: bool = True,
    rules: ContactRules = CAPS,
) -> Permission:
    return permission(Ask(channel, purpose, at, mode, planning), touches, consents, rules, QUIET)


def rules_of(answer: Permission) -> list[str]:
    return [r.rule for r in answer.reasons]


def test_the_shipped_rules_are_the_documented_ones() -> None:
    assert (CAPS.daily_cap, CAPS.seven_day_cap, CAPS.thirty_day_cap) == (1, 2, 4)
    assert CAPS.consent_required and CAPS.consent_kept_months == 5 and CAPS.one_channel_a_week


def test_a_first_marketing_call_in_the_day_is_allowed_now() -> None:
    answer = ask(bj(12, 2, 15))
    assert answer == Permission(True, (), bj(12, 2, 15))


# ------------------------------------------------------------------ caps, on Beijing calendar days


def test_a_second_touch_the_same_day_breaks_the_daily_cap_and_may_come_the_next_morning() -> None:
    answer = ask(bj(12, 2, 15), [marketing(bj(12, 2, 9))])
    assert rules_of(answer) == ["daily_cap"]
    assert "2026-12-02" in answer.reasons[0].message
    # The next day at 08:00, when the quiet hours end: the 7-day cap still has room (2).
    assert answer.next_allowed_at == bj(12, 3, 8)


def test_the_day_is_beijing_s_not_utc_s() -> None:
    # 07:30 UTC on 2 December is 15:30 on the 2nd in Beijing; 23:30 Beijing on the 1st is a day before.
    earlier = marketing(bj(12, 1, 21, 30))
    assert ask(datetime(2026, 12, 2, 7, 30, tzinfo=UTC), [earlier]).allowed
    same_day = marketing(datetime(2026, 12, 1, 16, 30, tzinfo=UTC))  # 00:30 on the 2nd in Beijing
    assert rules_of(ask(bj(12, 2, 15), [same_day])) == ["daily_cap"]


def test_the_seven_day_window_counts_the_day_and_the_six_before_it() -> None:
    touches = [marketing(bj(11, 26, 10)), marketing(bj(11, 30, 10))]
    # 2 December: 26 November is within the 7 days 26 Nov - 2 Dec: third touch refused.
    answer = ask(bj(12, 2, 10), touches)
    assert rules_of(answer) == ["seven_day_cap"]
    assert "2026-11-26 to 2026-12-02" in answer.reasons[0].message
    # 3 December: every 7 days holding it (27 Nov - 3 Dec to 3 - 9 Dec) holds at most 30 November.
    assert answer.next_allowed_at == bj(12, 3, 8)
    assert ask(bj(12, 3, 8), touches).allowed


def test_a_planned_touch_after_the_day_counts_against_the_windows_that_hold_both() -> None:
    # Two touches planned for 8 and 9 December: one today (3 Dec) would make 3 in 3-9 December.
    planned = [marketing(bj(12, 8, 10), planned=True), marketing(bj(12, 9, 10), channel="sms", planned=True)]
    answer = ask(bj(12, 3, 10), planned, channel="sms")
    assert rules_of(answer) == ["seven_day_cap"]
    assert "2026-12-03 to 2026-12-09" in answer.reasons[0].message


def test_the_thirty_day_window_and_a_month_end() -> None:
    # Four touches across the turn of November: a fifth on 30 November breaks the 30-day cap.
    touches = [marketing(bj(11, d, 10)) for d in (1, 10, 19, 28)]
    answer = ask(bj(11, 30, 10), touches)
    assert rules_of(answer) == ["thirty_day_cap"]
    # The window 2 Nov - 1 Dec holds three (10, 19, 28): 1 December is allowed, at 08:00.
    assert answer.next_allowed_at == bj(12, 1, 8)
    assert ask(bj(12, 1, 8), touches).allowed
    # 31 January to 1 February: calendar days, not months.
    assert rules_of(ask(bj(2, 1, 9, year=2027), [marketing(bj(1, 31, 21, year=2027))])) == []


def test_service_and_inbound_and_unknown_purpose_touches_do_not_count() -> None:
    touches = [
        marketing(bj(12, 2, 9), purpose="service"),
        marketing(bj(12, 2, 10), direction="inbound"),
        marketing(bj(12, 2, 11), purpose=None),
    ]
    assert ask(bj(12, 2, 15), touches).allowed


def test_a_service_touch_is_never_held_back() -> None:
    crowded = [marketing(bj(12, 2, 9)), marketing(bj(11, 30, 9))]
    answer = ask(bj(12, 2, 23, 30), crowded, consents=[Consent(bj(11, 1, 9), False)], purpose="service")
    assert answer == Permission(True, (), bj(12, 2, 23, 30))


# ------------------------------------------------------------------ quiet hours, Beijing time


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(21, 59, False), (22, 0, True), (23, 59, True), (0, 0, True), (7, 59, True), (8, 0, False)],
)
def test_quiet_hours_edges(hour: int, minute: int, quiet: bool) -> None:
    day = 3 if hour < 12 else 2
    answer = ask(bj(12, day, hour, minute))
    assert rules_of(answer) == (["quiet_hours"] if quiet else [])
    if quiet:
        assert answer.next_allowed_at == bj(12, 3, 8)


def test_a_caller_in_another_offset_gets_beijing_quiet_hours_and_its_own_offset_back() -> None:
    london = timezone(timedelta(hours=0))
    # 14:30 UTC is 22:30 in Beijing: quiet until 08:00 Beijing, 00:00 UTC.
    answer = ask(datetime(2026, 12, 2, 14, 30, tzinfo=london))
    assert rules_of(answer) == ["quiet_hours"]
    assert answer.next_allowed_at == datetime(2026, 12, 3, 0, 0, tzinfo=london)
    assert answer.next_allowed_at.utcoffset() == timedelta(0)
    # 13:59 UTC is 21:59 in Beijing: allowed.
    assert ask(datetime(2026, 12, 2, 13, 59, tzinfo=london)).allowed


def test_quiet_hours_and_a_full_day_together_move_to_the_next_free_morning() -> None:
    answer = ask(bj(12, 2, 22, 30), [marketing(bj(12, 2, 9))])
    assert rules_of(answer) == ["daily_cap", "quiet_hours"]
    assert answer.next_allowed_at == bj(12, 3, 8)


# ------------------------------------------------------------------ consent and opt-outs


def test_marketing_waits_for_a_recorded_consent_and_only_a_new_consent_allows_it() -> None:
    answer = ask(bj(12, 2, 15), consents=[])
    assert rules_of(answer) == ["no_consent"] and answer.next_allowed_at is None
    lenient = CAPS.model_copy(update={"consent_required": False})
    assert ask(bj(12, 2, 15), consents=[], rules=lenient).allowed
    # A consent given after the moment asked about does not count for it.
    assert rules_of(ask(bj(12, 2, 15), consents=[Consent(bj(12, 2, 16), True)])) == ["no_consent"]


def test_an_opt_out_of_all_marketing_holds_until_a_later_consent() -> None:
    out = Consent(bj(11, 1, 9), False)
    answer = ask(bj(12, 2, 15), consents=[*GRANTED, out])
    assert rules_of(answer) == ["opted_out"] and answer.next_allowed_at is None
    assert ask(bj(12, 2, 15), consents=[*GRANTED, out, Consent(bj(11, 20, 9), True)]).allowed


def test_an_opt_out_of_one_mode_or_channel_holds_for_it_alone() -> None:
    no_sms = [*GRANTED, Consent(bj(11, 1, 9), False, mode="sms")]
    assert rules_of(ask(bj(12, 2, 15), consents=no_sms, mode="sms", channel="sms")) == ["opted_out"]
    assert ask(bj(12, 2, 15), consents=no_sms, mode="call").allowed
    # A mode nobody said is taken as the opted-out one (the safe side).
    assert rules_of(ask(bj(12, 2, 15), consents=no_sms, mode=None)) == ["opted_out"]
    not_by_agents = [*GRANTED, Consent(bj(11, 1, 9), False, channel="agent")]
    assert rules_of(ask(bj(12, 2, 15), consents=not_by_agents)) == ["opted_out"]
    assert ask(bj(12, 2, 15), consents=not_by_agents, channel="hotline").allowed


def test_a_consent_to_one_mode_does_not_allow_another() -> None:
    sms_only = [Consent(bj(11, 1, 9), True, mode="sms")]
    assert ask(bj(12, 2, 15), consents=sms_only, mode="sms").allowed
    assert rules_of(ask(bj(12, 2, 15), consents=sms_only, mode="call")) == ["no_consent"]


# ------------------------------------------------------------------ one channel plans a customer a week


def test_another_channel_s_plan_the_same_calendar_week_stops_planning_until_monday() -> None:
    # Wednesday 2 December; the hotline planned Friday 4 December. The week is 30 Nov - 6 Dec.
    theirs = [marketing(bj(12, 4, 10), channel="hotline", planned=True)]
    answer = ask(bj(12, 2, 15), theirs)
    assert rules_of(answer) == ["planned_by_other_channel"]
    assert "hotline" in answer.reasons[0].message and "2026-12-04 10:00" in answer.reasons[0].message
    # Monday 7 December at 08:00; and 7 December is 3 days from the hotline's touch: within 2 in 7.
    assert answer.next_allowed_at == bj(12, 7, 8)
    # The same channel may plan again (caps permitting), and a touch made anyway is no violation of it.
    assert ask(bj(12, 2, 15), theirs, channel="hotline").allowed
    assert ask(bj(12, 2, 15), theirs, planning=False).allowed


def test_a_plan_of_the_week_before_does_not_stop_this_week() -> None:
    # Sunday 29 November ends the week before Monday 30 November.
    assert ask(bj(11, 30, 10), [marketing(bj(11, 29, 21), channel="hotline", planned=True)]).allowed


def test_the_caps_must_nest() -> None:
    with pytest.raises(ValidationError):
        ContactRules(daily_cap=3, seven_day_cap=2)
    with pytest.raises(ValidationError):
        ContactRules(consent_kept_months=4)
