"""The Chinese working calendar and the quiet hours (app/working_calendar.py, DOMAIN.md §6).

Real days as the pinned chinese-calendar package gives them: the 2026 Spring Festival with its worked
Saturdays (调休), National Day 2025 and 2026, month ends; a year the package lacks is unknown until
rules.toml lists it. Quiet hours are checked at their edges from UTC instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from app.errors import ConfigError
from app.rules import CalendarRules, CalendarYear, load_rules
from app.working_calendar import PACKAGE_YEARS, UnknownCalendarYear, WorkingCalendar, working_calendar

BEIJING = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
CALENDAR = WorkingCalendar(RULES.calendar, BEIJING)
RULES_FILE = Path(__file__).resolve().parents[2] / "app" / "config" / "rules.toml"


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def test_spring_festival_2026_is_off_and_its_saturdays_are_worked() -> None:
    assert [d for d in days(date(2026, 2, 13), date(2026, 2, 28)) if not CALENDAR.is_working_day(d)] == days(
        date(2026, 2, 15), date(2026, 2, 23)
    )
    assert CALENDAR.is_working_day(date(2026, 2, 14))  # a Saturday worked before the holiday
    assert CALENDAR.is_working_day(date(2026, 2, 28))  # and one after it
    assert not CALENDAR.is_working_day(date(2026, 3, 7))  # an ordinary Saturday


def test_national_day_2025_with_its_worked_sunday_and_saturday() -> None:
    assert not any(CALENDAR.is_working_day(d) for d in days(date(2025, 10, 1), date(2025, 10, 8)))
    assert CALENDAR.is_working_day(date(2025, 9, 28))  # Sunday
    assert CALENDAR.is_working_day(date(2025, 10, 11))  # Saturday
    assert not CALENDAR.is_working_day(date(2025, 10, 12))


def test_national_day_2026_with_its_worked_sunday_and_saturday() -> None:
    assert not any(CALENDAR.is_working_day(d) for d in days(date(2026, 10, 1), date(2026, 10, 7)))
    assert CALENDAR.is_working_day(date(2026, 10, 8))
    assert CALENDAR.is_working_day(date(2026, 9, 20))  # Sunday
    assert CALENDAR.is_working_day(date(2026, 10, 10))  # Saturday


def test_a_friday_steps_to_monday() -> None:
    assert CALENDAR.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)
    assert CALENDAR.add_working_days(date(2026, 3, 13), 5) == date(2026, 3, 20)


def test_working_days_across_holiday_weeks() -> None:
    assert CALENDAR.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert CALENDAR.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert CALENDAR.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert CALENDAR.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    # From a day off, the first working day after it is the first counted.
    assert CALENDAR.add_working_days(date(2025, 10, 3), 1) == date(2025, 10, 9)


def test_working_days_across_month_ends() -> None:
    assert CALENDAR.add_working_days(date(2026, 3, 31), 1) == date(2026, 4, 1)
    assert CALENDAR.add_working_days(date(2026, 4, 30), 1) == date(2026, 5, 6)  # Labour Day 1-5 May
    assert CALENDAR.add_working_days(date(2026, 7, 31), 1) == date(2026, 8, 3)
    assert CALENDAR.add_working_days(date(2026, 11, 30), 10) == date(2026, 12, 14)


def test_the_start_never_counts_and_counting_goes_forward_only() -> None:
    assert CALENDAR.add_working_days(date(2026, 3, 10), 0) == date(2026, 3, 10)
    assert CALENDAR.add_working_days(date(2026, 3, 10), 1) == date(2026, 3, 11)
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(date(2026, 3, 10), -1)


def test_the_end_of_working_days_is_midnight_after_the_last_one() -> None:
    promised = datetime(2026, 2, 13, 15, 0, tzinfo=BEIJING)
    assert CALENDAR.end_of_working_days(promised, 1) == datetime(2026, 2, 15, 0, 0, tzinfo=BEIJING)
    late_in_utc = datetime(2026, 3, 12, 17, 0, tzinfo=UTC)  # Friday 01:00 in Beijing
    assert CALENDAR.end_of_working_days(late_in_utc, 1) == datetime(2026, 3, 17, 0, 0, tzinfo=BEIJING)


def test_a_year_the_package_lacks_is_unknown_not_guessed() -> None:
    assert PACKAGE_YEARS.stop - 1 == 2026, "the pinned package's last year moved: update this test and the docs"
    assert CALENDAR.covers(2026) and not CALENDAR.covers(2027) and not CALENDAR.covers(2003)
    with pytest.raises(UnknownCalendarYear) as raised:
        CALENDAR.is_working_day(date(2027, 3, 1))
    assert raised.value.year == 2027
    with pytest.raises(UnknownCalendarYear):
        CALENDAR.add_working_days(date(2026, 12, 31), 1)


def test_an_override_makes_a_year_known() -> None:
    calendar = WorkingCalendar(
        CalendarRules(years={2027: CalendarYear(holidays=[date(2027, 1, 1)], working_weekends=[date(2027, 1, 9)])}),
        BEIJING,
    )
    assert calendar.covers(2027)
    assert not calendar.is_working_day(date(2027, 1, 1))  # a Friday holiday
    assert calendar.is_working_day(date(2027, 1, 9))  # a worked Saturday
    assert not calendar.is_working_day(date(2027, 1, 16))  # an ordinary Saturday
    assert calendar.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_an_override_replaces_a_year_the_package_knows() -> None:
    calendar = WorkingCalendar(CalendarRules(years={2026: CalendarYear(holidays=[date(2026, 3, 2)])}), BEIJING)
    assert not calendar.is_working_day(date(2026, 3, 2))
    assert calendar.is_working_day(date(2026, 2, 16))  # the package's Spring Festival Monday
    assert not calendar.is_working_day(date(2026, 2, 14))  # the package's worked Saturday


def test_the_rules_file_lists_a_year(tmp_path: Path) -> None:
    extra = "\n[calendar.years.2027]\nholidays = [2027-01-01]\nworking_weekends = [2027-01-09]\n"
    path = tmp_path / "rules.toml"
    path.write_text(RULES_FILE.read_text(encoding="utf-8") + extra, encoding="utf-8")
    calendar = WorkingCalendar(load_rules(path).calendar, BEIJING)
    assert calendar.covers(2027) and calendar.is_working_day(date(2027, 1, 9))


@pytest.mark.parametrize(
    "listed",
    [
        {"holidays": [date(2028, 1, 1)]},
        {"working_weekends": [date(2027, 1, 11)]},  # a Monday
        {"holidays": [date(2027, 1, 9)], "working_weekends": [date(2027, 1, 9)]},
    ],
    ids=["another year", "a weekday as a working weekend", "both holiday and working"],
)
def test_an_inconsistent_year_is_refused(listed: dict[str, list[date]]) -> None:
    CalendarRules.model_validate({"years": {2027: {"holidays": [date(2027, 1, 1)]}}})
    with pytest.raises(ValidationError):
        CalendarRules.model_validate({"years": {2027: listed}})


def test_a_misspelt_calendar_rule_fails_at_load(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    text = RULES_FILE.read_text(encoding="utf-8").replace("quiet_hours = ", "quiet_hour = ", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_rules(path)


def test_the_calendar_is_kept_per_rules_object() -> None:
    assert working_calendar(RULES) is working_calendar(RULES)
    assert working_calendar(load_rules()) is not working_calendar(RULES)


@pytest.mark.parametrize(
    ("utc", "quiet"),
    [
        (datetime(2026, 3, 10, 13, 59, tzinfo=UTC), False),  # 21:59 in Beijing
        (datetime(2026, 3, 10, 14, 0, tzinfo=UTC), True),  # 22:00
        (datetime(2026, 3, 10, 23, 59, tzinfo=UTC), True),  # 07:59 the next day
        (datetime(2026, 3, 11, 0, 0, tzinfo=UTC), False),  # 08:00
        (datetime(2026, 3, 10, 18, 0, tzinfo=UTC), True),  # 02:00
    ],
)
def test_quiet_hours_edges(utc: datetime, quiet: bool) -> None:
    assert CALENDAR.quiet_hours.contains(utc) is quiet


def test_a_contact_moves_to_the_end_of_the_quiet_hours() -> None:
    quiet = CALENDAR.quiet_hours
    assert quiet.next_outside(datetime(2026, 3, 10, 13, 59, tzinfo=UTC)) == datetime(2026, 3, 10, 13, 59, tzinfo=UTC)
    assert quiet.next_outside(datetime(2026, 3, 10, 14, 0, tzinfo=UTC)) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
    assert quiet.next_outside(datetime(2026, 3, 10, 23, 59, tzinfo=UTC)) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
    moved = quiet.next_outside(datetime(2026, 11, 30, 23, 30, tzinfo=BEIJING))
    assert moved == datetime(2026, 12, 1, 8, 0, tzinfo=BEIJING) and moved.tzinfo is BEIJING


def test_quiet_hours_within_one_day_are_configuration_too() -> None:
    calendar = WorkingCalendar(CalendarRules(quiet_hours=(time(12), time(14))), BEIJING)
    assert calendar.quiet_hours.contains(datetime(2026, 3, 10, 12, 0, tzinfo=BEIJING))
    assert not calendar.quiet_hours.contains(datetime(2026, 3, 10, 14, 0, tzinfo=BEIJING))
    assert not calendar.quiet_hours.contains(datetime(2026, 3, 10, 23, 0, tzinfo=BEIJING))
    moved = calendar.quiet_hours.next_outside(datetime(2026, 3, 10, 13, 0, tzinfo=BEIJING))
    assert moved == datetime(2026, 3, 10, 14, 0, tzinfo=BEIJING)
